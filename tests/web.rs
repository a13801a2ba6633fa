//! WebAssembly tests in headless Chromium (`wasm-pack test --headless --chrome`), on the
//! plain build. Thread pools cannot start inside wasm-bindgen-test, so threading is tested
//! end to end instead (tests/e2e/).
//!
//! Modules covered, in order: the boundary (errors reach JS as `Error`), timers,
//! asyncio (overlap, no overlap for CPU, well-formed traces), sequential, and the
//! per-process entry point of multiprocessing.
#![cfg(target_arch = "wasm32")]

use concurrency_playground::clock::now_ms;
use concurrency_playground::params::parse_query;
use concurrency_playground::trace::{Progress, State};
use concurrency_playground::{asyncio, boundary, sequential, timer, Kernel};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn kernel() -> Kernel {
    Kernel::calibrate()
}

/// The message of a JS `Error`, failing the test if the value is not one.
fn error_message(value: JsValue) -> String {
    let error = value
        .dyn_into::<js_sys::Error>()
        .expect("an Error object, not a bare value");
    String::from(error.message())
}

/// A bad scenario reaches JS as an `Error` whose message names every bad parameter.
#[wasm_bindgen_test]
async fn boundary_errors_are_js_errors_naming_the_parameter() {
    let err = boundary::run_asyncio("tasks=0&io_ms=abc".into(), 1000.0, None)
        .await
        .expect_err("tasks=0 must be refused");
    let message = error_message(JsValue::from(err));
    assert!(message.contains("tasks"), "{message}");
    assert!(message.contains("io_ms"), "{message}");
}

/// An uncalibrated kernel speed is refused by name, not run.
#[wasm_bindgen_test]
async fn boundary_refuses_a_bad_kernel_speed() {
    let err = boundary::run_sequential("tasks=1".into(), f64::NAN, None)
        .await
        .expect_err("NaN speed");
    assert!(error_message(JsValue::from(err)).contains("itersPerMs"));
}

/// parseQuery hands JS every error with name, value, range and message.
#[wasm_bindgen_test]
fn boundary_parse_query_lists_errors() {
    let parsed = boundary::parse_query("tasks=-3&bogus=1").expect("serialisable");
    let errors = js_sys::Reflect::get(&parsed, &"errors".into()).expect("errors");
    let errors: js_sys::Array = errors.dyn_into().expect("an array");
    assert_eq!(errors.length(), 2);
    let first = errors.get(0);
    let name = js_sys::Reflect::get(&first, &"name".into()).expect("name");
    assert_eq!(name.as_string().as_deref(), Some("tasks"));
}

/// A future awaiting a timer really waits, on a macrotask.
#[wasm_bindgen_test]
async fn a_future_awaits_a_timer() {
    let start = now_ms();
    timer::sleep(60.0).await;
    let waited = now_ms() - start;
    assert!(waited >= 59.0, "waited {waited} ms");
}

/// Many sleeping futures overlap: 50 waits of 100 ms take far less than their 5 s sum.
#[wasm_bindgen_test]
async fn asyncio_sleeping_futures_overlap() {
    let p = parse_query("models=asyncio&workload=io&tasks=50&io_ms=100")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &Progress::none()).await;
    assert!(trace.wall_ms >= 99.0, "{}", trace.wall_ms);
    assert!(trace.wall_ms < 1000.0, "no overlap: {} ms", trace.wall_ms);
    assert!(trace.max_overlap(State::IoWait) >= 25);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
    assert_eq!(trace.lanes.len(), 50, "one lane per task");
}

/// CPU futures never overlap: the loop runs one at a time, and the wall time is their sum.
#[wasm_bindgen_test]
async fn asyncio_cpu_futures_do_not_overlap() {
    let p = parse_query("models=asyncio&workload=cpu&tasks=4&cpu_ms=30")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &Progress::none()).await;
    assert_eq!(trace.max_overlap(State::Running), 1);
    assert!(trace.wall_ms >= 4.0 * 30.0 * 0.8, "{}", trace.wall_ms);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
    // Every task but the first waited for the loop: blocked, then running.
    assert!(trace.time_in(State::Blocked) > 0.0);
}

/// With a cooperative yield the CPU tasks interleave: each task runs in several slices.
#[wasm_bindgen_test]
async fn asyncio_yield_interleaves_cpu_tasks() {
    let p = parse_query("models=asyncio&workload=cpu&tasks=3&cpu_ms=30&yield_ms=5")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &Progress::none()).await;
    let running = trace
        .spans
        .iter()
        .filter(|s| s.state == State::Running)
        .count();
    assert!(running >= 3 * 5, "{running} slices");
    assert_eq!(trace.max_overlap(State::Running), 1);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
}

/// Sequential waits add up: 3 waits of 40 ms take at least 120 ms.
#[wasm_bindgen_test]
async fn sequential_waits_add_up() {
    let p = parse_query("workload=io&tasks=3&io_ms=40")
        .ok()
        .expect("valid");
    let trace = sequential::run(&p, kernel(), &Progress::none()).await;
    assert!(trace.wall_ms >= 119.0, "{}", trace.wall_ms);
    assert_eq!(trace.max_overlap(State::IoWait), 1);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
}

/// The per-process entry point runs one task and returns its spans with absolute times.
#[wasm_bindgen_test]
async fn process_task_runs_and_returns_spans() {
    let before = now_ms();
    let result = boundary::run_process_task(
        "workload=mixed&tasks=2&io_ms=20&cpu_ms=10&payload_kb=2".into(),
        1,
        kernel().iters_per_ms,
    )
    .await
    .expect("a result");
    let trace = js_sys::Reflect::get(&result, &"trace".into()).expect("trace");
    let spans: js_sys::Array = js_sys::Reflect::get(&trace, &"spans".into())
        .expect("spans")
        .dyn_into()
        .expect("array");
    assert!(spans.length() >= 2, "an io_wait and a running span");
    let start = js_sys::Reflect::get(&spans.get(0), &"start_ms".into())
        .expect("start")
        .as_f64()
        .expect("number");
    assert!(start >= before - 1.0, "absolute epoch times");
    let payload: js_sys::Uint8Array = js_sys::Reflect::get(&result, &"payload".into())
        .expect("payload")
        .dyn_into()
        .expect("bytes");
    assert_eq!(payload.length(), 2 * 1024);
}

/// A process refuses a malformed task: a bad scenario or a task index out of range.
#[wasm_bindgen_test]
async fn process_task_rejects_bad_messages() {
    let bad = boundary::run_process_task("processes=99".into(), 0, 1000.0)
        .await
        .expect_err("processes=99");
    assert!(error_message(JsValue::from(bad)).contains("processes"));
    let out = boundary::run_process_task("tasks=2".into(), 5, 1000.0)
        .await
        .expect_err("index 5 of 2");
    assert!(error_message(JsValue::from(out)).contains("task"));
}

/// Each instance has its own module-level counter.
#[wasm_bindgen_test]
fn module_counter_is_per_instance() {
    let before = boundary::counter();
    assert_eq!(boundary::add_to_counter(5), before + 5.0);
}
