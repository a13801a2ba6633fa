//! The one task that every model on an event loop runs: wait `io_ms` on the loop's timer,
//! then compute `cpu_ms`, recording its spans on its lane.
//!
//! The sequential baseline, asyncio and each process all run this same task; they differ
//! only in how many run at once and where. A computation that does not await holds the
//! loop, as a CPU-bound coroutine holds Python's: no other task of the loop runs until it
//! ends (or yields, with `yield_ms`). It lets the platform breathe every
//! [`BREATHE_MS`], so a browser still sees Stop.

use crate::event_loop::{hold, until_free, EventLoop};
use crate::trace::{State, Trace};
use crate::workload::{Kernel, TaskSpec};
use std::cell::RefCell;

/// The longest stretch of computing between two breaths of the platform, ms.
pub const BREATHE_MS: f64 = 50.0;

/// Run task `index` on `lp`, recording on `lane` of `trace`. `ready` is the absolute time
/// it could have started; time between that and its first step is `blocked` (its loop was
/// busy elsewhere). Returns the kernel's checksum.
pub async fn run_task<L: EventLoop + ?Sized>(
    index: u32,
    lane: u32,
    spec: &TaskSpec,
    ready: f64,
    trace: &RefCell<Trace>,
    lp: &L,
) -> u64 {
    // Not while another task computes: it has not awaited, so this task has not begun.
    until_free(lp).await;
    let start = lp.now_ms();
    trace
        .borrow_mut()
        .record_late(lane, Some(index), ready, start);
    let mut now = start;
    if spec.io_ms > 0.0 {
        lp.sleep(spec.io_ms).await;
        let due = now + spec.io_ms;
        let woke = lp.now_ms();
        until_free(lp).await;
        let resumed = lp.now_ms();
        let mut t = trace.borrow_mut();
        t.record(lane, Some(index), State::IoWait, now, due.min(woke));
        t.record_late(lane, Some(index), due, resumed);
        now = resumed;
    }
    let total = spec.iters();
    if total == 0 {
        return 0;
    }
    trace.borrow_mut().add_iters(lane, total);
    // Without yield_ms the whole computation is one slice that never awaits: it holds the
    // loop, as a CPU-heavy coroutine holds Python's.
    let slice = if spec.yield_ms > 0.0 {
        spec.kernel.iters_for(spec.yield_ms).max(1)
    } else {
        total
    };
    let mut checksum = 0;
    let mut done = 0;
    while done < total {
        let n = slice.min(total - done);
        checksum ^= compute(lp, &spec.kernel, n).await;
        done += n;
        let end = lp.now_ms();
        trace
            .borrow_mut()
            .record(lane, Some(index), State::Running, now, end);
        now = end;
        if done < total {
            lp.yield_now().await;
            until_free(lp).await;
            let resumed = lp.now_ms();
            trace
                .borrow_mut()
                .record_late(lane, Some(index), now, resumed);
            now = resumed;
        }
    }
    checksum
}

/// `iters` iterations of the kernel holding the loop, breathing every [`BREATHE_MS`].
async fn compute<L: EventLoop + ?Sized>(lp: &L, kernel: &Kernel, iters: u64) -> u64 {
    let _held = hold(lp);
    let per_breath = kernel.iters_for(BREATHE_MS).max(1);
    let mut checksum = 0;
    let mut done = 0;
    while done < iters {
        let n = per_breath.min(iters - done);
        checksum ^= kernel.work_iters(n, |_| true);
        done += n;
        if done < iters {
            lp.breathe().await;
        }
    }
    checksum
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::event_loop::{block_on, NativeLoop};

    fn spec(io_ms: f64, cpu_ms: f64, yield_ms: f64) -> TaskSpec {
        TaskSpec {
            io_ms,
            cpu_ms,
            yield_ms,
            kernel: crate::workload::test_kernel(),
        }
    }

    /// A mixed task waits, then computes: one I/O span, then running spans, on its lane;
    /// its iterations are counted on that lane.
    #[test]
    fn waits_then_computes() {
        let lp = NativeLoop;
        let trace = RefCell::new(Trace::new(lp.now_ms()));
        let lane = trace.borrow_mut().lane("task 0");
        let s = spec(20.0, 10.0, 0.0);
        block_on(run_task(0, lane, &s, lp.now_ms(), &trace, &lp));
        let mut t = trace.into_inner();
        t.finish(lp.now_ms());
        assert!(t.problems().is_empty(), "{:?}", t.problems());
        let states: Vec<State> = t
            .spans
            .iter()
            .filter(|s| s.state != State::Blocked)
            .map(|s| s.state)
            .collect();
        assert_eq!(states, [State::IoWait, State::Running]);
        assert_eq!(t.iters, [s.iters()]);
        assert!(t.spans[0].end_ms - t.spans[0].start_ms >= 19.0);
    }

    /// With yield_ms, the computation is cut in slices with a turn of the loop between.
    #[test]
    fn yields_slice_the_work() {
        let lp = NativeLoop;
        let trace = RefCell::new(Trace::new(lp.now_ms()));
        let s = spec(0.0, 10.0, 2.0);
        block_on(run_task(0, 0, &s, lp.now_ms(), &trace, &lp));
        let running = trace
            .borrow()
            .spans
            .iter()
            .filter(|s| s.state == State::Running)
            .count();
        assert_eq!(running, 5);
    }
}
