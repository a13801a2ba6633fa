//! What a run leaves behind: spans on lanes, on one clock. Views draw only from a [`Trace`].
//!
//! Models record spans with absolute times from their [`crate::clock::Clock`]; the trace
//! stores them relative to the run's start, so `start_ms` 0 is the moment the run began.
//! Every lane also counts the kernel iterations it computed, so the speed each context
//! really ran at (a page, a thread, a process) can be set beside the calibration.

use crate::names::named;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use strum::{IntoStaticStr, VariantArray, VariantNames};

/// The label of the lane that shows the page's event-loop lag, in every trace that has one.
pub const LAG_LANE: &str = "event loop lag";

/// The label of the lane that shows who holds the GIL, in a threading trace with the GIL on:
/// one [`State::GilHeld`] span per turn, whose `task` is the task that held it.
pub const GIL_LANE: &str = "GIL";

/// Lateness shorter than this is not worth a `blocked` mark on the timeline, ms.
pub const MIN_BLOCKED_MS: f64 = 0.5;

/// What a lane was doing during a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(Serialize, Deserialize, IntoStaticStr, VariantArray, VariantNames)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum State {
    /// Computing.
    Running,
    /// Waiting for (simulated) I/O.
    IoWait,
    /// A task on an event loop awaiting work it handed to an executor (a process pool, a
    /// thread): the loop runs other tasks meanwhile.
    Awaiting,
    /// Ready to compute, waiting for the global interpreter lock.
    GilWait,
    /// Holding the global interpreter lock (on the GIL lane only): one span per turn.
    GilHeld,
    /// Starting a thread pool or a process.
    Spawn,
    /// Sending arguments to a process or receiving its result.
    Ipc,
    /// Ready to run, but the event loop is busy elsewhere (or late, on the lag lane).
    Blocked,
}

named!(State);

/// One interval of one lane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// The lane (task, thread or process) it belongs to.
    pub lane: u32,
    /// The task it worked for; `None` for pool or process start-up.
    pub task: Option<u32>,
    /// What the lane was doing.
    pub state: State,
    /// Start, ms since the run began.
    pub start_ms: f64,
    /// End, ms since the run began; never before `start_ms`.
    pub end_ms: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The absolute time (epoch ms) the run began; spans are relative to it.
    pub origin_ms: f64,
    /// Wall time of the whole run, ms.
    pub wall_ms: f64,
    /// Lane labels, indexed by [`Span::lane`].
    pub lanes: Vec<String>,
    /// Every span, in the order recorded.
    pub spans: Vec<Span>,
    /// Kernel iterations computed on each lane, indexed like [`Trace::lanes`].
    #[serde(default)]
    pub iters: Vec<u64>,
}

impl Trace {
    /// An empty trace for a run that begins at `origin_ms` (absolute).
    pub fn new(origin_ms: f64) -> Trace {
        Trace {
            origin_ms,
            wall_ms: 0.0,
            lanes: Vec::new(),
            spans: Vec::new(),
            iters: Vec::new(),
        }
    }

    /// The index of the lane called `label`, added if new.
    pub fn lane(&mut self, label: &str) -> u32 {
        if let Some(i) = self.lanes.iter().position(|l| l == label) {
            return i as u32;
        }
        self.lanes.push(label.to_string());
        (self.lanes.len() - 1) as u32
    }

    /// Add a lane known to be new, and return its index: no search, so a run with 10,000
    /// tasks adds its lanes in linear time.
    pub fn add_lane(&mut self, label: String) -> u32 {
        self.lanes.push(label);
        (self.lanes.len() - 1) as u32
    }

    /// Record a span given absolute start and end times. Empty or reversed spans are
    /// clamped to zero length at `start`, never dropped, so every task stays visible.
    pub fn record(&mut self, lane: u32, task: Option<u32>, state: State, start: f64, end: f64) {
        let start_ms = start - self.origin_ms;
        self.spans.push(Span {
            lane,
            task,
            state,
            start_ms,
            end_ms: (end - self.origin_ms).max(start_ms),
        });
    }

    /// Record that a lane could have gone on at absolute time `from` but went on only at
    /// `to` (its loop was busy elsewhere), if the wait is worth a mark.
    pub fn record_late(&mut self, lane: u32, task: Option<u32>, from: f64, to: f64) {
        if to - from >= MIN_BLOCKED_MS {
            self.record(lane, task, State::Blocked, from, to);
        }
    }

    /// Count `n` kernel iterations computed on `lane`.
    pub fn add_iters(&mut self, lane: u32, n: u64) {
        let lane = lane as usize;
        if self.iters.len() <= lane {
            self.iters.resize(lane + 1, 0);
        }
        self.iters[lane] += n;
    }

    /// The kernel speed `lane` computed at, iterations per ms of its `running` time; `None`
    /// for a lane that computed nothing measurable.
    pub fn speed(&self, lane: u32) -> Option<f64> {
        let iters = *self.iters.get(lane as usize)?;
        let ms: f64 = self
            .spans
            .iter()
            .filter(|s| s.lane == lane && s.state == State::Running)
            .map(|s| s.end_ms - s.start_ms)
            .sum();
        (iters > 0 && ms >= 1.0).then(|| iters as f64 / ms)
    }

    /// The slowest kernel speed of any lane that computed, iterations per ms.
    pub fn slowest_speed(&self) -> Option<f64> {
        (0..self.iters.len() as u32)
            .filter_map(|lane| self.speed(lane))
            .reduce(f64::min)
    }

    /// Add the page's event-loop lag as its own lane: each late stretch (absolute `[from,
    /// to]`) becomes a `blocked` span, clipped to the run.
    pub fn add_lag_lane(&mut self, late: &[(f64, f64)]) {
        let lane = self.add_lane(LAG_LANE.to_string());
        for &(from, to) in late {
            let start = (from - self.origin_ms).max(0.0);
            let end = (to - self.origin_ms).min(self.wall_ms);
            if end > 0.0 && start < self.wall_ms {
                self.spans.push(Span {
                    lane,
                    task: None,
                    state: State::Blocked,
                    start_ms: start,
                    end_ms: end.max(start),
                });
            }
        }
    }

    /// Shift the run's start back to absolute time `origin`, keeping every span where it
    /// was in absolute time: for set-up that happened before the model's own start.
    pub fn start_earlier(&mut self, origin: f64) {
        let shift = self.origin_ms - origin;
        for s in &mut self.spans {
            s.start_ms += shift;
            s.end_ms += shift;
        }
        self.origin_ms = origin;
        self.wall_ms += shift;
    }

    /// The trace recorded in `cell`, closed at absolute time `end`.
    pub fn closed(cell: RefCell<Trace>, end: f64) -> Trace {
        let mut trace = cell.into_inner();
        trace.finish(end);
        trace
    }

    /// Close the trace at absolute time `end`.
    pub fn finish(&mut self, end: f64) {
        self.wall_ms = end - self.origin_ms;
    }

    /// Problems with the trace's shape, for tests: spans reversed, outside the run, or on
    /// a lane that does not exist.
    pub fn problems(&self) -> Vec<String> {
        let slack = 1.0;
        self.spans
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                if s.end_ms < s.start_ms {
                    Some(format!("span {i} ends before it starts: {s:?}"))
                } else if s.start_ms < -slack || s.end_ms > self.wall_ms + slack {
                    Some(format!(
                        "span {i} lies outside the run (0..{}): {s:?}",
                        self.wall_ms
                    ))
                } else if s.lane as usize >= self.lanes.len() {
                    Some(format!(
                        "span {i} is on lane {} of {}",
                        s.lane,
                        self.lanes.len()
                    ))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Total time spent in `state`, summed over every lane, ms.
    pub fn time_in(&self, state: State) -> f64 {
        self.spans
            .iter()
            .filter(|s| s.state == state)
            .map(|s| s.end_ms - s.start_ms)
            .sum()
    }

    /// The largest number of `state` spans that overlap at any instant.
    pub fn max_overlap(&self, state: State) -> usize {
        let mut edges: Vec<(f64, i32)> = self
            .spans
            .iter()
            .filter(|s| s.state == state && s.end_ms > s.start_ms)
            .flat_map(|s| [(s.start_ms, 1), (s.end_ms, -1)])
            .collect();
        // Ends sort before starts at the same instant: touching spans do not overlap.
        edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut now = 0i32;
        let mut max = 0i32;
        for (_, d) in edges {
            now += d;
            max = max.max(now);
        }
        max as usize
    }
}

/// Reports snapshots of a trace that is still being recorded, at most every `every_ms`,
/// so the page can draw a run as its spans arrive.
pub struct Progress<'a> {
    report: Option<&'a dyn Fn(&Trace)>,
    every_ms: f64,
    last: Cell<f64>,
}

impl<'a> Progress<'a> {
    /// The most spans a snapshot copies.
    pub const MAX_SPANS: usize = 2_000;

    /// Report through `report`, at most every `every_ms`.
    pub fn new(report: &'a dyn Fn(&Trace), every_ms: f64) -> Progress<'a> {
        Progress {
            report: Some(report),
            every_ms,
            last: Cell::new(f64::NEG_INFINITY),
        }
    }

    /// Report nothing.
    pub fn none() -> Progress<'static> {
        Progress {
            report: None,
            every_ms: f64::INFINITY,
            last: Cell::new(0.0),
        }
    }

    /// Something happened at absolute time `now`: report a snapshot if the last one is old
    /// enough. A trace with more than [`Progress::MAX_SPANS`] spans is only drawn at the
    /// end: copying it would cost the run more than the picture is worth (10,000 tasks end
    /// within a millisecond).
    pub fn tick(&self, trace: &RefCell<Trace>, now: f64) {
        let Some(report) = self.report else {
            return;
        };
        if now - self.last.get() < self.every_ms || trace.borrow().spans.len() > Self::MAX_SPANS {
            return;
        }
        self.last.set(now);
        let mut snapshot = trace.borrow().clone();
        snapshot.finish(now);
        report(&snapshot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spans are stored relative to the run's origin, and reversed spans are clamped.
    #[test]
    fn records_relative_to_origin() {
        let mut t = Trace::new(1000.0);
        let lane = t.lane("task 0");
        t.record(lane, Some(0), State::IoWait, 1010.0, 1210.0);
        t.record(lane, Some(0), State::Running, 1210.0, 1200.0);
        t.finish(1215.0);
        assert_eq!(t.spans[0].start_ms, 10.0);
        assert_eq!(t.spans[0].end_ms, 210.0);
        assert_eq!(t.spans[1].end_ms, t.spans[1].start_ms);
        assert_eq!(t.wall_ms, 215.0);
        assert!(t.problems().is_empty(), "{:?}", t.problems());
    }

    /// Lanes are created once per label.
    #[test]
    fn lanes_are_unique() {
        let mut t = Trace::new(0.0);
        assert_eq!(t.lane("a"), 0);
        assert_eq!(t.lane("b"), 1);
        assert_eq!(t.lane("a"), 0);
    }

    /// problems() finds spans outside the run and on missing lanes.
    #[test]
    fn problems_are_found() {
        let mut t = Trace::new(0.0);
        t.lane("only");
        t.record(0, None, State::Running, 0.0, 50.0);
        t.record(3, None, State::Running, 0.0, 5.0);
        t.finish(10.0);
        assert_eq!(t.problems().len(), 2);
    }

    /// Progress reports a snapshot at once, then no more often than asked.
    #[test]
    fn progress_is_throttled() {
        let trace = RefCell::new(Trace::new(1000.0));
        let seen = Cell::new(0);
        let report = |_: &Trace| seen.set(seen.get() + 1);
        let progress = Progress::new(&report, 10_000.0);
        progress.tick(&trace, 1001.0);
        progress.tick(&trace, 1002.0);
        assert_eq!(seen.get(), 1);
        Progress::none().tick(&trace, 1003.0);
    }

    /// Lateness under half a millisecond leaves no mark; longer lateness is a blocked span.
    #[test]
    fn late_spans() {
        let mut t = Trace::new(0.0);
        t.record_late(0, Some(0), 10.0, 10.2);
        t.record_late(0, Some(0), 10.0, 15.0);
        assert_eq!(t.spans.len(), 1);
        assert_eq!(t.spans[0].state, State::Blocked);
    }

    /// A lane's speed is its iterations over its running time; lag stretches become a
    /// clipped lane of their own; an earlier start keeps spans in place in absolute time.
    #[test]
    fn speed_lag_and_shift() {
        let mut t = Trace::new(100.0);
        let lane = t.lane("thread 0");
        t.record(lane, Some(0), State::Running, 110.0, 130.0);
        t.add_iters(lane, 40_000);
        t.finish(150.0);
        assert_eq!(t.speed(lane), Some(2000.0));
        assert_eq!(t.speed(7), None);
        assert_eq!(t.slowest_speed(), Some(2000.0));
        t.add_lag_lane(&[(90.0, 105.0), (140.0, 170.0), (200.0, 210.0)]);
        let lag: Vec<(f64, f64)> = t.spans[1..]
            .iter()
            .map(|s| (s.start_ms, s.end_ms))
            .collect();
        assert_eq!(lag, [(0.0, 5.0), (40.0, 50.0)]);
        assert_eq!(t.lanes[1], LAG_LANE);
        t.start_earlier(80.0);
        assert_eq!(t.spans[0].start_ms, 30.0);
        assert_eq!(t.wall_ms, 70.0);
        assert!(t.problems().is_empty(), "{:?}", t.problems());
    }

    /// Overlap counts concurrent spans; touching spans do not overlap.
    #[test]
    fn overlap() {
        let mut t = Trace::new(0.0);
        t.record(0, None, State::IoWait, 0.0, 10.0);
        t.record(1, None, State::IoWait, 5.0, 15.0);
        t.record(2, None, State::IoWait, 15.0, 20.0);
        assert_eq!(t.max_overlap(State::IoWait), 2);
        assert_eq!(t.time_in(State::IoWait), 25.0);
        assert_eq!(t.max_overlap(State::Running), 0);
    }
}
