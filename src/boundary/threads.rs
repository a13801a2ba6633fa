//! The threads build's exports: the rayon pool, the threading model, the race lab, and the
//! pool as an event loop's executor (`asyncio.to_thread`). They block, so they run in a
//! worker (`www/workers/threads-host.js`), never on the page; a job submitted for the page's
//! event loop runs on a thread of the pool and answers on a `BroadcastChannel`, so the host
//! never waits for it.
//!
//! Stop reaches the pool through shared memory: [`cancel_address`] is where the flag lives
//! in this build's `WebAssembly.Memory`, which the host shares with the page; the page
//! raises it with `Atomics.store` while the host is blocked in a run. The spans of a run
//! travel the other way the same way: every thread writes them to a ring ([`live_spans`])
//! that the page reads while the host is blocked.

#[cfg(feature = "test-hooks")]
use super::armed_panic;
use super::js_loop::PerformanceClock;
use super::{kernel, scenario, to_js};
use crate::cancel::Cancel;
use crate::clock::Clock;
use crate::executor::Done;
use crate::gil::Gil;
use crate::live::SpanRing;
use crate::models::threading::{self, race, Startup};
use crate::params::{Model, Params};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use wasm_bindgen::prelude::*;
pub use wasm_bindgen_rayon::init_thread_pool;

/// Stop, for the run in progress; raised by the page through the shared memory.
static CANCEL: Cancel = Cancel::new();

/// The spans of the run in progress, as each thread measures them; read by the page
/// through the shared memory.
static LIVE: SpanRing = SpanRing::new();

/// Where the ring of live spans lies in this build's memory: byte addresses and offsets
/// (`{head, slots, capacity, slotBytes, seq, lane, task, state, open, startMs, endMs}`).
#[wasm_bindgen(js_name = liveSpans)]
pub fn live_spans() -> Result<JsValue, JsError> {
    to_js(&LIVE.layout())
}

/// The lanes a threading run of `query` on this pool has, in order: the threads, then the
/// GIL's lane when it has one.
#[wasm_bindgen(js_name = threadingLanes)]
pub fn threading_lanes(query: &str) -> Result<JsValue, JsError> {
    let p = scenario(query, Model::Threading)?;
    to_js(&threading::lanes(&p, threading::pool_threads()))
}

/// The address of the stop flag in this build's memory (a 32-bit word: 0 down, 1 up).
#[wasm_bindgen(js_name = cancelAddress)]
pub fn cancel_address() -> usize {
    CANCEL.address()
}

/// Threads the scenario in `query` runs: `threads`, or one per task (at most the limit).
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count(query: &str) -> Result<u32, JsError> {
    Ok(scenario(query, Model::Threading)?.thread_count())
}

/// threading: the tasks on the rayon pool, GIL on or off; call from a worker, never the
/// page (it blocks until the tasks finish or Stop). `origin_ms` is when the run began;
/// `pool_asked_ms` and `pool_ready_ms`, when the pool was started for this run, draw its
/// start-up. A trace, or an error "threading: stopped".
#[wasm_bindgen(js_name = runThreading)]
pub fn run_threading(
    query: &str,
    iters_per_ms: f64,
    origin_ms: f64,
    pool_asked_ms: Option<f64>,
    pool_ready_ms: Option<f64>,
) -> Result<JsValue, JsError> {
    let p = scenario(query, Model::Threading)?;
    let k = kernel(iters_per_ms)?;
    let startup = pool_asked_ms
        .zip(pool_ready_ms)
        .map(|(asked_ms, ready_ms)| Startup { asked_ms, ready_ms });
    CANCEL.reset();
    #[cfg(feature = "test-hooks")]
    rayon::scope(|s| s.spawn(|_| armed_panic()));
    let trace = threading::run_tasks_live(
        &p,
        k,
        origin_ms,
        &PerformanceClock,
        &CANCEL,
        startup,
        Some(&LIVE),
    )
    .map_err(|_| JsError::new("threading: stopped"))?;
    to_js(&trace)
}

/// The executor's session: the page's run whose jobs share one GIL.
struct Session {
    id: u32,
    gil: Option<Arc<Gil<'static>>>,
}

static SESSION: Mutex<Option<Session>> = Mutex::new(None);

/// The GIL of session `id`, made (and the stop flag lowered) when a new session begins.
fn session_gil(id: u32, p: &Params) -> Option<Arc<Gil<'static>>> {
    let mut session = SESSION.lock().unwrap_or_else(PoisonError::into_inner);
    match &*session {
        Some(s) if s.id == id => s.gil.clone(),
        _ => {
            CANCEL.reset();
            let gil = p
                .gil
                .then(|| Arc::new(Gil::new(f64::from(p.switch_ms), &PerformanceClock)));
            *session = Some(Session {
                id,
                gil: gil.clone(),
            });
            gil
        }
    }
}

/// An event loop's job on the pool (`asyncio.to_thread`): task `task` of the scenario in
/// `query` (one task that only waits or only computes) runs on the next free thread of
/// the pool, under the GIL of `session` (one per run of the page), and its answer
/// `{session, task, done: {worker, spans, iters}}` goes to the `BroadcastChannel` named
/// `channel`. Returns at once: the host is never blocked by a job.
#[wasm_bindgen(js_name = submitJob)]
pub fn submit_job(
    query: &str,
    task: u32,
    iters_per_ms: f64,
    session: u32,
    channel: String,
) -> Result<(), JsError> {
    let p = scenario(query, Model::AsyncioThreads)?;
    let k = kernel(iters_per_ms)?;
    if task >= p.tasks {
        return Err(JsError::new(&format!(
            "task: {task} is out of range (valid: 0 to {})",
            p.tasks - 1
        )));
    }
    let gil = session_gil(session, &p);
    rayon::spawn_fifo(move || {
        let done = threading::run_job(&p, k, task, gil.as_deref(), &PerformanceClock, &CANCEL);
        answer(&channel, session, task, &done);
    });
    Ok(())
}

/// Post a job's answer from the pool thread that did it.
fn answer(channel: &str, session: u32, task: u32, done: &Done) {
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        session: u32,
        task: u32,
        done: &'a Done,
    }
    if let Ok(value) = to_js(&Answer {
        session,
        task,
        done,
    }) {
        post_answer(channel, &value);
    }
}

#[wasm_bindgen(inline_js = r#"
export function post_answer(channel, answer) {
  const c = new BroadcastChannel(channel);
  c.postMessage(answer);
  c.close();
}
"#)]
extern "C" {
    fn post_answer(channel: &str, answer: &JsValue);
}

/// The race lab: one shared value, three ways; call from a worker.
#[wasm_bindgen(js_name = raceLab)]
pub fn race_lab(query: &str) -> Result<JsValue, JsError> {
    let p = scenario(query, Model::Threading)?;
    CANCEL.reset();
    #[cfg(feature = "test-hooks")]
    rayon::scope(|s| s.spawn(|_| armed_panic()));
    let report = race::race_lab(
        p.thread_count(),
        p.increments,
        p.withdrawals(),
        p.gil,
        f64::from(p.switch_ms),
        &PerformanceClock,
        &CANCEL,
    )
    .map_err(|_| JsError::new("threading: stopped"))?;
    to_js(&report)
}

/// Warm every thread of the pool up, at least `minMs` each; the slowest thread's speed.
#[wasm_bindgen(js_name = warmUpPool)]
pub fn warm_up_pool(min_ms: f64, max_ms: f64) -> f64 {
    threading::warm_up(&PerformanceClock, min_ms, max_ms)
}

/// Sum `0..n` on the rayon pool, over shared memory.
#[wasm_bindgen(js_name = parallelSum)]
pub fn parallel_sum(n: u32) -> f64 {
    threading::parallel_sum(u64::from(n)) as f64
}

/// Threads in the rayon pool.
#[wasm_bindgen(js_name = poolThreads)]
pub fn pool_threads() -> usize {
    threading::pool_threads()
}

/// The clock, for the host's messages: epoch ms.
#[wasm_bindgen(js_name = nowMs)]
pub fn now_ms() -> f64 {
    PerformanceClock.now_ms()
}

/// Where panics go: the name of a `BroadcastChannel` the page listens on, set once.
static PANIC_CHANNEL: OnceLock<String> = OnceLock::new();

/// Send every panic of this module, on any thread, to the `BroadcastChannel` named
/// `channel`. A panic in a pool thread traps that thread's worker, which only the host
/// could see, and the host is blocked in the pool waiting for it: without this the run
/// would hang with no message.
#[wasm_bindgen(js_name = reportPanicsTo)]
pub fn report_panics_to(channel: String) -> Result<(), JsError> {
    PANIC_CHANNEL
        .set(channel)
        .map_err(|_| JsError::new("threads: panics are already reported to a channel"))
}

#[wasm_bindgen(inline_js = r#"
// Once this worker's thread has reported its panic, the trap that follows is expected and
// shown by the page: it must not surface again as an uncaught error of a pool worker.
let reported = false;
const expected = (ev) => {
  if (reported && (ev.reason ?? ev.error) instanceof WebAssembly.RuntimeError) ev.preventDefault();
};
if (typeof WorkerGlobalScope !== 'undefined') {
  self.addEventListener('unhandledrejection', expected);
  self.addEventListener('error', expected);
}
export function post_panic(channel, message) {
  reported = true;
  try {
    const c = new BroadcastChannel(channel);
    c.postMessage({ type: 'playground:threads:panic', message });
    c.close();
  } catch {
    // No BroadcastChannel: the page's watchdog ends the run instead.
  }
}
"#)]
extern "C" {
    fn post_panic(channel: &str, message: &str);
}

/// Called by the panic hook on whatever thread panicked.
pub(super) fn report_panic(message: &str) {
    if let Some(channel) = PANIC_CHANNEL.get() {
        post_panic(channel, message);
    }
}
