//! The plain build's exports (no atomics: it runs on any page): the schema and the plans
//! the page reads, asyncio on the page's own loop (alone, or handing work to an executor
//! the page provides), the baseline and each process's tasks in their workers, the process
//! pool's scheduling, and the lag meter. The threads build leaves all of this out, which
//! keeps it small.

use super::js_loop::{JsLoop, PerformanceClock};
use super::{armed_panic, from_js, kernel, scenario, to_js};
use crate::clock::Clock;
use crate::event_loop::EventLoop;
use crate::executor::{Done, ExecError, Executor, Handoff, Job, Work};
use crate::lag::{heartbeat, Lag, LagStats, BEAT_MS};
use crate::models::multiprocessing::{self as mp, PoolRun as CorePoolRun, Reply, Spread};
use crate::models::{asyncio, sequential, threading};
use crate::params::{self, Action, Lab, Model, ParamSpec, Params, Workload, LIMITS};
use crate::trace::{Progress, State, Trace, GIL_LANE, LAG_LANE};
use futures_util::future::{abortable, AbortHandle, Aborted};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

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
    page_loop_models: Vec<&'static str>,
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
/// of the models (and of those that run on the page's own loop), workloads, labs and span states, and the labels of the lag lane and the
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
        page_loop_models: Model::ALL
            .iter()
            .filter(|m| m.on_page_loop())
            .map(|m| m.name())
            .collect(),
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
            "action: {action:?} is not an action (valid: run, compare, sweep, crossover)"
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
    /// The crossover: the share of each task spent computing, percent.
    share: Option<u32>,
    /// The step's own scenario: the query each runner is given.
    query: String,
    /// How many workers compute at once beside the page: see [`params::Params::computing`].
    computing: u32,
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
    let loop_block_ms = plan.iter().map(|s| p.loop_block_ms(s)).max().unwrap_or(0);
    let steps = plan
        .into_iter()
        .map(|s| StepView {
            query: p.step_query(&s),
            computing: p.computing(&s, cores),
            model: s.model,
            workload: s.workload,
            lab: s.lab,
            round: s.round,
            share: s.share,
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

/// What the page's `submit` is given for each job: the job, and the scenario a worker runs
/// for it (one task that only computes, or only waits).
#[derive(Serialize)]
struct JobView {
    task: u32,
    work: Work,
    ms: f64,
    query: String,
}

/// An executor the page provides: `submit(job)` posts the job to its workers (the process
/// pool, the threads host) and returns a `Promise` of what the worker did (a [`Done`]).
struct JsExecutor {
    submit: js_sys::Function,
    workers: Vec<String>,
    base: Params,
}

/// A JS error's message, or the value as text.
fn js_message(value: JsValue) -> ExecError {
    match value.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => value
            .as_string()
            .unwrap_or_else(|| "the executor failed".to_string()),
    }
}

impl Executor for JsExecutor {
    fn workers(&self) -> Vec<String> {
        self.workers.clone()
    }

    fn run(&self, job: Job) -> Handoff<'_> {
        let view = JobView {
            task: job.task,
            work: job.work,
            ms: job.ms,
            query: job.params(&self.base).to_query(),
        };
        let called = to_js(&view)
            .map_err(|_| "a job could not be passed to JS".to_string())
            .and_then(|arg| self.submit.call1(&JsValue::NULL, &arg).map_err(js_message));
        Box::pin(async move {
            let promise: js_sys::Promise = called?
                .dyn_into()
                .map_err(|_| "submit did not return a Promise".to_string())?;
            let value = JsFuture::from(promise).await.map_err(js_message)?;
            serde_wasm_bindgen::from_value::<Done>(value)
                .map_err(|e| format!("a worker's answer: {e}"))
        })
    }
}

/// asyncio with an executor (`model` is `asyncio-processes` or `asyncio-threads`): the
/// tasks on this thread's event loop, handing their computing (and, in the blocking lab,
/// their blocking waits) to `submit(job) -> Promise<done>`, whose `workers` processes or
/// threads get lanes of their own; a trace. `onTrace`, if given, receives snapshots while
/// the run goes on. Stop ([`stop_runs`]) drops the run, and with it every job it was
/// awaiting.
#[wasm_bindgen(js_name = runAsyncioWith)]
pub async fn run_asyncio_with(
    model: String,
    query: String,
    iters_per_ms: f64,
    on_trace: Option<js_sys::Function>,
    submit: js_sys::Function,
    workers: u32,
) -> Result<JsValue, JsError> {
    let model: Model = model
        .parse()
        .ok()
        .filter(|m: &Model| m.combines())
        .ok_or_else(|| {
            JsError::new(&format!(
                "model: {model:?} is not asyncio with an executor (valid: asyncio-processes, asyncio-threads)"
            ))
        })?;
    let p = scenario(&query, model)?;
    let k = kernel(iters_per_ms)?;
    let workers = match model {
        Model::AsyncioProcesses => (0..workers).map(mp::lane).collect(),
        _ => (0..workers as usize).map(threading::lane).collect(),
    };
    let executor = JsExecutor {
        submit,
        workers,
        base: p.clone(),
    };
    let report = reporter(on_trace);
    let progress = Progress::new(&report, PROGRESS_EVERY_MS);
    let run = async {
        JsLoop.sleep(0.0).await;
        armed_panic();
        asyncio::run_with(&p, k, &JsLoop, Some(&executor), &progress).await
    };
    let trace = stoppable(model, run)
        .await?
        .map_err(|e| JsError::new(&format!("{}: {e}", model.name())))?;
    to_js(&trace)
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

    /// A `ProcessPoolExecutor` behind an event loop: each of the `tasks` tasks is
    /// [`PoolRun::submit`]ted when it hands its work over.
    pub fn submitted(origin: f64, processes: u32, tasks: u32) -> PoolRun {
        PoolRun(Some(CorePoolRun::new(
            origin,
            processes,
            tasks,
            Spread::Submitted,
        )))
    }

    /// Task `task` is submitted at `at`: `{lane, do: "send", task}` for the process to post
    /// it to now, or null while every process is busy (it goes to the next one free).
    pub fn submit(&mut self, task: u32, at: f64) -> Result<JsValue, JsError> {
        #[derive(Serialize)]
        struct ToLane {
            lane: u32,
            #[serde(flatten)]
            next: mp::Next,
        }
        match self.run()?.submit(task, at) {
            Some((lane, next)) => to_js(&ToLane { lane, next }),
            None => Ok(JsValue::NULL),
        }
    }

    /// What the process on `lane` did for `task`, once its reply is in: `{worker, spans,
    /// iters}`, spans in absolute ms.
    #[wasm_bindgen(js_name = jobDone)]
    pub fn job_done(&mut self, lane: u32, task: u32) -> Result<JsValue, JsError> {
        let done = self.run()?.job_done(lane, task);
        to_js(&done)
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
