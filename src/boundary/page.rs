//! The plain build's exports: the event-loop models on the page, one task inside a process,
//! the schema for the form, and the Python scripts. The threads build leaves them out, which
//! keeps it small: its host worker needs none of them.

use super::{kernel, scenario, to_js};
use crate::params::{self, Model, ParamSpec};
use crate::trace::{Progress, Trace};
use crate::{asyncio, multiprocessing, python, sequential};
use futures_util::future::{abortable, AbortHandle, Aborted};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use wasm_bindgen::prelude::*;

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

/// Run `model` (sequential or asyncio) on this instance's event loop, until it ends or
/// [`stop_runs`]; `on_trace`, if given, receives snapshots while it goes on.
async fn run_on_loop(
    model: Model,
    query: &str,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    let p = scenario(query)?;
    let k = kernel(iters_per_ms)?;
    let report = reporter(on_trace);
    let progress = Progress::new(&report, PROGRESS_EVERY_MS);
    let trace = match model {
        Model::Asyncio => stoppable("asyncio", asyncio::run(&p, k, &progress)).await?,
        _ => stoppable("sequential", sequential::run(&p, k, &progress)).await?,
    };
    to_js(&trace)
}

/// The sequential baseline: a trace `{origin_ms, wall_ms, lanes, spans}`. `onTrace`, if
/// given, receives snapshots while the run goes on.
#[wasm_bindgen(js_name = runSequential)]
pub async fn run_sequential(
    query: String,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    run_on_loop(Model::Sequential, &query, iters_per_ms, on_trace).await
}

/// asyncio: the tasks as futures on this thread's event loop; a trace. `onTrace`, if
/// given, receives snapshots while the run goes on.
#[wasm_bindgen(js_name = runAsyncio)]
pub async fn run_asyncio(
    query: String,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    run_on_loop(Model::Asyncio, &query, iters_per_ms, on_trace).await
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

/// Panic on purpose after `ms` on the event loop, inside a future, as a bug in a running
/// model would: the trap then comes from the event loop, not from this call. For tests.
#[wasm_bindgen(js_name = panicAfterForTest)]
pub async fn panic_after_for_test(message: String, ms: f64) {
    crate::timer::sleep(ms).await;
    panic!("{message}");
}
