//! # hadoop-rpc
//!
//! A Hadoop IPC client written from the protocol description (hadoop-protocols.md):
//!
//! * [`conf`]: `*-site.xml` loading from `HADOOP_CONF_DIR` / `YARN_CONF_DIR` with `${var}`
//!   expansion and `final`, ResourceManager addresses (HA `rm-ids`), default FS, security.
//! * [`credentials`]: [`Credentials`] / [`Token`], HDTS token storage files in WRITABLE and
//!   PROTOBUF form, `HADOOP_TOKEN_FILE_LOCATION`.
//! * [`frame`]: the wire framing (4-byte length + delimited protobufs), bounds-checked.
//! * [`connection`]: [`RpcConnection`] — preamble (`hrpc`, version 9, auth byte 0 or -33),
//!   SASL negotiation, `IpcConnectionContextProto`, then calls multiplexed by call id.
//! * [`sasl`]: DIGEST-MD5 (TOKEN; qop auth / auth-int / auth-conf) and the pluggable
//!   GSSAPI (KERBEROS) mechanism (`kerberos` feature).
//! * [`client`]: [`RpcClient`] — reconnects and fails over across addresses on
//!   `StandbyException` and connection errors, within a bounded number of attempts.
//!
//! Knows nothing of YARN or Flink; protocol names and messages come from the caller.

pub mod client;
pub mod conf;
pub mod connection;
pub mod credentials;
pub mod error;
pub mod frame;
pub mod sasl;

pub use client::{RetryPolicy, RpcClient};
pub use conf::HadoopConf;
pub use connection::{AuthMethod, ConnectionOptions, RpcConnection, current_user};
pub use credentials::{Credentials, CredentialsFormat, Token};
pub use error::{Result, RpcError};
