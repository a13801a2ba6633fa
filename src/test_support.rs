//! What the native tests of the models on an event loop share: the span states, the kernel
//! calibrated once for the whole test run, and a run of a model on the native loop.

pub(crate) use crate::trace::State;
pub(crate) use crate::workload::test_kernel as kernel;

/// The trace of a model's `run` (asyncio's, sequential's), on the native loop, for the
/// scenario in a query string, checked to be well formed.
macro_rules! run_natively {
    ($run:path, $query:expr) => {{
        let p = $crate::params::parse_query($query).params;
        let t = $crate::event_loop::block_on($run(
            &p,
            $crate::workload::test_kernel(),
            &$crate::event_loop::NativeLoop,
            &$crate::trace::Progress::none(),
        ));
        // Every run's trace is well formed: no span reversed, outside the run or off its lanes.
        assert!(t.problems().is_empty(), "{:?}", t.problems());
        t
    }};
}

pub(crate) use run_natively;
