//! # yarn-client
//!
//! Native YARN protocol clients over [`hadoop_rpc`]:
//!
//! * [`ApplicationClient`] (`ApplicationClientProtocolPB`, RM port 8032): new application,
//!   submit, report, kill, cluster metrics, nodes, queue info; fails over across RM HA ids.
//! * [`AmRmClient`] (`ApplicationMasterProtocolPB`, RM port 8030): register, allocate with
//!   `response_id` and full outstanding asks, AMRMToken roll-over, NMToken cache, finish until
//!   unregistered. Always TOKEN-authenticated with the AMRMToken.
//! * [`NmClient`] (`ContainerManagementProtocolPB`): start / stop / status of containers, one
//!   connection per NodeManager with that node's NMToken, passing the container token.
//! * [`AmEnvironment`]: `CONTAINER_ID`, `NM_HOST`, tokens, ... of the AM container.
//! * [`local_resource`]: an uploaded file as a `LocalResource`.
//! * [`ids`]: YARN id strings.
//!
//! Knows nothing of Flink.

pub mod am_env;
pub mod amrm;
pub mod app_client;
pub mod error;
pub mod ids;
pub mod nm;
pub mod resources;

pub use am_env::AmEnvironment;
pub use amrm::{AmRmClient, any_host_request, node_address};
pub use app_client::ApplicationClient;
pub use error::{Result, YarnError};
pub use hadoop_proto::yarn as proto;
pub use nm::NmClient;
pub use resources::{escape_env_value, local_resource};
