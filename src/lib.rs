//! Concurrency Playground: Python's three concurrency models, run for real in WebAssembly.
//!
//! Three layers, and the arrows between them run one way: the boundary uses the models and
//! the core, the models use the core, the core uses nothing of either. No model uses
//! another.
//!
//! **The core**, plain Rust with no JS in it, tested natively with `cargo test`:
//!
//! - [`params`]: the one parameter schema (names, defaults, ranges, limits), the URL parser,
//!   the plan of every action and the page's freeze budget;
//! - [`clock`]: the [`clock::Clock`] every model times itself with;
//! - [`workload`]: the calibrated CPU kernel and what one task does;
//! - [`trace`]: spans `{lane, task, state, start_ms, end_ms}`, the only thing views draw;
//! - [`event_loop`]: what a task that awaits needs of a loop, one timer heap for every
//!   platform, and a native loop;
//! - [`task`]: the one task every event-loop model runs;
//! - [`executor`]: handing a task's work off its loop to a pool, and awaiting it;
//! - [`gil`]: a real GIL, with CPython's forced switching;
//! - [`cancel`]: Stop, as threads see it;
//! - [`lag`]: the event-loop lag meter;
//! - [`live`]: spans as they happen, in a ring another agent sharing the memory reads;
//! - [`python`]: the runnable Python script for a scenario, from templates.
//!
//! **The models**, [`models`]: sequential, asyncio (with executors, and the blocking lab),
//! threading (and the race lab), multiprocessing (and the isolation lab).
//!
//! **The boundary**, `boundary` (wasm32 only): the only code that touches `JsValue`: the JS
//! clock and event loop, the exports of each build, errors as `JsError`.

pub mod cancel;
pub mod clock;
pub mod event_loop;
pub mod executor;
pub mod gil;
pub mod lag;
pub mod live;
pub mod models;
mod names;
pub mod params;
pub mod python;
pub mod task;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support;
pub mod trace;
pub mod workload;

#[cfg(target_arch = "wasm32")]
pub mod boundary;

pub use params::{Model, ParamError, Params, Workload};
pub use trace::{Span, State, Trace};
pub use workload::Kernel;
