//! Stop, as every model sees it: a flag that the page raises and every loop longer than a
//! few milliseconds checks.
//!
//! Threads see it in their shared memory (the page writes it through the memory the threads
//! host shares with it), between chunks of work and while they sleep; work on an event loop
//! is stopped by dropping its future at its next breath (`event_loop::BREATHE_MS`); a process is
//! a worker the page terminates.

use crate::clock::Clock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The longest a sleeping thread goes without looking at the flag, ms.
pub const SLEEP_SLICE_MS: f64 = 10.0;

/// A stop flag. A `u32`, so that JS can set it with `Atomics.store` on an `Int32Array`.
#[derive(Debug, Default)]
pub struct Cancel(AtomicU32);

/// A run that ended because Stop was pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl Cancel {
    /// A flag that is down.
    pub const fn new() -> Cancel {
        Cancel(AtomicU32::new(0))
    }

    /// Raise the flag: every loop that checks it stops.
    pub fn set(&self) {
        self.0.store(1, Ordering::SeqCst);
    }

    /// Lower the flag, before a new run.
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    /// Whether the flag is up.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// `Err(Cancelled)` once the flag is up.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_set() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// The flag's address in this instance's memory, for the page to write it.
    pub fn address(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Block this thread for `ms`, as `time.sleep` does, looking at the flag every
    /// [`SLEEP_SLICE_MS`]; `Err(Cancelled)` as soon as it is up.
    pub fn sleep(&self, ms: f64, clock: &dyn Clock) -> Result<(), Cancelled> {
        let deadline = clock.now_ms() + ms.max(0.0);
        loop {
            self.check()?;
            let left = deadline - clock.now_ms();
            if left <= 0.0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_secs_f64(left.min(SLEEP_SLICE_MS) / 1000.0));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    /// A sleep lasts its time when the flag stays down, and ends within a slice of it going up.
    #[test]
    fn sleep_ends_early_on_stop() {
        let cancel = Cancel::new();
        let start = SystemClock.now_ms();
        assert_eq!(cancel.sleep(30.0, &SystemClock), Ok(()));
        assert!(SystemClock.now_ms() - start >= 29.0);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(20));
                cancel.set();
            });
            let start = SystemClock.now_ms();
            assert_eq!(cancel.sleep(5_000.0, &SystemClock), Err(Cancelled));
            let took = SystemClock.now_ms() - start;
            assert!(took < 1_000.0, "stopped after {took} ms");
        });
        cancel.reset();
        assert!(cancel.check().is_ok());
    }
}
