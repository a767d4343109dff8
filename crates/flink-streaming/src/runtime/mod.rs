//! The stream-task runtime: the operator chain and the task loop.

pub mod chain;
pub mod checkpointing;
pub mod operator;
pub mod output;
pub mod snapshot;
pub mod source;
pub mod task;
