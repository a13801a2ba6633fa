//! The plain build's exports (no atomics: it runs on any page): the schema and the plans
//! the page reads, asyncio on the page's own loop, the baseline and each process's tasks
//! in their workers, the process pool's scheduling, the lag meter, and the Python scripts.
//! The threads build leaves all of this out, which keeps it small.

use super::js_loop::{JsLoop, PerformanceClock};
use super::{armed_panic, from_js, kernel, scenario, to_js};
use crate::clock::Clock;
use crate::event_loop::EventLoop;
use crate::lag::{heartbeat, Lag, LagStats, BEAT_MS};
use crate::models::multiprocessing::{self as mp, PoolRun as CorePoolRun, Reply, Spread};
use crate::models::{asyncio, sequential};
use crate::params::{self, Action, Lab, Model, ParamSpec, Workload, LIMITS};
use crate::trace::{Progress, State, Trace, GIL_LANE, LAG_LANE};
use futures_util::future::{abortable, AbortHandle, Aborted};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[derive(Serialize)]
struct SpecView {
    #[serde(flatten)]
    spec: ParamSpec,
    range: String,
    default: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SchemaView {
    params: Vec<SpecView>,
    limits: params::Limits,
    models: &'static [&'static str],
    workloads: &'static [&'static str],
    labs: &'static [&'static str],
    states: &'static [&'static str],
    lag_lane: &'static str,
    lag_state: &'static str,
    gil_lane: &'static str,
    gil_state: &'static str,
    beat_ms: f64,
}

/// Everything the page needs of the schema, from the one place it is defined: each
/// parameter (name, label, unit, help, kind, group, range, default), the limits, the names
/// of the models, workloads, labs and span states, and the labels of the lag lane and the
/// GIL lane with the states of their spans.
#[wasm_bindgen]
pub fn schema() -> Result<JsValue, JsError> {
    let params = params::SCHEMA
        .iter()
        .map(|s| SpecView {
            spec: *s,
            range: s.range(),
            default: s.default_value(),
        })
        .collect();
    to_js(&SchemaView {
        params,
        limits: LIMITS,
        models: Model::NAMES,
        workloads: Workload::NAMES,
        labs: Lab::NAMES,
        states: State::NAMES,
        lag_lane: LAG_LANE,
        lag_state: State::Blocked.name(),
        gil_lane: GIL_LANE,
        gil_state: State::GilHeld.name(),
        beat_ms: BEAT_MS,
    })
}

fn action_named(action: &str) -> Result<Action, JsError> {
    action.parse().map_err(|_| {
        JsError::new(&format!(
            "action: {action:?} is not an action (valid: run, compare, sweep)"
        ))
    })
}

/// Parse a query string for `action` (`run`, `compare` or `sweep`; by default what the
/// query's `compare` says): `{params, errors, more, raw, notices}`; see
/// [`params::parse_action`].
#[wasm_bindgen(js_name = parseQuery)]
pub fn parse_query(query: &str, action: Option<String>) -> Result<JsValue, JsError> {
    let parsed = match action {
        Some(a) => params::parse_action(query, action_named(&a)?),
        None => params::parse_query(query),
    };
    to_js(&parsed)
}

/// The query string for the form's raw values, `[[name, text], …]`: see
/// [`params::query_from_raw`].
#[wasm_bindgen(js_name = queryFromRaw)]
pub fn query_from_raw(raw: JsValue) -> Result<String, JsError> {
    let raw: Vec<(String, String)> = from_js(raw, "raw values")?;
    Ok(params::query_from_raw(&raw))
}

#[derive(Serialize)]
struct StepView {
    model: Model,
    workload: Workload,
    lab: Lab,
    round: u32,
    /// The step's own scenario: the query each runner is given.
    query: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanView {
    steps: Vec<StepView>,
    rounds: u32,
    threads: u32,
    processes: u32,
    /// The longest any one step holds the page's event loop, ms.
    loop_block_ms: u64,
}

/// The plan of `action` on the scenario in `query`, on a machine of `cores` cores: every
/// step (model, workload, lab, round and the step's own query), in the order they run.
#[wasm_bindgen]
pub fn plan(query: &str, action: &str, cores: u32) -> Result<JsValue, JsError> {
    let action = action_named(action)?;
    let parsed = params::parse_action(query, action);
    if !parsed.errors.is_empty() {
        return Err(JsError::new(&parsed.message()));
    }
    let p = parsed.params;
    let plan = p.plan(action);
    let loop_block_ms = plan
        .iter()
        .map(|s| p.loop_block_ms(s.model, s.workload))
        .max()
        .unwrap_or(0);
    let steps = plan
        .into_iter()
        .map(|s| StepView {
            query: p.step_query(&s),
            model: s.model,
            workload: s.workload,
            lab: s.lab,
            round: s.round,
        })
        .collect();
    to_js(&PlanView {
        steps,
        rounds: p.rounds(action),
        threads: p.thread_count(),
        processes: p.process_count(cores),
        loop_block_ms,
    })
}

/// The same scenario with some parameters set, `{name: text}`: for the sweep's worker
/// counts. Each value is checked as any parameter is.
#[wasm_bindgen(js_name = withParams)]
pub fn with_params(query: &str, changes: JsValue) -> Result<String, JsError> {
    let changes: Vec<(String, String)> = from_js(changes, "changes")?;
    let parsed = params::parse_query(query);
    let mut raw = parsed.raw;
    for (name, value) in changes {
        raw.retain(|(n, _)| *n != name);
        raw.push((name, value));
    }
    let query = params::query_from_raw(&raw);
    scenario(&query, Model::Sequential)?;
    Ok(query)
}

thread_local! {
    /// The runs in progress on this instance's event loop, each with a handle to stop it.
    static RUNNING: RefCell<Vec<(u32, AbortHandle)>> = const { RefCell::new(Vec::new()) };
    static NEXT_RUN: Cell<u32> = const { Cell::new(0) };
}

/// Drive `run` until it ends or [`stop_runs`] is called; stopping drops the run's future,
/// and with it every task it was awaiting (a computation is dropped at its next breath).
async fn stoppable<T>(model: Model, run: impl Future<Output = T>) -> Result<T, JsError> {
    let (run, handle) = abortable(run);
    let id = NEXT_RUN.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    });
    RUNNING.with(|r| r.borrow_mut().push((id, handle)));
    let out = run.await;
    RUNNING.with(|r| r.borrow_mut().retain(|(i, _)| *i != id));
    out.map_err(|Aborted| JsError::new(&format!("{}: stopped", model.name())))
}

/// Stop every run in progress on this instance's loop (the page's Stop); each one's promise
/// rejects with "<model>: stopped".
#[wasm_bindgen(js_name = stopRuns)]
pub fn stop_runs() {
    for (_, handle) in RUNNING.with(|r| r.take()) {
        handle.abort();
    }
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
    let p = scenario(query, model)?;
    let k = kernel(iters_per_ms)?;
    let report = reporter(on_trace);
    let progress = Progress::new(&report, PROGRESS_EVERY_MS);
    let run = async {
        // A turn of the loop first: an armed test panic then comes from the event loop, as
        // a bug in a running model's would.
        JsLoop.sleep(0.0).await;
        armed_panic();
        match model {
            Model::Asyncio => asyncio::run(&p, k, &JsLoop, &progress).await,
            _ => sequential::run(&p, k, &JsLoop, &progress).await,
        }
    };
    let trace = stoppable(model, run).await?;
    to_js(&trace)
}

/// The sequential baseline, in the worker it runs in: a trace `{origin_ms, wall_ms, lanes,
/// spans, iters}`. `onTrace`, if given, receives snapshots while the run goes on.
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

/// The lag meter of the page's loop: a heartbeat sleeper on the loop the models run on,
/// from `new LagMeter()` to [`LagMeter::stop`].
#[wasm_bindgen]
pub struct LagMeter {
    lag: Rc<RefCell<Lag>>,
    stop: Rc<Cell<bool>>,
}

#[derive(Serialize)]
struct LagView<'a> {
    #[serde(flatten)]
    stats: LagStats,
    late: &'a [(f64, f64)],
}

#[wasm_bindgen]
impl LagMeter {
    /// Start beating.
    #[wasm_bindgen(constructor)]
    pub fn new() -> LagMeter {
        let lag = Rc::new(RefCell::new(Lag::default()));
        let stop = Rc::new(Cell::new(false));
        let (l, s) = (lag.clone(), stop.clone());
        wasm_bindgen_futures::spawn_local(async move { heartbeat(&JsLoop, &l, &s).await });
        LagMeter { lag, stop }
    }

    /// Stop beating: `{maxMs, p99Ms, late}`, `late` the late stretches, absolute `[from, to]`.
    pub fn stop(&self) -> Result<JsValue, JsError> {
        self.stop.set(true);
        let mut lag = self.lag.borrow_mut();
        lag.end(PerformanceClock.now_ms());
        to_js(&LagView {
            stats: lag.stats(),
            late: lag.late(),
        })
    }
}

impl Default for LagMeter {
    fn default() -> Self {
        LagMeter::new()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FinishedTrace {
    trace: Trace,
    speed_ratio: Option<f64>,
}

/// A run's trace made whole: the page's lag (`late`, absolute `[from, to]`) as its own
/// lane; and how fast the slowest lane computed against the calibration (`itersPerMs`), or
/// null when nothing computed. `{trace, speedRatio}`.
#[wasm_bindgen(js_name = finishTrace)]
pub fn finish_trace(trace: JsValue, late: JsValue, iters_per_ms: f64) -> Result<JsValue, JsError> {
    let mut trace: Trace = from_js(trace, "trace")?;
    let late: Vec<(f64, f64)> = from_js(late, "late stretches")?;
    trace.add_lag_lane(&late);
    let speed_ratio = trace.slowest_speed().map(|s| s / iters_per_ms);
    to_js(&FinishedTrace { trace, speed_ratio })
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
    let p = scenario(&query, Model::Multiprocessing)?;
    if index >= p.tasks {
        return Err(JsError::new(&format!(
            "task: {index} is out of range (valid: 0 to {})",
            p.tasks - 1
        )));
    }
    let k = kernel(iters_per_ms)?;
    let result = async {
        JsLoop.sleep(0.0).await;
        armed_panic();
        mp::run_task(&p, index, k, &JsLoop).await
    }
    .await;
    let view = to_js(&ProcessTaskView {
        trace: &result.trace,
        checksum: format!("{:016x}", result.checksum),
        counter: mp::counter(),
    })?;
    let payload = js_sys::Uint8Array::from(result.payload.as_slice());
    js_sys::Reflect::set(&view, &JsValue::from_str("payload"), &payload)
        .map_err(|_| JsError::new("cannot attach the payload"))?;
    Ok(view)
}

/// Add `n` to this instance's module-level counter; returns the new value.
#[wasm_bindgen(js_name = addToCounter)]
pub fn add_to_counter(n: u32) -> f64 {
    mp::add_to_counter(u64::from(n)) as f64
}

/// This instance's module-level counter.
#[wasm_bindgen]
pub fn counter() -> f64 {
    mp::counter() as f64
}

/// One multiprocessing run on the parent's side: which process gets which task, and the
/// trace built from the messages' times (see [`CorePoolRun`]). Each method returns what
/// to do next with that process: `{do: "send", task}`, `{do: "wait"}`, `{do: "join"}` or
/// `{do: "finish"}`.
#[wasm_bindgen]
pub struct PoolRun(Option<CorePoolRun>);

#[wasm_bindgen]
impl PoolRun {
    /// A run of `tasks` tasks over `processes` processes from absolute `origin`: a `Pool`,
    /// or with `perTask` one `Process` per task.
    #[wasm_bindgen(constructor)]
    pub fn new(origin: f64, processes: u32, tasks: u32, per_task: bool) -> PoolRun {
        let spread = if per_task {
            Spread::PerTask
        } else {
            Spread::Pool
        };
        PoolRun(Some(CorePoolRun::new(origin, processes, tasks, spread)))
    }

    fn run(&mut self) -> Result<&mut CorePoolRun, JsError> {
        self.0
            .as_mut()
            .ok_or_else(|| JsError::new("this pool run is finished"))
    }

    /// The process on `lane` was started at absolute `at`.
    pub fn spawned(&mut self, lane: u32, at: f64) -> Result<(), JsError> {
        self.run()?.spawned(lane, at);
        Ok(())
    }

    /// The process on `lane` is ready at `at`.
    pub fn ready(&mut self, lane: u32, at: f64) -> Result<JsValue, JsError> {
        let next = self.run()?.ready(lane, at);
        to_js(&next)
    }

    /// The process on `lane` answered `reply` (`{index, receivedAt, sentAt, spans, iters}`),
    /// received at `at`.
    pub fn reply(&mut self, lane: u32, reply: JsValue, at: f64) -> Result<JsValue, JsError> {
        let reply: Reply = from_js(reply, "a process's reply")?;
        let next = self.run()?.reply(lane, &reply, at);
        to_js(&next)
    }

    /// The trace so far, at absolute `now`.
    pub fn snapshot(&mut self, now: f64) -> Result<JsValue, JsError> {
        let t = self.run()?.snapshot(now);
        to_js(&t)
    }

    /// The finished run: `{trace, spawnMedianMs, ipcMs}`.
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let run = self
            .0
            .take()
            .ok_or_else(|| JsError::new("this pool run is finished"))?;
        to_js(&run.finish())
    }
}
