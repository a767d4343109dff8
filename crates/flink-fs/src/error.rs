//! The error type of every file system operation.

use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = FsError> = std::result::Result<T, E>;

/// What can go wrong addressing or using a file system. Messages name the path (or address)
/// and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A path or URI that cannot be parsed or used.
    #[error("invalid path '{path}': {reason}")]
    InvalidPath { path: String, reason: String },

    /// A URI scheme no file system here implements.
    #[error("unsupported file system scheme '{scheme}' in '{uri}'; supported schemes: {supported}")]
    UnsupportedScheme {
        scheme: String,
        uri: String,
        supported: &'static str,
    },

    /// The path does not exist.
    #[error("no such file or directory: {path}")]
    NotFound { path: String },

    /// The target exists and overwriting was not requested.
    #[error("already exists: {path} (pass overwrite=true to replace it)")]
    AlreadyExists { path: String },

    /// A file operation on a directory.
    #[error("is a directory: {path}")]
    IsADirectory { path: String },

    /// A directory operation on a file (or a parent that is a file).
    #[error("not a directory: {path}")]
    NotADirectory { path: String },

    /// Non-recursive delete of a non-empty directory.
    #[error("directory not empty: {path} (use recursive delete)")]
    DirectoryNotEmpty { path: String },

    /// The file system refused access.
    #[error("permission denied on {path}: {message}")]
    PermissionDenied { path: String, message: String },

    /// The operation is not available on this file system.
    #[error("{operation} is not supported by the {scheme} file system")]
    Unsupported {
        operation: &'static str,
        scheme: &'static str,
    },

    /// The NameNode (or other server) could not be reached.
    #[error(
        "cannot reach the {what} at {address} ({operation} {path}): {message}. \
         Check that it runs and that the address (fs.defaultFS / the URI) is right"
    )]
    Unreachable {
        what: &'static str,
        address: String,
        operation: &'static str,
        path: String,
        message: String,
    },

    /// Kerberos/SASL authentication with the server failed.
    #[error(
        "authentication to {address} failed ({operation} {path}): {message}. Run kinit, or set \
         kerberos-principal and kerberos-keytab (and KRB5_CONFIG for a non-default krb5.conf)"
    )]
    Authentication {
        address: String,
        operation: &'static str,
        path: String,
        message: String,
    },

    /// An operation took longer than allowed.
    #[error(
        "{operation} {path} timed out after {after:?} talking to {address}; \
         is the NameNode up? (raise HadoopSettings.rpc_timeout_ms if it is just slow)"
    )]
    Timeout {
        operation: &'static str,
        path: String,
        address: String,
        after: Duration,
    },

    /// Local I/O failure.
    #[error("{operation} {path}: {source}")]
    Io {
        operation: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// Any other HDFS failure, with the server's exception class when there is one.
    #[error("HDFS {operation} {path} failed: {message}")]
    Hdfs {
        operation: &'static str,
        path: String,
        message: String,
    },

    /// Bad Hadoop settings (conf dir, options).
    #[error("invalid Hadoop settings: {0}")]
    Config(String),
}

impl FsError {
    /// Whether this error means "the path does not exist".
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::NotFound { .. })
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        FsError::InvalidPath {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Maps a local I/O error to the matching variant.
    pub(crate) fn from_io(operation: &'static str, path: &str, e: std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let path = path.to_string();
        match e.kind() {
            K::NotFound => FsError::NotFound { path },
            K::AlreadyExists => FsError::AlreadyExists { path },
            K::PermissionDenied => FsError::PermissionDenied {
                path,
                message: e.to_string(),
            },
            K::IsADirectory => FsError::IsADirectory { path },
            K::NotADirectory => FsError::NotADirectory { path },
            K::DirectoryNotEmpty => FsError::DirectoryNotEmpty { path },
            _ => FsError::Io {
                operation,
                path,
                source: e,
            },
        }
    }
}
