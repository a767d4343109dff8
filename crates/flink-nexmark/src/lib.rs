//! # flink-nexmark
//!
//! The Nexmark streaming benchmark on flink-rs:
//!
//! * [`generator`]: a port of the Nexmark event generator (people, auctions
//!   and bids in the 1:3:46 proportion with Nexmark's id, price and size
//!   distributions; event time from the event number and the configured rate),
//!   deterministic per event number;
//! * [`source::NexmarkSource`]: the generator as a checkpointable source,
//!   split across parallel subtasks without overlap;
//! * [`queries`]: q0–q5, q7, q8 on the DataStream API, shared by the tests,
//!   the built-in examples (`example:nexmark-qN`) and `flink-rs bench nexmark`;
//! * [`probe`]: what the benchmark measures inside the process (latency
//!   from input completion to result, CPU time, peak RSS).
//!
//! See docs/nexmark.md for how to run it and what the numbers mean.

pub mod config;
pub mod error;
pub mod generator;
pub mod model;
pub mod probe;
pub mod queries;
pub mod random;
pub mod source;

pub use config::NexmarkConfig;
pub use error::NexmarkError;
pub use generator::Generator;
pub use model::{Auction, Bid, Event, Person};
pub use queries::{QueryOptions, ResultSink};
pub use source::NexmarkSource;
