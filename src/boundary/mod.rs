//! The only code that touches `JsValue`: the browser's clock and event loop, parameters and
//! traces to and from JS, errors to `JsError`. Every exported function takes the scenario
//! as a query string and parses it with the one schema, so the page, the workers and the
//! URL can never disagree.
//!
//! What every build exports is here; `page` holds what only the plain build exports (the
//! page's asyncio, the baseline and processes in their workers, the schema and plans),
//! `threads` what only the threads build exports (the rayon pool), and `python` the
//! Python scripts, a build of their own that the page loads when it is ready.
//! `hooks` (the `test-hooks` feature) makes a model panic on purpose, for the tests of
//! faults; the page and `dist/` never load a build that has it.

pub mod js_loop;

#[cfg(not(any(feature = "threads", feature = "python")))]
pub mod page;

#[cfg(feature = "threads")]
pub mod threads;

#[cfg(feature = "python")]
pub mod python;

#[cfg(feature = "test-hooks")]
pub mod hooks;

use crate::params::{self, Model, Params};
use crate::workload::Kernel;
use js_loop::PerformanceClock;
use serde::Serialize;
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

/// A Rust value as a plain JS value (objects, arrays, numbers: JSON's shapes).
#[cfg_attr(feature = "python", allow(dead_code))]
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot pass a value to JS: {e}")))
}

/// A JS value as a Rust value, naming `what` when it does not fit.
#[cfg_attr(any(feature = "python", feature = "threads"), allow(dead_code))]
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// The scenario in `query` for `model`'s entry point, or an error naming every bad
/// parameter. (With the `test-hooks` feature, a `__panic` pair in the query arms a panic
/// of `model`; see `hooks`.)
pub(crate) fn scenario(query: &str, model: Model) -> Result<Params, JsError> {
    #[cfg(feature = "test-hooks")]
    let query = &hooks::strip(query, model);
    #[cfg(not(feature = "test-hooks"))]
    let _ = model;
    let parsed = params::parse_query(query);
    if parsed.errors.is_empty() {
        Ok(parsed.params)
    } else {
        Err(JsError::new(&parsed.message()))
    }
}

/// Panic here if a test armed a panic for this model (the `test-hooks` feature); nothing
/// in the builds the page loads.
#[inline(always)]
#[cfg_attr(any(feature = "python", feature = "threads"), allow(dead_code))]
pub(crate) fn armed_panic() {
    #[cfg(feature = "test-hooks")]
    hooks::panic_if_armed();
}

pub(crate) fn kernel(iters_per_ms: f64) -> Result<Kernel, JsError> {
    Kernel::new(iters_per_ms).map_err(|e| JsError::new(&e))
}

/// Measure this machine's kernel speed: iterations per millisecond.
#[wasm_bindgen]
pub fn calibrate() -> f64 {
    Kernel::calibrate(&PerformanceClock).iters_per_ms
}

/// Run the kernel in this context until it reaches its steady speed (at least `minMs`, at
/// most `maxMs`); returns that speed, iterations per ms. Engines compile WebAssembly per
/// instance and per thread: a fresh worker computes slower until it has warmed up.
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up(min_ms: f64, max_ms: f64) -> f64 {
    Kernel::warm_up(&PerformanceClock, min_ms, max_ms)
}

/// Run `ms` of kernel work now, blocking this thread; returns the elapsed ms. For benchmarks
/// and for the probe of how busy the machine is.
#[wasm_bindgen(js_name = kernelWork)]
pub fn kernel_work(ms: f64, iters_per_ms: f64) -> Result<f64, JsError> {
    use crate::clock::Clock;
    let k = kernel(iters_per_ms)?;
    let start = PerformanceClock.now_ms();
    k.work(ms, |_| true);
    Ok(PerformanceClock.now_ms() - start)
}

/// In a worker: watch `flag` (an `Int32Array` over a `SharedArrayBuffer`, word 0 raised by
/// the page before it terminates the worker) instead of giving the event loop a turn every
/// 250 ms while computing. An array that is not over shared memory is refused.
#[wasm_bindgen(js_name = watchStop)]
pub fn watch_stop(flag: js_sys::Int32Array) -> Result<(), JsError> {
    if !flag.buffer().is_instance_of::<js_sys::SharedArrayBuffer>() || flag.length() < 1 {
        return Err(JsError::new(
            "watchStop: the flag must be an Int32Array of at least 1 over a SharedArrayBuffer",
        ));
    }
    js_loop::watch_stop(flag);
    Ok(())
}

/// In a worker: call `sign` at every chunk of computing and at least every 250 ms while a
/// task sleeps, so the page can tell a working process from one whose code stopped. `sign`
/// posts a message to the page and throttles itself.
#[wasm_bindgen(js_name = sendSignsOfLife)]
pub fn send_signs_of_life(sign: js_sys::Function) {
    js_loop::send_signs_of_life(sign);
}

/// Whether this is the threads build (shared memory, a rayon pool).
#[wasm_bindgen(js_name = hasThreads)]
pub fn has_threads() -> bool {
    cfg!(feature = "threads")
}
