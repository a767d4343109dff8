//! Identifiers. Random ids are 16 bytes and print as 32 lowercase hex
//! characters, like Flink's `AbstractID`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Error for an identifier string that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid {kind} '{value}': expected {expected}")]
pub struct IdParseError {
    /// Which id type was being parsed.
    pub kind: &'static str,
    /// The offending text.
    pub value: String,
    /// What a valid value looks like.
    pub expected: &'static str,
}

macro_rules! hex_id {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "String", try_from = "String")]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A new random id.
            pub fn generate() -> Self {
                Self(*uuid::Uuid::new_v4().as_bytes())
            }
            /// The id as 32 lowercase hex characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// Build an id from two 64-bit halves (deterministic ids in tests and HA).
            pub fn from_parts(upper: u64, lower: u64) -> Self {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&upper.to_be_bytes());
                b[8..].copy_from_slice(&lower.to_be_bytes());
                Self(b)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }
        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || IdParseError {
                    kind: $kind,
                    value: s.to_string(),
                    expected: "32 hexadecimal characters",
                };
                let bytes = hex::decode(s.trim()).map_err(|_| err())?;
                let arr: [u8; 16] = bytes.try_into().map_err(|_| err())?;
                Ok(Self(arr))
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_hex()
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

hex_id!(
    /// Identifies a job (Flink `JobID`).
    JobId,
    "job id"
);
hex_id!(
    /// Identifies a slot allocation (Flink `AllocationID`).
    AllocationId,
    "allocation id"
);
hex_id!(
    /// A leader session of a JobManager component; fences stale leaders.
    LeaderSessionId,
    "leader session id"
);

/// Identifies a TaskManager process (Flink `ResourceID`); on YARN the container id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(pub String);

impl ResourceId {
    /// A random id of the form `<prefix>-<6 hex chars>`.
    pub fn generate(prefix: &str) -> Self {
        let id = uuid::Uuid::new_v4();
        Self(format!("{prefix}-{}", &hex::encode(id.as_bytes())[..6]))
    }
}
impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({})", self.0)
    }
}

/// Index of a vertex in a [`crate::JobGraph`] (stable for the job's lifetime).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
#[serde(transparent)]
pub struct JobVertexId(pub u32);

impl fmt::Display for JobVertexId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Identifies one execution attempt of one subtask (Flink `ExecutionAttemptID`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
pub struct ExecutionAttemptId {
    /// The job.
    pub job_id: JobId,
    /// The job vertex the subtask belongs to.
    pub vertex: JobVertexId,
    /// Subtask index in `0..parallelism`.
    pub subtask: u32,
    /// Attempt number; increases on every (re)deployment of the job or region.
    pub attempt: u32,
}

impl fmt::Display for ExecutionAttemptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}[{}]#{}",
            self.job_id, self.vertex, self.subtask, self.attempt
        )
    }
}

/// Identifies one result partition: the output of one producer attempt
/// along one job edge (Flink `ResultPartitionID`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
pub struct ResultPartitionId {
    /// The producing execution attempt.
    pub producer: ExecutionAttemptId,
    /// Index of the job edge in [`crate::JobGraph::edges`].
    pub edge: u32,
}

impl fmt::Display for ResultPartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@e{}", self.producer, self.edge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_round_trips_through_hex_and_json() {
        let id = JobId::generate();
        let parsed: JobId = id.to_hex().parse().unwrap();
        assert_eq!(id, parsed);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        let back: JobId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn bad_job_id_is_a_clear_error() {
        let err = "xyz".parse::<JobId>().unwrap_err();
        assert!(err.to_string().contains("32 hexadecimal characters"));
    }
}
