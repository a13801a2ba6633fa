//! The kernels every model runs: a CPU kernel sized in milliseconds of single-thread work,
//! calibrated once on the running machine, and the I/O wait of each workload.
//!
//! CPU work is a fixed number of iterations, not "spin until the clock says so": two threads
//! that really run in parallel finish the same work in half the time, and the timeline shows it.

use crate::clock::now_ms;
use std::hint::black_box;

/// Iterations of [`spin`] per chunk: small enough that a chunk is well under a millisecond,
/// so the GIL can switch and asyncio can yield between chunks.
pub const CHUNK_ITERS: u64 = 1 << 14;

/// The CPU kernel: `iters` rounds of a xorshift generator. Serial by construction (each
/// round needs the last), so no compiler can vectorise it away or split it.
#[inline(never)]
pub fn spin(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// A calibrated CPU kernel: how many iterations make one millisecond here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kernel {
    /// Iterations of [`spin`] per millisecond of single-thread work.
    pub iters_per_ms: f64,
}

impl Kernel {
    /// A kernel with a known speed (from a calibration done elsewhere, say on the page).
    pub fn new(iters_per_ms: f64) -> Result<Kernel, String> {
        if iters_per_ms.is_finite() && iters_per_ms >= 1.0 {
            Ok(Kernel { iters_per_ms })
        } else {
            Err(format!(
                "itersPerMs: {iters_per_ms} is not a calibrated speed (valid: a finite number >= 1)"
            ))
        }
    }

    /// Measure this machine: the best of several timed rounds after a warm-up, so a JIT
    /// that tiers up (WebAssembly starts in a baseline compiler) does not skew the figure.
    pub fn calibrate() -> Kernel {
        let round = |iters: u64| {
            let start = now_ms();
            let mut done = 0;
            while done < iters {
                spin(CHUNK_ITERS, done);
                done += CHUNK_ITERS;
            }
            now_ms() - start
        };
        // Grow a round until it lasts long enough to time well (and the JIT has tiered up).
        let mut iters: u64 = CHUNK_ITERS;
        while round(iters) < 8.0 && iters < (1 << 40) {
            iters *= 2;
        }
        let best = (0..6)
            .map(|_| iters as f64 / round(iters).max(1e-3))
            .fold(0.0, f64::max);
        Kernel { iters_per_ms: best }
    }

    /// Iterations for `ms` milliseconds of single-thread work.
    pub fn iters_for(&self, ms: f64) -> u64 {
        (self.iters_per_ms * ms.max(0.0)).round() as u64
    }

    /// Run `ms` of work in chunks, calling `between` after each chunk with the iterations
    /// done so far; `between` returns false to stop early. Returns a checksum.
    pub fn work(&self, ms: f64, mut between: impl FnMut(u64) -> bool) -> u64 {
        let total = self.iters_for(ms);
        let mut done = 0;
        let mut acc = 0;
        while done < total {
            let n = CHUNK_ITERS.min(total - done);
            acc ^= spin(n, done ^ acc);
            done += n;
            if !between(done) {
                break;
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same kernel computes the same value, and different work differs.
    #[test]
    fn spin_is_deterministic() {
        assert_eq!(spin(1000, 7), spin(1000, 7));
        assert_ne!(spin(1000, 7), spin(1001, 7));
    }

    /// Calibration gives a speed, and that speed turns milliseconds into roughly that much
    /// time: the best of three 50 ms jobs lands within a factor of four of 50 ms (wide, for a
    /// busy machine, but a unit slip of 10x or 1000x fails).
    #[test]
    fn calibrated_kernel_takes_about_the_time_asked() {
        let k = Kernel::calibrate();
        assert!(k.iters_per_ms > 1000.0, "{k:?}");
        let best = (0..3)
            .map(|_| {
                let start = now_ms();
                k.work(50.0, |_| true);
                now_ms() - start
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best > 12.5 && best < 200.0, "50 ms of work took {best} ms");
    }

    /// Work runs in chunks and stops early when asked.
    #[test]
    fn work_is_chunked_and_stoppable() {
        let k = Kernel::new(1e6).expect("valid");
        let mut calls = 0;
        k.work(1.0, |_| {
            calls += 1;
            calls < 3
        });
        assert_eq!(calls, 3);
        assert!(Kernel::new(f64::NAN).is_err());
        assert!(Kernel::new(0.0).is_err());
    }
}
