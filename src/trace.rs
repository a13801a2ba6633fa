//! What a run leaves behind: spans on lanes, on one clock. Views draw only from a [`Trace`].
//!
//! Models record spans with absolute times from [`crate::clock::now_ms`]; the trace stores
//! them relative to the run's start, so `start_ms` 0 is the moment the run began.

use serde::Serialize;
use std::cell::{Cell, RefCell};

/// What a lane was doing during a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Computing.
    Running,
    /// Waiting for (simulated) I/O.
    IoWait,
    /// Ready to compute, waiting for the global interpreter lock.
    GilWait,
    /// Starting a thread pool or a process.
    Spawn,
    /// Sending arguments to a process or receiving its result.
    Ipc,
    /// Ready to run, but the event loop is busy elsewhere (or late, on the lag lane).
    Blocked,
}

impl State {
    /// Every state, in legend order.
    pub const ALL: [State; 6] = [
        State::Running,
        State::IoWait,
        State::GilWait,
        State::Spawn,
        State::Ipc,
        State::Blocked,
    ];
}

/// One interval of one lane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    /// The absolute time (epoch ms) the run began; spans are relative to it.
    pub origin_ms: f64,
    /// Wall time of the whole run, ms.
    pub wall_ms: f64,
    /// Lane labels, indexed by [`Span::lane`].
    pub lanes: Vec<String>,
    /// Every span, in the order recorded.
    pub spans: Vec<Span>,
}

impl Trace {
    /// An empty trace for a run that begins at `origin_ms` (absolute).
    pub fn new(origin_ms: f64) -> Trace {
        Trace {
            origin_ms,
            wall_ms: 0.0,
            lanes: Vec::new(),
            spans: Vec::new(),
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

    /// Add spans already relative to this trace's origin (from another recorder).
    pub fn extend(&mut self, spans: impl IntoIterator<Item = Span>) {
        self.spans.extend(spans);
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

    /// Something happened: report a snapshot if the last one is old enough. A trace with
    /// more than [`Progress::MAX_SPANS`] spans is only drawn at the end: copying it would
    /// cost the run more than the picture is worth (10,000 tasks end within a millisecond).
    pub fn tick(&self, trace: &RefCell<Trace>) {
        let Some(report) = self.report else {
            return;
        };
        let now = crate::clock::now_ms();
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
        let trace = RefCell::new(Trace::new(crate::clock::now_ms()));
        let seen = Cell::new(0);
        let report = |_: &Trace| seen.set(seen.get() + 1);
        let progress = Progress::new(&report, 10_000.0);
        progress.tick(&trace);
        progress.tick(&trace);
        assert_eq!(seen.get(), 1);
        Progress::none().tick(&trace);
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
