//! The one parameter schema: names, defaults, ranges, the limits every model keeps, and the
//! parser that the URL, the form and the workers all go through.
//!
//! A scenario is a query string (`?workload=io&tasks=8&...`), so every scenario is a
//! permalink. [`parse_query`] never fails as a whole: it applies every valid parameter,
//! keeps the default for every invalid one, and returns one [`ParamError`] per problem,
//! each naming the parameter, the bad value and the valid range.
//!
//! What a scenario asks of the machine is decided here too, once: which model runs on
//! which workload for each [`Action`] ([`Params::plan`], the crossover's shares of
//! computing included), how many threads and processes that takes, and how long it may
//! hold the page's event loop ([`Params::loop_block_ms`]).
//! The page and the workers read these figures from here; nothing re-states them.

use crate::names::named;
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray, VariantNames};

/// The kind of work each task does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(Serialize, EnumString, IntoStaticStr, VariantArray, VariantNames)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Workload {
    /// Each task waits `io_ms` (a download, a database call).
    Io,
    /// Each task computes for `cpu_ms` of single-thread work.
    Cpu,
    /// Each task waits `io_ms`, then computes for `cpu_ms`.
    Mixed,
}

named!(Workload);

impl Workload {
    /// Milliseconds of I/O wait per task under these parameters.
    pub fn io_ms(self, p: &Params) -> u32 {
        match self {
            Workload::Cpu => 0,
            _ => p.io_ms,
        }
    }

    /// Milliseconds of CPU work per task under these parameters.
    pub fn cpu_ms(self, p: &Params) -> u32 {
        match self {
            Workload::Io => 0,
            _ => p.cpu_ms,
        }
    }
}

/// The ways of running the tasks that the playground compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(Serialize, EnumString, IntoStaticStr, VariantArray, VariantNames)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Model {
    /// The baseline: one task after another.
    Sequential,
    /// One thread, an event loop, futures that overlap their waits.
    Asyncio,
    /// Threads over one shared memory, with or without a GIL.
    Threading,
    /// Separate instances with their own memory, talking by messages.
    Multiprocessing,
    /// asyncio tasks that hand their computing to a pool of processes
    /// (`await loop.run_in_executor(ProcessPoolExecutor(...), f)`). Named with a hyphen: a
    /// `+` in a query string is a space.
    #[serde(rename = "asyncio-processes")]
    #[strum(serialize = "asyncio-processes")]
    AsyncioProcesses,
    /// asyncio tasks that hand what would block the loop to threads
    /// (`await asyncio.to_thread(f)`).
    #[serde(rename = "asyncio-threads")]
    #[strum(serialize = "asyncio-threads")]
    AsyncioThreads,
}

named!(Model);

impl Model {
    /// The three models of the guides and the baseline: what a run measures unless
    /// `models` says otherwise.
    pub const GUIDES: &'static [Model] = &[
        Model::Sequential,
        Model::Asyncio,
        Model::Threading,
        Model::Multiprocessing,
    ];

    /// The most tasks this model runs in one go.
    ///
    /// asyncio scales to thousands of sleeping tasks; the others run one task per thread,
    /// process or turn, so they keep a smaller limit.
    pub fn max_tasks(self) -> u32 {
        match self {
            Model::Asyncio => MAX_ASYNCIO_TASKS,
            _ => MAX_TASKS_OTHER,
        }
    }

    /// Whether this model runs its tasks on the page's own event loop (and so may hold it).
    pub fn on_page_loop(self) -> bool {
        matches!(
            self,
            Model::Asyncio | Model::AsyncioProcesses | Model::AsyncioThreads
        )
    }

    /// Whether this model combines asyncio with another model's workers (an executor).
    pub fn combines(self) -> bool {
        matches!(self, Model::AsyncioProcesses | Model::AsyncioThreads)
    }
}

/// A lab replaces the timing run with a small experiment about shared state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(Serialize, EnumString, IntoStaticStr, VariantArray, VariantNames)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Lab {
    /// No lab: run the models on the workload.
    None,
    /// Threads update shared state without a lock, and with one.
    Race,
    /// Processes add to a module-level counter; the parent's stays unchanged.
    Isolation,
    /// asyncio tasks wait with a blocking call (`time.sleep` in a coroutine) and freeze the
    /// loop; then with `await asyncio.to_thread(time.sleep, ...)` and `await asyncio.sleep`.
    Blocking,
}

named!(Lab);

impl Lab {
    /// The one model a lab is about.
    pub fn model(self) -> Option<Model> {
        match self {
            Lab::None => None,
            Lab::Race => Some(Model::Threading),
            Lab::Isolation => Some(Model::Multiprocessing),
            Lab::Blocking => Some(Model::Asyncio),
        }
    }
}

/// What the page is asked to do with a scenario; each asks for its own runs and checks.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    EnumString,
    IntoStaticStr
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Action {
    /// Run the chosen models on the chosen workload (or the chosen lab).
    Run,
    /// Run every model on I/O and CPU work (and mixed, if chosen) and fill the matrix.
    Compare,
    /// Run threads and processes with 1, 2, 4, … workers against the baseline.
    Sweep,
    /// Run every model at a growing share of computing in each task, from all waiting to all
    /// computing, at a fixed task length (`task_ms`).
    Crossover,
}

/// The most tasks asyncio runs at once.
pub const MAX_ASYNCIO_TASKS: u32 = 10_000;
/// The most tasks sequential, threading and multiprocessing run.
pub const MAX_TASKS_OTHER: u32 = 256;
/// The longest a run may hold the page's event loop, ms: past it the page refuses to start.
pub const MAX_LOOP_BLOCK_MS: u64 = 10_000;
/// What each task on the page's loop costs it beyond its own work, µs: its future, its
/// wake-ups, its share of the breaths. 10,000 asyncio tasks of 1 ms held the loop for
/// 10.44 s (Chromium, the 2-core machine), 44 µs a task.
pub const LOOP_TASK_OVERHEAD_US: u64 = 50;
/// The room the freeze budget leaves for a machine slower on the day than at its
/// calibration, percent: runs of 10 s of nominal work held the loop 0-4% longer on a quiet
/// machine, and up to 25% longer on a busier one.
pub const LOOP_BLOCK_MARGIN_PCT: u64 = 15;
/// The longest a run may be expected to hold the page's event loop ([`Params::loop_block_ms`]),
/// ms: [`MAX_LOOP_BLOCK_MS`] less the margin.
pub const MAX_EXPECTED_BLOCK_MS: u64 = MAX_LOOP_BLOCK_MS * (100 - LOOP_BLOCK_MARGIN_PCT) / 100;
/// What each process takes of the browser's memory beside its results, KiB: 16 idle
/// processes took 75 MB of the page's resident memory, 64 took 249 MB (Chromium, the
/// 2-core machine).
pub const PROCESS_MEMORY_KB: u64 = 5 * 1024;
/// The most memory a run's processes and their results may be expected to take, KiB: a
/// phone's tab has little more, and 216 processes with results of 8 MiB (2.6 GB) were as
/// far as Chromium went here before it ran out.
pub const MAX_RUN_MEMORY_KB: u64 = 1536 * 1024;
/// The most threads the threading model starts.
pub const MAX_THREADS: u32 = 64;
/// The most processes the multiprocessing model starts.
pub const MAX_PROCESSES: u32 = 16;
/// The most rounds a comparison repeats.
pub const MAX_REPEAT: u32 = 20;
/// Rounds of Compare all when `repeat` is left automatic.
pub const COMPARE_REPEAT: u32 = 3;
/// The most withdrawals each thread of the race lab's bank makes: each one waits.
pub const MAX_WITHDRAWALS: u32 = 1_000;
/// The most problems reported one by one; the rest are counted.
pub const MAX_ERRORS: usize = 8;
/// The crossover's step in the share of computing, percent: 0, 10, …, 100.
pub const SHARE_STEP: u32 = 10;

/// Every limit of the schema, as the page and the workers read them.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// [`MAX_ASYNCIO_TASKS`].
    pub max_asyncio_tasks: u32,
    /// [`MAX_TASKS_OTHER`].
    pub max_tasks_other: u32,
    /// [`MAX_LOOP_BLOCK_MS`].
    pub max_loop_block_ms: u64,
    /// [`MAX_THREADS`].
    pub max_threads: u32,
    /// [`MAX_PROCESSES`].
    pub max_processes: u32,
    /// [`MAX_REPEAT`].
    pub max_repeat: u32,
}

/// The schema's limits.
pub const LIMITS: Limits = Limits {
    max_asyncio_tasks: MAX_ASYNCIO_TASKS,
    max_tasks_other: MAX_TASKS_OTHER,
    max_loop_block_ms: MAX_LOOP_BLOCK_MS,
    max_threads: MAX_THREADS,
    max_processes: MAX_PROCESSES,
    max_repeat: MAX_REPEAT,
};

/// A complete, valid scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// The kind of work.
    pub workload: Workload,
    /// How many tasks.
    pub tasks: u32,
    /// I/O wait per task, ms.
    pub io_ms: u32,
    /// CPU work per task, ms of single-thread work.
    pub cpu_ms: u32,
    /// The crossover: each task's length, ms, split between waiting and computing.
    pub task_ms: u32,
    /// Threads in the pool; `None` means one thread per task (at most 64).
    pub threads: Option<u32>,
    /// Processes in the pool; `None` means one per core (at most 16).
    pub processes: Option<u32>,
    /// Whether threads share one global interpreter lock.
    pub gil: bool,
    /// How long a thread may hold the GIL while others wait, ms.
    pub switch_ms: u32,
    /// asyncio CPU tasks yield to the loop every `yield_ms` of work; 0 = never.
    pub yield_ms: u32,
    /// multiprocessing: a `Pool` (on) or one `Process` per task (off).
    pub pool: bool,
    /// multiprocessing: KiB each task sends back to the parent.
    pub payload_kb: u32,
    /// Which models to run, in page order.
    pub models: Vec<Model>,
    /// Rounds to repeat each measurement; `None` means [`COMPARE_REPEAT`] for Compare all
    /// and 1 for a single run.
    pub repeat: Option<u32>,
    /// Run every model on I/O and CPU (and mixed, if chosen) and fill the matrix.
    pub compare: bool,
    /// Run the crossover: every model from all waiting to all computing.
    pub crossover: bool,
    /// A lab instead of a timing run.
    pub lab: Lab,
    /// Race lab: increments per thread.
    pub increments: u32,
    /// Isolation lab: also use a shared, locked counter (`multiprocessing.Value`).
    pub shared: bool,
    /// Start the run when the page loads.
    pub run: bool,
    /// Compact view for embedding in another page.
    pub embed: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            workload: Workload::Io,
            tasks: 8,
            io_ms: 200,
            cpu_ms: 200,
            task_ms: 200,
            threads: None,
            processes: None,
            gil: true,
            switch_ms: 5,
            yield_ms: 0,
            pool: true,
            payload_kb: 1,
            models: Model::GUIDES.to_vec(),
            repeat: None,
            compare: false,
            crossover: false,
            lab: Lab::None,
            increments: 100_000,
            shared: false,
            run: false,
            embed: false,
        }
    }
}

/// One measurement of a plan: a model on a workload, in a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The model.
    pub model: Model,
    /// The workload.
    pub workload: Workload,
    /// The lab, if the step is one.
    pub lab: Lab,
    /// The round, from 0.
    pub round: u32,
    /// The crossover: the share of each task's `task_ms` spent computing, percent.
    pub share: Option<u32>,
}

impl Step {
    fn new(model: Model, workload: Workload, lab: Lab, round: u32) -> Step {
        Step {
            model,
            workload,
            lab,
            round,
            share: None,
        }
    }
}

impl Params {
    /// Threads the threading model starts: `threads`, or one per task (at most 64).
    pub fn thread_count(&self) -> u32 {
        self.threads.unwrap_or(self.tasks.min(MAX_THREADS))
    }

    /// Processes the multiprocessing model starts, given the machine's core count: `processes`,
    /// or one per core (at most 16), and never more than there are tasks (the isolation lab
    /// has no tasks: it starts the whole pool).
    pub fn process_count(&self, cores: u32) -> u32 {
        match self.lab {
            Lab::Isolation => self.pool_size(cores),
            _ => self.pool_size(cores).min(self.tasks),
        }
    }

    /// The size of the process pool, whatever the tasks: `processes`, or one per core.
    pub fn pool_size(&self, cores: u32) -> u32 {
        self.processes
            .unwrap_or(cores.clamp(1, MAX_PROCESSES))
            .min(MAX_PROCESSES)
    }

    /// Race lab: withdrawals each thread makes from the bank account, `increments` at most
    /// [`MAX_WITHDRAWALS`].
    pub fn withdrawals(&self) -> u32 {
        self.increments.min(MAX_WITHDRAWALS)
    }

    /// Rounds each measurement of `action` is repeated.
    pub fn rounds(&self, action: Action) -> u32 {
        self.repeat.unwrap_or(match action {
            Action::Compare | Action::Crossover => COMPARE_REPEAT,
            _ => 1,
        })
    }

    /// The same scenario with another workload.
    pub fn with_workload(&self, workload: Workload) -> Params {
        Params {
            workload,
            ..self.clone()
        }
    }

    /// The workloads `action` measures.
    pub fn workloads(&self, action: Action) -> Vec<Workload> {
        match action {
            Action::Compare if self.workload == Workload::Mixed => Workload::ALL.to_vec(),
            Action::Compare => vec![Workload::Io, Workload::Cpu],
            _ => vec![self.workload],
        }
    }

    /// The models `action` runs, in page order.
    pub fn models_for(&self, action: Action) -> Vec<Model> {
        match action {
            // The guides' table, and the combined models where they have something to
            // show: on the mixed workload they are built for, or when `models` names them.
            Action::Compare => Model::ALL
                .iter()
                .copied()
                .filter(|m| {
                    Model::GUIDES.contains(m)
                        || self.workload == Workload::Mixed
                        || self.models.contains(m)
                })
                .collect(),
            Action::Sweep => vec![Model::Sequential, Model::Threading, Model::Multiprocessing],
            Action::Crossover => vec![
                Model::Sequential,
                Model::Asyncio,
                Model::Threading,
                Model::Multiprocessing,
                Model::AsyncioProcesses,
            ],
            Action::Run => match self.lab {
                Lab::Blocking => vec![Model::Sequential, Model::Asyncio, Model::AsyncioThreads],
                lab => match lab.model() {
                    Some(model) => vec![model],
                    None => self.models.clone(),
                },
            },
        }
    }

    /// The crossover's shares of computing, percent: 0, 10, …, 100.
    pub fn shares() -> impl Iterator<Item = u32> {
        (0..=100).step_by(SHARE_STEP as usize)
    }

    /// Every measurement of `action`, in the order they run: round after round, and within
    /// a round each workload's models taking turns (sequential, asyncio, threading,
    /// multiprocessing, the combined models), so a burst of load elsewhere on the machine
    /// hits all of them alike. The race and isolation labs are one step; the blocking lab
    /// is the baseline, then the blocking wait, `asyncio.to_thread` and `asyncio.sleep`, in
    /// each round. The crossover takes every model through each share of computing in turn.
    /// The sweep's own worker counts are the page's to vary.
    pub fn plan(&self, action: Action) -> Vec<Step> {
        let rounds = 0..self.rounds(action);
        match (action, self.lab) {
            (Action::Run, Lab::Blocking) => {
                let ways = [
                    (Model::Sequential, Lab::None),
                    (Model::Asyncio, Lab::Blocking),
                    (Model::AsyncioThreads, Lab::Blocking),
                    (Model::Asyncio, Lab::None),
                ];
                return rounds
                    .flat_map(|round| {
                        ways.map(|(model, lab)| Step::new(model, Workload::Io, lab, round))
                    })
                    .collect();
            }
            (Action::Run, lab) => {
                if let Some(model) = lab.model() {
                    return vec![Step::new(model, self.workload, lab, 0)];
                }
            }
            (Action::Crossover, _) => {
                let models = self.models_for(action);
                return rounds
                    .flat_map(|round| {
                        let models = &models;
                        Params::shares().flat_map(move |share| {
                            models.iter().map(move |&model| Step {
                                share: Some(share),
                                ..Step::new(model, Workload::Mixed, Lab::None, round)
                            })
                        })
                    })
                    .collect();
            }
            _ => {}
        }
        let models = self.models_for(action);
        let workloads = self.workloads(action);
        rounds
            .flat_map(|round| {
                let models = &models;
                workloads.iter().flat_map(move |&workload| {
                    models
                        .iter()
                        .map(move |&model| Step::new(model, workload, Lab::None, round))
                })
            })
            .collect()
    }

    /// The scenario one step of a plan runs: the step's workload and lab (and, in the
    /// crossover, its waiting and computing), and none of the page's own parameters
    /// (compare, crossover, repeat, run, embed).
    pub fn for_step(&self, step: &Step) -> Params {
        let mut p = Params {
            workload: step.workload,
            lab: step.lab,
            repeat: None,
            compare: false,
            crossover: false,
            run: false,
            embed: false,
            ..self.clone()
        };
        if let Some(share) = step.share {
            p.cpu_ms = self.task_ms * share / 100;
            p.io_ms = self.task_ms - p.cpu_ms;
        }
        p
    }

    /// The scenario one step of a plan runs, as a query ([`Params::for_step`]).
    pub fn step_query(&self, step: &Step) -> String {
        self.for_step(step).to_query()
    }

    /// How long one step is expected to hold the page's event loop, ms: the CPU work that
    /// asyncio does on the page without awaiting, or in the blocking lab the waits it makes
    /// with a blocking call, and [`LOOP_TASK_OVERHEAD_US`] a task. Zero for models that run
    /// elsewhere, and for asyncio that hands its computing to an executor. The one place the
    /// page's freeze budget is counted.
    pub fn loop_block_ms(&self, step: &Step) -> u64 {
        let per_task = self.loop_work_ms(step);
        if per_task == 0 {
            return 0;
        }
        let tasks = u64::from(self.for_step(step).tasks);
        (tasks * (per_task * 1000 + LOOP_TASK_OVERHEAD_US)).div_ceil(1000)
    }

    /// How long each task of one step holds the page's event loop with its own work, ms:
    /// asyncio's computing, or in the blocking lab its blocking wait; 0 elsewhere.
    fn loop_work_ms(&self, step: &Step) -> u64 {
        let p = self.for_step(step);
        u64::from(match (step.model, step.lab) {
            (Model::Asyncio, Lab::Blocking) => Workload::Io.io_ms(&p),
            (Model::Asyncio, _) => p.workload.cpu_ms(&p),
            _ => 0,
        })
    }

    /// What the processes of one step are expected to hold of the browser's memory at once,
    /// KiB (0 for models without processes): each process ([`PROCESS_MEMORY_KB`]) with the
    /// result it sends, and every result, which the page keeps. A pool counts `processes`
    /// (up to 16 when it is one per core); one process per task counts them all.
    pub fn memory_kb(&self, step: &Step) -> u64 {
        let Some((live, _)) = self.live_processes(step) else {
            return 0;
        };
        let p = self.for_step(step);
        let payload = u64::from(p.payload_kb);
        live * (PROCESS_MEMORY_KB + payload) + u64::from(p.tasks) * payload
    }

    /// The most tasks of `per_task_ms` each that fit the freeze budget.
    pub fn tasks_fitting(per_task_ms: u64) -> u64 {
        MAX_EXPECTED_BLOCK_MS * 1000 / (per_task_ms * 1000 + LOOP_TASK_OVERHEAD_US)
    }

    /// The longest work a task may hold the loop for, ms, when `tasks` tasks fit the
    /// freeze budget (0 when even tasks of no work would not).
    pub fn ms_fitting(tasks: u32) -> u64 {
        let tasks = u64::from(tasks.max(1));
        (MAX_EXPECTED_BLOCK_MS * 1000).saturating_sub(tasks * LOOP_TASK_OVERHEAD_US)
            / (tasks * 1000)
    }

    /// How many workers of one step compute at once beside the page, on a machine of `cores`
    /// cores: each process of the pool (or one per task without a pool), each thread without
    /// the GIL and one with it, the one process of the baseline; none for work that only
    /// waits, nor for asyncio, which computes on the page's own thread. While this is more
    /// than the cores, the page's thread gets little of them, and the page redraws less often.
    pub fn computing(&self, step: &Step, cores: u32) -> u32 {
        let p = self.for_step(step);
        if p.workload.cpu_ms(&p) == 0 {
            return 0;
        }
        match step.model {
            Model::Sequential => 1,
            Model::Asyncio => 0,
            Model::Multiprocessing if !p.pool => p.tasks,
            Model::Multiprocessing | Model::AsyncioProcesses => p.process_count(cores),
            Model::Threading | Model::AsyncioThreads if p.gil => 1,
            Model::Threading | Model::AsyncioThreads => p.thread_count(),
        }
    }

    /// The query string for this scenario, with every parameter that differs from its default.
    pub fn to_query(&self) -> String {
        let defaults = Params::default();
        SCHEMA
            .iter()
            .filter_map(|spec| {
                let value = (spec.get)(self);
                (value != (spec.get)(&defaults)).then(|| format!("{}={}", spec.name, value))
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Problems with `action` on this scenario that no one parameter has alone: a model's task
    /// limit, and the page's freeze budget, checked against the runs `action` really makes.
    pub fn check(&self, action: Action) -> Vec<ParamError> {
        let mut errors = self.conflicts(action);
        let plan = self.plan(action);
        if let Some(model) = plan
            .iter()
            .map(|s| s.model)
            .find(|m| self.tasks > m.max_tasks())
        {
            let how = match action {
                Action::Run => "choose fewer tasks or only asyncio".to_string(),
                _ => format!("{} runs it too", action_name(action)),
            };
            errors.push(ParamError::new(
                "tasks",
                &self.tasks.to_string(),
                &format!("1 to {} for {}", model.max_tasks(), model.name()),
                &format!(
                    "{} is more than {} runs ({} at most; asyncio alone runs up to {}); {how}",
                    self.tasks,
                    model.name(),
                    model.max_tasks(),
                    MAX_ASYNCIO_TASKS
                ),
            ));
        }
        if let Some(step) = plan.iter().max_by_key(|s| self.memory_kb(s)) {
            let kb = self.memory_kb(step);
            if kb > MAX_RUN_MEMORY_KB {
                errors.push(self.memory_error(step, kb));
            }
        }
        if let Some(step) = plan.iter().max_by_key(|s| self.loop_block_ms(s)) {
            let block = self.loop_block_ms(step);
            if block > MAX_EXPECTED_BLOCK_MS {
                let per_task = self.loop_work_ms(step);
                let tasks_fit = Params::tasks_fitting(per_task);
                let ms_fits = Params::ms_fitting(self.tasks);
                // What holds the loop, and the parameter that sizes it.
                let (who, param, whose) = match (step.lab, step.share, action) {
                    (Lab::Blocking, _, _) => ("time.sleep inside each coroutine", "io_ms", ""),
                    (_, Some(_), _) => (
                        "asyncio",
                        "task_ms",
                        " (the crossover runs asyncio on all-CPU work)",
                    ),
                    (_, None, Action::Run) => ("asyncio", "cpu_ms", ""),
                    (_, None, _) => (
                        "asyncio",
                        "cpu_ms",
                        " (Compare all runs asyncio on CPU work)",
                    ),
                };
                let overhead = LOOP_TASK_OVERHEAD_US as f64 / 1000.0;
                errors.push(ParamError::new(
                    "tasks",
                    &self.tasks.to_string(),
                    &format!(
                        "tasks x ({param} + {overhead} ms) at most {} for asyncio",
                        seconds(MAX_EXPECTED_BLOCK_MS)
                    ),
                    &format!(
                        "{who}{whose} would hold the page's event loop for about {} ({} x {per_task} ms, and {overhead} ms a task for the loop itself), more than the {} the page allows: {} s at most, less {LOOP_BLOCK_MARGIN_PCT}% for a machine slower than at its calibration; use at most {tasks_fit} tasks, or {param} {ms_fits} or less",
                        seconds(block),
                        self.tasks,
                        seconds(MAX_EXPECTED_BLOCK_MS),
                        MAX_LOOP_BLOCK_MS / 1000
                    ),
                ));
            }
        }
        errors
    }

    /// The processes of `step` that live at once, at most, and whether there is one per task.
    /// None for steps that send no results from processes (other models, the labs).
    fn live_processes(&self, step: &Step) -> Option<(u64, bool)> {
        let p = self.for_step(step);
        if step.lab != Lab::None {
            return None; // the labs send no results
        }
        match step.model {
            Model::Multiprocessing if !p.pool => Some((u64::from(p.tasks), true)),
            Model::Multiprocessing | Model::AsyncioProcesses => {
                Some((u64::from(p.process_count(MAX_PROCESSES)), false))
            }
            _ => None,
        }
    }

    /// The largest results, KiB, with which `step`'s processes fit in memory.
    pub fn payload_fitting(&self, step: &Step) -> u64 {
        let Some((live, _)) = self.live_processes(step) else {
            return u64::from(self.payload_kb);
        };
        let tasks = u64::from(self.for_step(step).tasks);
        MAX_RUN_MEMORY_KB.saturating_sub(live * PROCESS_MEMORY_KB) / (live + tasks).max(1)
    }

    /// The run's processes and results would not fit in memory: how much, why, and what fits.
    fn memory_error(&self, step: &Step, kb: u64) -> ParamError {
        let p = self.for_step(step);
        let payload = u64::from(p.payload_kb);
        let (live, per_task) = self.live_processes(step).unwrap_or((0, false));
        // The largest results that fit, and the most tasks.
        let payload_fits = self.payload_fitting(step);
        let tasks_fit = if per_task {
            MAX_RUN_MEMORY_KB / (PROCESS_MEMORY_KB + 2 * payload)
        } else {
            MAX_RUN_MEMORY_KB.saturating_sub(live * (PROCESS_MEMORY_KB + payload)) / payload.max(1)
        };
        let processes = if per_task {
            format!("{live} processes, one per task,")
        } else {
            format!("a pool of up to {live} processes")
        };
        let fix = if per_task {
            format!("use at most {tasks_fit} tasks, payload_kb {payload_fits} or less, or pool=on")
        } else {
            format!("use at most {tasks_fit} tasks, or payload_kb {payload_fits} or less")
        };
        ParamError::new(
            "payload_kb",
            &self.payload_kb.to_string(),
            &format!(
                "processes and results within {} MB for {}",
                MAX_RUN_MEMORY_KB / 1024,
                step.model.name()
            ),
            &format!(
                "{} would need about {} MB at once: {processes} of about {} MB each, and {} results of {payload} KiB, each in the process that sends it and in the page; more than the {} MB the page counts on (a phone's tab has little more); {fix}",
                step.model.name(),
                kb.div_ceil(1024),
                PROCESS_MEMORY_KB / 1024,
                p.tasks,
                MAX_RUN_MEMORY_KB / 1024
            ),
        )
    }

    /// Choices that cannot go together: a combined model with the race or isolation lab
    /// (which run threads or processes alone), and the crossover with Compare all.
    fn conflicts(&self, action: Action) -> Vec<ParamError> {
        let mut errors = Vec::new();
        let lab = self.lab;
        let combined = self.models.iter().find(|m| m.combines());
        if let (Action::Run, Some(alone), Some(m)) = (action, lab.model(), combined) {
            if lab != Lab::Blocking {
                errors.push(ParamError::new(
                    "lab",
                    lab.name(),
                    &spec_range("lab"),
                    &format!(
                        "the {} lab runs {} alone and cannot run {} (chosen in models); with a combined model choose lab none or blocking",
                        lab.name(),
                        alone.name(),
                        m.name()
                    ),
                ));
            }
        }
        if self.crossover && self.compare {
            errors.push(ParamError::new(
                "crossover",
                "1",
                &spec_range("crossover"),
                "1 cannot go with compare=1: Compare all and the crossover are two runs; choose one",
            ));
        }
        errors
    }

    /// Parameters this scenario sets (to something other than their default) that `action`
    /// does not use, each with why: shown as a notice, never silently dropped.
    pub fn ignored(&self, action: Action) -> Vec<Notice> {
        let defaults = Params::default();
        let set = |name: &str| spec(name).is_some_and(|s| (s.get)(self) != (s.get)(&defaults));
        let mut why: Vec<(&'static str, String)> = Vec::new();
        match action {
            Action::Compare => {
                why.push(("lab", "Compare all runs the models, without a lab".into()));
                let combined = self.models.iter().any(|m| !Model::GUIDES.contains(m));
                if !combined && self.workload != Workload::Mixed {
                    why.push((
                        "models",
                        "Compare all runs the guides' four models, and the combined ones if models names them".into(),
                    ));
                }
            }
            Action::Sweep => {
                for name in ["models", "lab", "threads", "processes"] {
                    why.push((
                        name,
                        "the sweep runs threads and processes at 1, 2, 4, … workers".into(),
                    ));
                }
            }
            Action::Crossover => {
                for name in ["models", "lab", "workload", "io_ms", "cpu_ms"] {
                    why.push((
                        name,
                        "the crossover runs its models on tasks of task_ms, from all waiting to all computing".into(),
                    ));
                }
            }
            Action::Run => match self.lab {
                Lab::None => {}
                Lab::Blocking => {
                    for name in ["models", "workload", "cpu_ms"] {
                        why.push((
                            name,
                            "the blocking lab's tasks only wait, three ways, against the baseline"
                                .into(),
                        ));
                    }
                }
                lab => {
                    for name in ["models", "repeat"] {
                        why.push((name, format!("the {} lab runs on its own", lab.name())));
                    }
                }
            },
        }
        if action != Action::Crossover {
            why.push(("task_ms", "only the crossover uses it".into()));
        }
        why.into_iter()
            .filter(|(name, _)| set(name))
            .map(|(name, reason)| Notice {
                name: name.to_string(),
                message: format!("{name} is not used: {reason}."),
            })
            .collect()
    }
}

/// A duration for a message: "180 ms", or "10.2 s" from a second up.
fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Run => "Run",
        Action::Compare => "Compare all",
        Action::Sweep => "the sweep",
        Action::Crossover => "the crossover",
    }
}

/// The range of the parameter `name`, in words.
fn spec_range(name: &str) -> String {
    spec(name).map(|s| s.range()).unwrap_or_default()
}

/// One problem with one parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamError {
    /// The parameter's name, as in the URL.
    pub name: String,
    /// The value that was given, as given (at most 40 characters).
    pub value: String,
    /// The valid range or choices, in words.
    pub range: String,
    /// A sentence naming the parameter, the value and the range.
    pub message: String,
}

impl ParamError {
    fn new(name: &str, value: &str, range: &str, detail: &str) -> Self {
        ParamError {
            name: name.to_string(),
            value: clip(value),
            range: range.to_string(),
            message: format!("{name}: {detail} (valid: {range})"),
        }
    }
}

/// A parameter that is valid but not used by what the page was asked to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notice {
    /// The parameter's name, as in the URL.
    pub name: String,
    /// A sentence naming it and saying why it is not used.
    pub message: String,
}

/// The kind of value a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    /// A whole number in `min..=max`; `optional` ones may be left empty for their default.
    Int {
        /// Smallest valid value.
        min: u32,
        /// Largest valid value.
        max: u32,
        /// Whether an empty value means "automatic".
        optional: bool,
    },
    /// One of a fixed list.
    Choice {
        /// The valid values.
        choices: &'static [&'static str],
    },
    /// A comma-separated subset of a fixed list, at least one.
    List {
        /// The valid values.
        choices: &'static [&'static str],
    },
}

/// One parameter of the schema.
#[derive(Clone, Copy, Serialize)]
pub struct ParamSpec {
    /// Name in the URL and the form.
    pub name: &'static str,
    /// Label in the form.
    pub label: &'static str,
    /// Unit shown after the field, if any.
    pub unit: &'static str,
    /// One sentence of help.
    pub help: &'static str,
    /// What values it takes.
    pub kind: Kind,
    /// Where the form shows it: `scenario`, `threading`, `multiprocessing`, `asyncio`, `lab`, `page`.
    pub group: &'static str,
    /// Whether a beginner sees it at first; the others are one click away.
    pub basic: bool,
    #[serde(skip)]
    get: fn(&Params) -> String,
    #[serde(skip)]
    set: fn(&mut Params, &str) -> Result<(), ()>,
}

impl ParamSpec {
    /// The valid range or choices, in words.
    pub fn range(&self) -> String {
        match self.kind {
            Kind::Int { min, max, optional } => {
                let empty = if optional {
                    " (empty for automatic)"
                } else {
                    ""
                };
                format!("a whole number from {min} to {max}{empty}")
            }
            Kind::Choice { choices } => format!("one of {}", choices.join(", ")),
            Kind::List { choices } => {
                format!("one or more of {}, separated by commas", choices.join(", "))
            }
        }
    }

    /// The default value, as it appears in a URL.
    pub fn default_value(&self) -> String {
        (self.get)(&Params::default())
    }

    /// This parameter's value in `params`, as it appears in a URL.
    pub fn value(&self, params: &Params) -> String {
        (self.get)(params)
    }

    fn apply(&self, params: &mut Params, raw: &str) -> Result<(), ParamError> {
        let bad = |detail: String| ParamError::new(self.name, raw, &self.range(), &detail);
        let value = raw.trim();
        match self.kind {
            Kind::Int { min, max, optional } => {
                if value.is_empty() && optional {
                    return (self.set)(params, "").map_err(|()| bad("cannot be empty".into()));
                }
                if value.is_empty() {
                    return Err(bad("is empty".into()));
                }
                let n = parse_whole(value).map_err(|why| bad(format!("{:?} {why}", clip(raw))))?;
                if n < i128::from(min) || n > i128::from(max) {
                    return Err(bad(format!("{n} is out of range")));
                }
                (self.set)(params, &n.to_string()).map_err(|()| bad("is not valid".into()))
            }
            Kind::Choice { choices } => {
                let lower = value.to_ascii_lowercase();
                if !choices.contains(&lower.as_str()) {
                    return Err(bad(format!("{:?} is not a choice", clip(raw))));
                }
                (self.set)(params, &lower).map_err(|()| bad("is not valid".into()))
            }
            Kind::List { choices } => {
                let items: Vec<String> = value
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect();
                if items.is_empty() {
                    return Err(bad("is empty".into()));
                }
                let unknown: Vec<String> = items
                    .iter()
                    .filter(|s| !choices.contains(&s.as_str()))
                    .map(|s| format!("{:?}", clip(s)))
                    .collect();
                if !unknown.is_empty() {
                    let (them, are) = if unknown.len() == 1 {
                        (unknown[0].clone(), "is")
                    } else {
                        (unknown.join(", "), "are")
                    };
                    return Err(bad(format!("{them} {are} not a choice")));
                }
                (self.set)(params, &items.join(",")).map_err(|()| bad("is not valid".into()))
            }
        }
    }
}

/// At most 40 characters of a user's value, for messages.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A whole number, with a reason when it is not one.
fn parse_whole(s: &str) -> Result<i128, &'static str> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a whole number");
    }
    if digits.len() > 30 {
        return Err("is far too large");
    }
    s.parse::<i128>().map_err(|_| "is not a whole number")
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

fn num(s: &str) -> Result<u32, ()> {
    s.parse().map_err(|_| ())
}

fn opt_num(s: &str) -> Result<Option<u32>, ()> {
    if s.is_empty() {
        Ok(None)
    } else {
        num(s).map(Some)
    }
}

fn opt_text(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// An enum value by its URL name: the schema's choices are the enum's own names.
fn named<T: std::str::FromStr>(v: &str) -> Result<T, ()> {
    v.parse().map_err(|_| ())
}

const ON_OFF: &[&str] = &["on", "off"];
const FLAG: &[&str] = &["0", "1"];

/// The schema: every parameter, in the order of the URL contract.
pub const SCHEMA: &[ParamSpec] = &[
    ParamSpec {
        name: "workload",
        label: "Workload",
        unit: "",
        help: "io: each task waits; cpu: it computes; mixed: it waits, then computes.",
        kind: Kind::Choice {
            choices: Workload::NAMES,
        },
        group: "scenario",
        basic: true,
        get: |p| p.workload.name().to_string(),
        set: |p, v| {
            p.workload = named(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "tasks",
        label: "Tasks",
        unit: "",
        help: "How many tasks: up to 10,000 for asyncio, 256 for the others.",
        kind: Kind::Int {
            min: 1,
            max: MAX_ASYNCIO_TASKS,
            optional: false,
        },
        group: "scenario",
        basic: true,
        get: |p| p.tasks.to_string(),
        set: |p, v| {
            p.tasks = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "io_ms",
        label: "I/O wait",
        unit: "ms",
        help: "How long each task waits for its (simulated) I/O.",
        kind: Kind::Int {
            min: 0,
            max: 10_000,
            optional: false,
        },
        group: "scenario",
        basic: true,
        get: |p| p.io_ms.to_string(),
        set: |p, v| {
            p.io_ms = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "cpu_ms",
        label: "CPU work",
        unit: "ms",
        help: "How much computing each task does, in milliseconds of single-thread work on this machine.",
        kind: Kind::Int {
            min: 0,
            max: 10_000,
            optional: false,
        },
        group: "scenario",
        basic: true,
        get: |p| p.cpu_ms.to_string(),
        set: |p, v| {
            p.cpu_ms = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "task_ms",
        label: "Task length",
        unit: "ms",
        help: "Crossover: each task's length, split between waiting and computing at 0, 10, …, 100% computing.",
        kind: Kind::Int {
            min: 10,
            max: 2_000,
            optional: false,
        },
        group: "scenario",
        basic: false,
        get: |p| p.task_ms.to_string(),
        set: |p, v| {
            p.task_ms = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "threads",
        label: "Threads",
        unit: "",
        help: "Threads in the pool; empty for one thread per task.",
        kind: Kind::Int {
            min: 1,
            max: MAX_THREADS,
            optional: true,
        },
        group: "threading",
        basic: false,
        get: |p| opt_text(p.threads),
        set: |p, v| {
            p.threads = opt_num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "processes",
        label: "Processes",
        unit: "",
        help: "Worker processes; empty for one per core.",
        kind: Kind::Int {
            min: 1,
            max: MAX_PROCESSES,
            optional: true,
        },
        group: "multiprocessing",
        basic: false,
        get: |p| opt_text(p.processes),
        set: |p, v| {
            p.processes = opt_num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "gil",
        label: "GIL",
        unit: "",
        help: "on: one thread runs Python code at a time (CPython); off: free-threaded Python.",
        kind: Kind::Choice { choices: ON_OFF },
        group: "threading",
        basic: false,
        get: |p| on_off(p.gil),
        set: |p, v| {
            p.gil = v == "on";
            Ok(())
        },
    },
    ParamSpec {
        name: "switch_ms",
        label: "Switch interval",
        unit: "ms",
        help: "How long a thread may hold the GIL while another waits (sys.getswitchinterval()).",
        kind: Kind::Int {
            min: 1,
            max: 100,
            optional: false,
        },
        group: "threading",
        basic: false,
        get: |p| p.switch_ms.to_string(),
        set: |p, v| {
            p.switch_ms = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "yield_ms",
        label: "Yield every",
        unit: "ms",
        help: "asyncio CPU tasks await asyncio.sleep(0) every this many ms of work; 0 never.",
        kind: Kind::Int {
            min: 0,
            max: 1_000,
            optional: false,
        },
        group: "asyncio",
        basic: false,
        get: |p| p.yield_ms.to_string(),
        set: |p, v| {
            p.yield_ms = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "pool",
        label: "Pool",
        unit: "",
        help: "on: a Pool of processes takes tasks as they free up; off: one Process per task.",
        kind: Kind::Choice { choices: ON_OFF },
        group: "multiprocessing",
        basic: false,
        get: |p| on_off(p.pool),
        set: |p, v| {
            p.pool = v == "on";
            Ok(())
        },
    },
    ParamSpec {
        name: "payload_kb",
        label: "Result size",
        unit: "KiB",
        help: "How much data each process sends back to the parent.",
        kind: Kind::Int {
            min: 0,
            max: 8_192,
            optional: false,
        },
        group: "multiprocessing",
        basic: false,
        get: |p| p.payload_kb.to_string(),
        set: |p, v| {
            p.payload_kb = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "models",
        label: "Models",
        unit: "",
        help: "The last two: asyncio with a pool (run_in_executor, to_thread).",
        kind: Kind::List {
            choices: Model::NAMES,
        },
        group: "scenario",
        basic: true,
        get: |p| {
            p.models
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(",")
        },
        set: |p, v| {
            // Page order, each model once, whatever order the URL gives.
            let given: Vec<&str> = v.split(',').collect();
            p.models = Model::ALL
                .iter()
                .copied()
                .filter(|m| given.contains(&m.name()))
                .collect();
            Ok(())
        },
    },
    ParamSpec {
        name: "repeat",
        label: "Repeat",
        unit: "rounds",
        help: "How many rounds to measure, the models taking turns in each; speedups are the median of the rounds. Empty: 3 for Compare all, 1 for Run.",
        kind: Kind::Int {
            min: 1,
            max: MAX_REPEAT,
            optional: true,
        },
        group: "scenario",
        basic: false,
        get: |p| opt_text(p.repeat),
        set: |p, v| {
            p.repeat = opt_num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "compare",
        label: "Compare all",
        unit: "",
        help: "1: run every model on I/O and CPU work (and mixed, if chosen) and fill the matrix.",
        kind: Kind::Choice { choices: FLAG },
        group: "page",
        basic: false,
        get: |p| flag(p.compare),
        set: |p, v| {
            p.compare = v == "1";
            Ok(())
        },
    },
    ParamSpec {
        name: "crossover",
        label: "Crossover",
        unit: "",
        help: "1: run the models from all waiting to all computing (0, 10, …, 100% of task_ms) and chart where each wins.",
        kind: Kind::Choice { choices: FLAG },
        group: "page",
        basic: false,
        get: |p| flag(p.crossover),
        set: |p, v| {
            p.crossover = v == "1";
            Ok(())
        },
    },
    ParamSpec {
        name: "lab",
        label: "Lab",
        unit: "",
        help: "race: threads update shared data; isolation: processes share nothing; blocking: time.sleep in a coroutine freezes the loop.",
        kind: Kind::Choice {
            choices: Lab::NAMES,
        },
        group: "lab",
        basic: false,
        get: |p| p.lab.name().to_string(),
        set: |p, v| {
            p.lab = named(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "increments",
        label: "Increments",
        unit: "",
        help: "Race lab: how many updates each thread makes; isolation lab: how much each process adds.",
        kind: Kind::Int {
            min: 1,
            max: 10_000_000,
            optional: false,
        },
        group: "lab",
        basic: false,
        get: |p| p.increments.to_string(),
        set: |p, v| {
            p.increments = num(v)?;
            Ok(())
        },
    },
    ParamSpec {
        name: "shared",
        label: "Shared counter",
        unit: "",
        help: "Isolation lab: also add to a counter in shared memory, guarded by a lock (multiprocessing.Value).",
        kind: Kind::Choice { choices: ON_OFF },
        group: "lab",
        basic: false,
        get: |p| on_off(p.shared),
        set: |p, v| {
            p.shared = v == "on";
            Ok(())
        },
    },
    ParamSpec {
        name: "run",
        label: "Run on load",
        unit: "",
        help: "1: start the run when the page opens.",
        kind: Kind::Choice { choices: FLAG },
        group: "page",
        basic: false,
        get: |p| flag(p.run),
        set: |p, v| {
            p.run = v == "1";
            Ok(())
        },
    },
    ParamSpec {
        name: "embed",
        label: "Embed view",
        unit: "",
        help: "1: the compact view for embedding in a course page.",
        kind: Kind::Choice { choices: FLAG },
        group: "page",
        basic: false,
        get: |p| flag(p.embed),
        set: |p, v| {
            p.embed = v == "1";
            Ok(())
        },
    },
];

/// The parameter called `name`, if there is one.
pub fn spec(name: &str) -> Option<&'static ParamSpec> {
    SCHEMA.iter().find(|s| s.name == name)
}

/// What a query string says: the scenario it gives, and every problem with it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parsed {
    /// The valid parameters applied over the defaults.
    pub params: Params,
    /// One entry per problem, at most [`MAX_ERRORS`]; empty when the scenario is valid.
    pub errors: Vec<ParamError>,
    /// Problems past the first [`MAX_ERRORS`], counted, not listed.
    pub more: usize,
    /// Each parameter as given, by name (the first time it was given), for the form to
    /// show: what the user typed is kept even when it is not valid.
    pub raw: Vec<(String, String)>,
    /// Valid parameters the action does not use.
    pub notices: Vec<Notice>,
}

impl Parsed {
    /// The scenario, if there was no problem with it.
    pub fn ok(self) -> Result<Params, Vec<ParamError>> {
        if self.errors.is_empty() {
            Ok(self.params)
        } else {
            Err(self.errors)
        }
    }

    /// Every error's message in one text, capped: the first [`MAX_ERRORS`], then how many more.
    pub fn message(&self) -> String {
        let mut text = self
            .errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        if self.more > 0 {
            text.push_str(&format!("; and {} more", self.more));
        }
        text
    }
}

/// Parse a query string (with or without the leading `?`) for a single run, or for
/// Compare all when it says `compare=1`, or the crossover when it says `crossover=1`. See
/// [`parse_action`].
pub fn parse_query(query: &str) -> Parsed {
    let mut parsed = parse_raw(query);
    let action = if parsed.params.compare {
        Action::Compare
    } else if parsed.params.crossover {
        Action::Crossover
    } else {
        Action::Run
    };
    finish(&mut parsed, action);
    parsed
}

/// Parse a query string for `action`: every valid parameter is applied; every invalid,
/// unknown or repeated one gives a [`ParamError`] and keeps its default; then the
/// checks that concern `action` as a whole ([`Params::check`]). Never panics, whatever
/// the input.
pub fn parse_action(query: &str, action: Action) -> Parsed {
    let mut parsed = parse_raw(query);
    finish(&mut parsed, action);
    parsed
}

fn finish(parsed: &mut Parsed, action: Action) {
    if parsed.errors.is_empty() && parsed.more == 0 {
        parsed.errors = parsed.params.check(action);
    }
    parsed.notices = parsed.params.ignored(action);
}

/// Apply every parameter of `query`, collecting the problems of each one alone.
fn parse_raw(query: &str) -> Parsed {
    let mut params = Params::default();
    let mut errors = Vec::new();
    let mut raw: Vec<(String, String)> = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(spec) = spec(key.trim()) else {
            // A pair with no name ("=5", "%20=5") still gets one, so its error names it.
            let name = if key.trim().is_empty() {
                NO_NAME.to_string()
            } else {
                clip(&key)
            };
            errors.push(ParamError {
                message: format!(
                    "{name}: not a parameter of the playground (known: {})",
                    names().join(", ")
                ),
                name,
                value: clip(&value),
                range: format!("known parameters: {}", names().join(", ")),
            });
            continue;
        };
        if raw.iter().any(|(n, _)| n == spec.name) {
            errors.push(ParamError::new(
                spec.name,
                &value,
                &spec.range(),
                "is given more than once; give it once",
            ));
            continue;
        }
        raw.push((spec.name.to_string(), value.to_string()));
        if let Err(e) = spec.apply(&mut params, &value) {
            errors.push(e);
        }
    }
    let more = errors.len().saturating_sub(MAX_ERRORS);
    errors.truncate(MAX_ERRORS);
    Parsed {
        params,
        errors,
        more,
        raw,
        notices: Vec::new(),
    }
}

/// The name an error gives a pair that has none, as in `=5`.
pub const NO_NAME: &str = "(no name)";

fn names() -> Vec<&'static str> {
    SCHEMA.iter().map(|s| s.name).collect()
}

/// The query string for the form's raw values: every parameter whose text differs from its
/// default, in schema order, so permalinks are short and stable. Values are kept as typed.
pub fn query_from_raw(raw: &[(String, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for spec in SCHEMA {
        if let Some((_, v)) = raw.iter().find(|(n, _)| n == spec.name) {
            if *v != spec.default_value() {
                out.append_pair(spec.name, v);
            }
        }
    }
    // Commas are legal in a query; keep model lists readable.
    out.finish().replace("%2C", ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL contract's example parses to exactly the scenario it describes.
    #[test]
    fn contract_example_parses() {
        let p = parse_query("?workload=io&tasks=8&io_ms=200&cpu_ms=200&threads=8&processes=2&gil=on&models=sequential,asyncio,threading,multiprocessing&run=1")
            .ok()
            .expect("valid");
        assert_eq!(p.workload, Workload::Io);
        assert_eq!(p.tasks, 8);
        assert_eq!(p.threads, Some(8));
        assert_eq!(p.processes, Some(2));
        assert!(p.gil && p.run);
        assert_eq!(p.models, Model::GUIDES.to_vec());
    }

    /// An empty query is the default scenario, with no errors.
    #[test]
    fn empty_query_is_default() {
        assert_eq!(parse_query("").ok(), Ok(Params::default()));
        assert_eq!(parse_query("?").ok(), Ok(Params::default()));
    }

    /// Every problem is reported, each naming its parameter, and valid ones still apply.
    #[test]
    fn reports_every_problem_and_keeps_the_rest() {
        let parsed = parse_query("tasks=0&io_ms=abc&workload=cpu&gil=maybe&bogus=1");
        let names: Vec<_> = parsed.errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["tasks", "io_ms", "gil", "bogus"]);
        assert_eq!(parsed.params.workload, Workload::Cpu);
        assert_eq!(parsed.params.tasks, 8, "invalid tasks keeps its default");
        let tasks = &parsed.errors[0];
        assert_eq!(tasks.value, "0");
        assert!(tasks.message.starts_with("tasks:"), "{}", tasks.message);
        assert!(tasks.range.contains("1 to 10000"), "{}", tasks.range);
    }

    /// Out-of-range, negative, fractional, huge and empty numbers are all refused by name.
    #[test]
    fn refuses_bad_numbers() {
        for bad in [
            "-1",
            "10001",
            "2.5",
            "1e3",
            "NaN",
            "",
            "99999999999999999999999999999999999",
            "８",
        ] {
            let parsed = parse_query(&format!("tasks={bad}"));
            assert_eq!(parsed.errors.len(), 1, "tasks={bad}");
            assert_eq!(parsed.errors[0].name, "tasks");
        }
    }

    /// A repeated key is an error, not a silent choice between values.
    #[test]
    fn repeated_key_is_an_error() {
        let parsed = parse_query("tasks=4&tasks=5");
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].name, "tasks");
        assert_eq!(parsed.params.tasks, 4);
    }

    /// Optional numbers accept empty for automatic and report their range otherwise.
    #[test]
    fn optional_numbers() {
        assert_eq!(parse_query("threads=").params.threads, None);
        assert_eq!(parse_query("threads=3").params.threads, Some(3));
        let e = &parse_query("threads=65").errors[0];
        assert_eq!(e.name, "threads");
        assert!(e.range.contains("1 to 64"));
        assert_eq!(parse_query("processes=17").errors[0].name, "processes");
    }

    /// Model lists are deduplicated and put in page order; unknown models are named.
    #[test]
    fn model_lists() {
        let p = parse_query("models=threading,%20asyncio,asyncio").params;
        assert_eq!(p.models, [Model::Asyncio, Model::Threading]);
        let e = &parse_query("models=asyncio,fibers").errors[0];
        assert_eq!(e.name, "models");
        assert!(e.message.contains("fibers"));
        assert_eq!(parse_query("models=").errors[0].name, "models");
    }

    /// asyncio alone may run 10,000 tasks; other models are held to their own limit.
    #[test]
    fn per_model_task_limits() {
        assert!(parse_query("models=asyncio&tasks=10000").errors.is_empty());
        let e = parse_query("models=asyncio,threading&tasks=10000").errors;
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "tasks");
        assert!(e[0].message.contains("threading"));
    }

    /// An asyncio CPU run that would freeze the page for more than 10 s is refused, naming tasks and cpu_ms.
    #[test]
    fn freeze_guard() {
        assert!(
            parse_query("models=asyncio&workload=cpu&tasks=42&cpu_ms=200")
                .errors
                .is_empty()
        );
        let e = parse_query("models=asyncio&workload=cpu&tasks=43&cpu_ms=200").errors;
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("tasks") && e[0].message.contains("cpu_ms"));
        assert!(
            parse_query("models=asyncio&workload=io&tasks=10000&cpu_ms=200")
                .errors
                .is_empty()
        );
    }

    /// to_query writes only what differs from the defaults, and parses back to the same scenario.
    #[test]
    fn query_round_trip() {
        let p = parse_query("workload=mixed&tasks=3&threads=2&gil=off&models=asyncio,multiprocessing&lab=race&shared=on")
            .ok()
            .expect("valid");
        let q = p.to_query();
        assert_eq!(parse_query(&q).ok(), Ok(p));
        assert_eq!(Params::default().to_query(), "");
    }

    /// Escapes decode as a browser's URLSearchParams decodes them (`+` is a space, a broken
    /// escape stays as text), and the form's raw values survive the trip back to a query.
    #[test]
    fn decoding_and_raw_values() {
        let parsed = parse_query("models=asyncio%2Cthreading+&tasks=%zz");
        assert_eq!(parsed.params.models, [Model::Asyncio, Model::Threading]);
        assert_eq!(parsed.raw[1], ("tasks".to_string(), "%zz".to_string()));
        assert_eq!(parsed.errors[0].name, "tasks");
        let q = query_from_raw(&parsed.raw);
        assert_eq!(q, "tasks=%25zz&models=asyncio,threading+");
        let mut again = parse_query(&q).raw;
        again.sort();
        let mut raw = parsed.raw;
        raw.sort();
        assert_eq!(again, raw);
    }

    /// A repeated key is refused by name, and the form is given the first value.
    #[test]
    fn repeated_key_keeps_the_first_raw_value() {
        let parsed = parse_query("tasks=4&tasks=5");
        assert_eq!(parsed.raw, [("tasks".to_string(), "4".to_string())]);
        assert_eq!(parsed.errors.len(), 1);
    }

    /// Thousands of bad parameters give a few messages and a count, not megabytes of text.
    #[test]
    fn errors_are_capped() {
        let query: String = (0..12_500).map(|i| format!("bad{i}=1&")).collect();
        let parsed = parse_query(&query);
        assert_eq!(parsed.errors.len(), MAX_ERRORS);
        assert_eq!(parsed.more, 12_500 - MAX_ERRORS);
        let text = parsed.message();
        assert!(
            text.ends_with(&format!("and {} more", 12_500 - MAX_ERRORS)),
            "{text}"
        );
        assert!(text.len() < 10_000, "{} bytes", text.len());
    }

    /// Compare all checks the runs it really makes: every model, on CPU work too, whatever
    /// `models` and `workload` say.
    #[test]
    fn compare_checks_every_model_it_runs() {
        let e = parse_query("compare=1&models=sequential&workload=io&tasks=8&cpu_ms=2000").errors;
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message.contains("asyncio") && e[0].message.contains("Compare all"),
            "{e:?}"
        );
        let e = parse_query("compare=1&models=asyncio&tasks=10000").errors;
        assert_eq!(e[0].name, "tasks");
        assert!(e[0].message.contains("sequential"), "{e:?}");
        assert!(parse_query("compare=1&tasks=8&cpu_ms=1062")
            .errors
            .is_empty());
        assert!(!parse_query("compare=1&tasks=8&cpu_ms=1063")
            .errors
            .is_empty());
    }

    /// The freeze message says how long the run would hold the loop, what the page allows
    /// and why, and what would fit.
    #[test]
    fn freeze_message_says_how_far_over() {
        let e = parse_query("models=asyncio&workload=cpu&tasks=51&cpu_ms=200").errors;
        let m = &e[0].message;
        assert!(
            m.contains("about 10.2 s") && m.contains("more than the 8.5 s"),
            "{m}"
        );
        assert!(
            m.contains("at most 42 tasks") && m.contains("cpu_ms 166"),
            "{m}"
        );
    }

    /// Processes and their results must fit in memory: 256 processes with results of 8 MiB
    /// are refused (Chromium ran out at process 216), naming payload_kb and tasks; what the
    /// message offers fits; 256 processes with small results, and a pool with big ones, run.
    #[test]
    fn memory_budget() {
        let q = "models=multiprocessing&pool=off&tasks=256&workload=io&io_ms=100&payload_kb=8192";
        let e = parse_query(q).errors;
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].name, "payload_kb");
        let m = &e[0].message;
        assert!(
            m.contains("about 5376 MB") && m.contains("more than the 1536 MB"),
            "{m}"
        );
        let fits = |what: &str| -> String {
            let at = m.find(what).expect(what) + what.len();
            m[at..].chars().take_while(|c| c.is_ascii_digit()).collect()
        };
        let tasks = fits("use at most ");
        let payload = fits("payload_kb ");
        assert!(
            parse_query(&q.replace("tasks=256", &format!("tasks={tasks}")))
                .errors
                .is_empty()
        );
        assert!(
            parse_query(&q.replace("payload_kb=8192", &format!("payload_kb={payload}")))
                .errors
                .is_empty()
        );
        assert!(
            parse_query("models=multiprocessing&pool=off&tasks=256&workload=io")
                .errors
                .is_empty()
        );
        assert!(
            parse_query("models=multiprocessing&tasks=64&processes=16&payload_kb=8192")
                .errors
                .is_empty()
        );
        assert!(!parse_query("compare=1&tasks=256&payload_kb=8192")
            .errors
            .is_empty());
    }

    /// The budget counts each task's cost to the loop: 10,000 tasks of 1 ms are more than
    /// 10 s, and what the message offers fits.
    #[test]
    fn freeze_budget_counts_each_task() {
        let e = parse_query("models=asyncio&workload=cpu&tasks=10000&cpu_ms=1").errors;
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("at most 8095 tasks"), "{e:?}");
        assert!(
            parse_query("models=asyncio&workload=cpu&tasks=8095&cpu_ms=1")
                .errors
                .is_empty()
        );
        assert!(
            !parse_query("models=asyncio&workload=cpu&tasks=8096&cpu_ms=1")
                .errors
                .is_empty()
        );
        for tasks in [1, 7, 200, 4000, 10_000] {
            let ms = Params::ms_fitting(tasks);
            let q = format!("models=asyncio&workload=cpu&tasks={tasks}&cpu_ms={ms}");
            assert!(ms == 0 || parse_query(&q).errors.is_empty(), "{q}");
            let over = format!(
                "models=asyncio&workload=cpu&tasks={tasks}&cpu_ms={}",
                ms + 1
            );
            assert!(!parse_query(&over).errors.is_empty(), "{over}");
        }
    }

    /// Plans interleave the models within each round; a lab is one step on its model.
    #[test]
    fn plans() {
        let p = parse_query("compare=1&repeat=2").params;
        let plan = p.plan(Action::Compare);
        assert_eq!(
            plan.len(),
            2 * 2 * 4,
            "the guides' four models on I/O and CPU"
        );
        let first: Vec<_> = plan[..4].iter().map(|s| s.model.name()).collect();
        assert_eq!(
            first,
            ["sequential", "asyncio", "threading", "multiprocessing"]
        );
        assert_eq!(plan[8].round, 1);
        assert_eq!(Params::default().plan(Action::Compare).len(), 3 * 2 * 4);
        // The combined models join on the mixed workload, or when models names one.
        let mixed = parse_query("compare=1&workload=mixed&repeat=1").params;
        assert_eq!(mixed.plan(Action::Compare).len(), 3 * 6);
        let named = parse_query("compare=1&models=asyncio-processes&repeat=1").params;
        let models: Vec<_> = named
            .models_for(Action::Compare)
            .iter()
            .map(|m| m.name())
            .collect();
        assert_eq!(
            models,
            [
                "sequential",
                "asyncio",
                "threading",
                "multiprocessing",
                "asyncio-processes"
            ]
        );
        assert_eq!(Params::default().plan(Action::Run).len(), 4);
        let lab = parse_query("lab=race&models=asyncio")
            .params
            .plan(Action::Run);
        assert_eq!(lab.len(), 1);
        assert_eq!(lab[0].model, Model::Threading);
        assert_eq!(
            parse_query("workload=mixed")
                .params
                .workloads(Action::Compare)
                .len(),
            3
        );
    }

    /// Parameters an action does not use are named in a notice, never dropped silently.
    #[test]
    fn ignored_parameters_are_named() {
        let parsed = parse_query("compare=1&lab=race");
        assert_eq!(parsed.notices.len(), 1);
        assert_eq!(parsed.notices[0].name, "lab");
        assert!(parse_query("compare=1").notices.is_empty());
        let run = parse_query("lab=race&models=asyncio");
        assert_eq!(run.notices[0].name, "models");
    }

    /// Derived counts: threads one per task up to 64, processes one per core up to 16 and
    /// never more than the tasks; repeat 3 for Compare all, 1 for Run.
    #[test]
    fn derived_counts() {
        let p = parse_query("tasks=100").params;
        assert_eq!(p.thread_count(), MAX_THREADS);
        assert_eq!(p.process_count(4), 4);
        assert_eq!(parse_query("tasks=3").params.process_count(8), 3);
        assert_eq!(parse_query("processes=40").errors[0].name, "processes");
        assert_eq!(p.rounds(Action::Compare), COMPARE_REPEAT);
        assert_eq!(p.rounds(Action::Run), 1);
        assert_eq!(parse_query("repeat=5").params.rounds(Action::Run), 5);
        assert_eq!(parse_query("repeat=21").errors[0].name, "repeat");
    }

    /// The schema's defaults are valid values of their own ranges.
    #[test]
    fn schema_defaults_are_valid() {
        for s in SCHEMA {
            let mut p = Params::default();
            s.apply(&mut p, &s.default_value()).expect(s.name);
        }
    }
    /// Bad input, tried systematically: random and hostile query strings, and the round
    /// trip of any valid scenario. Native only: proptest is a native dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;

        use proptest::prelude::*;
        use proptest::sample::select;

        /// Values that have broken URL parsers before: numbers out of every range, non-numbers,
        /// script text, broken escapes, odd Unicode.
        const HOSTILE: &[&str] = &[
            "",
            " ",
            "-1",
            "+0",
            "-0",
            "0x10",
            "1e9",
            "1.0",
            "NaN",
            "Infinity",
            "-Infinity",
            "null",
            "undefined",
            "true",
            "4294967296",
            "18446744073709551616",
            "340282366920938463463374607431768211456",
            "99999999999999999999999999999999999999999999",
            "８",
            "٣",
            "1\u{0}",
            "\u{202e}1",
            "💥",
            "<img src=x onerror=alert(1)>",
            "\"><script>alert(1)</script>",
            "javascript:alert(1)",
            "%",
            "%%",
            "%2",
            "%zz",
            "%+5",
            "%-1",
            "%FF%FE",
            "%C0%AF",
            "%00",
            "%E2%80%AE",
            "+",
            "++",
            "a,b,,",
            ",",
            "asyncio,,asyncio",
            "=",
            "==",
            "&",
            "?",
        ];

        /// A key: a schema name as given or mangled, or anything at all.
        fn key() -> impl Strategy<Value = String> {
            let names: Vec<&'static str> = SCHEMA.iter().map(|s| s.name).collect();
            prop_oneof![
                4 => select(names.clone()).prop_map(str::to_string),
                1 => select(names.clone()).prop_map(|n| n.to_uppercase()),
                1 => select(names).prop_map(|n| format!("%20{n}+")),
                1 => "[a-z_%+=.]{0,12}",
                1 => any::<String>(),
            ]
        }

        /// A value: a hostile one, a number-like one, escapes, anything, or a very long one.
        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => select(HOSTILE).prop_map(str::to_string),
                2 => "[-+ 0-9.eE]{0,12}",
                1 => "[0-9]{10,60}",
                1 => "(%[0-9A-Fa-fzZ+-]{0,3}){1,6}",
                1 => "[a-z,]{0,30}",
                1 => any::<String>(),
                1 => "[a-z0-9<>\"'%]{500,3000}",
            ]
        }

        /// A query: a few key=value pairs (a bare key now and then), maybe a leading '?'.
        fn query() -> impl Strategy<Value = String> {
            let pair = (key(), value(), any::<bool>()).prop_map(|(k, v, bare)| {
                if bare && v.is_empty() {
                    k
                } else {
                    format!("{k}={v}")
                }
            });
            (any::<bool>(), prop::collection::vec(pair, 0..6)).prop_map(|(mark, pairs)| {
                format!("{}{}", if mark { "?" } else { "" }, pairs.join("&"))
            })
        }

        /// What every parse must give: a valid scenario (one that survives its own round
        /// trip), or errors that each name a parameter and start with that name.
        fn check(query: &str, parsed: &Parsed) -> Result<(), TestCaseError> {
            if parsed.errors.is_empty() {
                prop_assert!(parsed.params.check(Action::Run).is_empty(), "{query:?}");
                let again = parse_query(&parsed.params.to_query());
                prop_assert_eq!(again.ok(), Ok(parsed.params.clone()), "{:?}", query);
                return Ok(());
            }
            for e in &parsed.errors {
                prop_assert!(!e.name.trim().is_empty(), "{query:?}: nameless error {e:?}");
                prop_assert!(
                    e.message.starts_with(&format!("{}: ", e.name)),
                    "{query:?}: the message does not start with the name: {e:?}"
                );
                match spec(&e.name) {
                    Some(s) => prop_assert!(e.range == s.range() || e.name == "tasks", "{e:?}"),
                    None => {
                        prop_assert!(spec(e.name.trim()).is_none(), "{query:?}: {e:?}");
                        prop_assert!(e.message.contains("not a parameter"), "{e:?}");
                    }
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            /// Any string at all: parse_query never panics and its answer is well-formed.
            #[test]
            fn any_string_parses_to_a_scenario_or_named_errors(q in any::<String>()) {
                check(&q, &parse_query(&q))?;
            }

            /// Hostile queries over the real keys: never a panic; every bad value is named by
            /// its key, and only given keys (or tasks, for limits across models) are named.
            #[test]
            fn hostile_queries_name_every_bad_parameter(q in query()) {
                let parsed = parse_query(&q);
                check(&q, &parsed)?;
                prop_assert!(parsed.errors.len() <= MAX_ERRORS);
                if parsed.more > 0 {
                    // Past the cap the rest are counted, not named.
                    return Ok(());
                }
                let body = q.strip_prefix('?').unwrap_or(&q);
                for pair in body.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let k: String = form_urlencoded::parse(format!("{k}=").as_bytes())
                        .next()
                        .map(|(k, _)| k.into_owned())
                        .unwrap_or_default();
                    let Some(s) = spec(k.trim()) else {
                        let name = if k.trim().is_empty() { NO_NAME.to_string() } else { clip(&k) };
                        let named = parsed.errors.iter().any(|e| e.name == name);
                        prop_assert!(named, "{q:?}: unknown key {k:?} not named");
                        continue;
                    };
                    let alone = parse_query(&format!("{}={v}", s.name));
                    let bad_alone = alone.errors.iter().any(|e| e.name == s.name && !e.message.contains(" for "));
                    if bad_alone {
                        prop_assert!(
                            parsed.errors.iter().any(|e| e.name == s.name),
                            "{q:?}: bad {} not named", s.name
                        );
                    }
                }
            }
        }

        /// Any valid scenario: models, then a task count and CPU time within their limits.
        fn valid_params() -> impl Strategy<Value = Params> {
            let models = prop::collection::vec(any::<bool>(), Model::ALL.len()).prop_map(|on| {
                let chosen: Vec<Model> = Model::ALL
                    .iter()
                    .copied()
                    .zip(on)
                    .filter_map(|(m, on)| on.then_some(m))
                    .collect();
                if chosen.is_empty() {
                    vec![Model::Asyncio]
                } else {
                    chosen
                }
            });
            let scenario = (
                select(Workload::ALL.to_vec()),
                models,
                1..=MAX_ASYNCIO_TASKS,
                0..=10_000u32,
                0..=10_000u32,
                prop::option::of(1..=MAX_THREADS),
                prop::option::of(1..=MAX_PROCESSES),
            );
            let rest = (
                (
                    any::<bool>(),
                    1..=100u32,
                    0..=1_000u32,
                    any::<bool>(),
                    0..=8_192u32,
                ),
                (
                    any::<bool>(),
                    select(Lab::ALL.to_vec()),
                    any::<bool>(),
                    10..=2_000u32,
                ),
                (
                    1..=10_000_000u32,
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                    prop::option::of(1..=MAX_REPEAT),
                ),
            );
            (scenario, rest).prop_map(
                |(
                    (workload, models, tasks, io_ms, cpu_ms, threads, processes),
                    (
                        (gil, switch_ms, yield_ms, pool, payload_kb),
                        (compare, lab, crossover, task_ms),
                        (increments, shared, run, embed, repeat),
                    ),
                )| {
                    let mut p = Params {
                        workload,
                        tasks,
                        io_ms,
                        cpu_ms,
                        task_ms,
                        threads,
                        processes,
                        gil,
                        switch_ms,
                        yield_ms,
                        pool,
                        payload_kb,
                        models,
                        repeat,
                        compare,
                        crossover: crossover && !compare,
                        lab,
                        increments,
                        shared,
                        run,
                        embed,
                    };
                    // The race and isolation labs run their model alone: no combined model.
                    if matches!(lab, Lab::Race | Lab::Isolation) {
                        p.models.retain(|m| !m.combines());
                        if p.models.is_empty() {
                            p.models.push(Model::Asyncio);
                        }
                    }
                    let action = if p.compare {
                        Action::Compare
                    } else if p.crossover {
                        Action::Crossover
                    } else {
                        Action::Run
                    };
                    for action in [action, Action::Run] {
                        let most = p
                            .models_for(action)
                            .iter()
                            .map(|m| m.max_tasks())
                            .min()
                            .unwrap_or(1);
                        p.tasks = p.tasks.min(most);
                        // Within the freeze budget: shorten what holds the loop.
                        let plan = p.plan(action);
                        let Some(step) = plan.iter().max_by_key(|s| p.loop_block_ms(s)) else {
                            continue;
                        };
                        if p.loop_block_ms(step) > MAX_EXPECTED_BLOCK_MS {
                            let fits = Params::ms_fitting(p.tasks) as u32;
                            match (step.lab, step.share) {
                                (Lab::Blocking, _) => p.io_ms = fits,
                                (_, Some(_)) => p.task_ms = fits,
                                _ => p.cpu_ms = fits,
                            }
                        }
                        // Within the memory budget: smaller results.
                        let plan = p.plan(action);
                        if let Some(step) = plan.iter().max_by_key(|s| p.memory_kb(s)) {
                            if p.memory_kb(step) > MAX_RUN_MEMORY_KB {
                                p.payload_kb = p.payload_fitting(step) as u32;
                            }
                        }
                    }
                    p
                },
            )
        }

        proptest! {
            /// Round trip: any valid scenario, written as a query, parses back to itself.
            #[test]
            fn valid_params_round_trip(p in valid_params()) {
                prop_assert!(p.check(Action::Run).is_empty(), "{p:?}");
                let q = p.to_query();
                prop_assert_eq!(parse_query(&q).ok(), Ok(p.clone()), "{}", q);
                prop_assert_eq!(parse_query(&format!("?{q}")).ok(), Ok(p));
            }
        }
    }

    /// Found by the properties above: a pair with no name is named "(no name)", not "".
    #[test]
    fn a_pair_without_a_name_is_named() {
        for q in ["=5", "%20=5", "=", "tasks=4&+=1"] {
            let errors = parse_query(q).errors;
            assert_eq!(errors.len(), 1, "{q}");
            assert_eq!(errors[0].name, NO_NAME, "{q}");
            assert!(errors[0].message.starts_with("(no name): "), "{q}");
        }
    }

    /// Found by the properties above: "%+5" is not an escape; the tasks error names it.
    #[test]
    fn a_sign_is_not_a_hex_digit() {
        assert_eq!(parse_query("tasks=%+5").errors[0].name, "tasks");
    }

    /// The workers a step computes on beside the page: a Pool(8) on CPU work is eight, on
    /// I/O none; threads are one with the GIL and all of them without; asyncio computes on
    /// the page itself.
    #[test]
    fn computing_counts_the_workers_beside_the_page() {
        let step = |model, workload| Step::new(model, workload, Lab::None, 0);
        let p = parse_query("workload=cpu&tasks=8&processes=8&threads=4").params;
        assert_eq!(
            p.computing(&step(Model::Multiprocessing, Workload::Cpu), 2),
            8
        );
        assert_eq!(
            p.computing(&step(Model::Multiprocessing, Workload::Io), 2),
            0
        );
        assert_eq!(
            p.computing(&step(Model::AsyncioProcesses, Workload::Mixed), 2),
            8
        );
        assert_eq!(p.computing(&step(Model::Threading, Workload::Cpu), 2), 1);
        assert_eq!(p.computing(&step(Model::Asyncio, Workload::Cpu), 2), 0);
        assert_eq!(p.computing(&step(Model::Sequential, Workload::Cpu), 2), 1);
        let off = parse_query("workload=cpu&tasks=8&threads=4&gil=off&pool=off").params;
        assert_eq!(off.computing(&step(Model::Threading, Workload::Cpu), 2), 4);
        assert_eq!(
            off.computing(&step(Model::Multiprocessing, Workload::Cpu), 2),
            8
        );
        // One process per core by default, never more than the tasks.
        let auto = parse_query("workload=cpu&tasks=3").params;
        assert_eq!(
            auto.computing(&step(Model::Multiprocessing, Workload::Cpu), 16),
            3
        );
    }
}
