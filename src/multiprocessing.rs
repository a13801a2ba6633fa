//! Model 3, multiprocessing: one task inside a "process", a worker with its own WebAssembly
//! instance and its own memory. Arguments arrive and results leave only as messages.
//!
//! The page's runner starts the workers, hands out tasks and draws the start-up and message
//! costs; this module is what runs inside each worker. Nothing here is shared with the
//! parent: [`add_to_counter`] changes this instance's counter and no other.

use crate::asyncio::{task, TaskSpec};
use crate::params::Params;
use crate::trace::Trace;
use crate::workload::Kernel;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// What one task in a process sends back.
pub struct TaskResult {
    /// The task's spans, with absolute times (origin 0), so the parent can place them on
    /// its own timeline without knowing this worker's clock.
    pub trace: Trace,
    /// `payload_kb` KiB of result data, to make the cost of moving data visible.
    pub payload: Vec<u8>,
    /// The kernel's checksum.
    pub checksum: u64,
}

/// Run task `index` of the scenario in this process.
pub async fn run_task(params: &Params, index: u32, kernel: Kernel) -> TaskResult {
    let trace = RefCell::new(Trace::new(0.0));
    let lane = trace.borrow_mut().lane("process");
    let spec = TaskSpec::from_params(params, kernel);
    let ready = crate::clock::now_ms();
    let checksum = task(index, lane, spec, ready, &trace).await;
    let mut trace = trace.into_inner();
    trace.finish(crate::clock::now_ms());
    TaskResult {
        trace,
        payload: payload(params.payload_kb, checksum),
        checksum,
    }
}

/// `kb` KiB of data that depend on the task's result, as a real result would.
pub fn payload(kb: u32, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..kb as usize * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A module-level counter, like a global variable in a Python module. Every instance has
/// its own: a process adding to it changes nothing in its parent.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Add `n` to this instance's counter and return its new value.
pub fn add_to_counter(n: u64) -> u64 {
    COUNTER.fetch_add(n, Ordering::Relaxed) + n
}

/// This instance's counter.
pub fn counter() -> u64 {
    COUNTER.load(Ordering::Relaxed)
}
