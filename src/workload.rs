//! The work every model runs: a CPU kernel sized in milliseconds of single-thread work,
//! calibrated on the running machine, and [`TaskSpec`], what one task of a scenario does.
//!
//! CPU work is a fixed number of iterations, not "spin until the clock says so": two threads
//! that really run in parallel finish the same work in half the time, and the timeline shows it.

use crate::clock::Clock;
use crate::params::{Params, Workload};
use std::hint::black_box;

/// Iterations of [`spin`] per chunk: small enough that a chunk is well under a millisecond,
/// so the GIL can switch, asyncio can yield and Stop is seen between chunks.
pub const CHUNK_ITERS: u64 = 1 << 14;

/// One round of the xorshift generator: the kernel's step, and the byte source of payloads.
#[inline(always)]
pub fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// The CPU kernel: `iters` rounds of a xorshift generator. Serial by construction (each
/// round needs the last), so no compiler can vectorise it away or split it.
#[inline(never)]
pub fn spin(iters: u64, seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..iters {
        x = xorshift(x);
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
    pub fn calibrate(clock: &dyn Clock) -> Kernel {
        // Grow a round until it lasts long enough to time well (and the JIT has tiered up).
        let mut iters: u64 = CHUNK_ITERS;
        while timed(clock, iters) < 8.0 && iters < (1 << 40) {
            iters *= 2;
        }
        let best = (0..6)
            .map(|_| iters as f64 / timed(clock, iters).max(1e-3))
            .fold(0.0, f64::max);
        Kernel { iters_per_ms: best }
    }

    /// Run the kernel in this context until it computes at its steady speed, at least
    /// `min_ms` and at most `max_ms`: engines compile WebAssembly in tiers, per instance and
    /// per thread, so a fresh worker starts slow. Returns the speed reached, iterations per
    /// ms: steady once two slices of about 5 ms in a row agree within 3%.
    pub fn warm_up(clock: &dyn Clock, min_ms: f64, max_ms: f64) -> f64 {
        let start = clock.now_ms();
        let slice = CHUNK_ITERS * 4;
        let mut iters = slice;
        let mut last = 0.0;
        loop {
            let ms = timed(clock, iters).max(1e-3);
            let speed = iters as f64 / ms;
            let elapsed = clock.now_ms() - start;
            if ms < 4.0 && iters < (1 << 40) {
                iters *= 2;
            } else if elapsed >= min_ms && (speed - last).abs() <= 0.03 * speed {
                return speed;
            }
            if elapsed >= max_ms {
                return speed.max(last);
            }
            last = speed;
        }
    }

    /// Iterations for `ms` milliseconds of single-thread work.
    pub fn iters_for(&self, ms: f64) -> u64 {
        (self.iters_per_ms * ms.max(0.0)).round() as u64
    }

    /// Run `ms` of work in chunks, calling `between` after each chunk with the iterations
    /// done so far; `between` returns false to stop early. Returns a checksum.
    pub fn work(&self, ms: f64, between: impl FnMut(u64) -> bool) -> u64 {
        self.work_iters(self.iters_for(ms), between)
    }

    /// Run `total` iterations in chunks, as [`Kernel::work`] does.
    pub fn work_iters(&self, total: u64, mut between: impl FnMut(u64) -> bool) -> u64 {
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

/// The time `iters` iterations take here, ms.
fn timed(clock: &dyn Clock, iters: u64) -> f64 {
    let start = clock.now_ms();
    let mut done = 0;
    while done < iters {
        spin(CHUNK_ITERS, done);
        done += CHUNK_ITERS;
    }
    clock.now_ms() - start
}

/// What one task of a scenario does, the same for every task of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskSpec {
    /// I/O wait, ms.
    pub io_ms: f64,
    /// CPU work, ms of single-thread work.
    pub cpu_ms: f64,
    /// asyncio: yield to the loop after this much CPU work, ms; 0 never.
    pub yield_ms: f64,
    /// The calibrated kernel.
    pub kernel: Kernel,
}

impl TaskSpec {
    /// The task `params` describes on `workload`.
    pub fn new(p: &Params, workload: Workload, kernel: Kernel) -> TaskSpec {
        TaskSpec {
            io_ms: f64::from(workload.io_ms(p)),
            cpu_ms: f64::from(workload.cpu_ms(p)),
            yield_ms: f64::from(p.yield_ms),
            kernel,
        }
    }

    /// The task the scenario describes on its own workload.
    pub fn from_params(p: &Params, kernel: Kernel) -> TaskSpec {
        TaskSpec::new(p, p.workload, kernel)
    }

    /// Kernel iterations one task computes.
    pub fn iters(&self) -> u64 {
        self.kernel.iters_for(self.cpu_ms)
    }
}

/// `kb` KiB of data that depend on a task's result, as a real result would.
pub fn payload(kb: u32, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..kb as usize * 1024)
        .map(|_| {
            x = xorshift(x);
            x as u8
        })
        .collect()
}

/// This machine's kernel, calibrated once for all the tests of the crate.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn test_kernel() -> Kernel {
    use std::sync::OnceLock;
    static KERNEL: OnceLock<Kernel> = OnceLock::new();
    *KERNEL.get_or_init(|| Kernel::calibrate(&crate::clock::SystemClock))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

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
        let k = Kernel::calibrate(&SystemClock);
        assert!(k.iters_per_ms > 1000.0, "{k:?}");
        let best = (0..3)
            .map(|_| {
                let start = SystemClock.now_ms();
                k.work(50.0, |_| true);
                SystemClock.now_ms() - start
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best > 12.5 && best < 200.0, "50 ms of work took {best} ms");
    }

    /// A warm-up runs at least its minimum, stops by its maximum, and ends at a speed of
    /// the same order as the calibration's.
    #[test]
    fn warm_up_is_bounded() {
        let start = SystemClock.now_ms();
        let speed = Kernel::warm_up(&SystemClock, 20.0, 300.0);
        let took = SystemClock.now_ms() - start;
        assert!((20.0..1000.0).contains(&took), "took {took} ms");
        let calibrated = Kernel::calibrate(&SystemClock).iters_per_ms;
        assert!(
            speed > calibrated / 4.0 && speed < calibrated * 4.0,
            "{speed} vs {calibrated}"
        );
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

    /// A task's spec follows its workload: no CPU for I/O, no wait for CPU.
    #[test]
    fn task_spec_follows_the_workload() {
        let k = Kernel::new(1000.0).expect("valid");
        let p = Params::default();
        let io = TaskSpec::new(&p, Workload::Io, k);
        assert_eq!((io.io_ms, io.cpu_ms), (200.0, 0.0));
        let cpu = TaskSpec::new(&p, Workload::Cpu, k);
        assert_eq!((cpu.io_ms, cpu.cpu_ms, cpu.iters()), (0.0, 200.0, 200_000));
    }

    /// Payloads have the size asked for and depend on their seed.
    #[test]
    fn payloads() {
        assert_eq!(payload(2, 1).len(), 2048);
        assert_ne!(payload(1, 1), payload(1, 2));
    }
}
