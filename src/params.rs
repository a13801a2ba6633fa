//! The one parameter schema: names, defaults, ranges, and the parser that the URL, the form
//! and the workers all go through.
//!
//! A scenario is a query string (`?workload=io&tasks=8&...`), so every scenario is a
//! permalink. [`parse_query`] never fails as a whole: it applies every valid parameter,
//! keeps the default for every invalid one, and returns one [`ParamError`] per problem,
//! each naming the parameter, the bad value and the valid range.

use serde::Serialize;

/// The kind of work each task does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Each task waits `io_ms` (a download, a database call).
    Io,
    /// Each task computes for `cpu_ms` of single-thread work.
    Cpu,
    /// Each task waits `io_ms`, then computes for `cpu_ms`.
    Mixed,
}

impl Workload {
    /// Every workload, in the order the page shows them.
    pub const ALL: [Workload; 3] = [Workload::Io, Workload::Cpu, Workload::Mixed];

    /// The name used in URLs and data attributes.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Io => "io",
            Workload::Cpu => "cpu",
            Workload::Mixed => "mixed",
        }
    }

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// The baseline: one task after another.
    Sequential,
    /// One thread, an event loop, futures that overlap their waits.
    Asyncio,
    /// Threads over one shared memory, with or without a GIL.
    Threading,
    /// Separate instances with their own memory, talking by messages.
    Multiprocessing,
}

impl Model {
    /// Every model, in the order the page shows them.
    pub const ALL: [Model; 4] = [
        Model::Sequential,
        Model::Asyncio,
        Model::Threading,
        Model::Multiprocessing,
    ];

    /// The name used in URLs and data attributes.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Asyncio => "asyncio",
            Model::Threading => "threading",
            Model::Multiprocessing => "multiprocessing",
        }
    }

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
}

/// A lab replaces the timing run with a small experiment about shared state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lab {
    /// No lab: run the models on the workload.
    None,
    /// Threads add to one counter without a lock, with a lock, and atomically.
    Race,
    /// Processes add to a module-level counter; the parent's stays unchanged.
    Isolation,
}

/// The most tasks asyncio runs at once.
pub const MAX_ASYNCIO_TASKS: u32 = 10_000;
/// The most tasks sequential, threading and multiprocessing run.
pub const MAX_TASKS_OTHER: u32 = 256;
/// The longest an asyncio CPU run may block the page's event loop.
pub const MAX_FREEZE_MS: u64 = 10_000;

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
    /// Run every model on I/O and CPU (and mixed, if chosen) and fill the matrix.
    pub compare: bool,
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
            threads: None,
            processes: None,
            gil: true,
            switch_ms: 5,
            yield_ms: 0,
            pool: true,
            payload_kb: 1,
            models: Model::ALL.to_vec(),
            compare: false,
            lab: Lab::None,
            increments: 100_000,
            shared: false,
            run: false,
            embed: false,
        }
    }
}

impl Params {
    /// Threads the threading model starts: `threads`, or one per task (at most 64).
    pub fn thread_count(&self) -> u32 {
        self.threads.unwrap_or(self.tasks.min(MAX_THREADS))
    }

    /// Processes the multiprocessing model starts, given the machine's core count.
    pub fn process_count(&self, cores: u32) -> u32 {
        self.processes
            .unwrap_or(cores.clamp(1, MAX_PROCESSES))
            .min(MAX_PROCESSES)
    }

    /// The same scenario with another workload.
    pub fn with_workload(&self, workload: Workload) -> Params {
        Params {
            workload,
            ..self.clone()
        }
    }

    /// How long an asyncio run of this scenario blocks the event loop, ms.
    pub fn asyncio_freeze_ms(&self) -> u64 {
        u64::from(self.tasks) * u64::from(self.workload.cpu_ms(self))
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

    /// Problems that depend on the models chosen, not on one parameter alone.
    pub fn check_models(&self) -> Vec<ParamError> {
        let mut errors = Vec::new();
        for model in &self.models {
            if self.tasks > model.max_tasks() {
                errors.push(ParamError::new(
                    "tasks",
                    &self.tasks.to_string(),
                    &format!("1 to {} for {}", model.max_tasks(), model.name()),
                    &format!(
                        "{} runs at most {} tasks (asyncio alone runs up to {}); choose fewer tasks or only asyncio",
                        model.name(),
                        model.max_tasks(),
                        MAX_ASYNCIO_TASKS
                    ),
                ));
                break;
            }
        }
        let cpu_ms = u64::from(self.workload.cpu_ms(self));
        if self.models.contains(&Model::Asyncio) && self.asyncio_freeze_ms() > MAX_FREEZE_MS {
            errors.push(ParamError::new(
                "tasks",
                &self.tasks.to_string(),
                &format!("tasks x cpu_ms at most {MAX_FREEZE_MS} ms for asyncio"),
                &format!(
                    "tasks x cpu_ms = {} x {} ms would freeze the page for {:.1} s; asyncio runs at most {} s of CPU work on the page's own thread: lower tasks or cpu_ms",
                    self.tasks,
                    cpu_ms,
                    self.asyncio_freeze_ms() as f64 / 1000.0,
                    MAX_FREEZE_MS / 1000
                ),
            ));
        }
        errors
    }
}

/// The most threads the threading model starts.
pub const MAX_THREADS: u32 = 64;
/// The most processes the multiprocessing model starts.
pub const MAX_PROCESSES: u32 = 16;

/// One problem with one parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamError {
    /// The parameter's name, as in the URL.
    pub name: String,
    /// The value that was given, as given.
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
            value: value.to_string(),
            range: range.to_string(),
            message: format!("{name}: {detail} (valid: {range})"),
        }
    }
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
                if let Some(unknown) = items.iter().find(|s| !choices.contains(&s.as_str())) {
                    return Err(bad(format!("{:?} is not a choice", clip(unknown))));
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

const WORKLOADS: &[&str] = &["io", "cpu", "mixed"];
const MODELS: &[&str] = &["sequential", "asyncio", "threading", "multiprocessing"];
const ON_OFF: &[&str] = &["on", "off"];
const FLAG: &[&str] = &["0", "1"];
const LABS: &[&str] = &["none", "race", "isolation"];

/// The schema: every parameter, in the order of the URL contract.
pub const SCHEMA: &[ParamSpec] = &[
    ParamSpec {
        name: "workload",
        label: "Workload",
        unit: "",
        help: "io: each task waits; cpu: each task computes; mixed: waits, then computes.",
        kind: Kind::Choice { choices: WORKLOADS },
        group: "scenario",
        get: |p| p.workload.name().to_string(),
        set: |p, v| {
            p.workload = match v {
                "io" => Workload::Io,
                "cpu" => Workload::Cpu,
                "mixed" => Workload::Mixed,
                _ => return Err(()),
            };
            Ok(())
        },
    },
    ParamSpec {
        name: "tasks",
        label: "Tasks",
        unit: "",
        help: "How many tasks to run. asyncio runs up to 10,000; the other models up to 256.",
        kind: Kind::Int {
            min: 1,
            max: MAX_ASYNCIO_TASKS,
            optional: false,
        },
        group: "scenario",
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
        get: |p| p.cpu_ms.to_string(),
        set: |p, v| {
            p.cpu_ms = num(v)?;
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
        get: |p| p.threads.map(|n| n.to_string()).unwrap_or_default(),
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
        get: |p| p.processes.map(|n| n.to_string()).unwrap_or_default(),
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
        help: "Which models to run.",
        kind: Kind::List { choices: MODELS },
        group: "scenario",
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
                .into_iter()
                .filter(|m| given.contains(&m.name()))
                .collect();
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
        get: |p| flag(p.compare),
        set: |p, v| {
            p.compare = v == "1";
            Ok(())
        },
    },
    ParamSpec {
        name: "lab",
        label: "Lab",
        unit: "",
        help: "race: threads share a counter; isolation: processes do not.",
        kind: Kind::Choice { choices: LABS },
        group: "lab",
        get: |p| {
            match p.lab {
                Lab::None => "none",
                Lab::Race => "race",
                Lab::Isolation => "isolation",
            }
            .to_string()
        },
        set: |p, v| {
            p.lab = match v {
                "race" => Lab::Race,
                "isolation" => Lab::Isolation,
                _ => Lab::None,
            };
            Ok(())
        },
    },
    ParamSpec {
        name: "increments",
        label: "Increments",
        unit: "",
        help: "Race lab: how many times each thread adds 1 to the shared counter.",
        kind: Kind::Int {
            min: 1,
            max: 10_000_000,
            optional: false,
        },
        group: "lab",
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
    /// One entry per problem; empty when the scenario is valid as given.
    pub errors: Vec<ParamError>,
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
}

/// Parse a query string (with or without the leading `?`).
///
/// Every valid parameter is applied; every invalid, unknown or repeated one gives a
/// [`ParamError`] and keeps its default. Never panics, whatever the input.
pub fn parse_query(query: &str) -> Parsed {
    let mut params = Params::default();
    let mut errors = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value);
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
        if seen.contains(&spec.name) {
            errors.push(ParamError::new(
                spec.name,
                &value,
                &spec.range(),
                "is given more than once; give it once",
            ));
            continue;
        }
        seen.push(spec.name);
        if let Err(e) = spec.apply(&mut params, &value) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        errors = params.check_models();
    }
    Parsed { params, errors }
}

/// The name an error gives a pair that has none, as in `=5`.
pub const NO_NAME: &str = "(no name)";

fn names() -> Vec<&'static str> {
    SCHEMA.iter().map(|s| s.name).collect()
}

/// Decode `%XX` escapes and `+` as a space; invalid escapes and bytes are kept as text.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                // Two hex digits exactly: from_str_radix alone would take "%+5" as 0x05.
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        assert_eq!(p.models, Model::ALL.to_vec());
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
            parse_query("models=asyncio&workload=cpu&tasks=50&cpu_ms=200")
                .errors
                .is_empty()
        );
        let e = parse_query("models=asyncio&workload=cpu&tasks=51&cpu_ms=200").errors;
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

    /// Percent escapes decode; broken escapes stay as text instead of failing.
    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Cb+c"), "a,b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
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
                prop_assert!(parsed.params.check_models().is_empty(), "{query:?}");
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

        /// Percent-encode every byte, as the most careful client would.
        fn encode_all(s: &str) -> String {
            s.bytes().map(|b| format!("%{b:02X}")).collect()
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
                let body = q.strip_prefix('?').unwrap_or(&q);
                for pair in body.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let k = percent_decode(k);
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

            /// percent_decode never panics, and decodes any fully escaped string to itself.
            #[test]
            fn percent_decode_inverts_full_escaping(s in any::<String>()) {
                prop_assert_eq!(percent_decode(&encode_all(&s)), s.clone());
                let _ = percent_decode(&s);
            }

            /// Text with no '%' or '+' decodes to itself; a '%' not followed by two hex digits
            /// stays a '%' (and a '+' after it is still a space).
            #[test]
            fn percent_decode_leaves_plain_text_and_broken_escapes(
                s in "[^%+]{0,40}",
                a in "[^0-9A-Fa-f%]",
                b in "[0-9A-Fa-f]?",
            ) {
                prop_assert_eq!(percent_decode(&s), s.clone());
                let a_decoded = a.replace('+', " ");
                prop_assert_eq!(percent_decode(&format!("%{a}{b}{s}")), format!("%{a_decoded}{b}{s}"));
                prop_assert_eq!(percent_decode(&format!("%{b}{a}{s}")), format!("%{b}{a_decoded}{s}"));
            }
        }

        /// Any valid scenario: models, then a task count and CPU time within their limits.
        fn valid_params() -> impl Strategy<Value = Params> {
            let models = prop::collection::vec(any::<bool>(), 4).prop_map(|on| {
                let chosen: Vec<Model> = Model::ALL
                    .into_iter()
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
                    select(vec![Lab::None, Lab::Race, Lab::Isolation]),
                ),
                (
                    1..=10_000_000u32,
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                ),
            );
            (scenario, rest).prop_map(
                |(
                    (workload, models, tasks, io_ms, cpu_ms, threads, processes),
                    (
                        (gil, switch_ms, yield_ms, pool, payload_kb),
                        (compare, lab),
                        (increments, shared, run, embed),
                    ),
                )| {
                    let most = models.iter().map(|m| m.max_tasks()).min().unwrap_or(1);
                    let tasks = tasks.min(most);
                    let mut p = Params {
                        workload,
                        tasks,
                        io_ms,
                        cpu_ms,
                        threads,
                        processes,
                        gil,
                        switch_ms,
                        yield_ms,
                        pool,
                        payload_kb,
                        models,
                        compare,
                        lab,
                        increments,
                        shared,
                        run,
                        embed,
                    };
                    if p.models.contains(&Model::Asyncio) && p.asyncio_freeze_ms() > MAX_FREEZE_MS {
                        p.cpu_ms = (MAX_FREEZE_MS / u64::from(tasks)) as u32;
                    }
                    p
                },
            )
        }

        proptest! {
            /// Round trip: any valid scenario, written as a query, parses back to itself.
            #[test]
            fn valid_params_round_trip(p in valid_params()) {
                prop_assert!(p.check_models().is_empty(), "{p:?}");
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

    /// Found by the properties above: "%+5" is not an escape (from_str_radix takes "+5").
    #[test]
    fn a_sign_is_not_a_hex_digit() {
        assert_eq!(percent_decode("%+5"), "% 5");
        assert_eq!(percent_decode("%-1"), "%-1");
        assert_eq!(parse_query("tasks=%+5").errors[0].name, "tasks");
    }
}
