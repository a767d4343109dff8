//! The ResourceManager side of the JobManager: the [`ResourceDriver`]
//! contract to obtain and release TaskManagers, and the
//! [`ResourceManager`] that tracks registered TaskManagers, their
//! heartbeats and slots (Flink's ResourceManager + SlotManager).

mod driver;
mod manager;

pub use driver::*;
pub use manager::*;
