//! The error type of this crate.

use crate::configuration::ConfigSource;
use std::path::PathBuf;

/// Everything that can go wrong loading or reading the configuration. Each
/// message names the key or file, the offending value and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value does not parse as its option's type or fails its check.
    #[error("invalid value '{value}' for '{key}' (from {origin}): expected {expected}")]
    InvalidValue {
        /// The key the value was read from (may be a deprecated key).
        key: String,
        /// The offending value.
        value: String,
        /// Where the value came from.
        origin: ConfigSource,
        /// What a valid value looks like.
        expected: String,
    },
    /// An option without default was read but is not set.
    #[error("missing configuration '{key}': {hint}")]
    Missing {
        /// The key.
        key: String,
        /// What the option is for and how to set it.
        hint: String,
    },
    /// Options that are fine one by one but contradict each other.
    #[error("invalid configuration: {0}")]
    Inconsistent(String),
    /// A `-D` argument that is not `key=value`.
    #[error(
        "invalid dynamic property '{input}': {reason}; expected key=value, e.g. -D taskmanager.numberOfTaskSlots=4"
    )]
    DynamicProperty {
        /// The argument as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A configuration file or directory could not be read.
    #[error("could not read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration directory does not exist.
    #[error(
        "configuration directory {0} does not exist: set FLINK_CONF_DIR or --configDir to a directory holding config.yaml"
    )]
    ConfDirMissing(PathBuf),
    /// A config.yaml that is not valid YAML or has an unsupported shape.
    #[error("invalid YAML in {path}: {message}")]
    Yaml {
        /// The file.
        path: String,
        /// The parser's message (with line and column when known).
        message: String,
    },
    /// A line of a legacy flink-conf.yaml that is not `key: value`.
    #[error(
        "{path}:{line}: cannot parse '{content}': expected 'key: value' (a space after the colon)"
    )]
    LegacyLine {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The line's text.
        content: String,
    },
}
