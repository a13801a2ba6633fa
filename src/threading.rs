//! Model 2, threading: tasks on a rayon pool over one shared memory, with or without a GIL.
