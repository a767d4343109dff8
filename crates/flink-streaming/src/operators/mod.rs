//! Built-in operators, sources and sinks.

pub mod basic;
pub mod files;
pub mod keyed;
pub mod process;
pub mod sinks;
pub mod sources;
pub mod watermarks;
pub mod window;
