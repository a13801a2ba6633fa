//! Model 3, multiprocessing: one task inside an isolated instance.
