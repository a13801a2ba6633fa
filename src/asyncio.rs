//! Model 1, asyncio: every task is a Rust future, all driven by the page's own event loop
//! through `wasm-bindgen-futures`, on one thread, as `asyncio.gather` runs coroutines.
//!
//! A task that awaits a timer lets the others run; a task that computes holds the loop
//! until it is done (or until it yields, with `yield_ms`). Nothing here is simulated:
//! the timeline shows when each future really ran.

use crate::clock::now_ms;
use crate::params::Params;
use crate::timer;
use crate::trace::{Progress, State, Trace};
use crate::workload::Kernel;
use futures_util::future::join_all;
use std::cell::RefCell;

/// Spans shorter than this are not worth a mark on the timeline.
const MIN_BLOCKED_MS: f64 = 0.5;

/// What one task does, the same for every task of a run.
#[derive(Clone, Copy, Debug)]
pub struct TaskSpec {
    /// I/O wait, ms.
    pub io_ms: f64,
    /// CPU work, ms of single-thread work.
    pub cpu_ms: f64,
    /// Yield to the loop after this much CPU work, ms; 0 never.
    pub yield_ms: f64,
    /// The calibrated kernel.
    pub kernel: Kernel,
}

impl TaskSpec {
    /// The task the scenario describes.
    pub fn from_params(p: &Params, kernel: Kernel) -> TaskSpec {
        TaskSpec {
            io_ms: f64::from(p.workload.io_ms(p)),
            cpu_ms: f64::from(p.workload.cpu_ms(p)),
            yield_ms: f64::from(p.yield_ms),
            kernel,
        }
    }
}

fn record_blocked(trace: &RefCell<Trace>, lane: u32, task: u32, from: f64, to: f64) {
    if to - from >= MIN_BLOCKED_MS {
        trace
            .borrow_mut()
            .record(lane, Some(task), State::Blocked, from, to);
    }
}

/// One task on an event loop: wait `io_ms` on a timer, then compute `cpu_ms`, recording
/// its spans on `lane`. `ready` is when it could have started; time between that and its
/// first step is `blocked` (the loop was busy elsewhere). Returns the kernel's checksum.
///
/// The sequential baseline, asyncio and each process all run this same task; they differ
/// only in how many run at once and where.
pub async fn task(
    index: u32,
    lane: u32,
    spec: TaskSpec,
    ready: f64,
    trace: &RefCell<Trace>,
) -> u64 {
    let start = now_ms();
    record_blocked(trace, lane, index, ready, start);
    let mut now = start;
    if spec.io_ms > 0.0 {
        timer::sleep(spec.io_ms).await;
        let due = now + spec.io_ms;
        let woke = now_ms();
        trace
            .borrow_mut()
            .record(lane, Some(index), State::IoWait, now, due.min(woke));
        record_blocked(trace, lane, index, due, woke);
        now = woke;
    }
    if spec.cpu_ms <= 0.0 {
        return 0;
    }
    let mut checksum = 0;
    let mut left = spec.cpu_ms;
    while left > 0.0 {
        // Without yield_ms the whole computation is one slice that never awaits: it blocks
        // the loop, as a CPU-heavy coroutine blocks Python's.
        let slice = if spec.yield_ms > 0.0 {
            left.min(spec.yield_ms)
        } else {
            left
        };
        checksum ^= spec.kernel.work(slice, |_| true);
        left -= slice;
        let end = now_ms();
        trace
            .borrow_mut()
            .record(lane, Some(index), State::Running, now, end);
        now = end;
        if left > 0.0 {
            timer::yield_now().await;
            let resumed = now_ms();
            record_blocked(trace, lane, index, now, resumed);
            now = resumed;
        }
    }
    checksum
}

/// Run the scenario's tasks concurrently on this thread's event loop, as
/// `await asyncio.gather(*tasks)` does, and return what happened; `progress` hears of
/// each task that ends.
pub async fn run(params: &Params, kernel: Kernel, progress: &Progress<'_>) -> Trace {
    let origin = now_ms();
    let trace = RefCell::new(Trace::new(origin));
    let lanes: Vec<u32> = (0..params.tasks)
        .map(|i| trace.borrow_mut().add_lane(format!("task {i}")))
        .collect();
    let spec = TaskSpec::from_params(params, kernel);
    let trace_ref = &trace;
    join_all(lanes.iter().enumerate().map(|(i, &lane)| async move {
        task(i as u32, lane, spec, origin, trace_ref).await;
        progress.tick(trace_ref);
    }))
    .await;
    let mut trace = trace.into_inner();
    trace.finish(now_ms());
    trace
}
