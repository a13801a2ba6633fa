//! The models, siblings over the core: each depends on the core alone, never on another.
//!
//! - [`sequential`]: the baseline, one task after another;
//! - [`asyncio`]: every task a future on one event loop;
//! - [`threading`]: tasks on a rayon pool over shared memory, with or without a GIL, and
//!   the race lab;
//! - [`multiprocessing`]: a pool of isolated instances that talk only by messages, and the
//!   isolation lab.

pub mod asyncio;
pub mod multiprocessing;
pub mod sequential;
pub mod threading;
