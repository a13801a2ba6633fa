//! The runnable Python script for a scenario, in the idioms of the guides.
