//! One clock for the page, every thread and every process: milliseconds since the Unix epoch,
//! with sub-millisecond resolution.
//!
//! The core only knows the [`Clock`] trait. In the browser the clock is
//! `performance.timeOrigin + performance.now()` (`boundary::js_loop::PerformanceClock`):
//! each worker has its own `timeOrigin`, so `now()` alone cannot be compared across
//! workers, but the sum is the same wall clock everywhere, and spans from many workers
//! land on one timeline without conversion. Natively it is [`SystemClock`].

/// A source of absolute time, in epoch milliseconds, monotonic within one thread.
///
/// Clocks are shared by every thread of a run (the GIL reads one from each thread), so
/// they are `Sync`; the ones here hold no state at all.
pub trait Clock: Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
}

/// The operating system's clock: the native clock for tests, benchmarks and native runs.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> f64 {
        use std::sync::OnceLock;
        use std::time::{Instant, SystemTime, UNIX_EPOCH};
        static ORIGIN: OnceLock<(Instant, f64)> = OnceLock::new();
        let (instant, epoch_ms) = ORIGIN.get_or_init(|| {
            let epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0);
            (Instant::now(), epoch)
        });
        epoch_ms + instant.elapsed().as_secs_f64() * 1000.0
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The clock never runs backwards and measures a real sleep.
    #[test]
    fn monotonic_and_real() {
        let a = SystemClock.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = SystemClock.now_ms();
        assert!(b - a >= 19.0, "{a} -> {b}");
        assert!(a > 1.6e12, "epoch milliseconds");
    }
}
