//! The only code that touches `JsValue`: parameters and traces to and from JS, errors to
//! `JsError`. Every exported function takes the scenario as a query string and parses it
//! with the one schema, so the page, the workers and the URL can never disagree.
//!
//! What both builds export is here; [`page`] holds what only the plain build exports (the
//! page's models, processes, the form's schema, the Python scripts) and `threads` what only
//! the threads build exports (the rayon pool).

use crate::params::{self, Params};
use crate::workload::Kernel;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(not(feature = "threads"))]
pub mod page;
#[cfg(not(feature = "threads"))]
pub use page::*;

#[cfg(feature = "threads")]
mod threads;
#[cfg(feature = "threads")]
pub use threads::*;

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
