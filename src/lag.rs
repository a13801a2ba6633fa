//! The event-loop lag meter: a heartbeat on a loop that notes how late each beat wakes. A
//! loop held by a computation wakes it late by as long as it was held; a free loop wakes it
//! on time. The late stretches become `blocked` spans on their own lane
//! ([`crate::trace::Trace::add_lag_lane`]).
//!
//! The heartbeat is a sleeper like any task's, so on the page it measures the loop the
//! models run on: held by asyncio's computing (even while the page breathes to see Stop),
//! free while threads and processes work elsewhere.

use crate::event_loop::EventLoop;
use serde::Serialize;
use std::cell::{Cell, RefCell};

/// How often the heartbeat asks to wake, ms.
pub const BEAT_MS: f64 = 10.0;
/// Lateness below this is the timer's own jitter, not a held loop, ms.
pub const LATE_MS: f64 = 4.0;

/// What the heartbeat saw.
#[derive(Clone, Debug, Default)]
pub struct Lag {
    samples: Vec<f64>,
    late: Vec<(f64, f64)>,
    /// When the beat now pending is due (absolute ms).
    due: f64,
}

/// The lag of a run, in figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LagStats {
    /// The latest any beat woke, ms.
    pub max_ms: f64,
    /// The 99th percentile of the beats' lateness, ms.
    pub p99_ms: f64,
}

impl Lag {
    /// A beat due at `due` woke at `now`.
    pub fn beat(&mut self, due: f64, now: f64) {
        let lateness = (now - due).max(0.0);
        self.samples.push(lateness);
        if lateness >= LATE_MS {
            self.late.push((due, now));
        }
    }

    /// The run is over at `now`: a beat still pending is already late if its time has
    /// passed (a computation that held the loop to the very end leaves no other trace).
    pub fn end(&mut self, now: f64) {
        if self.due > 0.0 && now > self.due {
            self.beat(self.due, now);
        }
        self.due = 0.0;
    }

    /// The late stretches, absolute `[from, to]`.
    pub fn late(&self) -> &[(f64, f64)] {
        &self.late
    }

    /// Max and p99 of the lateness.
    pub fn stats(&self) -> LagStats {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return LagStats::default();
        }
        LagStats {
            max_ms: sorted[n - 1],
            p99_ms: sorted[((n as f64 * 0.99) as usize).min(n - 1)],
        }
    }
}

/// Beat on `lp` every [`BEAT_MS`] into `lag` until `stop` is set.
pub async fn heartbeat<L: EventLoop + ?Sized>(lp: &L, lag: &RefCell<Lag>, stop: &Cell<bool>) {
    while !stop.get() {
        let due = lp.now_ms() + BEAT_MS;
        lag.borrow_mut().due = due;
        lp.sleep(BEAT_MS).await;
        if stop.get() {
            break;
        }
        lag.borrow_mut().beat(due, lp.now_ms());
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::event_loop::{block_on, hold, NativeLoop};

    /// A free loop wakes the heartbeat on time; a loop held for 60 ms makes one beat 60 ms
    /// late, counted in the maximum and drawn as one late stretch.
    #[test]
    fn a_held_loop_is_late() {
        let lp = NativeLoop;
        let lag = RefCell::new(Lag::default());
        let stop = Cell::new(false);
        let work = async {
            lp.sleep(30.0).await;
            {
                let _held = hold(&lp);
                let until = lp.now_ms() + 60.0;
                while lp.now_ms() < until {
                    lp.breathe().await;
                }
            }
            lp.sleep(30.0).await;
            stop.set(true);
        };
        block_on(futures_util::future::join(
            heartbeat(&lp, &lag, &stop),
            work,
        ));
        let stats = lag.borrow().stats();
        assert!(stats.max_ms >= 50.0, "{stats:?}");
        assert!(!lag.borrow().late().is_empty());
        assert!(lag.borrow().samples.len() >= 5);
    }

    /// A beat still pending when the run ends counts if its time has passed.
    #[test]
    fn a_pending_beat_counts_at_the_end() {
        let mut lag = Lag {
            due: 100.0,
            ..Lag::default()
        };
        lag.end(180.0);
        assert_eq!(lag.stats().max_ms, 80.0);
        assert_eq!(lag.late(), [(100.0, 180.0)]);
    }
}
