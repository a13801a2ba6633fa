//! The baseline: the scenario's tasks one after another, as a plain `for` loop runs them.
//!
//! Each task is the same event-loop task asyncio runs ([`crate::asyncio::task`]), awaited
//! before the next one starts, so waits never overlap and the page stays responsive while
//! a task waits. Every speedup on the page is measured against this.

use crate::asyncio::{task, TaskSpec};
use crate::clock::now_ms;
use crate::params::Params;
use crate::trace::{Progress, Trace};
use crate::workload::Kernel;
use std::cell::RefCell;

/// Run the tasks one after another and return what happened; `progress` hears of each
/// task that ends.
pub async fn run(params: &Params, kernel: Kernel, progress: &Progress<'_>) -> Trace {
    let origin = now_ms();
    let trace = RefCell::new(Trace::new(origin));
    let spec = TaskSpec::from_params(params, kernel);
    for i in 0..params.tasks {
        let lane = trace.borrow_mut().add_lane(format!("task {i}"));
        // Each task is ready the moment the previous one ends: no blocked time to record.
        task(i, lane, spec, now_ms(), &trace).await;
        progress.tick(&trace);
    }
    let mut trace = trace.into_inner();
    trace.finish(now_ms());
    trace
}
