//! # flink-network
//!
//! The data plane of flink-rs: Flink's network stack for pipelined
//! shuffles between subtasks.
//!
//! * A producing task writes whole buffers of serialized records (opaque
//!   [`bytes::Bytes`], usually up to `segment_size` = 32 KiB) into the
//!   subpartitions of its [`ResultPartitionWriter`]. Each subpartition is a
//!   bounded FIFO; a full one blocks the writer (backpressure).
//! * A consuming task reads from an [`InputGate`] with one input channel per
//!   producer subpartition it consumes. A *local* channel (producer in the
//!   same TaskManager) reads the producer's queue directly. A *remote*
//!   channel is fed over TCP with Flink's credit-based flow control: the
//!   consumer announces credit (exclusive buffers per channel plus floating
//!   buffers per gate), the producer sends a buffer only against credit, and
//!   the credit returns when the task *takes* the buffer from the gate.
//! * One [`NetworkEnvironment`] per TaskManager owns the partition registry,
//!   the data server, and one multiplexed TCP connection per remote
//!   TaskManager. It runs on tokio; the task-facing API is blocking and
//!   meant to be called from the subtasks' own OS threads.
//!
//! The wire format is described in [`protocol`]; `docs/network.md` explains
//! buffers, credits and failure behaviour.
//!
//! ```no_run
//! # async fn demo(env: std::sync::Arc<flink_network::NetworkEnvironment>, id: flink_types::ResultPartitionId) -> Result<(), flink_network::NetworkError> {
//! use flink_network::{GateEvent, InputChannelSpec};
//! let mut writer = env.create_result_partition(id, 1)?;
//! let mut gate = env.create_input_gate(vec![InputChannelSpec {
//!     partition: id,
//!     subpartition: 0,
//!     producer_data_address: env.data_address(),
//! }])?;
//! std::thread::spawn(move || {
//!     writer.write(0, bytes::Bytes::from_static(b"records")).unwrap();
//!     writer.finish().unwrap();
//! });
//! loop {
//!     match gate.next_timeout(None)? {
//!         GateEvent::Buffer { data, .. } => println!("{} bytes", data.len()),
//!         GateEvent::AllFinished => break,
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

mod client;
pub mod config;
mod env;
pub mod error;
mod gate;
mod partition;
pub mod protocol;
mod server;

pub use config::NetworkConfig;
pub use env::{NetworkEnvironment, NetworkStats};
pub use error::NetworkError;
pub use gate::{GateEvent, GateWaker, InputGate};
pub use partition::ResultPartitionWriter;

use flink_types::ResultPartitionId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where one input channel of a gate reads from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputChannelSpec {
    /// The producer's partition.
    pub partition: ResultPartitionId,
    /// The subpartition (usually the consumer's subtask index).
    pub subpartition: u32,
    /// The producer TaskManager's [`NetworkEnvironment::data_address`];
    /// equal to our own means a local channel.
    pub producer_data_address: String,
}

/// Makes the blocked (and later) calls of one writer or one gate return
/// [`NetworkError::Cancelled`]. Cheap to clone; usable from any thread.
#[derive(Clone)]
pub struct Canceller {
    target: CancelTarget,
}

#[derive(Clone)]
enum CancelTarget {
    Writer(Arc<partition::ResultPartition>),
    Gate(Arc<gate::GateShared>),
}

impl Canceller {
    pub(crate) fn writer(p: Arc<partition::ResultPartition>) -> Self {
        Canceller {
            target: CancelTarget::Writer(p),
        }
    }

    pub(crate) fn gate(g: Arc<gate::GateShared>) -> Self {
        Canceller {
            target: CancelTarget::Gate(g),
        }
    }

    /// Cancels; takes effect within microseconds for blocked callers.
    pub fn cancel(&self) {
        match &self.target {
            CancelTarget::Writer(p) => p.cancel_writer(),
            CancelTarget::Gate(g) => g.cancel(),
        }
    }
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            CancelTarget::Writer(p) => write!(f, "Canceller(writer of {})", p.id),
            CancelTarget::Gate(_) => f.write_str("Canceller(input gate)"),
        }
    }
}
