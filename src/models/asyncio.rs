//! Model 1, asyncio: every task is a future, all driven by one event loop on one thread, as
//! `asyncio.gather` runs coroutines. In the browser the loop is the page's own.
//!
//! A task that awaits a timer lets the others run; a task that computes holds the loop
//! until it is done (or until it yields, with `yield_ms`). Nothing here is simulated:
//! the timeline shows when each future really ran.
//!
//! Given an [`Executor`], it is asyncio as the guides advise combining it: each task still
//! awaits its I/O on the loop, but hands its computing to the executor's workers and awaits
//! that too (`loop.run_in_executor(ProcessPoolExecutor(...), f)` for `asyncio-processes`,
//! `asyncio.to_thread(f)` for `asyncio-threads`), so the loop stays free. The blocking lab
//! (`lab=blocking`) is the mistake the guides warn of: the wait made with a blocking call
//! inside the coroutine (`time.sleep`), which holds the loop; with an executor, the same
//! blocking call handed to a thread.

use crate::event_loop::EventLoop;
use crate::executor::{ExecError, Executor};
use crate::params::{Lab, Params};
use crate::task::{run_task_via, Offload, Via};
use crate::trace::{Progress, Trace};
use crate::workload::{Kernel, TaskSpec};
use futures_util::future::try_join_all;
use std::cell::RefCell;

/// Where the tasks of `params` wait and compute, with or without an executor.
pub fn offload<'a>(params: &Params, executor: Option<&'a dyn Executor>) -> Offload<'a> {
    let blocking = params.lab == Lab::Blocking;
    match executor {
        None if blocking => Offload {
            io: Via::Block,
            cpu: Via::Loop,
        },
        None => Offload::NONE,
        Some(ex) => Offload {
            io: if blocking {
                Via::Executor(ex)
            } else {
                Via::Loop
            },
            cpu: Via::Executor(ex),
        },
    }
}

/// Run the scenario's tasks concurrently on `lp`, as `await asyncio.gather(*tasks)` does,
/// and return what happened; `progress` hears of each task that ends.
pub async fn run<L: EventLoop + ?Sized>(
    params: &Params,
    kernel: Kernel,
    lp: &L,
    progress: &Progress<'_>,
) -> Trace {
    match run_with(params, kernel, lp, None, progress).await {
        Ok(trace) => trace,
        Err(e) => unreachable!("asyncio with no executor has no executor error: {e}"),
    }
}

/// [`run`], with `executor` doing the tasks' computing (and, in the blocking lab, their
/// blocking waits); its workers get lanes after the tasks'. The first job an executor
/// cannot do ends the run with its error.
pub async fn run_with<L: EventLoop + ?Sized>(
    params: &Params,
    kernel: Kernel,
    lp: &L,
    executor: Option<&dyn Executor>,
    progress: &Progress<'_>,
) -> Result<Trace, ExecError> {
    let origin = lp.now_ms();
    let trace = RefCell::new(Trace::new(origin));
    let lanes: Vec<u32> = (0..params.tasks)
        .map(|i| trace.borrow_mut().add_lane(format!("task {i}")))
        .collect();
    for worker in executor.map(|ex| ex.workers()).unwrap_or_default() {
        trace.borrow_mut().lane(&worker);
    }
    let spec = TaskSpec::from_params(params, kernel);
    let how = offload(params, executor);
    let (trace_ref, spec) = (&trace, &spec);
    try_join_all(lanes.iter().enumerate().map(|(i, &lane)| async move {
        run_task_via(i as u32, lane, spec, origin, trace_ref, lp, how).await?;
        progress.tick(trace_ref, lp.now_ms());
        Ok::<(), ExecError>(())
    }))
    .await?;
    Ok(Trace::closed(trace, lp.now_ms()))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::test_support::*;

    /// I/O tasks overlap their waits: 8 waits of 40 ms end in far less than 320 ms, all
    /// waiting at once.
    #[test]
    fn io_waits_overlap() {
        let t = run_natively!(run, "workload=io&tasks=8&io_ms=40");
        assert_eq!(t.max_overlap(State::IoWait), 8);
        assert!(t.wall_ms < 8.0 * 40.0 / 2.0, "{}", t.wall_ms);
    }

    /// Many short CPU coroutines hand the loop to each other with no turn of the platform
    /// between them, and the platform is still owed one every `BREATHE_MS`, counted across
    /// the tasks: 12 tasks of 20 ms, each shorter than a breath, breathe at least 3 times in
    /// their 240 ms. Counted within each task, they never breathed, and a page running 200
    /// of them answered Stop only when all were done.
    #[test]
    fn short_computations_breathe_across_tasks() {
        use crate::clock::Clock;
        use crate::event_loop::{block_on, NativeLoop, Wake};
        use std::sync::Mutex;

        /// The native loop, noting when a holder breathes.
        #[derive(Default)]
        struct Watched(Mutex<Vec<f64>>);
        impl Clock for Watched {
            fn now_ms(&self) -> f64 {
                NativeLoop.now_ms()
            }
        }
        impl EventLoop for Watched {
            fn sleep_until(&self, deadline: f64) -> Wake {
                NativeLoop.sleep_until(deadline)
            }
            fn yield_now(&self) -> Wake {
                NativeLoop.yield_now()
            }
            fn hold(&self) {
                NativeLoop.hold()
            }
            fn release(&self) {
                NativeLoop.release()
            }
            fn breathe(&self) -> Wake {
                self.0.lock().expect("not poisoned").push(self.now_ms());
                NativeLoop.breathe()
            }
            fn breath_due(&self) -> bool {
                NativeLoop.breath_due()
            }
            fn free(&self) -> Wake {
                NativeLoop.free()
            }
            fn block(&self, ms: f64) {
                NativeLoop.block(ms)
            }
        }

        let p = crate::params::parse_query("workload=cpu&tasks=12&cpu_ms=20").params;
        let lp = Watched::default();
        let t = block_on(run(&p, kernel(), &lp, &Progress::none()));
        assert_eq!(t.max_overlap(State::Running), 1);
        let breaths = lp.0.lock().expect("not poisoned").len();
        assert!(
            breaths >= 3,
            "{breaths} breaths in {} ms of work",
            t.wall_ms
        );
    }

    /// CPU tasks never overlap: a computing task holds the loop, and the others are
    /// blocked meanwhile.
    #[test]
    fn cpu_work_holds_the_loop() {
        let t = run_natively!(run, "workload=cpu&tasks=3&cpu_ms=10");
        assert_eq!(t.max_overlap(State::Running), 1);
        assert!(t.time_in(State::Blocked) > 10.0, "{t:?}");
    }

    /// On mixed work the waits overlap and the computing does not: a sleeper that is due
    /// while another task computes is late, and says so.
    #[test]
    fn mixed_waits_overlap_computing_does_not() {
        let t = run_natively!(run, "workload=mixed&tasks=4&io_ms=20&cpu_ms=10");
        assert_eq!(t.max_overlap(State::IoWait), 4);
        assert_eq!(t.max_overlap(State::Running), 1);
        // The computing adds up after the waits (measured: a kernel calibrated on a busy
        // machine computes its "10 ms" in less when the machine frees up).
        let computing = t.time_in(State::Running);
        assert!(
            t.wall_ms >= 20.0 + computing - 1.0,
            "{} of {computing}",
            t.wall_ms
        );
    }

    /// With yield_ms, CPU tasks take turns: their running spans interleave.
    #[test]
    fn yielding_interleaves_the_tasks() {
        let t = run_natively!(run, "workload=cpu&tasks=2&cpu_ms=10&yield_ms=2");
        let order: Vec<u32> = t
            .spans
            .iter()
            .filter(|s| s.state == State::Running)
            .map(|s| s.lane)
            .collect();
        // 5 slices a task (6 when rounding leaves a few iterations over).
        let slices = 2 * 10 / 2; // tasks x cpu_ms / yield_ms
        assert!(
            order.windows(2).any(|w| w[0] != w[1]) && (slices..=slices + 2).contains(&order.len()),
            "{order:?}"
        );
        let first_of_1 = order.iter().position(|&l| l == 1).unwrap_or(usize::MAX);
        let last_of_0 = order.iter().rposition(|&l| l == 0).unwrap_or(0);
        assert!(first_of_1 < last_of_0, "{order:?}");
    }
}
