//! The threads build's exports: the rayon pool, the threading model and the race lab.
//! They block, so they run in a worker (www/workers/threads-host.js), never on the page.

use super::*;
use crate::threading;
use std::sync::OnceLock;
pub use wasm_bindgen_rayon::init_thread_pool;

/// threading: the tasks on the rayon pool, GIL on or off; call from a worker, never
/// the page (it blocks until the tasks finish). `origin_ms` is when the run began.
#[wasm_bindgen(js_name = runThreading)]
pub fn run_threading(query: &str, iters_per_ms: f64, origin_ms: f64) -> Result<JsValue, JsError> {
    let p = scenario(query)?;
    to_js(&threading::run_tasks(&p, kernel(iters_per_ms)?, origin_ms))
}

/// The race lab: one shared counter three ways; call from a worker.
#[wasm_bindgen(js_name = raceLab)]
pub fn race_lab(query: &str) -> Result<JsValue, JsError> {
    let p = scenario(query)?;
    to_js(&threading::race_lab(
        p.thread_count(),
        p.increments,
        p.gil,
        f64::from(p.switch_ms),
    ))
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

/// Panic on purpose inside a pool thread, for tests: the caller blocks in the scope
/// and never returns, as a host does when a thread of its pool dies.
#[wasm_bindgen(js_name = panicInThreadForTest)]
pub fn panic_in_thread_for_test(message: String) {
    rayon::scope(|s| {
        s.spawn(move |_| panic!("{message}"));
    });
}
