//! The threads as an event loop's executor: `asyncio.to_thread(f)` hands `f` to a thread of
//! the loop's default `ThreadPoolExecutor` and awaits it. Each job runs on a thread of a
//! rayon pool ([`super::run_job`]), all of a run's jobs share one GIL (with the GIL on, the
//! computing still takes turns: the loop is free, the work no faster), and the answer
//! crosses back to the loop's thread through a [`handoff`].
//!
//! The browser's threads host runs the same [`super::run_job`] for each job the page
//! submits, and answers by message instead.

use crate::cancel::Cancel;
use crate::clock::Clock;
use crate::executor::{handoff, Executor, Handoff, Job};
use crate::gil::Gil;
use crate::params::Params;
use crate::workload::Kernel;
use std::sync::Arc;

/// A pool of `threads` threads that does an event loop's jobs.
pub struct ThreadExecutor {
    pool: rayon::ThreadPool,
    base: Params,
    kernel: Kernel,
    gil: Option<Arc<Gil<'static>>>,
    clock: &'static dyn Clock,
    cancel: Arc<Cancel>,
}

impl ThreadExecutor {
    /// The executor of the scenario `params`: its `thread_count()` threads, and one GIL
    /// (when `gil` is on) with its switch interval.
    pub fn new(
        params: &Params,
        kernel: Kernel,
        clock: &'static dyn Clock,
    ) -> Result<ThreadExecutor, String> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(params.thread_count() as usize)
            .build()
            .map_err(|e| format!("threads: the pool could not start: {e}"))?;
        Ok(ThreadExecutor {
            pool,
            base: params.clone(),
            kernel,
            gil: params
                .gil
                .then(|| Arc::new(Gil::new(f64::from(params.switch_ms), clock))),
            clock,
            cancel: Arc::new(Cancel::new()),
        })
    }
}

impl Drop for ThreadExecutor {
    /// Jobs still running stop at their next check: nobody awaits them any more.
    fn drop(&mut self) {
        self.cancel.set();
    }
}

impl Executor for ThreadExecutor {
    fn workers(&self) -> Vec<String> {
        (0..self.pool.current_num_threads())
            .map(super::lane)
            .collect()
    }

    fn run(&self, job: Job) -> Handoff<'_> {
        let (tx, rx) = handoff();
        let params = job.params(&self.base);
        let (kernel, clock) = (self.kernel, self.clock);
        let (gil, cancel) = (self.gil.clone(), self.cancel.clone());
        self.pool.spawn_fifo(move || {
            tx.send(super::run_job(
                &params,
                kernel,
                job.task,
                gil.as_deref(),
                clock,
                &cancel,
            ));
        });
        Box::pin(async move {
            rx.await
                .map_err(|()| "threads: a thread ended without an answer".to_string())
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::event_loop::block_on;
    use crate::executor::Work;
    use crate::params::parse_query;
    use crate::trace::State;
    use futures_util::future::join_all;

    fn kernel() -> Kernel {
        crate::workload::test_kernel()
    }

    /// Blocking waits handed to 4 threads overlap: 4 waits of 40 ms end together, each on
    /// its own thread's lane.
    #[test]
    fn blocking_waits_overlap_on_threads() {
        let p = parse_query("tasks=4&threads=4").params;
        let ex = ThreadExecutor::new(&p, kernel(), &SystemClock).expect("a pool");
        let start = SystemClock.now_ms();
        let done = block_on(join_all((0..4).map(|task| {
            ex.run(Job {
                task,
                work: Work::Block,
                ms: 40.0,
            })
        })));
        let took = SystemClock.now_ms() - start;
        assert!(took < 4.0 * 40.0 * 0.75, "took {took} ms");
        let mut workers: Vec<String> = done
            .iter()
            .map(|d| d.as_ref().expect("done").worker.clone())
            .collect();
        workers.sort();
        workers.dedup();
        assert_eq!(workers.len(), 4, "{workers:?}");
        for d in done.iter().flatten() {
            assert_eq!(d.spans.len(), 1);
            assert_eq!(d.spans[0].state, State::IoWait);
        }
    }

    /// With the GIL on, computing handed to threads still takes turns: the running spans
    /// never overlap, and every job counts its iterations.
    #[test]
    fn computing_on_threads_takes_turns_under_the_gil() {
        let p = parse_query("tasks=3&threads=3&gil=on&switch_ms=2").params;
        let ex = ThreadExecutor::new(&p, kernel(), &SystemClock).expect("a pool");
        let done: Vec<_> = block_on(join_all((0..3).map(|task| {
            ex.run(Job {
                task,
                work: Work::Compute,
                ms: 20.0,
            })
        })))
        .into_iter()
        .map(|d| d.expect("done"))
        .collect();
        let mut trace = crate::trace::Trace::new(0.0);
        for (i, d) in done.iter().enumerate() {
            crate::task::record_done(&mut trace, i as u32, d);
            assert_eq!(d.iters, kernel().iters_for(20.0));
        }
        assert_eq!(trace.max_overlap(State::Running), 1, "{trace:?}");
    }
}
