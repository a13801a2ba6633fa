//! Handing work off an event loop, as `loop.run_in_executor(pool, f)` and
//! `asyncio.to_thread(f)` do: the task awaits a future while a pool elsewhere does the work,
//! so the loop runs its other tasks meanwhile.
//!
//! An [`Executor`] takes a [`Job`] (a task's computing, or a blocking wait) and answers with
//! what its worker did ([`Done`]: the spans on the worker's lane, with absolute times). The
//! models that have workers provide them: the process pool
//! (`models::multiprocessing::PoolRun` schedules it) and the thread pool
//! (`models::threading::executor`). In the browser the boundary hands each job to the page's
//! process workers or to the threads host and awaits its `Promise`; natively the workers are
//! threads, and [`handoff`] carries the answer back to the loop's thread.

use crate::params::{Lab, Params, Workload};
use crate::trace::Span;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// The task's computing (`loop.run_in_executor(pool, spin, iters)`).
    Compute,
    /// A blocking wait (`asyncio.to_thread(time.sleep, s)`).
    Block,
}

/// One piece of one task, handed to an executor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The task it belongs to.
    pub task: u32,
    /// What it does.
    pub work: Work,
    /// For how long: ms of single-thread work, or of waiting.
    pub ms: f64,
}

impl Job {
    /// The scenario a worker runs for this job: one task of `base` that only computes (or
    /// only waits) for the job's time, and no lab. Workers run scenarios' tasks, so a job
    /// is given to them as one.
    pub fn params(&self, base: &Params) -> Params {
        let ms = self.ms.round().max(0.0) as u32;
        let mut p = Params {
            lab: Lab::None,
            ..base.clone()
        };
        match self.work {
            Work::Compute => {
                p.workload = Workload::Cpu;
                p.cpu_ms = ms;
            }
            Work::Block => {
                p.workload = Workload::Io;
                p.io_ms = ms;
            }
        }
        p
    }
}

/// What a worker did for a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// The worker's lane, as the executor names it (`process 1`, `thread 3`).
    pub worker: String,
    /// Its spans for the job, with absolute times (their `lane` is ignored).
    pub spans: Vec<Span>,
    /// Kernel iterations it computed.
    #[serde(default)]
    pub iters: u64,
}

/// Why a job has no answer: the worker failed, or the run was stopped.
pub type ExecError = String;

/// The future of a job handed to an executor.
pub type Handoff<'a> = Pin<Box<dyn Future<Output = Result<Done, ExecError>> + 'a>>;

/// A pool that does jobs for the tasks of an event loop.
pub trait Executor {
    /// Its workers' lanes, in order: drawn after the tasks' lanes.
    fn workers(&self) -> Vec<String>;

    /// Start `job`; the future resolves when a worker has done it.
    fn run(&self, job: Job) -> Handoff<'_>;
}

/// The slot one answer crosses threads in.
struct Slot<T> {
    value: Option<T>,
    /// The sender went away without answering.
    closed: bool,
    waker: Option<Waker>,
}

/// The worker's end of a [`handoff`].
pub struct Sender<T>(Arc<Mutex<Slot<T>>>);

/// The loop's end of a [`handoff`]: a future of the answer, `Err(())` if the sender went
/// away without one.
pub struct Receiver<T> {
    slot: Arc<Mutex<Slot<T>>>,
    /// Natively, a pending wait on another thread: the loop parks instead of calling it a
    /// deadlock.
    #[cfg(not(target_arch = "wasm32"))]
    _external: crate::event_loop::External,
}

/// A one-shot channel from a worker thread to a task on an event loop; make it on the
/// loop's thread.
pub fn handoff<T: Send>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        closed: false,
        waker: None,
    }));
    (
        Sender(slot.clone()),
        Receiver {
            slot,
            #[cfg(not(target_arch = "wasm32"))]
            _external: crate::event_loop::External::new(),
        },
    )
}

impl<T> Sender<T> {
    /// Answer, and wake the task waiting for it.
    pub fn send(self, value: T) {
        let waker = {
            let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            slot.closed = true;
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = slot.value.take() {
            Poll::Ready(Ok(value))
        } else if slot.closed {
            Poll::Ready(Err(()))
        } else {
            slot.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::event_loop::{block_on, EventLoop, NativeLoop};

    /// A job's scenario is one task that only computes (or only waits) for the job's time.
    #[test]
    fn a_job_is_a_scenario() {
        let base =
            crate::params::parse_query("workload=mixed&io_ms=300&cpu_ms=100&lab=blocking").params;
        let p = Job {
            task: 2,
            work: Work::Compute,
            ms: 100.0,
        }
        .params(&base);
        assert_eq!(
            (p.workload, p.cpu_ms, p.lab),
            (Workload::Cpu, 100, Lab::None)
        );
        let p = Job {
            task: 2,
            work: Work::Block,
            ms: 300.0,
        }
        .params(&base);
        assert_eq!((p.workload, p.io_ms), (Workload::Io, 300));
    }

    /// An answer sent from another thread wakes the task on the loop, which parks meanwhile
    /// (no timer is pending: without the handoff's wait that would be a deadlock).
    #[test]
    fn an_answer_crosses_threads() {
        let (tx, rx) = handoff::<u32>();
        let start = NativeLoop.now_ms();
        let worker = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(30));
            tx.send(7);
        });
        assert_eq!(block_on(rx), Ok(7));
        assert!(NativeLoop.now_ms() - start >= 29.0);
        worker.join().ok();
    }

    /// A sender that goes away without answering ends the wait with an error, and a task
    /// sleeping on the loop meanwhile still wakes on time.
    #[test]
    fn a_dropped_sender_ends_the_wait() {
        let (tx, rx) = handoff::<u32>();
        let worker = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(40));
            drop(tx);
        });
        let lp = NativeLoop;
        let (answer, ()) = block_on(futures_util::future::join(rx, lp.sleep(10.0)));
        assert_eq!(answer, Err(()));
        worker.join().ok();
    }
}
