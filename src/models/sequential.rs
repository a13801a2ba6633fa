//! The baseline: the scenario's tasks one after another, as a plain `for` loop runs them.
//!
//! Each task is the shared event-loop task ([`crate::task::run_task`]), awaited before the
//! next one starts, so waits never overlap. Every speedup on the page is measured against
//! this. In the browser it runs in a worker of its own, as `python3 sequential.py` is a
//! process of its own: the page's thread also draws and handles input, and a baseline run
//! there would be slowed by that while the threads and processes it is compared with run
//! in workers.

use crate::event_loop::EventLoop;
use crate::params::Params;
use crate::task::run_task;
use crate::trace::{Progress, Trace};
use crate::workload::{Kernel, TaskSpec};
use std::cell::RefCell;

/// Run the tasks one after another on `lp` and return what happened; `progress` hears of
/// each task that ends.
pub async fn run<L: EventLoop + ?Sized>(
    params: &Params,
    kernel: Kernel,
    lp: &L,
    progress: &Progress<'_>,
) -> Trace {
    let trace = RefCell::new(Trace::new(lp.now_ms()));
    let spec = TaskSpec::from_params(params, kernel);
    for i in 0..params.tasks {
        let lane = trace.borrow_mut().add_lane(format!("task {i}"));
        // Each task is ready the moment the previous one ends: no blocked time to record.
        run_task(i, lane, &spec, lp.now_ms(), &trace, lp).await;
        progress.tick(&trace, lp.now_ms());
    }
    Trace::closed(trace, lp.now_ms())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::test_support::*;

    /// One task after another: I/O waits never overlap, the wall time is at least their sum,
    /// and there is a lane per task.
    #[test]
    fn waits_do_not_overlap() {
        let t = run_natively!(run, "workload=io&tasks=4&io_ms=15");
        assert_eq!(t.lanes.len(), 4);
        assert_eq!(t.max_overlap(State::IoWait), 1);
        assert!(t.wall_ms >= 4.0 * 15.0 - 1.0, "{}", t.wall_ms);
    }

    /// CPU tasks compute one after another, and the run counts every iteration.
    #[test]
    fn computes_in_turn() {
        let t = run_natively!(run, "workload=cpu&tasks=3&cpu_ms=5");
        assert_eq!(t.max_overlap(State::Running), 1);
        assert_eq!(t.iters.iter().sum::<u64>(), 3 * kernel().iters_for(5.0));
    }
}
