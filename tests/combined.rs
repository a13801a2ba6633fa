//! The combined models under `cargo test`, on the native event loop with native executors:
//! asyncio handing its computing to a process pool (`asyncio-processes`) and to threads
//! (`asyncio-threads`), and the blocking lab. Each run has a lag meter on the loop beside
//! it, as on the page. The page's versions are tested end to end
//! (`tests/e2e/combined.test.mjs`).
//!
//! Timings are compared with each other, best of three runs, never with fixed figures: the
//! shape of each trace (who computed, who waited, what overlapped) is what must hold on a
//! busy machine.
#![cfg(not(target_arch = "wasm32"))]

use concurrency_playground::clock::{Clock, SystemClock};
use concurrency_playground::event_loop::{block_on, NativeLoop};
use concurrency_playground::executor::Executor;
use concurrency_playground::lag::{heartbeat, Lag, LagStats};
use concurrency_playground::models::asyncio;
use concurrency_playground::models::multiprocessing::NativePool;
use concurrency_playground::models::threading::executor::ThreadExecutor;
use concurrency_playground::params::{parse_query, Params};
use concurrency_playground::trace::{Progress, State, Trace};
use concurrency_playground::Kernel;
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

fn kernel() -> Kernel {
    static KERNEL: OnceLock<Kernel> = OnceLock::new();
    *KERNEL.get_or_init(|| Kernel::calibrate(&SystemClock))
}

/// asyncio on `p`, with `executor` if given, and a lag meter beating on the same loop
/// from before the run starts.
fn run(p: &Params, executor: Option<&dyn Executor>) -> (Trace, LagStats) {
    let lag = RefCell::new(Lag::default());
    let stop = Cell::new(false);
    let k = kernel();
    let work = async {
        let trace = asyncio::run_with(p, k, &NativeLoop, executor, &Progress::none()).await;
        stop.set(true);
        trace
    };
    let ((), trace) = block_on(futures_util::future::join(
        heartbeat(&NativeLoop, &lag, &stop),
        work,
    ));
    let trace = trace.expect("every job was done");
    assert!(trace.problems().is_empty(), "{:?}", trace.problems());
    lag.borrow_mut().end(NativeLoop.now_ms());
    let stats = lag.borrow().stats();
    (trace, stats)
}

/// The largest overlap of `state` on the lanes whose label starts with `prefix`.
fn overlap(t: &Trace, prefix: &str, state: State) -> usize {
    let mut only = t.clone();
    only.spans
        .retain(|s| t.lanes[s.lane as usize].starts_with(prefix));
    only.max_overlap(state)
}

/// The least of three figures, `f` run three times: a busy machine slows some runs, and
/// keeps a loop's thread from running now and then.
fn best_of_three(mut f: impl FnMut() -> f64) -> f64 {
    (0..3).map(|_| f()).fold(f64::INFINITY, f64::min)
}

/// asyncio with a process pool on mixed work: the tasks wait on the loop and await their
/// computing, which the processes do two at a time; the loop never computes and stays
/// free (late by far less than one task's computing, which asyncio alone holds it for);
/// and the run beats asyncio alone, which computes on the loop one task at a time.
#[test]
fn asyncio_processes_computes_off_the_loop_in_parallel() {
    let p = parse_query("workload=mixed&tasks=6&io_ms=40&cpu_ms=60&processes=2").params;
    // A pool's schedule is one run's, as on the page: a new one each run.
    let pool = || NativePool::new(&p, kernel(), 2);
    let (t, _) = run(&p, Some(&pool()));
    assert_eq!(t.lanes[6..], ["process 0", "process 1"]);
    assert_eq!(overlap(&t, "task", State::Running), 0, "the loop computed");
    assert_eq!(overlap(&t, "task", State::IoWait), 6, "the waits overlap");
    assert_eq!(overlap(&t, "process", State::Running), 2, "{t:?}");
    let awaited = t.spans.iter().filter(|s| s.state == State::Awaiting);
    assert_eq!(awaited.count(), 6, "each task awaits its computing");
    assert!(t.time_in(State::Ipc) > 0.0, "arguments and results travel");
    let iters: u64 = t.iters.iter().sum();
    assert_eq!(iters, 6 * kernel().iters_for(60.0));
    let lag = best_of_three(|| run(&p, Some(&pool())).1.p99_ms);
    let held = run(&p, None).1.max_ms;
    assert!(held >= 50.0, "asyncio alone holds the loop: {held} ms");
    assert!(lag < 30.0, "the loop was held: p99 {lag} ms");

    let combined = best_of_three(|| run(&p, Some(&pool())).0.wall_ms);
    let alone = best_of_three(|| run(&p, None).0.wall_ms);
    assert!(
        combined < alone,
        "asyncio with 2 processes took {combined} ms, asyncio alone {alone} ms"
    );
}

/// asyncio with threads, GIL on: the loop stays free (the computing is on the threads),
/// but the threads compute one at a time, so it is no faster than asyncio alone.
#[test]
fn asyncio_threads_frees_the_loop_but_the_gil_serialises() {
    let p = parse_query("workload=mixed&tasks=4&io_ms=30&cpu_ms=60&threads=4&gil=on").params;
    let threads = ThreadExecutor::new(&p, kernel(), &SystemClock).expect("a pool");
    let (t, _) = run(&p, Some(&threads));
    assert_eq!(overlap(&t, "task", State::Running), 0, "the loop computed");
    assert_eq!(overlap(&t, "thread", State::Running), 1, "{t:?}");
    assert!(t.time_in(State::GilWait) > 0.0, "{t:?}");
    assert!(t.wall_ms >= 30.0 + 4.0 * 60.0 * 0.8, "{}", t.wall_ms);
    let lag = best_of_three(|| run(&p, Some(&threads)).1.p99_ms);
    assert!(lag < 30.0, "the loop was held: p99 {lag} ms");
}

/// The blocking lab: `time.sleep` inside each coroutine holds the loop, so the waits go
/// one after another and the loop is late by a whole wait; the same blocking call handed
/// to threads overlaps, as `asyncio.sleep` does, and the loop stays free.
#[test]
fn the_blocking_lab_freezes_the_loop_and_threads_free_it() {
    let p = parse_query("lab=blocking&workload=io&tasks=4&io_ms=30&threads=4").params;
    let (blocked, blocked_lag) = run(&p, None);
    assert_eq!(blocked.max_overlap(State::IoWait), 1, "{blocked:?}");
    assert!(blocked.wall_ms >= 4.0 * 30.0 * 0.95, "{}", blocked.wall_ms);
    assert!(blocked_lag.max_ms >= 25.0, "{blocked_lag:?}");
    assert!(blocked.time_in(State::Blocked) > 30.0, "the others waited");

    let threads = ThreadExecutor::new(&p, kernel(), &SystemClock).expect("a pool");
    let (handed, _) = run(&p, Some(&threads));
    assert_eq!(overlap(&handed, "thread", State::IoWait), 4, "{handed:?}");
    assert_eq!(overlap(&handed, "task", State::Awaiting), 4);
    let lag = best_of_three(|| run(&p, Some(&threads)).1.max_ms);
    assert!(
        lag < blocked_lag.max_ms / 2.0,
        "{lag} ms, blocked {blocked_lag:?}"
    );

    let awaited = Params {
        lab: concurrency_playground::params::Lab::None,
        ..p.clone()
    };
    let (slept, _) = run(&awaited, None);
    assert_eq!(slept.max_overlap(State::IoWait), 4);
    let fast = best_of_three(|| run(&p, Some(&threads)).0.wall_ms);
    let slow = best_of_three(|| run(&p, None).0.wall_ms);
    assert!(
        fast * 2.0 < slow,
        "to_thread {fast} ms, time.sleep {slow} ms"
    );
}
