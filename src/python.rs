//! The runnable Python script for a scenario, in the idioms of the guides.
//!
//! [`script`] writes a complete Python 3 program (standard library only) that runs the
//! scenario the page runs, the way the guides write it: a `for` loop; `async def` tasks,
//! `asyncio.gather` and `asyncio.run`; `threading.Thread` or a `ThreadPoolExecutor`;
//! `multiprocessing.Process` or a `Pool`. [`lab_script`] does the same for the race and
//! isolation labs. Every script prints a line per task, a summary, and last one
//! machine-readable line, `RESULT {json}`, so a run on a real CPython can be set beside the
//! page's figures.
//!
//! CPU work is sized as on the page: the script times a pure-Python xorshift loop once to
//! find its iterations per millisecond here, then each task runs a fixed number of
//! iterations, not "loop until the clock says `cpu_ms`", so work that really runs in
//! parallel finishes sooner. The generator only chooses and fills in blocks of Python: the
//! scenario's numbers become constants at the top of the script (`TASKS = 8`), so the code
//! below them reads the same whatever the parameters.

use crate::params::{Lab, Model, Params, Workload};

/// Columns a generated comment may take (black's default line length).
const WIDTH: usize = 88;

/// asyncio scripts with more tasks than this print only the first ones' lines: printing
/// thousands of lines would time the terminal, not the event loop.
const SHOW: u32 = 20;

/// CPython's default `sys.getswitchinterval()`, in ms: scripts only set it when it differs.
pub const CPYTHON_SWITCH_MS: u32 = 5;

/// The name to save [`script`]'s output under, e.g. `asyncio_cpu.py`; its header says to
/// run `python3` on that name.
pub fn filename(params: &Params, model: Model) -> String {
    format!("{}_{}.py", model.name(), params.workload.name())
}

/// The name to save [`lab_script`]'s output under (`race_lab.py`, `isolation_lab.py`), or
/// `None` when no lab is chosen.
pub fn lab_filename(params: &Params) -> Option<String> {
    match params.lab {
        Lab::None => None,
        Lab::Race => Some("race_lab.py".to_string()),
        Lab::Isolation => Some("isolation_lab.py".to_string()),
    }
}

/// A complete Python 3 script (standard library only) that runs `params`' workload under
/// `model`, prints a line per task and a summary, and ends with one `RESULT {json}` line
/// holding at least `model`, `workload`, `tasks`, `workers` and `wall_ms`.
pub fn script(params: &Params, model: Model) -> String {
    let s = Scenario::new(params, model);
    match model {
        Model::Sequential => sequential(&s),
        Model::Asyncio => asyncio(&s),
        Model::Threading => threading(&s),
        Model::Multiprocessing => multiprocessing(&s),
    }
}

/// The Python script for `params.lab`: the race lab (threads share a counter, without and
/// with a `threading.Lock`) or the isolation lab (processes each change their own copy of
/// a module-level counter; with `params.shared`, also a locked `multiprocessing.Value`).
/// `None` when no lab is chosen.
pub fn lab_script(params: &Params) -> Option<String> {
    match params.lab {
        Lab::None => None,
        Lab::Race => Some(race_lab(params)),
        Lab::Isolation => Some(isolation_lab(params)),
    }
}

/// What every model's script needs to know about the scenario.
struct Scenario<'a> {
    p: &'a Params,
    model: Model,
    /// Whether the tasks wait for I/O.
    io: bool,
    /// Whether the tasks compute.
    cpu: bool,
}

impl<'a> Scenario<'a> {
    fn new(p: &'a Params, model: Model) -> Self {
        Scenario {
            p,
            model,
            io: p.workload != Workload::Cpu,
            cpu: p.workload != Workload::Io,
        }
    }

    /// The tasks' work in words: "8 tasks that each compute for 200 ms".
    fn describe(&self) -> String {
        let (n, io, cpu) = (self.p.tasks, self.p.io_ms, self.p.cpu_ms);
        let (tasks, s) = if n == 1 {
            ("1 task that".to_string(), "s")
        } else {
            (format!("{n} tasks that each"), "")
        };
        match self.p.workload {
            Workload::Io => format!("{tasks} wait{s} {io} ms for I/O"),
            Workload::Cpu => format!("{tasks} compute{s} for {cpu} ms"),
            Workload::Mixed => format!("{tasks} wait{s} {io} ms, then compute{s} for {cpu} ms"),
        }
    }

    /// The header: title, how to run, what it prints, what the learner should see.
    fn header(&self, title: &str, expect: &[String]) -> String {
        let file = filename(self.p, self.model);
        let mut out = String::from("#!/usr/bin/env python3\n");
        let work = match self.p.workload {
            Workload::Io => "I/O-bound work",
            Workload::Cpu => "CPU-bound work",
            Workload::Mixed => "mixed work",
        };
        out += &comment("", &format!("{title} on {work}: {}.", self.describe()));
        out += "#\n";
        out += &format!("# Run it: python3 {file}   (Python 3.8+, standard library only)\n");
        out += &comment(
            "",
            "It prints a line per task with the time it finished (\"task 3 done at 412 ms\") and a summary, then a last line \"RESULT {...}\": the same figures as JSON, for the playground to read.",
        );
        for para in expect {
            out += "#\n";
            out += &comment("", para);
        }
        out
    }

    /// `import` lines: the ones every scenario needs plus `extra`, in isort's order.
    fn imports(&self, extra: &[&str]) -> String {
        let mut plain: Vec<&str> = vec!["json", "platform", "time"];
        let mut from: Vec<&str> = Vec::new();
        for line in extra {
            if line.starts_with("from ") {
                from.push(line);
            } else {
                plain.push(line);
            }
        }
        plain.sort_unstable();
        from.sort_unstable();
        let mut out = String::from("\n");
        for m in plain {
            out += &format!("import {m}\n");
        }
        for line in from {
            out += &format!("{line}\n");
        }
        out
    }

    /// The scenario's numbers as Python constants, then `extra` ones (name, value, comment).
    fn constants(&self, extra: &[(&str, String, &str)]) -> String {
        let mut out = String::from("\n");
        out += &format!("TASKS = {}  # how many tasks\n", self.p.tasks);
        if self.io {
            out += &format!(
                "IO_MS = {}  # each task waits this long for I/O (a download, a database call)\n",
                self.p.io_ms
            );
        }
        if self.cpu {
            out += &format!(
                "CPU_MS = {}  # each task computes this long: ms of single-thread work here\n",
                self.p.cpu_ms
            );
        }
        for (name, value, why) in extra {
            out += &format!("{name} = {value}  # {why}\n");
        }
        let total = match self.p.workload {
            Workload::Io => "TASKS * IO_MS",
            Workload::Cpu => "TASKS * CPU_MS",
            Workload::Mixed => "TASKS * (IO_MS + CPU_MS)",
        };
        out += &format!("ONE_AFTER_ANOTHER_MS = {total}  # the baseline for each speedup\n");
        out
    }

    /// The CPU kernel and its calibration, when the tasks compute.
    fn kernel(&self) -> &'static str {
        if self.cpu {
            KERNEL
        } else {
            ""
        }
    }

    /// The I/O wait line of a task body in this model's idiom, or nothing.
    fn wait_line(&self, indent: &str) -> String {
        if !self.io {
            return String::new();
        }
        let line = match self.model {
            Model::Sequential => {
                "time.sleep(IO_MS / 1000)  # waiting for I/O; nothing else happens"
            }
            Model::Asyncio => {
                "await asyncio.sleep(IO_MS / 1000)  # waiting: the loop runs other tasks"
            }
            Model::Threading => "time.sleep(IO_MS / 1000)  # waiting releases the GIL: others run",
            Model::Multiprocessing => "time.sleep(IO_MS / 1000)  # waiting, in this process",
        };
        format!("{indent}{line}\n")
    }

    /// The CPU work line of a task body in this model's idiom, or nothing.
    fn compute_line(&self, indent: &str) -> String {
        if !self.cpu {
            return String::new();
        }
        let line = match self.model {
            Model::Sequential => "spin(ITERS)  # computing: CPU_MS ms of work",
            Model::Asyncio if self.p.yield_ms > 0 => {
                "await compute(ITERS)  # computing, handing the loop back now and then"
            }
            Model::Asyncio => "spin(ITERS)  # computing: no await, so no other task runs meanwhile",
            Model::Threading => "spin(ITERS)  # computing holds the GIL; others get it at switches",
            Model::Multiprocessing => "spin(iters)  # computing: this process has its own GIL",
        };
        format!("{indent}{line}\n")
    }

    /// Calibration and the iteration count, at `indent`, named `ITERS_PER_MS`/`ITERS` at
    /// module level and `iters_per_ms`/`iters` inside the multiprocessing main guard.
    fn calibration(&self, indent: &str, lower: bool) -> String {
        if !self.cpu {
            return String::new();
        }
        let (per_ms, iters) = if lower {
            ("iters_per_ms", "iters")
        } else {
            ("ITERS_PER_MS", "ITERS")
        };
        let why = if lower {
            "CPU work is a fixed number of iterations: CPU_MS ms of work on this machine, measured once here in the parent and passed to every process, so that all of them do identical work."
        } else {
            "CPU work is a fixed number of iterations: CPU_MS ms of work here, measured once."
        };
        let mut out = comment(indent, why);
        out += &format!("{indent}{per_ms} = calibrate()\n");
        out += &format!("{indent}{iters} = round(CPU_MS * {per_ms})\n");
        out += &format!(
            "{indent}print(f\"calibrated: {{{per_ms}:.0f}} iterations/ms, {{{iters}}} per task\", flush=True)\n\n"
        );
        out
    }

    /// The summary line and the `RESULT` line, at `indent`, after `wall_ms` is known.
    fn finish(&self, indent: &str, workers: &str, fields: &[(&str, String)]) -> String {
        let mut out = indent_block(indent, SUMMARY);
        let mut all: Vec<(&str, String)> = vec![
            ("model", format!("\"{}\"", self.model.name())),
            ("workload", format!("\"{}\"", self.p.workload.name())),
            ("tasks", "TASKS".into()),
        ];
        if self.io {
            all.push(("io_ms", "IO_MS".into()));
        }
        if self.cpu {
            all.push(("cpu_ms", "CPU_MS".into()));
        }
        all.push(("workers", workers.into()));
        all.push(("wall_ms", "round(wall_ms, 3)".into()));
        all.push(("speedup", "round(speedup, 2)".into()));
        if self.cpu {
            let per_ms = if self.model == Model::Multiprocessing {
                "iters_per_ms"
            } else {
                "ITERS_PER_MS"
            };
            all.push(("iters_per_ms", format!("round({per_ms}, 1)")));
        }
        all.extend(fields.iter().cloned());
        all.push(("python", "platform.python_version()".into()));
        out += &result(indent, &all);
        out
    }
}

/// The CPU kernel and its calibration, shared by every script whose tasks compute.
const KERNEL: &str = r#"
MASK = (1 << 64) - 1  # the xorshift state stays 64 bits, as in the playground's kernel


def spin(iters, x=1):
    """The CPU work: iters rounds of a 64-bit xorshift, each round needing the last."""
    x |= 1
    for _ in range(iters):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
    return x


def calibrate():
    """Iterations of spin() per ms of single-thread work on this machine.

    Tasks then run a fixed number of iterations, not "loop until the clock says CPU_MS",
    so tasks that really run in parallel finish the same work sooner. The best of three
    rounds is the machine's speed: slower rounds were interrupted.
    """
    iters = 1000
    while True:  # grow a round until it lasts at least 10 ms
        start = time.perf_counter()
        spin(iters)
        if time.perf_counter() - start >= 0.01:
            break
        iters *= 2
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        spin(iters)
        best = max(best, iters / ((time.perf_counter() - start) * 1000))
    return best
"#;

/// The clock the tasks report against, for the single-process models.
const NOW_MS: &str = r#"

def now_ms():
    """Milliseconds since START, the moment the tasks were started."""
    return (time.perf_counter() - START) * 1000
"#;

/// The summary line every scenario prints before its `RESULT` line.
const SUMMARY: &str = r#"speedup = ONE_AFTER_ANOTHER_MS / wall_ms
print(
    f"{TASKS} tasks in {wall_ms:.0f} ms; one after another they take about "
    f"{ONE_AFTER_ANOTHER_MS} ms: a speedup of {speedup:.2f}x",
    flush=True,
)
"#;

/// Whether this interpreter runs with the GIL, for the threading scripts' `RESULT`.
const GIL_ENABLED: &str = r#"

def gil_enabled():
    """Whether the GIL is on: free-threaded Python run with -X gil=0 has none."""
    check = getattr(sys, "_is_gil_enabled", None)  # added in Python 3.13
    return True if check is None else check()
"#;

/// One line in one write, for output from several threads or processes at once.
const SAY: &str = r#"

def say(line):
    """Print line in one write, so lines from several threads never run together."""
    print(line + "\n", end="", flush=True)
"#;

/// The sequential baseline: a plain `for` loop.
fn sequential(s: &Scenario) -> String {
    let (n, io, cpu) = (s.p.tasks, s.p.io_ms, s.p.cpu_ms);
    let expect = match s.p.workload {
        Workload::Io => format!("What you should see: the tasks wait in turn, so the wall time is about tasks x io_ms = {} ms. This is the baseline the other models are measured against.", n * io),
        Workload::Cpu => format!("What you should see: the tasks compute in turn, so the wall time is about tasks x cpu_ms = {} ms. This is the baseline the other models are measured against.", n * cpu),
        Workload::Mixed => format!("What you should see: each task waits, then computes, and only then does the next start: the wall time is about tasks x (io_ms + cpu_ms) = {} ms. This is the baseline the other models are measured against.", n * (io + cpu)),
    };
    let mut out = s.header("One after another (sequential)", &[expect]);
    out += &s.imports(&[]);
    out += &s.constants(&[]);
    out += s.kernel();
    out += NOW_MS;
    out += "\n\ndef task(i):\n    \"\"\"One task: all of its work, then report.\"\"\"\n";
    out += &s.wait_line("    ");
    out += &s.compute_line("    ");
    out += "    print(f\"task {i} done at {now_ms():.0f} ms\", flush=True)\n\n\n";
    out += &s.calibration("", false);
    out += "START = time.perf_counter()\nfor i in range(TASKS):  # each task starts when the last has finished\n    task(i)\nwall_ms = now_ms()\n\n";
    out += &s.finish("", "1", &[]);
    out
}

/// asyncio: `async def` tasks gathered on one event loop.
fn asyncio(s: &Scenario) -> String {
    let (n, io, cpu, y) = (s.p.tasks, s.p.io_ms, s.p.cpu_ms, s.p.yield_ms);
    let yields = s.cpu && y > 0;
    let share = "Yielding shares the one thread, it does not add one";
    let expect = vec![match (s.p.workload, yields) {
        (Workload::Io, _) => format!("What you should see: the waits overlap on one thread. While one task awaits asyncio.sleep, the event loop runs the others, so the wall time is about io_ms = {io} ms, not tasks x io_ms = {} ms: concurrency without parallelism. asyncio scales this way to thousands of tasks.", n * io),
        (Workload::Cpu, false) => format!("What you should see: the CPU work has no await, so it blocks the event loop: the tasks run one after another and the wall time is about tasks x cpu_ms = {} ms, a speedup of about 1x. asyncio is for waiting, not for computing.", n * cpu),
        (Workload::Cpu, true) => format!("What you should see: each task awaits asyncio.sleep(0) every yield_ms = {y} ms of work, so the tasks take turns and finish close together near the end. {share}: the wall time is still about tasks x cpu_ms = {} ms.", n * cpu),
        (Workload::Mixed, false) => format!("What you should see: the waits overlap, then the CPU parts block the loop one after another: the wall time is about io_ms + tasks x cpu_ms = {} ms.", io + n * cpu),
        (Workload::Mixed, true) => format!("What you should see: the waits overlap; then each task awaits asyncio.sleep(0) every yield_ms = {y} ms of work, so the CPU parts take turns and the tasks finish close together near the end. {share}: the wall time is still about io_ms + tasks x cpu_ms = {} ms.", io + n * cpu),
    }];
    let mut out = s.header("asyncio", &expect);
    out += &s.imports(&["asyncio"]);
    let mut extra = Vec::new();
    if yields {
        extra.push((
            "YIELD_MS",
            y.to_string(),
            "CPU work awaits asyncio.sleep(0) every this many ms of work",
        ));
    }
    let capped = n > SHOW;
    if capped {
        extra.push((
            "SHOW",
            SHOW.to_string(),
            "print only the first tasks' lines: thousands would time the terminal",
        ));
    }
    out += &s.constants(&extra);
    out += s.kernel();
    out += NOW_MS;
    if yields {
        out += ASYNC_COMPUTE;
    }
    out += "\n\nasync def task(i):\n    \"\"\"One task, a coroutine: it runs until it awaits, then the loop runs another.\"\"\"\n";
    out += &s.wait_line("    ");
    out += &s.compute_line("    ");
    if capped {
        out += "    if i < SHOW:\n        print(f\"task {i} done at {now_ms():.0f} ms\", flush=True)\n";
    } else {
        out += "    print(f\"task {i} done at {now_ms():.0f} ms\", flush=True)\n";
    }
    out += "\n\nasync def main():\n    # gather() starts every task on this one thread and waits until all have finished.\n    await asyncio.gather(*(task(i) for i in range(TASKS)))\n\n\n";
    out += &s.calibration("", false);
    out += "START = time.perf_counter()\nasyncio.run(main())\nwall_ms = now_ms()\n";
    if capped {
        out += "print(f\"(lines for the other {TASKS - SHOW} tasks not shown)\", flush=True)\n";
    }
    out += "\n";
    let mut fields = Vec::new();
    if yields {
        fields.push(("yield_ms", "YIELD_MS".to_string()));
    }
    out += &s.finish("", "1", &fields);
    out
}

/// asyncio's cooperative CPU work: a coroutine that yields to the loop every `YIELD_MS`.
const ASYNC_COMPUTE: &str = r#"

async def compute(iters):
    """spin(iters), awaiting asyncio.sleep(0) every YIELD_MS ms of work."""
    chunk = max(1, round(YIELD_MS * ITERS_PER_MS))
    done = 0
    while done < iters:
        step = min(chunk, iters - done)
        spin(step, done)
        done += step
        await asyncio.sleep(0)  # a cooperative yield: the loop runs whoever is ready
"#;

/// threading: one `Thread` per task, or a `ThreadPoolExecutor` when there are fewer
/// threads than tasks.
fn threading(s: &Scenario) -> String {
    let (n, io, cpu) = (s.p.tasks, s.p.io_ms, s.p.cpu_ms);
    let threads = s.p.thread_count().max(1);
    let pooled = threads < n;
    let rounds = n.div_ceil(threads);
    let how = if pooled {
        format!(
            "a ThreadPoolExecutor runs the {n} tasks on {threads} threads, {threads} at a time."
        )
    } else {
        if n == 1 {
            "the one task runs on a thread of its own.".to_string()
        } else {
            format!("each of the {n} tasks runs on a thread of its own.")
        }
    };
    let free = format!("With the GIL off (free-threaded Python) the threads compute in parallel, and the wall time falls to about tasks x cpu_ms / min(threads, cores) = {} ms / min(threads, cores).", n * cpu);
    let mut expect = vec![match (s.p.workload, s.p.gil) {
        (Workload::Io, _) => format!("What you should see: {how} time.sleep releases the GIL, so while one thread waits the others run: the waits overlap and the wall time is about {rounds} x io_ms = {} ms, not tasks x io_ms = {} ms.", rounds * io, n * io),
        (Workload::Cpu, true) => format!("What you should see: {how} The GIL lets one thread run Python code at a time, so the threads take turns (at each switch interval) and the wall time is about tasks x cpu_ms = {} ms: no speedup.", n * cpu),
        (Workload::Cpu, false) => format!("What you should see: {how} {free}"),
        (Workload::Mixed, true) => format!("What you should see: {how} The waits overlap, but the GIL makes the computing take turns: the wall time is at least tasks x cpu_ms = {} ms.", n * cpu),
        (Workload::Mixed, false) => format!("What you should see: {how} The waits overlap. {free}"),
    }];
    if !s.p.gil {
        expect.push(format!("GIL off: this scenario is free-threaded Python (3.13t or later), where threads run Python code in parallel. Run it with `python3.13t\u{a0}-X\u{a0}gil=0 {file}`. Under standard CPython (3.11, 3.12, or 3.13 without the t) the script runs just the same, but the GIL is still there, so the result will still show the GIL: at least tasks x cpu_ms = {} ms. The RESULT line's \"gil\" says which you had.", n * cpu, file = filename(s.p, s.model)));
    }
    let mut out = s.header("threading", &expect);
    let mut imports = vec!["sys"];
    if pooled {
        imports.push("from concurrent.futures import ThreadPoolExecutor");
    } else {
        imports.push("threading");
    }
    out += &s.imports(&imports);
    let mut extra = Vec::new();
    if pooled {
        extra.push(("THREADS", threads.to_string(), "threads in the pool"));
    }
    let switch = s.p.switch_ms != CPYTHON_SWITCH_MS;
    if switch {
        extra.push((
            "SWITCH_MS",
            s.p.switch_ms.to_string(),
            "a thread may hold the GIL this long while another waits",
        ));
    }
    out += &s.constants(&extra);
    out += s.kernel();
    out += NOW_MS;
    out += GIL_ENABLED;
    out += SAY;
    out += "\n\ndef task(i):\n    \"\"\"One task, on one thread of this process, sharing its memory with the others.\"\"\"\n";
    out += &s.wait_line("    ");
    out += &s.compute_line("    ");
    out += "    say(f\"task {i} done at {now_ms():.0f} ms\")\n\n\n";
    if switch {
        out += "sys.setswitchinterval(SWITCH_MS / 1000)  # CPython's default is 5 ms\n";
    }
    out += &s.calibration("", false);
    out += "START = time.perf_counter()\n";
    let workers = if pooled {
        out += "with ThreadPoolExecutor(max_workers=THREADS) as pool:\n    # map() hands each task to the next free thread; list() waits for all of them.\n    list(pool.map(task, range(TASKS)))\n";
        "THREADS"
    } else {
        out += "threads = [threading.Thread(target=task, args=(i,)) for i in range(TASKS)]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()  # wait for every thread to finish\n";
        "TASKS"
    };
    out += "wall_ms = now_ms()\n\n";
    let fields = [
        ("pool", if pooled { "True" } else { "False" }.to_string()),
        ("gil", "gil_enabled()".to_string()),
        (
            "switch_ms",
            "round(sys.getswitchinterval() * 1000, 3)".to_string(),
        ),
    ];
    out += &s.finish("", workers, &fields);
    out
}

/// The Python expression for the process count: `params.processes`, or one per core.
fn processes(p: &Params) -> (String, &'static str) {
    match p.processes {
        Some(n) => (n.to_string(), "processes in the pool"),
        None => (
            "min(os.cpu_count() or 1, 16)".to_string(),
            "one process per core, at most 16",
        ),
    }
}

/// multiprocessing: a `Pool` and `pool.map`, or one `Process` per task with a `Queue`
/// for results; always under `if __name__ == "__main__":`.
fn multiprocessing(s: &Scenario) -> String {
    let (n, io, cpu, kb) = (s.p.tasks, s.p.io_ms, s.p.cpu_ms, s.p.payload_kb);
    let pooled = s.p.pool;
    let size = match (pooled, s.p.processes) {
        (false, _) => format!("{n} processes, one per task,"),
        (true, Some(p)) => format!("a pool of {p} processes"),
        (true, None) => "a pool of one process per core".to_string(),
    };
    let mut expect = vec![match s.p.workload {
        Workload::Io => format!("What you should see: it works, but each process must start (a new interpreter) and send its result back through a pipe. With {size} the waits of about io_ms = {io} ms each come with that start-up cost on top, so for waiting, threads or asyncio do the same job more cheaply."),
        Workload::Cpu => format!("What you should see: true parallelism. Each process has its own interpreter and its own GIL, so with {size} the wall time is about tasks x cpu_ms / min(processes, cores) = {} ms / min(processes, cores), plus start-up: on 2 cores, about 2x faster than one after another.", n * cpu),
        Workload::Mixed => format!("What you should see: with {size} the waits overlap and the computing runs in parallel across cores: well under tasks x (io_ms + cpu_ms) = {} ms on a machine with several cores, plus start-up.", n * (io + cpu)),
    }];
    let sends = if kb == 0 {
        "Each task sends back only its task number and finish time.".to_string()
    } else {
        format!("Each task sends {kb} KiB back to the parent.")
    };
    expect.push(format!("{sends} Processes share no memory, so results are pickled and piped: raise payload_kb to see what moving data between processes costs."));
    let mut out = s.header("multiprocessing", &expect);
    let mut imports = Vec::new();
    if pooled && s.p.processes.is_none() {
        imports.push("os"); // os.cpu_count() sizes the pool
    }
    if pooled {
        imports.push("from functools import partial");
        imports.push("from multiprocessing import Pool");
    } else {
        imports.push("from multiprocessing import Process, Queue");
    }
    out += &s.imports(&imports);
    let mut extra = Vec::new();
    let (count, why) = processes(s.p);
    if pooled {
        extra.push(("PROCESSES", count, why));
    }
    extra.push((
        "PAYLOAD_KB",
        kb.to_string(),
        "KiB each task sends back to the parent",
    ));
    out += &s.constants(&extra);
    out += s.kernel();
    let args = match (s.cpu, pooled) {
        (true, true) => "i, iters, start",
        (false, true) => "i, start",
        (true, false) => "i, iters, start, results",
        (false, false) => "i, start, results",
    };
    out += &format!("\n\ndef task({args}):\n");
    if pooled {
        out += "    \"\"\"One task, in a worker process: its work, then its result for the parent.\"\"\"\n";
    } else {
        out += "    \"\"\"One task, in a process of its own: its work, then its result for the parent.\"\"\"\n";
    }
    out += &s.wait_line("    ");
    out += &s.compute_line("    ");
    out += "    done_ms = (time.time() - start) * 1000\n";
    if pooled {
        out += &comment(
            "    ",
            "The return value is pickled and sent back to the parent through a pipe.",
        );
        out += "    return i, done_ms, bytes(PAYLOAD_KB * 1024)\n";
    } else {
        out += &comment(
            "    ",
            "A process returns nothing: its result goes back through a Queue, pickled and piped.",
        );
        out += "    results.put((i, done_ms, bytes(PAYLOAD_KB * 1024)))\n";
    }
    out += "\n\n";
    out += &comment("", "The guard is required: on Windows and macOS every new process imports this file again, and must not start processes of its own.");
    out += "if __name__ == \"__main__\":\n";
    if s.cpu {
        out += &s.calibration("    ", true);
    }
    out += &comment("    ", "time.time(), not perf_counter(): the processes stamp their times on one clock shared with the parent.");
    out += "    start = time.time()\n";
    let workers = if pooled {
        let pass = if s.cpu { "iters=iters, " } else { "" };
        out += &format!("    with Pool(processes=PROCESSES) as pool:\n{}        results = pool.map(partial(task, {pass}start=start), range(TASKS))\n",
            comment("        ", "map() hands the tasks to the processes as they free up, and returns the results in order once all are done."));
        out += POOL_RESULTS;
        "PROCESSES"
    } else {
        let call = if s.cpu {
            "i, iters, start, results"
        } else {
            "i, start, results"
        };
        out += &format!("    results = Queue()\n    processes = [\n        Process(target=task, args=({call})) for i in range(TASKS)\n    ]\n");
        out += PROCESS_RESULTS;
        "TASKS"
    };
    out += "\n";
    let fields = [
        ("pool", if pooled { "True" } else { "False" }.to_string()),
        ("payload_kb", "PAYLOAD_KB".to_string()),
        ("received_kb", "received // 1024".to_string()),
    ];
    out += &s.finish("    ", workers, &fields);
    out
}

/// The Pool version's parent, after `pool.map`: report each task and what came back.
const POOL_RESULTS: &str = r#"    wall_ms = (time.time() - start) * 1000
    received = 0
    for i, done_ms, data in results:
        received += len(data)
        print(f"task {i} done at {done_ms:.0f} ms", flush=True)
    print(f"received {received // 1024} KiB of results from the processes", flush=True)
"#;

/// The Process version's parent: start every process, take each result off the queue as
/// it arrives, then join.
const PROCESS_RESULTS: &str = r#"    for p in processes:
        p.start()
    received = 0
    # Take every result off the queue before join(): a process does not exit while its
    # data is still in the pipe.
    for _ in range(TASKS):
        i, done_ms, data = results.get()
        received += len(data)
        print(f"task {i} done at {done_ms:.0f} ms", flush=True)
    for p in processes:
        p.join()  # wait for every process to exit
    wall_ms = (time.time() - start) * 1000
    print(f"received {received // 1024} KiB of results from the processes", flush=True)
"#;

/// The race lab: threads add to one global counter, without a lock, then with one.
fn race_lab(p: &Params) -> String {
    let threads = p.thread_count().max(1);
    let inc = p.increments;
    let mut out = String::from("#!/usr/bin/env python3\n");
    out += &comment("", &format!("Race lab (threading): {threads} threads each add 1 to one shared counter {inc} times, first without a lock, then with a threading.Lock."));
    out += "#\n# Run it: python3 race_lab.py   (Python 3.8+, standard library only)\n";
    out += &comment("", "It prints, for each run, the total expected, the counter's final value and how many updates were lost, then a last line \"RESULT {...}\": the same figures as JSON, for the playground to read.");
    out += "#\n";
    out += &comment("", "What you should see: without the lock, updates are lost. Adding 1 is read, add, write; when another thread writes between one thread's read and its write, one of the two additions vanishes. How many vanish changes from run to run. With the lock, only one thread at a time is between its read and its write, and none are lost.");
    out += "#\n";
    out += &comment("", "Why `counter\u{a0}=\u{a0}increment(counter)` and not `counter\u{a0}+=\u{a0}1`: CPython 3.10 and later switch threads only at a few points, such as function calls and the end of each pass of a loop, so under the GIL a bare `counter\u{a0}+=\u{a0}1` in a loop almost never loses an update there, though nothing promises it (free-threaded Python loses many). The call between the read and the write is where a switch can land, as in real code that computes the new value.");
    if !p.gil {
        out += "#\n";
        out += &comment("", "GIL off: this scenario is free-threaded Python (3.13t or later). Run it with `python3.13t\u{a0}-X\u{a0}gil=0\u{a0}race_lab.py`; there the threads really run at once and many more updates are lost. Under standard CPython it runs the same but with the GIL; the RESULT line's \"gil\" says which you had.");
    }
    out += "\nimport json\nimport platform\nimport sys\nimport threading\nimport time\n\n";
    out += &format!("THREADS = {threads}  # threads sharing the counter\nINCREMENTS = {inc}  # times each thread adds 1\nEXPECTED = THREADS * INCREMENTS  # the total if no update were lost\n");
    let switch = p.switch_ms != CPYTHON_SWITCH_MS;
    if switch {
        out += &format!(
            "SWITCH_MS = {}  # a thread may hold the GIL this long while another waits\n",
            p.switch_ms
        );
    }
    out += RACE_BODY;
    if switch {
        out += "sys.setswitchinterval(SWITCH_MS / 1000)  # CPython's default is 5 ms\n";
    }
    out += RACE_RUN;
    out
}

/// The race lab's counter, lock and workers, after its constants.
const RACE_BODY: &str = r#"
counter = 0  # module-level: every thread reads and writes this same one
lock = threading.Lock()


def gil_enabled():
    """Whether the GIL is on: free-threaded Python run with -X gil=0 has none."""
    check = getattr(sys, "_is_gil_enabled", None)  # added in Python 3.13
    return True if check is None else check()


def increment(value):
    """The 'add' of read, add, write: the new value of the counter."""
    return value + 1


def add_unlocked(n):
    """Add 1 to the counter n times, with nothing stopping another thread midway."""
    global counter
    for _ in range(n):
        counter = increment(counter)  # another thread may write between read and write


def add_locked(n):
    """Add 1 to the counter n times, holding the lock from the read to the write."""
    global counter
    for _ in range(n):
        with lock:
            counter = increment(counter)


def run(target):
    """Start THREADS threads running target, wait for all, return the final counter."""
    global counter
    counter = 0
    threads = [
        threading.Thread(target=target, args=(INCREMENTS,)) for _ in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counter


"#;

/// The race lab's two runs, summary and `RESULT` line.
const RACE_RUN: &str = r#"start = time.perf_counter()
unlocked = run(add_unlocked)
print(f"no lock:   expected {EXPECTED}, got {unlocked}, lost {EXPECTED - unlocked}")
locked = run(add_locked)
print(f"with lock: expected {EXPECTED}, got {locked}, lost {EXPECTED - locked}")
wall_ms = (time.perf_counter() - start) * 1000

result = {
    "model": "threading",
    "lab": "race",
    "workers": THREADS,
    "increments": INCREMENTS,
    "expected": EXPECTED,
    "unlocked": unlocked,
    "lost_unlocked": EXPECTED - unlocked,
    "locked": locked,
    "lost_locked": EXPECTED - locked,
    "wall_ms": round(wall_ms, 1),
    "gil": gil_enabled(),
    "switch_ms": round(sys.getswitchinterval() * 1000, 3),
    "python": platform.python_version(),
}
print("RESULT " + json.dumps(result), flush=True)
"#;

/// The isolation lab: processes change their own copy of a module-level counter; with
/// `shared`, also a `multiprocessing.Value` under its lock.
fn isolation_lab(p: &Params) -> String {
    let inc = p.increments;
    let (count, why) = processes(p);
    let mut out = String::from("#!/usr/bin/env python3\n");
    let title = if p.shared {
        format!("Isolation lab (multiprocessing): processes each add 1 to a module-level counter {inc} times, and then to a shared multiprocessing.Value under its lock.")
    } else {
        format!("Isolation lab (multiprocessing): processes each add 1 to a module-level counter {inc} times.")
    };
    out += &comment("", &title);
    out += "#\n# Run it: python3 isolation_lab.py   (Python 3.8+, standard library only)\n";
    out += &comment("", "It prints each process's own counter, then the parent's, then a last line \"RESULT {...}\": the same figures as JSON, for the playground to read.");
    out += "#\n";
    out += &comment("", "What you should see: every process ends with its own counter at INCREMENTS, and the parent's is still 0. Each process has its own memory, with its own copy of every module-level variable, so processes cannot race on them, and cannot share results through them either.");
    if p.shared {
        out += "#\n";
        out += &comment("", "Then a multiprocessing.Value, which lives in memory the processes do share: every process's additions land in it, and its lock keeps them from racing, so it ends at PROCESSES x INCREMENTS.");
    }
    out += "\nimport json\nimport os\nimport platform\nimport time\n";
    out += if p.shared {
        "from multiprocessing import Process, Value\n\n"
    } else {
        "from multiprocessing import Process\n\n"
    };
    out +=
        &format!("PROCESSES = {count}  # {why}\nINCREMENTS = {inc}  # times each process adds 1\n");
    out += ISOLATION_OWN;
    if p.shared {
        out += ISOLATION_SHARED;
    }
    out += ISOLATION_MAIN;
    if p.shared {
        out += ISOLATION_MAIN_SHARED;
    } else {
        out += "    shared_counter = None\n";
    }
    out += ISOLATION_RESULT;
    out += &format!(
        "        \"shared\": {},\n",
        if p.shared { "True" } else { "False" }
    );
    out += ISOLATION_END;
    out
}

/// The isolation lab's module-level counter and the worker that changes its own copy.
const ISOLATION_OWN: &str = r#"
counter = 0  # module-level: each process has its own copy


def add_to_own_copy(n):
    """Add 1 to this process's counter n times, and say what it became."""
    global counter
    for _ in range(n):
        counter += 1
    # One write for the whole line, so lines from several processes never run together.
    line = f"process {os.getpid()}: its own counter is now {counter}\n"
    print(line, end="", flush=True)
"#;

/// The isolation lab's worker for the shared `multiprocessing.Value`.
const ISOLATION_SHARED: &str = r#"

def add_to_shared(shared, n):
    """Add 1 to the shared Value n times, each under the Value's own lock."""
    for _ in range(n):
        # += on a Value is read, add, write: holding its lock makes that one step.
        with shared.get_lock():
            shared.value += 1
"#;

/// The isolation lab's main guard: the module-level counter run.
const ISOLATION_MAIN: &str = r#"

def run(target, *args):
    """Start PROCESSES processes running target(*args, INCREMENTS) and wait for all."""
    processes = [
        Process(target=target, args=(*args, INCREMENTS)) for _ in range(PROCESSES)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()


# The guard is required: on Windows and macOS every new process imports this file again,
# and must not start processes of its own.
if __name__ == "__main__":
    start = time.perf_counter()
    run(add_to_own_copy)
    print(
        f"parent: {PROCESSES} processes each added {INCREMENTS}, "
        f"and the parent's counter is {counter}",
        flush=True,
    )
"#;

/// The isolation lab's shared `Value` run, inside the main guard.
const ISOLATION_MAIN_SHARED: &str = r#"    shared = Value("i", 0)  # an int in memory the processes share, with a lock
    run(add_to_shared, shared)
    shared_counter = shared.value
    print(
        f"shared Value: expected {PROCESSES * INCREMENTS}, got {shared_counter}",
        flush=True,
    )
"#;

/// The start of the isolation lab's `RESULT`.
const ISOLATION_RESULT: &str = r#"    wall_ms = (time.perf_counter() - start) * 1000

    result = {
        "model": "multiprocessing",
        "lab": "isolation",
        "workers": PROCESSES,
        "increments": INCREMENTS,
        "parent_counter": counter,
        "expected_shared": PROCESSES * INCREMENTS,
"#;

/// The end of the isolation lab's `RESULT`.
const ISOLATION_END: &str = r#"        "shared_counter": shared_counter,
        "wall_ms": round(wall_ms, 1),
        "python": platform.python_version(),
    }
    print("RESULT " + json.dumps(result), flush=True)
"#;

/// `text` as `#` comment lines at `indent`, wrapped to [`WIDTH`] columns; a no-break
/// space (U+00A0) joins words that must stay on one line, and is written as a space.
fn comment(indent: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    // A number stays on the line of its unit: "1600 ms", never "1600" then "ms".
    let mut glued = String::with_capacity(text.len());
    let mut last = ' ';
    for (i, c) in text.char_indices() {
        let unit = text[i..].starts_with(" ms") || text[i..].starts_with(" KiB");
        glued.push(if c == ' ' && last.is_ascii_digit() && unit {
            '\u{a0}'
        } else {
            c
        });
        last = c;
    }
    // Not split_whitespace(): that would also split at the no-break spaces.
    for word in glued.split([' ', '\n']).filter(|w| !w.is_empty()) {
        let width = indent.len() + 2 + line.chars().count() + 1 + word.chars().count();
        if !line.is_empty() && width > WIDTH {
            out += &format!("{indent}# {}\n", line.replace('\u{a0}', " "));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out += &format!("{indent}# {}\n", line.replace('\u{a0}', " "));
    }
    out
}

/// Every non-empty line of `code` prefixed with `indent`.
fn indent_block(indent: &str, code: &str) -> String {
    code.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{indent}{l}\n")
            }
        })
        .collect()
}

/// A `result` dict of `fields` (key, Python expression) and the `RESULT` line, at `indent`.
fn result(indent: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("{indent}result = {{\n");
    for (key, value) in fields {
        out += &format!("{indent}    \"{key}\": {value},\n");
    }
    out += &format!("{indent}}}\n{indent}print(\"RESULT \" + json.dumps(result), flush=True)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Mutex, OnceLock};

    /// One script at a time: the timing checks must not compete with each other for cores.
    static SERIAL: Mutex<()> = Mutex::new(());
    /// Makes each run's temporary directory unique within this test process.
    static RUNS: AtomicU32 = AtomicU32::new(0);

    /// What one run of a script printed.
    struct Run {
        /// Everything on stdout.
        stdout: String,
        /// The last line, `RESULT {...}`.
        result: String,
        /// `wall_ms` from the RESULT line.
        wall_ms: f64,
    }

    impl Run {
        /// Lines reporting a finished task.
        fn task_lines(&self) -> usize {
            self.stdout
                .lines()
                .filter(|l| l.starts_with("task ") && l.contains(" done at "))
                .count()
        }

        /// The raw JSON value of `key` in the RESULT line.
        fn field(&self, key: &str) -> &str {
            let tag = format!("\"{key}\": ");
            let start = self
                .result
                .find(&tag)
                .map(|i| i + tag.len())
                .unwrap_or_else(|| panic!("no {key} in {}", self.result));
            let rest = &self.result[start..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end].trim()
        }
    }

    /// The interpreter `python3` on PATH resolves to, found once: launching through a
    /// version manager's shim (pyenv) costs a tenth of a second per run. `None`, with a
    /// note saying the runs are skipped, when there is no python3.
    fn python() -> Option<&'static PathBuf> {
        static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
        PYTHON
            .get_or_init(|| {
                let out = Command::new("python3")
                    .args(["-c", "import sys; print(sys.executable)"])
                    .output();
                match out {
                    Ok(out) if out.status.success() => {
                        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
                        Some(PathBuf::from(if path.is_empty() {
                            "python3"
                        } else {
                            &path
                        }))
                    }
                    _ => {
                        eprintln!(
                            "note: python3 is not on PATH; skipping the runs of generated scripts"
                        );
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Runs `code` as `python3 <name>` in a fresh temporary directory and checks that it
    /// exits 0 and ends with a well-formed RESULT line; `None` only if python3 is missing.
    fn run(name: &str, code: &str) -> Option<Run> {
        let python = python()?;
        let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir: PathBuf = std::env::temp_dir().join(format!(
            "concurrency-playground-python-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        std::fs::write(dir.join(name), code).expect("write script");
        let out = Command::new(python)
            .arg(name)
            .current_dir(&dir)
            .output()
            .expect("start python3");
        let _ = std::fs::remove_dir_all(&dir);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{name} failed ({}):\n{stdout}\n{stderr}\n--- script ---\n{code}",
            out.status
        );
        let result = stdout.lines().last().unwrap_or_default().to_string();
        assert!(
            result.starts_with("RESULT {")
                && result.ends_with('}')
                && result.contains("\"wall_ms\":"),
            "{name}: last line is not a RESULT line:\n{stdout}"
        );
        let mut run = Run {
            stdout,
            result,
            wall_ms: 0.0,
        };
        run.wall_ms = run.field("wall_ms").parse().expect("wall_ms is a number");
        assert!(run.wall_ms > 0.0, "{name}: {}", run.result);
        Some(run)
    }

    /// A small scenario: 3 tasks of 20 ms, so the whole suite stays fast.
    fn small(workload: Workload) -> Params {
        Params {
            workload,
            tasks: 3,
            io_ms: 20,
            cpu_ms: 20,
            ..Params::default()
        }
    }

    /// Runs `model`'s script for `p` and checks the fields every scenario's RESULT carries.
    fn run_scenario(p: &Params, model: Model) -> Option<Run> {
        let run = run(&filename(p, model), &script(p, model))?;
        assert_eq!(run.field("model"), format!("\"{}\"", model.name()));
        assert_eq!(run.field("workload"), format!("\"{}\"", p.workload.name()));
        assert_eq!(run.field("tasks"), p.tasks.to_string());
        run.field("workers");
        Some(run)
    }

    /// The CPU part of a run, ms, if the tasks really took turns on one core.
    fn serial_cpu_ms(p: &Params) -> f64 {
        f64::from(p.tasks * p.workload.cpu_ms(p))
    }

    /// The sequential script runs every workload, reports each task, and its I/O run takes
    /// at least tasks x io_ms (the waits cannot overlap in a plain for loop).
    #[test]
    fn sequential_runs_every_workload() {
        for &workload in Workload::ALL {
            let p = small(workload);
            let Some(run) = run_scenario(&p, Model::Sequential) else {
                return;
            };
            assert_eq!(run.task_lines(), 3, "{}", run.stdout);
            let io = f64::from(p.tasks * workload.io_ms(&p));
            assert!(run.wall_ms >= io, "{workload:?}: {}", run.result);
            assert!(
                run.wall_ms >= 0.5 * serial_cpu_ms(&p),
                "{workload:?}: {}",
                run.result
            );
        }
    }

    /// asyncio overlaps the waits (I/O wall time under tasks x io_ms) but its CPU work
    /// blocks the loop (CPU wall time about tasks x cpu_ms); mixed runs too.
    #[test]
    fn asyncio_overlaps_io_and_serialises_cpu() {
        let io = Params {
            tasks: 4,
            io_ms: 40,
            ..small(Workload::Io)
        };
        let Some(run) = run_scenario(&io, Model::Asyncio) else {
            return;
        };
        assert_eq!(run.task_lines(), 4, "{}", run.stdout);
        assert!(run.wall_ms < 160.0, "waits should overlap: {}", run.result);
        for workload in [Workload::Cpu, Workload::Mixed] {
            let p = small(workload);
            let Some(run) = run_scenario(&p, Model::Asyncio) else {
                return;
            };
            assert_eq!(run.task_lines(), 3, "{}", run.stdout);
            assert!(
                run.wall_ms >= 0.5 * serial_cpu_ms(&p),
                "{workload:?}: {}",
                run.result
            );
        }
    }

    /// With yield_ms, asyncio CPU work awaits asyncio.sleep(0) between chunks, still takes
    /// about tasks x cpu_ms, and many tasks print only the first lines.
    #[test]
    fn asyncio_yields_and_caps_its_output() {
        let p = Params {
            yield_ms: 5,
            ..small(Workload::Cpu)
        };
        let code = script(&p, Model::Asyncio);
        assert!(code.contains("await asyncio.sleep(0)"), "{code}");
        let Some(run) = run(&filename(&p, Model::Asyncio), &code) else {
            return;
        };
        assert_eq!(run.field("yield_ms"), "5");
        assert!(run.wall_ms >= 0.5 * serial_cpu_ms(&p), "{}", run.result);

        let many = Params {
            tasks: 1000,
            io_ms: 50,
            ..small(Workload::Io)
        };
        let Some(run) = run_scenario(&many, Model::Asyncio) else {
            return;
        };
        assert_eq!(run.task_lines(), SHOW as usize, "{}", run.stdout);
        assert!(
            run.wall_ms < 1000.0,
            "1000 waits of 50 ms overlap: {}",
            run.result
        );
    }

    /// One Thread per task when there are enough threads: waits overlap, and under the GIL
    /// CPU work takes turns (about tasks x cpu_ms).
    #[test]
    fn threading_one_thread_per_task() {
        for &workload in Workload::ALL {
            let p = Params {
                tasks: 4,
                io_ms: 40,
                ..small(workload)
            };
            let code = script(&p, Model::Threading);
            assert!(
                code.contains("threading.Thread(target=task, args=(i,))"),
                "{code}"
            );
            assert!(!code.contains("ThreadPoolExecutor"), "{code}");
            let Some(run) = run_scenario(&p, Model::Threading) else {
                return;
            };
            assert_eq!(run.task_lines(), 4, "{}", run.stdout);
            assert_eq!(run.field("workers"), "4");
            if workload == Workload::Io {
                assert!(run.wall_ms < 160.0, "waits should overlap: {}", run.result);
            }
            assert!(
                run.wall_ms >= 0.5 * serial_cpu_ms(&p),
                "{workload:?}: {}",
                run.result
            );
        }
    }

    /// Fewer threads than tasks use a ThreadPoolExecutor of that size: 4 waits on 2 threads
    /// take two rounds, and every workload runs.
    #[test]
    fn threading_pool_when_threads_are_fewer() {
        for &workload in Workload::ALL {
            let p = Params {
                tasks: 4,
                io_ms: 40,
                threads: Some(2),
                ..small(workload)
            };
            let code = script(&p, Model::Threading);
            assert!(
                code.contains("ThreadPoolExecutor(max_workers=THREADS)"),
                "{code}"
            );
            let Some(run) = run_scenario(&p, Model::Threading) else {
                return;
            };
            assert_eq!(run.task_lines(), 4, "{}", run.stdout);
            assert_eq!(run.field("workers"), "2");
            if workload == Workload::Io {
                assert!(run.wall_ms >= 80.0, "two rounds of waits: {}", run.result);
                assert!(run.wall_ms < 160.0, "waits should overlap: {}", run.result);
            }
        }
    }

    /// GIL off adds the free-threading note and still runs on standard CPython; a switch
    /// interval other than 5 ms is set and reported, and the default one is left alone.
    #[test]
    fn threading_gil_off_and_switch_interval() {
        let p = Params {
            gil: false,
            switch_ms: 1,
            ..small(Workload::Cpu)
        };
        let code = script(&p, Model::Threading);
        assert!(code.contains("python3.13t -X gil=0"), "{code}");
        assert!(
            code.contains("sys.setswitchinterval(SWITCH_MS / 1000)"),
            "{code}"
        );
        let Some(run) = run_scenario(&p, Model::Threading) else {
            return;
        };
        assert_eq!(run.field("switch_ms"), "1.0");
        assert!(!script(&small(Workload::Cpu), Model::Threading).contains("setswitchinterval"));
    }

    /// A Pool of processes runs every workload under the main guard, and each task's
    /// payload reaches the parent.
    #[test]
    fn multiprocessing_pool() {
        for &workload in Workload::ALL {
            let p = Params {
                pool: true,
                processes: Some(2),
                payload_kb: 4,
                ..small(workload)
            };
            let code = script(&p, Model::Multiprocessing);
            assert!(code.contains("if __name__ == \"__main__\":"), "{code}");
            assert!(code.contains("pool.map("), "{code}");
            let Some(run) = run_scenario(&p, Model::Multiprocessing) else {
                return;
            };
            assert_eq!(run.task_lines(), 3, "{}", run.stdout);
            assert_eq!(run.field("workers"), "2");
            assert_eq!(run.field("received_kb"), "12");
            assert!(
                run.wall_ms >= f64::from(workload.io_ms(&p)),
                "{}",
                run.result
            );
        }
    }

    /// The default pool size is one process per core (at most 16), computed by the script.
    #[test]
    fn multiprocessing_pool_defaults_to_cores() {
        let p = Params {
            processes: None,
            ..small(Workload::Cpu)
        };
        let code = script(&p, Model::Multiprocessing);
        assert!(
            code.contains("PROCESSES = min(os.cpu_count() or 1, 16)"),
            "{code}"
        );
        let Some(run) = run_scenario(&p, Model::Multiprocessing) else {
            return;
        };
        let workers: u32 = run.field("workers").parse().expect("a number");
        assert!((1..=16).contains(&workers), "{}", run.result);
    }

    /// One Process per task (pool off) starts and joins every process, and the results
    /// come back through a Queue.
    #[test]
    fn multiprocessing_process_per_task() {
        for &workload in Workload::ALL {
            let p = Params {
                pool: false,
                payload_kb: 2,
                ..small(workload)
            };
            let code = script(&p, Model::Multiprocessing);
            assert!(code.contains("Process(target=task"), "{code}");
            assert!(!code.contains("Pool"), "{code}");
            let Some(run) = run_scenario(&p, Model::Multiprocessing) else {
                return;
            };
            assert_eq!(run.task_lines(), 3, "{}", run.stdout);
            assert_eq!(run.field("workers"), "3");
            assert_eq!(run.field("received_kb"), "6");
        }
    }

    /// The race lab runs both versions; with the lock no update is lost, and the totals add up.
    #[test]
    fn race_lab_locks_lose_nothing() {
        let p = Params {
            lab: Lab::Race,
            tasks: 4,
            increments: 50_000,
            ..Params::default()
        };
        let code = lab_script(&p).expect("a race lab");
        assert!(code.contains("threading.Lock()"), "{code}");
        let Some(run) = run("race_lab.py", &code) else {
            return;
        };
        assert_eq!(run.field("expected"), "200000");
        assert_eq!(run.field("lost_locked"), "0");
        let lost: u64 = run.field("lost_unlocked").parse().expect("a number");
        let got: u64 = run.field("unlocked").parse().expect("a number");
        assert_eq!(lost + got, 200_000);
    }

    /// The isolation lab leaves the parent's counter at 0; with shared on, the locked
    /// Value collects every process's additions.
    #[test]
    fn isolation_lab_parent_unchanged() {
        for shared in [false, true] {
            let p = Params {
                lab: Lab::Isolation,
                processes: Some(2),
                increments: 2_000,
                shared,
                ..Params::default()
            };
            let code = lab_script(&p).expect("an isolation lab");
            assert_eq!(code.contains("Value(\"i\", 0)"), shared, "{code}");
            let Some(run) = run("isolation_lab.py", &code) else {
                return;
            };
            assert_eq!(run.field("parent_counter"), "0");
            let own = run
                .stdout
                .lines()
                .filter(|l| l.ends_with("its own counter is now 2000"))
                .count();
            assert_eq!(own, 2, "{}", run.stdout);
            let expected = if shared { "4000" } else { "null" };
            assert_eq!(run.field("shared_counter"), expected);
        }
    }

    /// One task with no wait and no work runs under every model: no division by zero, and
    /// the singular reads "1 task that waits".
    #[test]
    fn one_empty_task_runs_everywhere() {
        let p = Params {
            tasks: 1,
            io_ms: 0,
            cpu_ms: 0,
            pool: false,
            ..small(Workload::Mixed)
        };
        for &model in Model::ALL {
            let code = script(&p, model);
            assert!(
                code.contains("1 task that waits 0 ms, then computes"),
                "{code}"
            );
            let Some(run) = run_scenario(&p, model) else {
                return;
            };
            assert_eq!(run.task_lines(), 1, "{}", run.stdout);
        }
    }

    /// No lab, no lab script; file names follow the model and workload.
    #[test]
    fn names_and_no_lab() {
        assert_eq!(lab_script(&Params::default()), None);
        assert_eq!(lab_filename(&Params::default()), None);
        let p = small(Workload::Cpu);
        assert_eq!(filename(&p, Model::Asyncio), "asyncio_cpu.py");
        assert!(script(&p, Model::Asyncio).contains("python3 asyncio_cpu.py"));
    }

    /// Every generated line fits in 88 columns (black's width) and has no tab or trailing space, so the
    /// script reads cleanly wherever it is shown.
    #[test]
    fn scripts_are_tidy() {
        let mut all = Vec::new();
        for &model in Model::ALL {
            for &workload in Workload::ALL {
                for (pool, gil, yield_ms) in [(true, true, 0), (false, false, 10)] {
                    let p = Params {
                        pool,
                        gil,
                        yield_ms,
                        threads: Some(3),
                        ..Params::default().with_workload(workload)
                    };
                    all.push(script(&p, model));
                }
            }
        }
        for (lab, shared) in [
            (Lab::Race, false),
            (Lab::Isolation, true),
            (Lab::Isolation, false),
        ] {
            let p = Params {
                lab,
                shared,
                gil: false,
                switch_ms: 2,
                ..Params::default()
            };
            all.extend(lab_script(&p));
        }
        let untidy: Vec<&str> = all
            .iter()
            .flat_map(|code| code.lines())
            .filter(|l| l.chars().count() > WIDTH || l.contains('\t') || *l != l.trim_end())
            .collect();
        assert!(untidy.is_empty(), "untidy lines: {untidy:#?}");
    }
}
