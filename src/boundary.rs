//! The only code that touches `JsValue`: parameters and traces to and from JS, errors to
//! `JsError`. Every exported function takes the scenario as a query string and parses it
//! with the one schema, so the page, the workers and the URL can never disagree.

use crate::params::{self, Model, ParamSpec, Params};
use crate::trace::{Progress, Trace};
use crate::workload::Kernel;
use crate::{asyncio, multiprocessing, python, sequential};
use futures_util::future::{abortable, AbortHandle, Aborted};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use wasm_bindgen::prelude::*;

/// Set once per instance: a panic's message goes to `globalThis.__playgroundPanic`, so
/// the page can show it after the trap instead of a bare "unreachable". In the threads
/// build it also goes to the page directly (see `threads::report_panic`): a pool thread's
/// trap is seen by no one else.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_string(),
            None => match info.payload().downcast_ref::<String>() {
                Some(s) => s.clone(),
                None => "panic".to_string(),
            },
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!("{message}{at}");
        let _ = js_sys::Reflect::set(
            &js_sys::global(),
            &JsValue::from_str("__playgroundPanic"),
            &JsValue::from_str(&text),
        );
        #[cfg(feature = "threads")]
        threads::report_panic(&text);
    }));
}

thread_local! {
    /// The runs in progress on this instance's event loop, each with a handle to stop it.
    static RUNNING: RefCell<Vec<(u32, AbortHandle)>> = const { RefCell::new(Vec::new()) };
    static NEXT_RUN: Cell<u32> = const { Cell::new(0) };
}

/// Drive `run` until it ends or [`stop_runs`] is called; stopping drops the run's future,
/// and with it every task it was awaiting (timers fire later into nothing).
async fn stoppable<T>(model: &str, run: impl Future<Output = T>) -> Result<T, JsError> {
    let (run, handle) = abortable(run);
    let id = NEXT_RUN.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    RUNNING.with(|r| r.borrow_mut().push((id, handle)));
    let out = run.await;
    RUNNING.with(|r| r.borrow_mut().retain(|(i, _)| *i != id));
    out.map_err(|Aborted| JsError::new(&format!("{model}: stopped")))
}

/// Stop every sequential or asyncio run in progress on this instance (the page's Stop);
/// each one's promise rejects with "<model>: stopped".
#[wasm_bindgen(js_name = stopRuns)]
pub fn stop_runs() {
    for (_, handle) in RUNNING.with(|r| r.take()) {
        handle.abort();
    }
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot pass a value to JS: {e}")))
}

/// The scenario in `query`, or an error naming every bad parameter.
fn scenario(query: &str) -> Result<Params, JsError> {
    params::parse_query(query).ok().map_err(|errors| {
        JsError::new(
            &errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

fn kernel(iters_per_ms: f64) -> Result<Kernel, JsError> {
    Kernel::new(iters_per_ms).map_err(|e| JsError::new(&e))
}

#[derive(Serialize)]
struct SpecView {
    #[serde(flatten)]
    spec: ParamSpec,
    range: String,
    default: String,
}

/// The parameter schema: name, label, unit, help, kind, group, range and default of each.
#[wasm_bindgen(js_name = paramSchema)]
pub fn param_schema() -> Result<JsValue, JsError> {
    let views: Vec<SpecView> = params::SCHEMA
        .iter()
        .map(|s| SpecView {
            spec: *s,
            range: s.range(),
            default: s.default_value(),
        })
        .collect();
    to_js(&views)
}

/// Parse a query string: `{params, errors}`; see [`params::parse_query`].
#[wasm_bindgen(js_name = parseQuery)]
pub fn parse_query(query: &str) -> Result<JsValue, JsError> {
    to_js(&params::parse_query(query))
}

/// Measure this machine's kernel speed: iterations per millisecond.
#[wasm_bindgen]
pub fn calibrate() -> f64 {
    Kernel::calibrate().iters_per_ms
}

/// Run `ms` of kernel work now, blocking this thread; returns the elapsed ms. For benchmarks.
#[wasm_bindgen(js_name = kernelWork)]
pub fn kernel_work(ms: f64, iters_per_ms: f64) -> Result<f64, JsError> {
    let k = kernel(iters_per_ms)?;
    let start = crate::clock::now_ms();
    k.work(ms, |_| true);
    Ok(crate::clock::now_ms() - start)
}

/// How often a live run reports its trace so far, ms.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Call `on_trace(snapshot)` for a live run's progress; a failing callback is ignored, as a
/// view that cannot draw must not stop the run.
fn reporter(on_trace: Option<js_sys::Function>) -> impl Fn(&Trace) {
    move |trace| {
        if let (Some(f), Ok(value)) = (&on_trace, to_js(trace)) {
            let _ = f.call1(&JsValue::NULL, &value);
        }
    }
}

/// The sequential baseline: a trace `{origin_ms, wall_ms, lanes, spans}`. `onTrace`, if
/// given, receives snapshots while the run goes on.
#[wasm_bindgen(js_name = runSequential)]
pub async fn run_sequential(
    query: String,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    let p = scenario(&query)?;
    let report = reporter(on_trace);
    let progress = Progress::new(&report, PROGRESS_EVERY_MS);
    let run = sequential::run(&p, kernel(iters_per_ms)?, &progress);
    let trace = stoppable("sequential", run).await?;
    to_js(&trace)
}

/// asyncio: the tasks as futures on this thread's event loop; a trace. `onTrace`, if
/// given, receives snapshots while the run goes on.
#[wasm_bindgen(js_name = runAsyncio)]
pub async fn run_asyncio(
    query: String,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    let p = scenario(&query)?;
    let report = reporter(on_trace);
    let progress = Progress::new(&report, PROGRESS_EVERY_MS);
    let run = asyncio::run(&p, kernel(iters_per_ms)?, &progress);
    let trace = stoppable("asyncio", run).await?;
    to_js(&trace)
}

#[derive(Serialize)]
struct ProcessTaskView<'a> {
    trace: &'a Trace,
    /// Hex: a u64 does not fit a JS number.
    checksum: String,
    counter: u64,
}

/// One multiprocessing task, run inside this (worker) instance:
/// `{trace, checksum, counter, payload}` with absolute span times and `payload_kb` KiB of data.
#[wasm_bindgen(js_name = runProcessTask)]
pub async fn run_process_task(
    query: String,
    index: u32,
    iters_per_ms: f64,
) -> Result<JsValue, JsError> {
    let p = scenario(&query)?;
    if index >= p.tasks {
        return Err(JsError::new(&format!(
            "task: {index} is out of range (valid: 0 to {})",
            p.tasks - 1
        )));
    }
    let result = multiprocessing::run_task(&p, index, kernel(iters_per_ms)?).await;
    let view = to_js(&ProcessTaskView {
        trace: &result.trace,
        checksum: format!("{:016x}", result.checksum),
        counter: multiprocessing::counter(),
    })?;
    let payload = js_sys::Uint8Array::from(result.payload.as_slice());
    js_sys::Reflect::set(&view, &JsValue::from_str("payload"), &payload)
        .map_err(|_| JsError::new("cannot attach the payload"))?;
    Ok(view)
}

/// Add `n` to this instance's module-level counter; returns the new value.
#[wasm_bindgen(js_name = addToCounter)]
pub fn add_to_counter(n: u32) -> f64 {
    multiprocessing::add_to_counter(u64::from(n)) as f64
}

/// This instance's module-level counter.
#[wasm_bindgen]
pub fn counter() -> f64 {
    multiprocessing::counter() as f64
}

/// The runnable Python script for the scenario and model (or the lab, if one is chosen).
#[wasm_bindgen(js_name = pythonScript)]
pub fn python_script(query: &str, model: &str) -> Result<String, JsError> {
    let p = scenario(query)?;
    if let Some(script) = python::lab_script(&p) {
        return Ok(script);
    }
    Ok(python::script(&p, model_named(model)?))
}

/// The file name to save the Python script for the scenario and model under.
#[wasm_bindgen(js_name = pythonFilename)]
pub fn python_filename(query: &str, model: &str) -> Result<String, JsError> {
    let p = scenario(query)?;
    if let Some(name) = python::lab_filename(&p) {
        return Ok(name);
    }
    Ok(python::filename(&p, model_named(model)?))
}

fn model_named(model: &str) -> Result<Model, JsError> {
    Model::ALL
        .into_iter()
        .find(|m| m.name() == model)
        .ok_or_else(|| {
            JsError::new(&format!(
                "model: {model:?} is not a model (valid: sequential, asyncio, threading, multiprocessing)"
            ))
        })
}

/// Whether this is the threads build (shared memory, a rayon pool).
#[wasm_bindgen(js_name = hasThreads)]
pub fn has_threads() -> bool {
    cfg!(feature = "threads")
}

/// Panic on purpose, to test that a panic reaches the page as a readable error.
#[wasm_bindgen(js_name = panicForTest)]
pub fn panic_for_test(message: &str) {
    panic!("{message}");
}

/// Panic on purpose after `ms` on the event loop, inside a future, as a bug in a running
/// model would: the trap then comes from the event loop, not from this call. For tests.
#[wasm_bindgen(js_name = panicAfterForTest)]
pub async fn panic_after_for_test(message: String, ms: f64) {
    crate::timer::sleep(ms).await;
    panic!("{message}");
}

#[cfg(feature = "threads")]
pub use threads::*;

#[cfg(feature = "threads")]
mod threads {
    use super::*;
    use crate::threading;
    use std::sync::OnceLock;
    pub use wasm_bindgen_rayon::init_thread_pool;

    /// threading: the tasks on the rayon pool, GIL on or off; call from a worker, never
    /// the page (it blocks until the tasks finish). `origin_ms` is when the run began.
    #[wasm_bindgen(js_name = runThreading)]
    pub fn run_threading(
        query: &str,
        iters_per_ms: f64,
        origin_ms: f64,
    ) -> Result<JsValue, JsError> {
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
}
