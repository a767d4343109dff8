//! # flink-streaming
//!
//! The DataStream API and the stream-task runtime of flink-rs.
//!
//! * [`api`]: `StreamExecutionEnvironment`, `DataStream`, `KeyedStream` —
//!   what a user program calls. Every call adds a node to a [`graph::StreamGraph`].
//! * [`graph`]: the stream graph, operator chaining and translation into the
//!   serializable `JobGraph` that the JobManager schedules.
//! * [`operators`]: built-in operators, sources and sinks.
//! * [`runtime`]: the typed operator chain ([`runtime::output::Output`]),
//!   element encoding, watermarks, and the stream task that runs one subtask
//!   on its own thread ([`runtime::task::StreamTaskSpawner`] implements the
//!   TaskManager's `TaskSpawner`).
//! * [`registry`]: programs by name; TaskManagers rebuild a job's closures by
//!   running the same program again.
//!
//! Records move between chained operators by direct (virtual) calls, with no
//! serialization; across a chain boundary they are bincode-encoded into
//! network buffers ([`element`]).

pub mod api;
pub mod element;
pub mod graph;
pub mod operators;
pub mod registry;
pub mod runtime;

pub use api::windowing::{
    AggregateFunction, EventTimeSessionWindows, ProcessWindowFunction,
    ProcessingTimeSessionWindows, SlidingEventTimeWindows, SlidingProcessingTimeWindows,
    TimeWindow, TumblingEventTimeWindows, TumblingProcessingTimeWindows, WindowAssigner,
    WindowContext, WindowedStream,
};
pub use api::{Data, DataStream, DataStreamSink, KeyedStream, StreamExecutionEnvironment};
pub use flink_state::{
    ListStateDescriptor, MapStateDescriptor, StateError, TimeDomain, ValueStateDescriptor,
};
pub use operators::basic::Collector;
pub use operators::process::{
    KeyedProcessContext, KeyedProcessFunction, ProcessContext, ProcessFunction, TimerService,
};
pub use operators::sinks::take_collected;
pub use operators::watermarks::WatermarkStrategy;
pub use registry::{ProgramError, ProgramFn, ProgramRegistry};
pub use runtime::chain::Either;
pub use runtime::operator::{RuntimeContext, StreamOperator};
pub use runtime::output::{OpResult, OperatorError, Output, VecOutput};
pub use runtime::source::{RateLimiter, Source, SourceOutput, SourceStatus};
