//! Model 3, multiprocessing: a pool of "processes", each a worker with its own WebAssembly
//! instance and its own memory. Arguments arrive and results leave only as messages.
//!
//! Two halves, one per side of the messages:
//!
//! - inside a process, [`run_task`] runs one task on that process's own event loop, and
//!   [`add_to_counter`] changes that instance's module-level counter and no other;
//! - on the parent's side, [`PoolRun`] decides which process gets which task, as
//!   `Pool.map` does (the next task to whichever process is free), or one task per process
//!   for `Process(target=f)`, or, as a `ProcessPoolExecutor` behind an event loop does,
//!   each job as it is submitted ([`Spread::Submitted`], the pool of `asyncio-processes`);
//!   and it builds the run's trace from the messages' times: `spawn` from starting a
//!   process to its ready message, `ipc` for the arguments' trip and the result's trip, and
//!   the task's own spans as the process recorded them. The parent's runner only starts
//!   workers, posts what [`PoolRun`] says and reports what comes back.

use crate::event_loop::EventLoop;
use crate::executor::Done;
use crate::params::Params;
use crate::task::run_task as run_on_loop;
use crate::trace::{Span, State, Trace};
use crate::workload::{payload, Kernel, TaskSpec};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::VecDeque;
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

/// Run task `index` of the scenario in this process, on its event loop.
pub async fn run_task<L: EventLoop + ?Sized>(
    params: &Params,
    index: u32,
    kernel: Kernel,
    lp: &L,
) -> TaskResult {
    let trace = RefCell::new(Trace::new(0.0));
    let lane = trace.borrow_mut().lane("process");
    let spec = TaskSpec::from_params(params, kernel);
    let checksum = run_on_loop(index, lane, &spec, lp.now_ms(), &trace, lp).await;
    let trace = Trace::closed(trace, lp.now_ms());
    TaskResult {
        trace,
        payload: payload(params.payload_kb, checksum),
        checksum,
    }
}

/// The label of the lane of process `i`.
pub fn lane(i: u32) -> String {
    format!("process {i}")
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

/// A process's answer to one task, as the parent receives it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The task's index.
    pub index: u32,
    /// When the process received the arguments (absolute ms).
    pub received_at: f64,
    /// When the process posted the result (absolute ms).
    pub sent_at: f64,
    /// The task's spans, in absolute ms.
    pub spans: Vec<Span>,
    /// Kernel iterations the task computed.
    #[serde(default)]
    pub iters: u64,
    /// When the process computed, absolute `[start, end]`, for work that keeps no trace of
    /// its own (the isolation lab's counting).
    #[serde(default)]
    pub ran: Option<(f64, f64)>,
}

/// What the parent does next with a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "do", content = "task", rename_all = "lowercase")]
pub enum Next {
    /// Post task `n` to it.
    Send(u32),
    /// Nothing for now; it stays in the pool.
    Wait,
    /// Join it: its one task is done (`Process.join()`), terminate it.
    Join,
    /// The whole run is done.
    Finish,
}

/// How the tasks are spread over processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// `Pool(n).map(f, range(tasks))`: the next task to whichever process is free.
    Pool,
    /// One `Process(target=f, args=(i,))` per task, each joined when its result is in.
    PerTask,
    /// `ProcessPoolExecutor`: each task when it is submitted ([`PoolRun::submit`]), to a
    /// free process, or queued until one frees up.
    Submitted,
}

/// One multiprocessing run, on the parent's side: the scheduling and the trace.
#[derive(Debug)]
pub struct PoolRun {
    trace: Trace,
    spread: Spread,
    tasks: u32,
    next: u32,
    done: u32,
    sent_at: Vec<f64>,
    spawned_at: Vec<Option<f64>>,
    spawn_ms: Vec<f64>,
    ipc_ms: f64,
    /// Submitted tasks no process has taken yet.
    queue: VecDeque<u32>,
    /// Processes that are ready and have nothing to do.
    idle: Vec<bool>,
    /// Kernel iterations each task computed.
    iters: Vec<u64>,
}

/// The trace of a finished run and what it cost.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolOutcome {
    /// Every span of the run.
    pub trace: Trace,
    /// The median time from starting a process to its ready message, ms; `None` when the
    /// run started no process (a warm pool).
    pub spawn_median_ms: Option<f64>,
    /// Time spent moving arguments and results, summed over the tasks, ms.
    pub ipc_ms: f64,
}

impl PoolRun {
    /// A run of `tasks` tasks over `processes` lanes, beginning at absolute `origin`.
    pub fn new(origin: f64, processes: u32, tasks: u32, spread: Spread) -> PoolRun {
        let mut trace = Trace::new(origin);
        for i in 0..processes {
            trace.add_lane(lane(i));
        }
        PoolRun {
            trace,
            spread,
            tasks,
            next: 0,
            done: 0,
            sent_at: vec![0.0; tasks as usize],
            spawned_at: vec![None; processes as usize],
            spawn_ms: Vec::new(),
            ipc_ms: 0.0,
            queue: VecDeque::new(),
            idle: vec![false; processes as usize],
            iters: vec![0; tasks as usize],
        }
    }

    /// Task `task` is submitted at absolute `at` ([`Spread::Submitted`]): the process it
    /// goes to now and what to post it, or `None` while every process is busy (it is queued
    /// and goes to the next one that frees up).
    pub fn submit(&mut self, task: u32, at: f64) -> Option<(u32, Next)> {
        if task >= self.tasks || self.queue.contains(&task) {
            return None;
        }
        self.queue.push_back(task);
        let lane = self.idle.iter().position(|&idle| idle)?;
        Some((lane as u32, self.hand_out(lane as u32, at)))
    }

    /// What the process on `lane` did for `task` (its spans, in absolute times, and the
    /// trips there and back), as an executor answers a job.
    pub fn job_done(&self, lane: u32, task: u32) -> Done {
        let origin = self.trace.origin_ms;
        Done {
            worker: self
                .trace
                .lanes
                .get(lane as usize)
                .cloned()
                .unwrap_or_default(),
            spans: self
                .trace
                .spans
                .iter()
                .filter(|s| s.lane == lane && s.task == Some(task))
                .map(|s| Span {
                    start_ms: s.start_ms + origin,
                    end_ms: s.end_ms + origin,
                    ..*s
                })
                .collect(),
            iters: self.iters.get(task as usize).copied().unwrap_or(0),
        }
    }

    /// The process on `lane` was started at absolute `at`.
    pub fn spawned(&mut self, lane: u32, at: f64) {
        if let Some(slot) = self.spawned_at.get_mut(lane as usize) {
            *slot = Some(at);
        }
    }

    /// The process on `lane` is ready at absolute `at` (its start-up is drawn if this run
    /// started it): what it does first.
    pub fn ready(&mut self, lane: u32, at: f64) -> Next {
        if let Some(Some(spawned)) = self.spawned_at.get(lane as usize).copied() {
            self.trace.record(lane, None, State::Spawn, spawned, at);
            self.spawn_ms.push(at - spawned);
        }
        self.hand_out(lane, at)
    }

    /// The process on `lane` answered `reply`, received at absolute `at`: the trip there,
    /// its spans and the trip back join the trace; what the process does next.
    pub fn reply(&mut self, lane: u32, reply: &Reply, at: f64) -> Next {
        let i = reply.index as usize;
        let sent = self.sent_at.get(i).copied().unwrap_or(reply.received_at);
        let task = Some(reply.index);
        self.trace
            .record(lane, task, State::Ipc, sent, reply.received_at);
        for s in &reply.spans {
            self.trace
                .record(lane, s.task.or(task), s.state, s.start_ms, s.end_ms);
        }
        if let Some((start, end)) = reply.ran {
            self.trace.record(lane, task, State::Running, start, end);
        }
        self.trace.record(lane, task, State::Ipc, reply.sent_at, at);
        self.ipc_ms += (reply.received_at - sent).max(0.0) + (at - reply.sent_at).max(0.0);
        self.trace.add_iters(lane, reply.iters);
        if let Some(n) = self.iters.get_mut(i) {
            *n = reply.iters;
        }
        self.trace.finish(at);
        self.done += 1;
        if self.done >= self.tasks {
            return Next::Finish;
        }
        match self.spread {
            Spread::Pool | Spread::Submitted => self.hand_out(lane, at),
            Spread::PerTask => Next::Join,
        }
    }

    fn hand_out(&mut self, lane: u32, at: f64) -> Next {
        let task = match self.spread {
            Spread::Pool if self.next < self.tasks => self.next,
            Spread::PerTask if lane < self.tasks && self.sent_at[lane as usize] == 0.0 => lane,
            Spread::Submitted => match self.queue.pop_front() {
                Some(task) => task,
                None => {
                    if let Some(idle) = self.idle.get_mut(lane as usize) {
                        *idle = true;
                    }
                    return Next::Wait;
                }
            },
            _ => return Next::Wait,
        };
        if let Some(idle) = self.idle.get_mut(lane as usize) {
            *idle = false;
        }
        self.next = self.next.max(task + 1);
        self.sent_at[task as usize] = at;
        Next::Send(task)
    }

    /// Tasks whose results are in.
    pub fn done(&self) -> u32 {
        self.done
    }

    /// The trace so far, as at absolute `now`, for a live view.
    pub fn snapshot(&self, now: f64) -> Trace {
        let mut t = self.trace.clone();
        t.finish(now);
        t
    }

    /// The finished run.
    pub fn finish(self) -> PoolOutcome {
        let mut spawn = self.spawn_ms;
        spawn.sort_by(f64::total_cmp);
        PoolOutcome {
            spawn_median_ms: (!spawn.is_empty()).then(|| spawn[spawn.len() / 2]),
            ipc_ms: self.ipc_ms,
            trace: self.trace,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::NativePool;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::{run_task, Next, PoolRun, Reply, Spread};
    use crate::clock::{Clock, SystemClock};
    use crate::event_loop::{block_on, NativeLoop};
    use crate::executor::{handoff, Executor, Handoff, Job, Sender};
    use crate::params::Params;
    use crate::workload::Kernel;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::mpsc;
    use std::thread::JoinHandle;

    /// Where a process answers a job: its lane and its reply.
    type Answer = Sender<(u32, Reply)>;
    /// A job for a process: its task, its scenario, and where to answer.
    type Parcel = (u32, Params, Answer);

    /// A `ProcessPoolExecutor` for one run, natively: each "process" a thread with its own
    /// event loop that shares nothing with the others and talks only by channels, as the
    /// page's process workers talk only by messages; which process takes which job is a
    /// [`PoolRun`]'s ([`Spread::Submitted`]), on the loop's side, as on the page.
    pub struct NativePool {
        run: RefCell<PoolRun>,
        base: Params,
        inboxes: Vec<mpsc::Sender<Option<Parcel>>>,
        /// Jobs submitted and not yet posted to a process, with where to answer.
        waiting: RefCell<HashMap<u32, (Params, Answer)>>,
        threads: Vec<JoinHandle<()>>,
    }

    impl NativePool {
        /// A pool of `processes` processes for the tasks of `params`, computing with
        /// `kernel`, all ready at once.
        pub fn new(params: &Params, kernel: Kernel, processes: u32) -> NativePool {
            let mut inboxes = Vec::new();
            let mut threads = Vec::new();
            for lane in 0..processes {
                let (tx, inbox) = mpsc::channel::<Option<Parcel>>();
                inboxes.push(tx);
                threads.push(std::thread::spawn(move || {
                    while let Ok(Some((task, p, answer))) = inbox.recv() {
                        let received_at = SystemClock.now_ms();
                        let r = block_on(run_task(&p, task, kernel, &NativeLoop));
                        let reply = Reply {
                            index: task,
                            received_at,
                            sent_at: SystemClock.now_ms(),
                            spans: r.trace.spans,
                            iters: r.trace.iters.iter().sum(),
                            ran: None,
                        };
                        answer.send((lane, reply));
                    }
                }));
            }
            let now = SystemClock.now_ms();
            let mut run = PoolRun::new(now, processes, params.tasks, Spread::Submitted);
            for lane in 0..processes {
                run.ready(lane, now);
            }
            NativePool {
                run: RefCell::new(run),
                base: params.clone(),
                inboxes,
                waiting: RefCell::new(HashMap::new()),
                threads,
            }
        }

        /// Post task `task` to the process on `lane`, as the pool's schedule says.
        fn post(&self, lane: u32, task: u32) {
            if let Some((p, answer)) = self.waiting.borrow_mut().remove(&task) {
                if let Some(inbox) = self.inboxes.get(lane as usize) {
                    inbox.send(Some((task, p, answer))).ok();
                }
            }
        }

        /// Do what the schedule says next, for the process on `lane`.
        fn apply(&self, lane: u32, next: Next) {
            if let Next::Send(task) = next {
                self.post(lane, task);
            }
        }
    }

    impl Drop for NativePool {
        /// The processes end once their inboxes close, as a pool's `shutdown()`.
        fn drop(&mut self) {
            for inbox in &self.inboxes {
                inbox.send(None).ok();
            }
            for t in self.threads.drain(..) {
                t.join().ok();
            }
        }
    }

    impl Executor for NativePool {
        fn workers(&self) -> Vec<String> {
            (0..self.inboxes.len() as u32).map(super::lane).collect()
        }

        fn run(&self, job: Job) -> Handoff<'_> {
            let (tx, rx) = handoff();
            self.waiting
                .borrow_mut()
                .insert(job.task, (job.params(&self.base), tx));
            let now = SystemClock.now_ms();
            let first = self.run.borrow_mut().submit(job.task, now);
            if let Some((lane, next)) = first {
                self.apply(lane, next);
            }
            Box::pin(async move {
                let (lane, reply) = rx
                    .await
                    .map_err(|()| format!("process: task {} got no answer", job.task))?;
                let next = self
                    .run
                    .borrow_mut()
                    .reply(lane, &reply, SystemClock.now_ms());
                self.apply(lane, next);
                let done = self.run.borrow().job_done(lane, reply.index);
                Ok(done)
            })
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::event_loop::{block_on, NativeLoop};
    use crate::params::parse_query;
    use std::sync::mpsc;

    use crate::workload::test_kernel as kernel;

    /// One task in a process waits, then computes, with absolute times, and sends back the
    /// payload it was asked for.
    #[test]
    fn a_task_in_a_process() {
        let p = parse_query("workload=mixed&tasks=2&io_ms=10&cpu_ms=5&payload_kb=3").params;
        let before = NativeLoop.now_ms();
        let r = block_on(run_task(&p, 1, kernel(), &NativeLoop));
        assert_eq!(r.payload.len(), 3 * 1024);
        assert_eq!(r.trace.lanes, ["process"]);
        assert!(r.trace.spans.iter().all(|s| s.task == Some(1)));
        assert!(r.trace.spans[0].start_ms >= before, "absolute times");
        assert_eq!(r.trace.iters, [kernel().iters_for(5.0)]);
    }

    /// A process's counter is its own: adding to it returns the running total.
    #[test]
    fn module_counter() {
        let before = counter();
        assert_eq!(add_to_counter(5), before + 5);
        assert_eq!(counter(), before + 5);
    }

    /// Run `tasks` tasks on `processes` native "processes" (threads, each with its own event
    /// loop, talking by channels only), scheduled by a [`PoolRun`] as the page schedules its
    /// workers.
    fn run_pool(query: &str, processes: u32, spread: Spread) -> PoolOutcome {
        let p = parse_query(query).params;
        let clock = NativeLoop;
        let mut run = PoolRun::new(clock.now_ms(), processes, p.tasks, spread);
        let (to_parent, from_procs) = mpsc::channel::<(u32, Option<Reply>, f64)>();
        let mut inboxes = Vec::new();
        std::thread::scope(|s| {
            for lane in 0..processes {
                let (to_proc, inbox) = mpsc::channel::<Option<u32>>();
                inboxes.push(to_proc);
                let (to_parent, p) = (to_parent.clone(), p.clone());
                run.spawned(lane, clock.now_ms());
                s.spawn(move || {
                    to_parent.send((lane, None, NativeLoop.now_ms())).ok();
                    while let Ok(Some(index)) = inbox.recv() {
                        let received_at = NativeLoop.now_ms();
                        let r = block_on(run_task(&p, index, kernel(), &NativeLoop));
                        let reply = Reply {
                            index,
                            received_at,
                            sent_at: NativeLoop.now_ms(),
                            spans: r.trace.spans,
                            iters: r.trace.iters.iter().sum(),
                            ran: None,
                        };
                        to_parent
                            .send((lane, Some(reply), NativeLoop.now_ms()))
                            .ok();
                    }
                });
            }
            while let Ok((lane, reply, at)) = from_procs.recv() {
                let next = match &reply {
                    None => run.ready(lane, at),
                    Some(r) => run.reply(lane, r, at),
                };
                match next {
                    Next::Send(task) => inboxes[lane as usize].send(Some(task)).expect("alive"),
                    Next::Wait => {}
                    Next::Join => inboxes[lane as usize].send(None).expect("alive"),
                    Next::Finish => break,
                }
            }
            for inbox in &inboxes {
                inbox.send(None).ok();
            }
        });
        run.finish()
    }

    /// A pool of 2 processes runs 6 I/O tasks two at a time: every task once, on the two
    /// lanes, each lane with its start-up, and about 3 rounds of waiting.
    #[test]
    fn a_pool_takes_tasks_as_it_frees_up() {
        let out = run_pool("workload=io&tasks=6&io_ms=20", 2, Spread::Pool);
        let t = &out.trace;
        assert!(t.problems().is_empty(), "{:?}", t.problems());
        let mut tasks: Vec<u32> = t
            .spans
            .iter()
            .filter(|s| s.state == State::IoWait)
            .filter_map(|s| s.task)
            .collect();
        tasks.sort_unstable();
        assert_eq!(tasks, [0, 1, 2, 3, 4, 5]);
        assert_eq!(t.max_overlap(State::IoWait), 2);
        assert_eq!(
            t.spans.iter().filter(|s| s.state == State::Spawn).count(),
            2
        );
        assert!(out.spawn_median_ms.is_some());
        assert!(t.wall_ms >= 3.0 * 20.0 - 1.0, "{}", t.wall_ms);
    }

    /// Processes compute in parallel: 4 CPU tasks on 2 processes overlap their running.
    #[test]
    fn processes_compute_in_parallel() {
        let out = run_pool("workload=cpu&tasks=4&cpu_ms=40", 2, Spread::Pool);
        assert_eq!(out.trace.max_overlap(State::Running), 2, "{:?}", out.trace);
        assert_eq!(
            out.trace.iters.iter().sum::<u64>(),
            4 * kernel().iters_for(40.0)
        );
    }

    /// One process per task: each takes only its own task and is joined after it.
    #[test]
    fn one_process_per_task() {
        let mut run = PoolRun::new(0.0, 3, 3, Spread::PerTask);
        assert_eq!(run.ready(2, 1.0), Next::Send(2));
        assert_eq!(run.ready(0, 1.0), Next::Send(0));
        let reply = |index| Reply {
            index,
            received_at: 2.0,
            sent_at: 3.0,
            spans: vec![],
            iters: 0,
            ran: Some((2.5, 2.9)),
        };
        assert_eq!(run.reply(2, &reply(2), 4.0), Next::Join);
        assert_eq!(run.ready(1, 5.0), Next::Send(1));
        assert_eq!(run.reply(0, &reply(0), 6.0), Next::Join);
        assert_eq!(run.reply(1, &reply(1), 7.0), Next::Finish);
        let out = run.finish();
        assert!(
            out.spawn_median_ms.is_none(),
            "no process was started by the run"
        );
        assert_eq!(out.trace.wall_ms, 7.0);
    }
}
