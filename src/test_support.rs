//! What the native tests of the models on an event loop share: the span states, the kernel
//! calibrated once for the whole test run, and a run of a model on the native loop.

pub(crate) use crate::trace::State;
pub(crate) use crate::workload::test_kernel as kernel;

/// The trace of a model's `run` (asyncio's, sequential's), on the native loop, for the
/// scenario in a query string.
macro_rules! run_natively {
    ($run:path, $query:expr) => {{
        let p = $crate::params::parse_query($query).params;
        $crate::event_loop::block_on($run(
            &p,
            $crate::workload::test_kernel(),
            &$crate::event_loop::NativeLoop,
            &$crate::trace::Progress::none(),
        ))
    }};
}

pub(crate) use run_natively;
