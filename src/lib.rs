//! Concurrency Playground: Python's three concurrency models, run for real in WebAssembly.
//!
//! One core, four faces. The core is pure Rust and unit-tested natively:
//!
//! - [`params`]: the one parameter schema (names, defaults, ranges) and the URL/form parser;
//! - [`clock`]: one clock for every thread, worker and process (epoch milliseconds);
//! - [`workload`]: the kernels: a calibrated CPU kernel sized in milliseconds, and I/O waits;
//! - [`trace`]: spans `{lane, task, state, start_ms, end_ms}`, the only thing views draw;
//! - [`python`]: the runnable Python script for a scenario, in the guides' idioms.
//!
//! The models, sibling modules over that core:
//!
//! - [`sequential`]: the baseline, one task after another;
//! - [`asyncio`]: futures on the page's own event loop;
//! - [`gil`] and [`threading`]: a real GIL in shared memory, tasks on a rayon pool, the race lab;
//! - [`multiprocessing`]: one task inside an isolated instance that talks only by messages.
//!
//! [`timer`] waits on the JS event loop with macrotasks, for every model that awaits.
//!
//! [`boundary`] is the only code that touches `JsValue`: it turns parameters and traces
//! into JS values and errors into `JsError`.

pub mod clock;
pub mod gil;
pub mod params;
pub mod python;
pub mod threading;
pub mod trace;
pub mod workload;

#[cfg(target_arch = "wasm32")]
pub mod asyncio;
#[cfg(target_arch = "wasm32")]
pub mod boundary;
#[cfg(target_arch = "wasm32")]
pub mod multiprocessing;
#[cfg(target_arch = "wasm32")]
pub mod sequential;
#[cfg(target_arch = "wasm32")]
pub mod timer;

pub use params::{Model, ParamError, Params, Workload};
pub use trace::{Span, State, Trace};
pub use workload::Kernel;
