//! The one task that every model on an event loop runs: wait `io_ms` on the loop's timer,
//! then compute `cpu_ms`, recording its spans on its lane.
//!
//! The sequential baseline, asyncio and each process all run this same task; they differ
//! only in how many run at once and where. A computation that does not await holds the
//! loop, as a CPU-bound coroutine holds Python's: no other task of the loop runs until it
//! ends (or yields, with `yield_ms`). It checks between chunks of [`CHUNK_MS`] whether the
//! platform is owed a turn ([`EventLoop::breath_due`]: none for [`BREATHE_MS`], across
//! every task that held the loop meanwhile), so a page still sees Stop however the work is
//! cut.
//!
//! Where each part runs is the task's [`Offload`]: on the loop (the default), as a blocking
//! call that holds the loop (`time.sleep` inside a coroutine, the mistake the blocking lab
//! measures), or handed to an [`Executor`] and awaited (`loop.run_in_executor`,
//! `asyncio.to_thread`); the worker's spans then go on the worker's lane and the task's
//! own lane shows it `awaiting`.

use crate::event_loop::{take, until_free, EventLoop, Held, BREATHE_MS};
use crate::executor::{Done, ExecError, Executor, Job, Work};
use crate::trace::{State, Trace};
use crate::workload::{Kernel, TaskSpec};
use std::cell::RefCell;

/// The stretch of computing (or of a blocking call) between two looks at whether the
/// platform is owed a turn, ms: a fifth of [`BREATHE_MS`], so a turn comes at most
/// `BREATHE_MS + CHUNK_MS` after the last.
pub const CHUNK_MS: f64 = BREATHE_MS / 5.0;

/// Where one part of a task runs.
#[derive(Clone, Copy)]
pub enum Via<'a> {
    /// On the task's loop: a wait is awaited (`await asyncio.sleep(s)`); a computation
    /// holds the loop, as any code between two awaits does.
    Loop,
    /// A blocking call on the loop's thread (`time.sleep(s)` inside a coroutine): it holds
    /// the loop, and no other task runs until it returns.
    Block,
    /// Handed to an executor and awaited: the loop runs other tasks meanwhile.
    Executor(&'a dyn Executor),
}

/// Where a task's wait and its computing run.
#[derive(Clone, Copy)]
pub struct Offload<'a> {
    /// The I/O wait.
    pub io: Via<'a>,
    /// The computing ([`Via::Block`] is the same as [`Via::Loop`]: computing blocks).
    pub cpu: Via<'a>,
}

impl Offload<'static> {
    /// Everything on the loop: a plain coroutine.
    pub const NONE: Offload<'static> = Offload {
        io: Via::Loop,
        cpu: Via::Loop,
    };
}

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
    match run_task_via(index, lane, spec, ready, trace, lp, Offload::NONE).await {
        Ok(checksum) => checksum,
        Err(e) => unreachable!("a task with no executor has no executor error: {e}"),
    }
}

/// [`run_task`], with its parts where `offload` says; an error when an executor gave no
/// answer.
pub async fn run_task_via<L: EventLoop + ?Sized>(
    index: u32,
    lane: u32,
    spec: &TaskSpec,
    ready: f64,
    trace: &RefCell<Trace>,
    lp: &L,
    offload: Offload<'_>,
) -> Result<u64, ExecError> {
    // Not while another task computes: it has not awaited, so this task has not begun.
    until_free(lp).await;
    let start = lp.now_ms();
    trace
        .borrow_mut()
        .record_late(lane, Some(index), ready, start);
    let mut now = start;
    if spec.io_ms > 0.0 {
        now = match offload.io {
            Via::Loop => {
                lp.sleep(spec.io_ms).await;
                let due = now + spec.io_ms;
                let woke = lp.now_ms();
                let mut t = trace.borrow_mut();
                t.record(lane, Some(index), State::IoWait, now, due.min(woke));
                t.record_late(lane, Some(index), due, woke);
                woke
            }
            Via::Block => {
                let held = taken(lp, index, lane, now, trace).await;
                let from = lp.now_ms();
                block(lp, spec.io_ms, held).await;
                let end = lp.now_ms();
                trace
                    .borrow_mut()
                    .record(lane, Some(index), State::IoWait, from, end);
                end
            }
            Via::Executor(ex) => {
                handed(lp, ex, index, lane, Work::Block, spec.io_ms, now, trace).await?
            }
        };
    }
    let total = spec.iters();
    if total == 0 {
        return Ok(0);
    }
    if let Via::Executor(ex) = offload.cpu {
        handed(lp, ex, index, lane, Work::Compute, spec.cpu_ms, now, trace).await?;
        return Ok(0);
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
        let held = taken(lp, index, lane, now, trace).await;
        now = lp.now_ms();
        checksum ^= compute(lp, &spec.kernel, n, held).await;
        done += n;
        let end = lp.now_ms();
        trace
            .borrow_mut()
            .record(lane, Some(index), State::Running, now, end);
        now = end;
        if done < total {
            lp.yield_now().await;
            let resumed = lp.now_ms();
            trace
                .borrow_mut()
                .record_late(lane, Some(index), now, resumed);
            now = resumed;
        }
    }
    Ok(checksum)
}

/// Take the loop for task `index`, recording as `blocked` the time another task held it.
async fn taken<'l, L: EventLoop + ?Sized>(
    lp: &'l L,
    index: u32,
    lane: u32,
    since: f64,
    trace: &RefCell<Trace>,
) -> Held<'l, L> {
    let held = take(lp).await;
    trace
        .borrow_mut()
        .record_late(lane, Some(index), since, lp.now_ms());
    held
}

/// Let the platform take a turn if it is owed one (see [`EventLoop::breath_due`]).
async fn breathe_if_due<L: EventLoop + ?Sized>(lp: &L) {
    if lp.breath_due() {
        lp.breathe().await;
    }
}

/// `iters` iterations of the kernel on the loop `_held`, in chunks of [`CHUNK_MS`], the
/// platform taking a turn whenever it is owed one (before the first chunk too: the task
/// before this one may have held the loop until now).
async fn compute<L: EventLoop + ?Sized>(
    lp: &L,
    kernel: &Kernel,
    iters: u64,
    _held: Held<'_, L>,
) -> u64 {
    let chunk = kernel.iters_for(CHUNK_MS).max(1);
    let mut checksum = 0;
    let mut done = 0;
    while done < iters {
        breathe_if_due(lp).await;
        let n = chunk.min(iters - done);
        checksum ^= kernel.work_iters(n, |_| true);
        done += n;
    }
    checksum
}

/// A blocking call of `ms` on the loop `_held`, in chunks of [`CHUNK_MS`], the platform
/// taking a turn whenever it is owed one.
async fn block<L: EventLoop + ?Sized>(lp: &L, ms: f64, _held: Held<'_, L>) {
    let until = lp.now_ms() + ms;
    loop {
        breathe_if_due(lp).await;
        let left = until - lp.now_ms();
        if left <= 0.0 {
            return;
        }
        lp.block(left.min(CHUNK_MS));
    }
}

/// Hand `work` of task `index` to `ex` at absolute `since` and await it: the worker's spans
/// go on its lane, the task's lane shows it awaiting. Returns when the task resumed.
#[allow(clippy::too_many_arguments)]
async fn handed<L: EventLoop + ?Sized>(
    lp: &L,
    ex: &dyn Executor,
    index: u32,
    lane: u32,
    work: Work,
    ms: f64,
    since: f64,
    trace: &RefCell<Trace>,
) -> Result<f64, ExecError> {
    let done = ex
        .run(Job {
            task: index,
            work,
            ms,
        })
        .await?;
    let resumed = lp.now_ms();
    let mut t = trace.borrow_mut();
    record_done(&mut t, index, &done);
    t.record(lane, Some(index), State::Awaiting, since, resumed);
    Ok(resumed)
}

/// A worker's spans for task `index`, on the worker's lane.
pub fn record_done(trace: &mut Trace, index: u32, done: &Done) {
    let lane = trace.lane(&done.worker);
    for s in &done.spans {
        trace.record(lane, s.task.or(Some(index)), s.state, s.start_ms, s.end_ms);
    }
    trace.add_iters(lane, done.iters);
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

    /// With yield_ms, the computation is cut in slices with a turn of the loop between:
    /// 10 ms in slices of 2 ms is 5 slices (6 when rounding leaves a few iterations over).
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
            .count() as u64;
        assert_eq!(running, s.iters().div_ceil(s.kernel.iters_for(2.0)));
        assert!((5..=6).contains(&running), "{running}");
    }
}
