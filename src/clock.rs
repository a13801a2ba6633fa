//! One clock for the page, every thread and every process: milliseconds since the Unix epoch,
//! with sub-millisecond resolution.
//!
//! Each worker has its own `performance.timeOrigin`, so `performance.now()` alone cannot
//! be compared across workers. `timeOrigin + now()` can: it is the same wall clock
//! everywhere, and spans from many workers land on one timeline without conversion.

/// Milliseconds since the Unix epoch, monotonic within one thread.
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
        #[wasm_bindgen(thread_local_v2, js_namespace = performance, js_name = timeOrigin)]
        static TIME_ORIGIN: f64;
    }
    TIME_ORIGIN.with(|origin| *origin) + performance_now()
}

/// Milliseconds since the Unix epoch, monotonic within one process.
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The clock never runs backwards and measures a real sleep.
    #[test]
    fn monotonic_and_real() {
        let a = now_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = now_ms();
        assert!(b - a >= 19.0, "{a} -> {b}");
        assert!(a > 1.6e12, "epoch milliseconds");
    }
}
