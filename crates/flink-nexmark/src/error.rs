//! Errors of the Nexmark crate.

/// What can go wrong configuring or running Nexmark.
#[derive(Debug, thiserror::Error)]
pub enum NexmarkError {
    /// A configuration value is out of range.
    #[error("invalid Nexmark setting {name} = {value}: {reason}")]
    InvalidConfig {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it is wrong and what to use instead.
        reason: &'static str,
    },
    /// An unknown query name.
    #[error("unknown Nexmark query '{0}'; available: q0, q1, q2, q3, q4, q5, q7, q8")]
    UnknownQuery(String),
    /// A program argument did not parse.
    #[error("--{name} '{value}' is not valid: {reason}")]
    BadArgument {
        /// Argument name.
        name: String,
        /// Its value.
        value: String,
        /// Parser message.
        reason: String,
    },
}
