//! # hadoop-rpc
//!
//! Hadoop IPC client: connection preamble, framing, call multiplexing, SASL (SIMPLE, TOKEN/DIGEST-MD5, KERBEROS), credentials files and *-site.xml configuration.
