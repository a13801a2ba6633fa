//! The baseline: one task after another.
