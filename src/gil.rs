//! A global interpreter lock: one lock in shared memory that a thread must hold to run
//! Python-like work, handed over every switch interval as CPython does.
