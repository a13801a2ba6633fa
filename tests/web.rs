//! WebAssembly tests in a real browser (`wasm-pack test --headless --chrome`, and
//! `--firefox`), on the plain build: what only the browser's event loop and JS can show.
//! Thread pools cannot start inside wasm-bindgen-test, so threading is tested end to end
//! instead (tests/e2e/); every model also runs natively under `cargo test`.
//!
//! Covered, in order: the boundary (errors reach JS as `Error`), the JS event loop (timers
//! on macrotasks, a held loop), asyncio and sequential on it (the blocking lab's waits
//! too), the per-process entry point of multiprocessing, the process pool's schedule, the
//! lag meter, and asyncio handing its work to an executor the page provides.
#![cfg(target_arch = "wasm32")]

use concurrency_playground::boundary::js_loop::{JsLoop, PerformanceClock};
use concurrency_playground::boundary::page;
use concurrency_playground::clock::Clock;
use concurrency_playground::event_loop::{hold, EventLoop};
use concurrency_playground::models::{asyncio, sequential};
use concurrency_playground::params::parse_query;
use concurrency_playground::trace::{Progress, State};
use concurrency_playground::Kernel;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn kernel() -> Kernel {
    Kernel::calibrate(&PerformanceClock)
}

fn now_ms() -> f64 {
    PerformanceClock.now_ms()
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
    let err = page::run_asyncio("tasks=0&io_ms=abc".into(), 1000.0, None)
        .await
        .expect_err("tasks=0 must be refused");
    let message = error_message(JsValue::from(err));
    assert!(message.contains("tasks"), "{message}");
    assert!(message.contains("io_ms"), "{message}");
}

/// An uncalibrated kernel speed is refused by name, not run.
#[wasm_bindgen_test]
async fn boundary_refuses_a_bad_kernel_speed() {
    let err = page::run_sequential("tasks=1".into(), f64::NAN, None)
        .await
        .expect_err("NaN speed");
    assert!(error_message(JsValue::from(err)).contains("itersPerMs"));
}

/// parseQuery hands JS every error with name, value, range and message.
#[wasm_bindgen_test]
fn boundary_parse_query_lists_errors() {
    let parsed = page::parse_query("tasks=-3&bogus=1", None).expect("serialisable");
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
    JsLoop.sleep(60.0).await;
    let waited = now_ms() - start;
    assert!(waited >= 59.0, "waited {waited} ms");
}

/// Many sleeping futures overlap: 50 waits of 100 ms take far less than their 5 s sum.
#[wasm_bindgen_test]
async fn asyncio_sleeping_futures_overlap() {
    let p = parse_query("models=asyncio&workload=io&tasks=50&io_ms=100")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &JsLoop, &Progress::none()).await;
    assert!(trace.wall_ms >= 99.0, "{}", trace.wall_ms);
    assert!(trace.wall_ms < 1000.0, "no overlap: {} ms", trace.wall_ms);
    assert!(trace.max_overlap(State::IoWait) >= 25);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
    assert_eq!(trace.lanes.len(), 50, "one lane per task");
}

/// CPU futures never overlap: the loop runs one at a time, and the wall time is their sum.
/// Each computes for longer than a breath (50 ms): a breath lets the page in, never
/// another task of the loop.
#[wasm_bindgen_test]
async fn asyncio_cpu_futures_do_not_overlap() {
    let p = parse_query("models=asyncio&workload=cpu&tasks=4&cpu_ms=120")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &JsLoop, &Progress::none()).await;
    assert_eq!(trace.max_overlap(State::Running), 1);
    assert!(trace.wall_ms >= 4.0 * 120.0 * 0.8, "{}", trace.wall_ms);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
    // Every task but the first waited for the loop: blocked, then running.
    assert!(trace.time_in(State::Blocked) > 0.0);
}

/// A computation longer than a breath still holds the loop: the page breathes every 50 ms,
/// but no other task starts or resumes until it is done, so running spans never overlap and
/// each task computes in one span.
#[wasm_bindgen_test]
async fn asyncio_cpu_holds_the_loop_across_breaths() {
    let p = parse_query("models=asyncio&workload=mixed&tasks=3&io_ms=10&cpu_ms=120")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &JsLoop, &Progress::none()).await;
    assert_eq!(trace.max_overlap(State::Running), 1, "{trace:?}");
    let running = trace
        .spans
        .iter()
        .filter(|s| s.state == State::Running)
        .count();
    assert_eq!(running, 3, "one span per task: {trace:?}");
    let speed = trace.slowest_speed().expect("it computed");
    let k = kernel().iters_per_ms;
    assert!(
        speed > 0.6 * k,
        "computed at {speed} of {k} iterations per ms"
    );
}

/// The blocking lab's mistake: a blocking wait inside each task holds the loop, so the
/// waits go one after another and the others are blocked meanwhile, though the page still
/// breathes.
#[wasm_bindgen_test]
async fn blocking_waits_hold_the_loop() {
    let p = parse_query("lab=blocking&workload=io&tasks=3&io_ms=80")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &JsLoop, &Progress::none()).await;
    assert_eq!(trace.max_overlap(State::IoWait), 1, "{trace:?}");
    assert!(trace.wall_ms >= 3.0 * 80.0 * 0.95, "{}", trace.wall_ms);
    assert!(trace.time_in(State::Blocked) >= 80.0, "{trace:?}");
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
}

/// With a cooperative yield the CPU tasks interleave: each task runs in several slices.
#[wasm_bindgen_test]
async fn asyncio_yield_interleaves_cpu_tasks() {
    let p = parse_query("models=asyncio&workload=cpu&tasks=3&cpu_ms=30&yield_ms=5")
        .ok()
        .expect("valid");
    let trace = asyncio::run(&p, kernel(), &JsLoop, &Progress::none()).await;
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
    let trace = sequential::run(&p, kernel(), &JsLoop, &Progress::none()).await;
    assert!(trace.wall_ms >= 119.0, "{}", trace.wall_ms);
    assert_eq!(trace.max_overlap(State::IoWait), 1);
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
}

/// The per-process entry point runs one task and returns its spans with absolute times.
#[wasm_bindgen_test]
async fn process_task_runs_and_returns_spans() {
    let before = now_ms();
    let result = page::run_process_task(
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
    let bad = page::run_process_task("processes=99".into(), 0, 1000.0)
        .await
        .expect_err("processes=99");
    assert!(error_message(JsValue::from(bad)).contains("processes"));
    let out = page::run_process_task("tasks=2".into(), 5, 1000.0)
        .await
        .expect_err("index 5 of 2");
    assert!(error_message(JsValue::from(out)).contains("task"));
}

/// Each instance has its own module-level counter.
#[wasm_bindgen_test]
fn module_counter_is_per_instance() {
    let before = page::counter();
    assert_eq!(page::add_to_counter(5), before + 5.0);
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
}

/// A held loop wakes none of its own tasks, but the page still takes its turns: a JS timer
/// fires while a computation holds the loop and breathes, and the loop's own sleeper, due
/// meanwhile, wakes only after the release.
#[wasm_bindgen_test]
async fn a_held_loop_breathes_for_the_page_only() {
    let js_fired = Rc::new(Cell::new(0.0));
    let fired = js_fired.clone();
    let on_timer = Closure::once_into_js(move || fired.set(now_ms()));
    set_timeout(on_timer.unchecked_ref(), 5.0);
    let start = now_ms();
    let woke = Rc::new(Cell::new(0.0));
    let w = woke.clone();
    let sleeper = async move {
        JsLoop.sleep(5.0).await;
        w.set(now_ms());
    };
    let holder = async {
        JsLoop.yield_now().await;
        let _held = hold(&JsLoop);
        while now_ms() - start < 60.0 {
            JsLoop.breathe().await;
        }
    };
    futures_util::future::join(sleeper, holder).await;
    assert!(
        js_fired.get() > 0.0 && js_fired.get() - start < 50.0,
        "the page's timer fired at {} ms",
        js_fired.get() - start
    );
    assert!(
        woke.get() - start >= 59.0,
        "the loop's sleeper woke at {} ms, while the loop was held",
        woke.get() - start
    );
}

/// The process pool's schedule through the boundary: ready processes get tasks in order,
/// and the reply of the last task finishes the run with its trace.
#[wasm_bindgen_test]
fn pool_run_schedules_through_the_boundary() {
    let mut run = page::PoolRun::new(0.0, 2, 2, false);
    run.spawned(0, 0.0).expect("spawned");
    let next = run.ready(0, 5.0).expect("ready");
    assert_eq!(
        js_sys::Reflect::get(&next, &"do".into())
            .expect("do")
            .as_string()
            .as_deref(),
        Some("send")
    );
    assert_eq!(
        js_sys::Reflect::get(&next, &"task".into())
            .expect("task")
            .as_f64(),
        Some(0.0)
    );
    let next = run.ready(1, 6.0).expect("ready");
    assert_eq!(
        js_sys::Reflect::get(&next, &"task".into())
            .expect("task")
            .as_f64(),
        Some(1.0)
    );
    let reply = |index: u32| {
        let r = js_sys::Object::new();
        for (k, v) in [
            ("index", f64::from(index)),
            ("receivedAt", 7.0),
            ("sentAt", 9.0),
        ] {
            js_sys::Reflect::set(&r, &k.into(), &v.into()).expect("set");
        }
        js_sys::Reflect::set(&r, &"spans".into(), &js_sys::Array::new()).expect("set");
        r.into()
    };
    let next = run.reply(0, reply(0), 10.0).expect("reply");
    assert_eq!(
        js_sys::Reflect::get(&next, &"do".into())
            .expect("do")
            .as_string()
            .as_deref(),
        Some("wait")
    );
    let next = run.reply(1, reply(1), 11.0).expect("reply");
    assert_eq!(
        js_sys::Reflect::get(&next, &"do".into())
            .expect("do")
            .as_string()
            .as_deref(),
        Some("finish")
    );
    let out = run.finish().expect("finished");
    let trace = js_sys::Reflect::get(&out, &"trace".into()).expect("trace");
    assert_eq!(
        js_sys::Reflect::get(&trace, &"wall_ms".into())
            .expect("wall")
            .as_f64(),
        Some(11.0)
    );
    assert!(run.ready(0, 12.0).is_err(), "a finished run refuses more");
}

/// The lag meter sees a loop held by a computation: a beat comes about as late as the hold.
#[wasm_bindgen_test]
async fn the_lag_meter_sees_a_held_loop() {
    let meter = page::LagMeter::new();
    JsLoop.sleep(30.0).await;
    {
        let _held = hold(&JsLoop);
        let until = now_ms() + 80.0;
        while now_ms() < until {
            JsLoop.breathe().await;
        }
    }
    JsLoop.sleep(30.0).await;
    let lag = meter.stop().expect("stats");
    let max = js_sys::Reflect::get(&lag, &"maxMs".into())
        .expect("max")
        .as_f64()
        .expect("a number");
    assert!(max >= 60.0, "max lag {max} ms");
}

/// asyncio with an executor the page provides: each task awaits its wait on the loop,
/// then hands its computing to `submit`, which answers with a `Promise` of the worker's
/// spans; the loop computes nothing, the tasks show `awaiting`, the worker's spans land on
/// its own lane, and a rejected job ends the run with its message.
#[wasm_bindgen_test]
async fn asyncio_awaits_an_executor_of_the_page() {
    let submit = js_sys::Function::new_with_args(
        "job",
        "return new Promise((resolve) => setTimeout(() => { \
           const at = performance.timeOrigin + performance.now(); \
           resolve({ worker: 'process 0', iters: 7, spans: [ \
             { lane: 0, task: job.task, state: 'running', start_ms: at - job.ms, end_ms: at } ] }); \
         }, job.ms));",
    );
    let trace = page::run_asyncio_with(
        "asyncio-processes".into(),
        "workload=mixed&tasks=3&io_ms=20&cpu_ms=40".into(),
        kernel().iters_per_ms,
        None,
        submit,
        1,
    )
    .await
    .expect("a trace");
    let trace: concurrency_playground::Trace =
        serde_wasm_bindgen::from_value(trace).expect("a trace");
    assert_eq!(trace.lanes, ["task 0", "task 1", "task 2", "process 0"]);
    let on = |lane: u32, state: State| {
        trace
            .spans
            .iter()
            .filter(|s| s.lane == lane && s.state == state)
            .count()
    };
    assert_eq!((0..3).map(|l| on(l, State::Running)).sum::<usize>(), 0);
    assert_eq!((0..3).map(|l| on(l, State::Awaiting)).sum::<usize>(), 3);
    assert_eq!(on(3, State::Running), 3);
    assert_eq!(trace.iters[3], 21);
    // The three jobs were in flight at once: the loop did not wait for one to submit the next.
    assert!(trace.wall_ms < 20.0 + 3.0 * 40.0, "{}", trace.wall_ms);

    let failing = js_sys::Function::new_with_args(
        "job",
        "return Promise.reject(new Error('process 0 died'))",
    );
    let err = page::run_asyncio_with(
        "asyncio-processes".into(),
        "workload=cpu&tasks=2&cpu_ms=10".into(),
        kernel().iters_per_ms,
        None,
        failing,
        1,
    )
    .await
    .expect_err("a failed job");
    let message = error_message(JsValue::from(err));
    assert!(
        message.contains("asyncio-processes: process 0 died"),
        "{message}"
    );
}
