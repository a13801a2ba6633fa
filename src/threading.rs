//! Model 2, threading: tasks on a rayon pool over one shared memory, with or without a GIL.
//!
//! The threads are real: natively OS threads, in the browser's threads build Web Workers
//! started by wasm-bindgen-rayon over one shared `WebAssembly.Memory`. The caller sizes the
//! pool (`Params::thread_count`) and calls in from outside it, the way a
//! `ThreadPoolExecutor(max_workers=n)` is made before tasks are submitted.
//!
//! Each task behaves like a Python function run by a thread:
//!
//! - I/O is `time.sleep`: the thread blocks for real and, as CPython's `time.sleep` does,
//!   lets go of the GIL while it waits, so other threads run meanwhile;
//! - CPU work is the calibrated kernel, run in chunks; with the GIL on, only the holder
//!   computes, and between chunks it makes CPython's forced-switch check ([`crate::gil`]).
//!
//! The race lab ([`race_lab`]) is the other half of the story: what the GIL does and does
//! not protect when threads share one counter.

use crate::clock::now_ms;
use crate::gil::Gil;
use crate::params::{Params, Workload};
use crate::trace::{State, Trace};
use crate::workload::Kernel;
use rayon::prelude::*;
use serde::Serialize;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Run `params.tasks` tasks of `params.workload` on the current rayon pool and trace them.
///
/// `origin_ms` is the absolute time ([`now_ms`]) the run began, as the caller measured it,
/// so spans the caller records (say, starting the pool) share this trace's timeline.
/// Call it from outside the pool (tasks then go to the global pool) or inside
/// `pool.install`; either way it blocks until every task is done.
///
/// There is one lane per pool thread, `thread 0` to `thread n-1`, all created up front so
/// a lane's index is its thread's index. A task's consecutive chunks of work make one
/// `running` span; it is split only where the GIL changed hands.
pub fn run_tasks(params: &Params, kernel: Kernel, origin_ms: f64) -> Trace {
    let mut trace = Trace::new(origin_ms);
    for i in 0..rayon::current_num_threads() {
        trace.lane(&format!("thread {i}"));
    }
    let gil = params.gil.then(|| Gil::new(f64::from(params.switch_ms)));
    let job = Job {
        io: params.workload != Workload::Cpu,
        io_ms: params.workload.io_ms(params),
        cpu: params.workload != Workload::Io,
        cpu_ms: params.workload.cpu_ms(params),
        kernel,
        gil: gil.as_ref(),
    };
    let records = Mutex::new(Vec::new());
    // FIFO, so tasks start in the order they were submitted, as from the queue of a
    // ThreadPoolExecutor: under plain `scope` the submitting pool thread pops its own
    // spawns last-in first-out and would start with the last task. Either way idle
    // threads pick tasks up at once.
    rayon::scope_fifo(|s| {
        for task in 0..params.tasks {
            let (job, records) = (&job, &records);
            s.spawn_fifo(move |_| {
                let mine = job.run(task);
                records
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(mine);
            });
        }
    });
    let end = now_ms();
    let mut records = records.into_inner().unwrap_or_else(PoisonError::into_inner);
    records.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.lane.cmp(&b.lane)));
    for r in records {
        trace.record(r.lane, Some(r.task), r.state, r.start, r.end);
    }
    trace.finish(end);
    trace
}

/// One span as a task thread measured it, in absolute ms, before it joins the trace.
struct Record {
    lane: u32,
    task: u32,
    state: State,
    start: f64,
    end: f64,
}

/// What every task of one run does.
struct Job<'a> {
    io: bool,
    io_ms: u32,
    cpu: bool,
    cpu_ms: u32,
    kernel: Kernel,
    gil: Option<&'a Gil>,
}

impl Job<'_> {
    /// Run task `task` on this pool thread and return its spans.
    fn run(&self, task: u32) -> Vec<Record> {
        // Spawned jobs always run on a pool thread, so the index is there.
        let lane = rayon::current_thread_index().unwrap_or(0) as u32;
        let mut out = Vec::new();
        let mut record = |state, start, end| {
            out.push(Record {
                lane,
                task,
                state,
                start,
                end,
            })
        };
        if self.io {
            // time.sleep releases the GIL, so the wait needs no lock at all.
            let start = now_ms();
            std::thread::sleep(Duration::from_millis(u64::from(self.io_ms)));
            record(State::IoWait, start, now_ms());
        }
        if self.cpu {
            let ms = f64::from(self.cpu_ms);
            match self.gil {
                None => {
                    let start = now_ms();
                    black_box(self.kernel.work(ms, |_| true));
                    record(State::Running, start, now_ms());
                }
                Some(gil) => self.compute_under(gil, ms, &mut record),
            }
        }
        out
    }

    /// The CPU phase under the GIL: wait for it, compute, hand it over when forced.
    fn compute_under(&self, gil: &Gil, ms: f64, record: &mut impl FnMut(State, f64, f64)) {
        let mut guard = gil.acquire();
        let first = guard.wait();
        if first.blocked {
            record(State::GilWait, first.asked_ms, first.got_ms);
        }
        let total = self.kernel.iters_for(ms);
        let mut running_since = first.got_ms;
        black_box(self.kernel.work(ms, |done| {
            // No switch after the last chunk: the task is about to let go anyway.
            if done < total {
                if let Some(w) = guard.maybe_switch() {
                    record(State::Running, running_since, w.asked_ms);
                    record(State::GilWait, w.asked_ms, w.got_ms);
                    running_since = w.got_ms;
                }
            }
            true
        }));
        // Measured before the guard drops, so the next holder's span starts after it.
        record(State::Running, running_since, now_ms());
        drop(guard);
    }
}

/// The sum of `0..n` computed on the current rayon pool, to prove the pool's threads
/// really share memory (in the browser: that the workers started and the module is shared).
///
/// The sum must fit in a `u64`: `n` up to about 6 x 10^9.
pub fn parallel_sum(n: u64) -> u64 {
    (0..n).into_par_iter().sum()
}

/// Threads in the current rayon pool (the global pool when called from outside any pool).
pub fn pool_threads() -> usize {
    rayon::current_num_threads()
}

/// The race lab's result: one shared counter, added to three ways.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RaceReport {
    /// Threads that added to the counter.
    pub threads: u32,
    /// Increments each thread made.
    pub increments: u32,
    /// Whether every way ran under a GIL.
    pub gil: bool,
    /// The GIL's switch interval, ms.
    pub switch_ms: f64,
    /// One result per way, in the order `unsynchronised`, `mutex`, `atomic`.
    pub ways: Vec<RaceWay>,
}

/// How one way of adding to the counter came out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RaceWay {
    /// `unsynchronised`, `mutex` or `atomic`.
    pub way: &'static str,
    /// What the counter should read: threads x increments.
    pub expected: u64,
    /// What it read at the end (`final` in JS; `final` is reserved in Rust).
    #[serde(rename = "final")]
    pub final_count: u64,
    /// Updates lost to the race: `expected - final`.
    pub lost: u64,
    /// Wall time of this way, ms.
    pub ms: f64,
}

/// The ways the race lab adds to the counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// `counter += 1`: read, then write, with nothing in between to stop another thread.
    Unsynchronised,
    /// `with lock: counter += 1`.
    Mutex,
    /// One indivisible read-modify-write (`fetch_add`).
    Atomic,
}

impl Way {
    const ALL: [Way; 3] = [Way::Unsynchronised, Way::Mutex, Way::Atomic];

    fn name(self) -> &'static str {
        match self {
            Way::Unsynchronised => "unsynchronised",
            Way::Mutex => "mutex",
            Way::Atomic => "atomic",
        }
    }
}

/// `threads` threads each add 1 to one shared counter `increments` times, three ways:
/// unsynchronised (a load, then a separate store), under a `Mutex`, and with `fetch_add`.
///
/// The threads are spawned on the current rayon pool, which the caller sizes to at least
/// `threads`: a smaller pool runs some of them one after another and hides the race.
///
/// With `gil` on, every way runs under a [`Gil`] that switches every `switch_ms`, and the
/// switch check comes only between whole increments. That is where CPython 3.10+ checks
/// too (at backward jumps and calls, never between the load and the store of
/// `counter += 1`), which is why `counter += 1` in threads loses no updates there: 4
/// threads x 1,000,000 in a `for` loop gave exactly 4,000,000 on CPython 3.10, 3.11, 3.12
/// and 3.13 (GIL builds), while 3.9, which could switch between the load and the store,
/// lost 1.8 to 2.4 million. That is an accident of the interpreter, not a guarantee of
/// the language. Without the GIL the threads run truly in parallel, and the
/// unsynchronised way loses updates as soon as two of them run on different cores (as
/// on free-threaded Python).
pub fn race_lab(threads: u32, increments: u32, gil: bool, switch_ms: f64) -> RaceReport {
    let ways = Way::ALL
        .iter()
        .map(|&way| {
            let lock = gil.then(|| Gil::new(switch_ms));
            race(way, threads, increments, lock.as_ref())
        })
        .collect();
    RaceReport {
        threads,
        increments,
        gil,
        switch_ms,
        ways,
    }
}

/// One way of the race lab.
fn race(way: Way, threads: u32, increments: u32, gil: Option<&Gil>) -> RaceWay {
    let counter = AtomicU64::new(0);
    let locked = Mutex::new(0u64);
    let start_line = StartLine::new(threads);
    let start = now_ms();
    rayon::scope(|s| {
        for _ in 0..threads {
            let (counter, locked, start_line) = (&counter, &locked, &start_line);
            s.spawn(move |_| {
                start_line.wait();
                let mut guard = gil.map(Gil::acquire);
                for _ in 0..increments {
                    match way {
                        Way::Unsynchronised => {
                            let value = counter.load(Ordering::Relaxed);
                            // Widen the window between the read and the write, as the
                            // bytecodes between LOAD_GLOBAL and STORE_GLOBAL do.
                            std::hint::spin_loop();
                            counter.store(black_box(value) + 1, Ordering::Relaxed);
                        }
                        Way::Mutex => {
                            *locked.lock().unwrap_or_else(PoisonError::into_inner) += 1;
                        }
                        Way::Atomic => {
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    // The GIL changes hands only between whole increments.
                    if let Some(g) = guard.as_mut() {
                        g.maybe_switch();
                    }
                }
                drop(guard);
            });
        }
    });
    let ms = now_ms() - start;
    let final_count = match way {
        Way::Mutex => locked.into_inner().unwrap_or_else(PoisonError::into_inner),
        _ => counter.into_inner(),
    };
    let expected = u64::from(threads) * u64::from(increments);
    RaceWay {
        way: way.name(),
        expected,
        final_count,
        // A lost-update race can only lose increments, never invent them: every store
        // writes one more than a value some earlier store wrote.
        lost: expected.saturating_sub(final_count),
        ms,
    }
}

/// A start line for the race: threads wait until all have arrived, so they really run at
/// the same time instead of one finishing before the next has woken up.
struct StartLine {
    arrived: AtomicU32,
    expected: u32,
    /// Stop waiting at this absolute time: a busy or undersized pool must never hang.
    give_up_ms: f64,
}

impl StartLine {
    fn new(threads: u32) -> StartLine {
        // In a pool with fewer threads than racers some racers cannot start until others
        // finish, so waiting for them all would only burn the time-out.
        let fits = rayon::current_num_threads() >= threads as usize;
        StartLine {
            arrived: AtomicU32::new(0),
            expected: if fits { threads } else { 0 },
            give_up_ms: now_ms() + 100.0,
        }
    }

    fn wait(&self) {
        self.arrived.fetch_add(1, Ordering::SeqCst);
        while self.arrived.load(Ordering::SeqCst) < self.expected && now_ms() < self.give_up_ms {
            std::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Span;
    use std::sync::OnceLock;

    /// This machine's kernel, calibrated once for all tests.
    fn kernel() -> Kernel {
        static KERNEL: OnceLock<Kernel> = OnceLock::new();
        *KERNEL.get_or_init(Kernel::calibrate)
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
    }

    fn scenario(workload: Workload, tasks: u32, gil: bool) -> Params {
        Params {
            workload,
            tasks,
            io_ms: 50,
            cpu_ms: 40,
            gil,
            switch_ms: 2,
            ..Params::default()
        }
    }

    /// Run `params` on a fresh pool of `threads` threads, as the browser's host worker does.
    fn run_on(threads: usize, params: &Params) -> Trace {
        pool(threads).install(|| run_tasks(params, kernel(), now_ms()))
    }

    fn spans_of(trace: &Trace, task: u32, state: State) -> Vec<Span> {
        trace
            .spans
            .iter()
            .filter(|s| s.task == Some(task) && s.state == state)
            .copied()
            .collect()
    }

    /// I/O tasks on threads overlap their waits: 4 x 50 ms on 4 threads takes less wall
    /// time than the waits add up to (one after another it would take at least their
    /// sum), and each task waits once, on its own thread's lane.
    #[test]
    fn io_waits_overlap() {
        let trace = run_on(4, &scenario(Workload::Io, 4, true));
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(
            trace.lanes,
            ["thread 0", "thread 1", "thread 2", "thread 3"]
        );
        assert!(trace.max_overlap(State::IoWait) >= 2, "{trace:?}");
        let waited = trace.time_in(State::IoWait);
        assert!(waited >= 4.0 * 50.0 - 1.0, "waited {waited} ms");
        assert!(
            trace.wall_ms < waited,
            "took {} of {waited} ms",
            trace.wall_ms
        );
        for task in 0..4 {
            assert_eq!(spans_of(&trace, task, State::IoWait).len(), 1);
        }
        assert_eq!(trace.max_overlap(State::Running), 0);
    }

    /// The pool's size bounds the concurrency: 4 I/O tasks on 2 threads wait at most two
    /// at a time, and the lanes are the 2 threads.
    #[test]
    fn pool_size_bounds_concurrency() {
        let trace = run_on(2, &scenario(Workload::Io, 4, false));
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(trace.lanes.len(), 2);
        assert_eq!(trace.max_overlap(State::IoWait), 2);
        assert_eq!(trace.spans.len(), 4);
        // Two rounds of 50 ms.
        assert!(trace.wall_ms >= 95.0, "took {} ms", trace.wall_ms);
    }

    /// With the GIL on, CPU tasks never compute at the same time, they do wait for the
    /// lock, and each task's running spans are split only where the GIL changed hands
    /// (not once per kernel chunk).
    #[test]
    fn gil_serialises_cpu_work() {
        let trace = run_on(3, &scenario(Workload::Cpu, 3, true));
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(trace.max_overlap(State::Running), 1, "{trace:?}");
        assert!(trace.time_in(State::GilWait) > 0.0, "{trace:?}");
        for task in 0..3 {
            let running = spans_of(&trace, task, State::Running).len();
            let waits = spans_of(&trace, task, State::GilWait).len();
            assert!(running >= 1);
            assert!(
                running <= waits + 1,
                "task {task}: {running} runs, {waits} waits"
            );
            let lanes: Vec<u32> = trace
                .spans
                .iter()
                .filter(|s| s.task == Some(task))
                .map(|s| s.lane)
                .collect();
            assert!(lanes.windows(2).all(|w| w[0] == w[1]), "task {task} moved");
        }
    }

    /// With the GIL off, CPU tasks on a 2-thread pool compute at the same time, each as
    /// one merged running span, with no GIL waits.
    #[test]
    fn without_gil_cpu_work_runs_in_parallel() {
        // 100 ms each, so the second task surely starts before the first ends.
        let params = Params {
            cpu_ms: 100,
            ..scenario(Workload::Cpu, 2, false)
        };
        let trace = run_on(2, &params);
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert!(trace.max_overlap(State::Running) >= 2, "{trace:?}");
        assert_eq!(trace.time_in(State::GilWait), 0.0);
        for task in 0..2 {
            assert_eq!(spans_of(&trace, task, State::Running).len(), 1);
        }
    }

    /// A mixed task waits, then computes: its I/O span ends before its first running span
    /// begins, and with the GIL on the computing still never overlaps.
    #[test]
    fn mixed_waits_then_computes() {
        let params = Params {
            io_ms: 20,
            cpu_ms: 20,
            ..scenario(Workload::Mixed, 3, true)
        };
        let trace = run_on(3, &params);
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(trace.max_overlap(State::Running), 1, "{trace:?}");
        for task in 0..3 {
            let io = spans_of(&trace, task, State::IoWait);
            let running = spans_of(&trace, task, State::Running);
            assert_eq!(io.len(), 1);
            assert!(!running.is_empty());
            assert!(running.iter().all(|r| r.start_ms >= io[0].end_ms));
        }
    }

    /// Called from outside any pool, the run uses the global pool, with one lane per
    /// global thread.
    #[test]
    fn runs_from_outside_a_pool() {
        let params = Params {
            io_ms: 10,
            ..scenario(Workload::Io, 2, true)
        };
        let trace = run_tasks(&params, kernel(), now_ms());
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(trace.lanes.len(), rayon::current_num_threads());
        assert_eq!(trace.spans.len(), 2);
        assert!(trace.spans.iter().all(|s| s.state == State::IoWait));
    }

    /// The parallel sum is right, and the pool size is the current pool's.
    #[test]
    fn parallel_sum_and_pool_threads() {
        assert_eq!(parallel_sum(0), 0);
        assert_eq!(parallel_sum(1_000_001), 1_000_000 * 1_000_001 / 2);
        assert_eq!(pool(3).install(pool_threads), 3);
        assert!(pool_threads() >= 1);
    }

    fn check_report(report: &RaceReport, threads: u32, increments: u32) {
        let names: Vec<&str> = report.ways.iter().map(|w| w.way).collect();
        assert_eq!(names, ["unsynchronised", "mutex", "atomic"]);
        for w in &report.ways {
            assert_eq!(w.expected, u64::from(threads) * u64::from(increments));
            assert!(w.final_count <= w.expected, "{w:?}");
            assert_eq!(w.lost, w.expected - w.final_count);
            assert!(w.ms >= 0.0);
        }
        assert_eq!(report.ways[1].lost, 0, "mutex: {:?}", report.ways[1]);
        assert_eq!(report.ways[2].lost, 0, "atomic: {:?}", report.ways[2]);
    }

    /// Without the GIL, the mutex and the atomic add are exact and the unsynchronised way
    /// never counts more than was added (it usually loses updates on 2+ cores, but a busy
    /// machine may not overlap the threads, so that is not asserted).
    #[test]
    fn race_lab_without_gil() {
        let report = pool(4).install(|| race_lab(4, 100_000, false, 5.0));
        check_report(&report, 4, 100_000);
        assert!(!report.gil);
    }

    /// Under the GIL, switching only between whole increments, even the unsynchronised
    /// `counter += 1` loses nothing, as on CPython 3.11.
    #[test]
    fn race_lab_with_gil_is_exact() {
        let report = pool(4).install(|| race_lab(4, 100_000, true, 1.0));
        check_report(&report, 4, 100_000);
        assert_eq!(report.ways[0].lost, 0, "{:?}", report.ways[0]);
    }

    /// An undersized pool runs the racers in turn rather than hanging.
    #[test]
    fn race_lab_on_a_small_pool_finishes() {
        let report = pool(1).install(|| race_lab(3, 1_000, true, 1.0));
        check_report(&report, 3, 1_000);
        assert_eq!(report.ways[0].lost, 0);
    }
}
