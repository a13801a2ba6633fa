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
//! Stop ([`Cancel`]) is seen between chunks and while a thread sleeps. The race lab
//! ([`race`]) is the other half of the story: what the GIL does and does not protect when
//! threads share data. The same threads also serve an event loop's tasks one job at a time
//! ([`run_job`], [`executor`]): `asyncio.to_thread`.

pub mod executor;
pub mod race;

use crate::cancel::{Cancel, Cancelled};
use crate::clock::Clock;
use crate::executor::Done;
use crate::gil::Gil;
use crate::live::SpanRing;
use crate::params::Params;
use crate::trace::{Span, State, Trace, GIL_LANE};
use crate::workload::{Kernel, TaskSpec};
use rayon::prelude::*;
use std::hint::black_box;
use std::sync::{Mutex, PoisonError};

/// When the pool the run uses was started, if this run started it: drawn as `spawn` on
/// every thread's lane, before the tasks, and not counted in the model's wall time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Startup {
    /// When the page asked for the pool (absolute ms).
    pub asked_ms: f64,
    /// When the pool was ready (absolute ms).
    pub ready_ms: f64,
}

/// The label of the lane of thread `i` of the pool.
pub fn lane(i: usize) -> String {
    format!("thread {i}")
}

/// The lanes of `params` on a pool of `threads` threads: `thread 0` to `thread n-1`, so a
/// lane's index is its thread's index, then, when the GIL is on and the tasks compute, the
/// [`GIL_LANE`], which shows who holds it.
pub fn lanes(params: &Params, threads: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..threads).map(lane).collect();
    if params.gil && params.workload.cpu_ms(params) > 0 {
        out.push(GIL_LANE.to_string());
    }
    out
}

/// Run `params.tasks` tasks of `params.workload` on the current rayon pool and trace them.
///
/// `origin_ms` is the absolute time the run began, as the caller measured it. Call it from
/// outside the pool (tasks then go to the global pool) or inside `pool.install`; either way
/// it blocks until every task is done, or until `cancel` is raised.
///
/// The lanes are [`lanes`]: one per pool thread, created up front, and with the GIL on the
/// GIL lane, with one `gil_held` span per turn. A task's consecutive chunks of work make one
/// `running` span; it is split only where the GIL changed hands. With `startup`, the pool's
/// start-up is drawn before the run, on every thread's lane.
pub fn run_tasks(
    params: &Params,
    kernel: Kernel,
    origin_ms: f64,
    clock: &dyn Clock,
    cancel: &Cancel,
    startup: Option<Startup>,
) -> Result<Trace, Cancelled> {
    run_tasks_live(params, kernel, origin_ms, clock, cancel, startup, None)
}

/// [`run_tasks`], also writing every span to `live` the moment it is measured (and an open
/// span when a thread starts a wait, or computing that no GIL can interrupt), so a reader
/// sharing the memory draws the run as it goes.
pub fn run_tasks_live(
    params: &Params,
    kernel: Kernel,
    origin_ms: f64,
    clock: &dyn Clock,
    cancel: &Cancel,
    startup: Option<Startup>,
    live: Option<&SpanRing>,
) -> Result<Trace, Cancelled> {
    let threads = rayon::current_num_threads();
    let mut trace = Trace::new(origin_ms);
    for label in lanes(params, threads) {
        trace.add_lane(label);
    }
    if let (Some(ring), Some(s)) = (live, startup) {
        for lane in 0..threads as u32 {
            ring.push(lane, None, State::Spawn, s.asked_ms, s.ready_ms, false);
        }
    }
    let gil = params
        .gil
        .then(|| Gil::new(f64::from(params.switch_ms), clock));
    let job = Job {
        spec: TaskSpec::from_params(params, kernel),
        gil: gil.as_ref(),
        gil_lane: threads as u32,
        clock,
        cancel,
        live,
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
    cancel.check()?;
    let end = clock.now_ms();
    let mut records = records.into_inner().unwrap_or_else(PoisonError::into_inner);
    records.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.lane.cmp(&b.lane)));
    let iters = job.spec.iters();
    for r in records {
        trace.record(r.lane, Some(r.task), r.state, r.start, r.end);
        if r.counts {
            trace.add_iters(r.lane, iters);
        }
    }
    trace.finish(end);
    if let Some(s) = startup {
        trace.start_earlier(s.asked_ms.min(origin_ms));
        for lane in 0..threads as u32 {
            trace.record(lane, None, State::Spawn, s.asked_ms, s.ready_ms);
        }
    }
    Ok(trace)
}

/// Task `task` of `params` on this thread, as a thread of an executor runs a job handed to
/// it (`asyncio.to_thread`): waiting with the thread blocked, computing under `gil` if
/// there is one. Its spans (absolute times) and iterations, on this thread's lane; nothing
/// more once `cancel` is up.
pub fn run_job(
    params: &Params,
    kernel: Kernel,
    task: u32,
    gil: Option<&Gil<'_>>,
    clock: &dyn Clock,
    cancel: &Cancel,
) -> Done {
    let job = Job {
        spec: TaskSpec::from_params(params, kernel),
        gil,
        // An executor's job has no GIL lane of its own: its turns show on the thread's lane.
        gil_lane: u32::MAX,
        clock,
        cancel,
        live: None,
    };
    let records: Vec<Record> = job
        .run(task)
        .into_iter()
        .filter(|r| r.lane != u32::MAX)
        .collect();
    let iters = if records.iter().any(|r| r.counts) {
        job.spec.iters()
    } else {
        0
    };
    Done {
        worker: lane(rayon::current_thread_index().unwrap_or(0)),
        spans: records
            .into_iter()
            .map(|r| Span {
                lane: 0,
                task: Some(r.task),
                state: r.state,
                start_ms: r.start,
                end_ms: r.end,
            })
            .collect(),
        iters,
    }
}

/// One span as a task thread measured it, in absolute ms, before it joins the trace.
struct Record {
    lane: u32,
    task: u32,
    state: State,
    start: f64,
    end: f64,
    /// The span that ends a task's computing, which counts its iterations on the lane.
    counts: bool,
}

/// What every task of one run does.
struct Job<'a> {
    spec: TaskSpec,
    gil: Option<&'a Gil<'a>>,
    /// The GIL lane's index (with the GIL on).
    gil_lane: u32,
    clock: &'a dyn Clock,
    cancel: &'a Cancel,
    live: Option<&'a SpanRing>,
}

/// Where one task's spans go: its own list, and the live ring as they are measured.
struct Spans<'a> {
    lane: u32,
    task: u32,
    live: Option<&'a SpanRing>,
    out: Vec<Record>,
}

impl Spans<'_> {
    /// A finished span of `lane` (this thread's, or the GIL lane).
    fn record(&mut self, lane: u32, state: State, start: f64, end: f64, counts: bool) {
        if let Some(ring) = self.live {
            ring.push(lane, Some(self.task), state, start, end, false);
        }
        self.out.push(Record {
            lane,
            task: self.task,
            state,
            start,
            end,
            counts,
        });
    }

    /// A span of this thread that has begun at `start` and lasts until its `record`: only
    /// for the live ring (the trace gets the finished span).
    fn begin(&self, state: State, start: f64) {
        if let Some(ring) = self.live {
            ring.push(self.lane, Some(self.task), state, start, start, true);
        }
    }
}

impl Job<'_> {
    /// Run task `task` on this pool thread and return its spans; nothing once stopped.
    fn run(&self, task: u32) -> Vec<Record> {
        // Spawned jobs always run on a pool thread, so the index is there.
        let lane = rayon::current_thread_index().unwrap_or(0) as u32;
        let mut spans = Spans {
            lane,
            task,
            live: self.live,
            out: Vec::new(),
        };
        if self.cancel.is_set() {
            return spans.out;
        }
        if self.spec.io_ms > 0.0 {
            // time.sleep releases the GIL, so the wait needs no lock at all.
            let start = self.clock.now_ms();
            spans.begin(State::IoWait, start);
            if self.cancel.sleep(self.spec.io_ms, self.clock).is_err() {
                return spans.out;
            }
            spans.record(lane, State::IoWait, start, self.clock.now_ms(), false);
        }
        if self.spec.cpu_ms > 0.0 {
            match self.gil {
                None => {
                    let start = self.clock.now_ms();
                    spans.begin(State::Running, start);
                    black_box(
                        self.spec
                            .kernel
                            .work(self.spec.cpu_ms, |_| !self.cancel.is_set()),
                    );
                    spans.record(lane, State::Running, start, self.clock.now_ms(), true);
                }
                Some(gil) => self.compute_under(gil, &mut spans),
            }
        }
        spans.out
    }

    /// The CPU phase under the GIL: wait for it, compute, hand it over when forced. Each
    /// turn is a `running` span on the thread's lane and a `gil_held` span on the GIL lane.
    /// Nothing is written to the live ring as begun here: a holder can lose the GIL at any
    /// check, and an open span would show it computing while it waits.
    fn compute_under(&self, gil: &Gil<'_>, spans: &mut Spans<'_>) {
        let (lane, gil_lane) = (spans.lane, self.gil_lane);
        let mut guard = gil.acquire();
        let first = guard.wait();
        if first.blocked {
            spans.record(lane, State::GilWait, first.asked_ms, first.got_ms, false);
        }
        let total = self.spec.iters();
        let mut running_since = first.got_ms;
        black_box(self.spec.kernel.work(self.spec.cpu_ms, |done| {
            // No switch after the last chunk: the task is about to let go anyway.
            if done < total {
                if let Some(w) = guard.maybe_switch() {
                    spans.record(gil_lane, State::GilHeld, running_since, w.asked_ms, false);
                    spans.record(lane, State::Running, running_since, w.asked_ms, false);
                    spans.record(lane, State::GilWait, w.asked_ms, w.got_ms, false);
                    running_since = w.got_ms;
                }
            }
            !self.cancel.is_set()
        }));
        // Measured before the guard drops, so the next holder's span starts after it.
        let end = self.clock.now_ms();
        spans.record(gil_lane, State::GilHeld, running_since, end, false);
        spans.record(lane, State::Running, running_since, end, true);
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

/// Warm every thread of the current pool up (engines compile WebAssembly per thread), for
/// at least `min_ms` each; returns the slowest thread's steady speed, iterations per ms.
pub fn warm_up(clock: &dyn Clock, min_ms: f64, max_ms: f64) -> f64 {
    let threads = rayon::current_num_threads();
    let speeds = Mutex::new(Vec::new());
    rayon::scope(|s| {
        for _ in 0..threads {
            let speeds = &speeds;
            s.spawn(move |_| {
                let speed = Kernel::warm_up(clock, min_ms, max_ms);
                speeds
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(speed);
            });
        }
    });
    let speeds = speeds.into_inner().unwrap_or_else(PoisonError::into_inner);
    speeds.into_iter().fold(f64::INFINITY, f64::min)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::params::Workload;
    use crate::trace::Span;

    use crate::workload::test_kernel as kernel;

    fn now_ms() -> f64 {
        SystemClock.now_ms()
    }

    fn run(params: &Params) -> Trace {
        run_tasks(
            params,
            kernel(),
            now_ms(),
            &SystemClock,
            &Cancel::new(),
            None,
        )
        .expect("not stopped")
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
        pool(threads).install(|| run(params))
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
                .filter(|s| s.task == Some(task) && s.state != State::GilHeld)
                .map(|s| s.lane)
                .collect();
            assert!(lanes.windows(2).all(|w| w[0] == w[1]), "task {task} moved");
        }
    }

    /// With the GIL on, the GIL lane shows one holder at a time: its turns never overlap,
    /// each is exactly a running span of the task that held it, and the GIL changed hands
    /// between tasks. An I/O-only run has no GIL lane (nobody computes, nobody holds it).
    #[test]
    fn gil_lane_shows_each_turn() {
        let trace = run_on(3, &scenario(Workload::Cpu, 3, true));
        assert_eq!(trace.lanes.last().map(String::as_str), Some(GIL_LANE));
        let gil_lane = (trace.lanes.len() - 1) as u32;
        let turns: Vec<&Span> = trace.spans.iter().filter(|s| s.lane == gil_lane).collect();
        assert!(turns.iter().all(|s| s.state == State::GilHeld));
        assert!(trace
            .spans
            .iter()
            .all(|s| (s.state == State::GilHeld) == (s.lane == gil_lane)));
        assert_eq!(trace.max_overlap(State::GilHeld), 1);
        for t in &turns {
            assert!(
                trace.spans.iter().any(|r| r.state == State::Running
                    && r.task == t.task
                    && r.start_ms == t.start_ms
                    && r.end_ms == t.end_ms),
                "{t:?} is no running span"
            );
        }
        let hand_offs = turns.windows(2).filter(|w| w[0].task != w[1].task).count();
        assert!(hand_offs >= 2, "{turns:?}");
        let io = run_on(2, &scenario(Workload::Io, 2, true));
        assert!(!io.lanes.iter().any(|l| l == GIL_LANE));
    }

    /// The live ring gets every span of the trace as it is measured (the trace's spans, in
    /// absolute time, the pool's start-up included), and open spans for the waits and the
    /// computing no GIL interrupts.
    #[test]
    fn live_ring_gets_every_span() {
        for (workload, gil) in [(Workload::Mixed, true), (Workload::Mixed, false)] {
            let ring = SpanRing::new();
            let params = scenario(workload, 3, gil);
            let asked_ms = now_ms();
            // With the GIL on, the pool was started for this run: its start-up is live too.
            let startup = gil.then_some(Startup {
                asked_ms,
                ready_ms: asked_ms + 1.0,
            });
            let trace = pool(3)
                .install(|| {
                    run_tasks_live(
                        &params,
                        kernel(),
                        now_ms(),
                        &SystemClock,
                        &Cancel::new(),
                        startup,
                        Some(&ring),
                    )
                })
                .expect("not stopped");
            let entries: Vec<_> = (0..ring.head())
                .map(|i| ring.read(i).expect("whole"))
                .collect();
            let closed: Vec<_> = entries.iter().filter(|e| !e.open).collect();
            assert_eq!(closed.len(), trace.spans.len());
            for s in &trace.spans {
                assert!(
                    closed.iter().any(|e| e.lane == s.lane
                        && e.task == s.task
                        && e.state == s.state
                        && (e.start_ms - trace.origin_ms - s.start_ms).abs() < 1e-6),
                    "{s:?} never reached the ring"
                );
            }
            let open: Vec<State> = entries.iter().filter(|e| e.open).map(|e| e.state).collect();
            assert_eq!(open.iter().filter(|s| **s == State::IoWait).count(), 3);
            let running = open.iter().filter(|s| **s == State::Running).count();
            assert_eq!(running, if gil { 0 } else { 3 }, "gil {gil}");
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
        let trace = run(&params);
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

    /// Stop reaches every thread: CPU tasks of 5 s each end within a second of it, and the
    /// run says it was stopped.
    #[test]
    fn stop_ends_a_run_at_once() {
        let cancel = Cancel::new();
        let params = Params {
            cpu_ms: 5_000,
            ..scenario(Workload::Mixed, 4, true)
        };
        let start = now_ms();
        let out = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(100));
                cancel.set();
            });
            pool(2).install(|| run_tasks(&params, kernel(), now_ms(), &SystemClock, &cancel, None))
        });
        assert_eq!(out.map(|_| ()), Err(Cancelled));
        assert!(
            now_ms() - start < 1_500.0,
            "stopped after {} ms",
            now_ms() - start
        );
    }

    /// A pool started for the run is drawn as spawn on every lane, before the tasks, and
    /// the run's origin moves back to when it was asked for.
    #[test]
    fn startup_is_drawn_before_the_run() {
        let asked = now_ms() - 30.0;
        let startup = Startup {
            asked_ms: asked,
            ready_ms: asked + 25.0,
        };
        let params = Params {
            io_ms: 10,
            ..scenario(Workload::Io, 2, true)
        };
        let trace = pool(2).install(|| {
            run_tasks(
                &params,
                kernel(),
                now_ms(),
                &SystemClock,
                &Cancel::new(),
                Some(startup),
            )
        });
        let trace = trace.expect("not stopped");
        assert!(trace.problems().is_empty(), "{:?}", trace.problems());
        assert_eq!(trace.origin_ms, asked);
        let spawns: Vec<&Span> = trace
            .spans
            .iter()
            .filter(|s| s.state == State::Spawn)
            .collect();
        assert_eq!(spawns.len(), 2);
        assert!(spawns.iter().all(|s| s.start_ms == 0.0 && s.end_ms == 25.0));
    }

    /// Each thread's computing counts its iterations, so the run knows how fast it ran.
    #[test]
    fn lanes_count_their_iterations() {
        let trace = run_on(2, &scenario(Workload::Cpu, 4, false));
        let total: u64 = trace.iters.iter().sum();
        assert_eq!(total, 4 * kernel().iters_for(40.0));
        assert!(trace.speed(0).is_some());
    }

    /// Every thread of a pool warms up for at least its minimum and reports a speed. (Not
    /// how fast: beside the other tests on 2 cores a thread may get a small share of one.)
    #[test]
    fn pool_warm_up() {
        let t0 = now_ms();
        let speed = pool(2).install(|| warm_up(&SystemClock, 10.0, 200.0));
        assert!(speed.is_finite() && speed > 0.0, "{speed}");
        assert!(now_ms() - t0 >= 10.0, "warmed up for {} ms", now_ms() - t0);
    }
}
