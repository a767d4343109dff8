//! SASL mechanisms for Hadoop IPC. The negotiation itself (NEGOTIATE, INITIATE,
//! CHALLENGE/RESPONSE, SUCCESS over `RpcSaslProto` frames with call id -33) is driven by
//! [`crate::connection`]; this module holds the pluggable client mechanisms.

pub mod digest;
#[cfg(feature = "kerberos")]
pub mod gssapi;

pub use digest::DigestMd5Client;

/// A client-side SASL mechanism (DIGEST-MD5, GSSAPI, ...).
pub trait SaslMechanism: Send {
    /// SASL mechanism name, e.g. `DIGEST-MD5`.
    fn mechanism(&self) -> &str;
    /// The initial response sent with INITIATE when the server sent no challenge
    /// (GSSAPI has one; DIGEST-MD5 has none and answers the server's challenge instead).
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, String>;
    /// Evaluates a server challenge and returns the response to send.
    fn evaluate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String>;
    /// Whether the exchange is complete.
    fn is_complete(&self) -> bool;
    /// The negotiated security layer (integrity / privacy), or `None` for authentication only.
    fn security_layer(&self) -> Result<Option<Box<dyn SecurityLayer>>, String>;
}

/// A negotiated SASL security layer: every later IPC byte is wrapped with it.
pub trait SecurityLayer: Send {
    /// Largest input to one `wrap` call.
    fn max_wrap_input(&self) -> usize;
    /// Protects outgoing bytes.
    fn wrap(&mut self, data: &[u8]) -> Result<Vec<u8>, String>;
    /// Checks and unprotects incoming bytes.
    fn unwrap(&mut self, data: &[u8]) -> Result<Vec<u8>, String>;
}

/// Builds a Kerberos (GSSAPI) mechanism for `service@host` (e.g. `rm@rmhost`). Installed with
/// [`crate::AuthMethod::Kerberos`]; the `kerberos` feature provides a libgssapi-based one.
pub trait KerberosMechanismFactory: Send + Sync + std::fmt::Debug {
    /// Creates a mechanism for the server principal's service and host.
    fn create(&self, service: &str, host: &str) -> Result<Box<dyn SaslMechanism>, String>;
}
