//! Conversions between protobuf messages and `flink-types`.

use crate::pb;
use flink_types::{
    AllocationId, ExecutionAttemptId, ExecutionState, JobId, JobVertexId, TaskDeploymentDescriptor,
    TaskStateSnapshot,
};

/// A protobuf message that does not convert into a valid `flink-types` value.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// A required field is absent.
    #[error("malformed {message}: required field '{field}' is missing")]
    MissingField {
        /// Message type.
        message: &'static str,
        /// Field name.
        field: &'static str,
    },
    /// An id field does not parse.
    #[error("malformed {message}: {source}")]
    BadId {
        /// Message type.
        message: &'static str,
        /// Parse error naming the value and the expected form.
        #[source]
        source: flink_types::IdParseError,
    },
    /// An enum field holds a value this version does not know.
    #[error("malformed {message}: unknown {field} value {value}")]
    UnknownEnum {
        /// Message type.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// The raw value.
        value: i32,
    },
    /// A JSON payload does not decode.
    #[error("malformed {what} JSON payload: {source}")]
    Json {
        /// What the payload should hold.
        what: &'static str,
        /// Decoder error.
        #[source]
        source: serde_json::Error,
    },
}

/// Parses a job id field.
pub fn parse_job_id(message: &'static str, s: &str) -> Result<JobId, ProtoError> {
    s.parse()
        .map_err(|source| ProtoError::BadId { message, source })
}

/// Parses an allocation id field.
pub fn parse_allocation_id(message: &'static str, s: &str) -> Result<AllocationId, ProtoError> {
    s.parse()
        .map_err(|source| ProtoError::BadId { message, source })
}

/// `ExecutionAttemptId` -> protobuf.
pub fn attempt_to_proto(a: &ExecutionAttemptId) -> pb::ExecutionAttempt {
    pb::ExecutionAttempt {
        job_id: a.job_id.to_hex(),
        vertex: a.vertex.0,
        subtask: a.subtask,
        attempt: a.attempt,
    }
}

/// Protobuf -> `ExecutionAttemptId`; `message` names the enclosing message
/// for error texts.
pub fn attempt_from_proto(
    message: &'static str,
    a: Option<&pb::ExecutionAttempt>,
) -> Result<ExecutionAttemptId, ProtoError> {
    let a = a.ok_or(ProtoError::MissingField {
        message,
        field: "attempt",
    })?;
    Ok(ExecutionAttemptId {
        job_id: parse_job_id(message, &a.job_id)?,
        vertex: JobVertexId(a.vertex),
        subtask: a.subtask,
        attempt: a.attempt,
    })
}

/// `ExecutionState` -> protobuf enum value.
pub fn state_to_proto(s: ExecutionState) -> pb::ExecutionStateProto {
    use pb::ExecutionStateProto as P;
    match s {
        ExecutionState::Created => P::ExecutionStateCreated,
        ExecutionState::Scheduled => P::ExecutionStateScheduled,
        ExecutionState::Deploying => P::ExecutionStateDeploying,
        ExecutionState::Initializing => P::ExecutionStateInitializing,
        ExecutionState::Running => P::ExecutionStateRunning,
        ExecutionState::Finished => P::ExecutionStateFinished,
        ExecutionState::Canceling => P::ExecutionStateCanceling,
        ExecutionState::Canceled => P::ExecutionStateCanceled,
        ExecutionState::Failed => P::ExecutionStateFailed,
    }
}

/// Protobuf enum value -> `ExecutionState`.
pub fn state_from_proto(message: &'static str, v: i32) -> Result<ExecutionState, ProtoError> {
    use pb::ExecutionStateProto as P;
    let unknown = ProtoError::UnknownEnum {
        message,
        field: "state",
        value: v,
    };
    Ok(match P::try_from(v).map_err(|_| unknown)? {
        P::ExecutionStateCreated => ExecutionState::Created,
        P::ExecutionStateScheduled => ExecutionState::Scheduled,
        P::ExecutionStateDeploying => ExecutionState::Deploying,
        P::ExecutionStateInitializing => ExecutionState::Initializing,
        P::ExecutionStateRunning => ExecutionState::Running,
        P::ExecutionStateFinished => ExecutionState::Finished,
        P::ExecutionStateCanceling => ExecutionState::Canceling,
        P::ExecutionStateCanceled => ExecutionState::Canceled,
        P::ExecutionStateFailed => ExecutionState::Failed,
        P::ExecutionStateUnspecified => {
            return Err(ProtoError::UnknownEnum {
                message,
                field: "state",
                value: v,
            });
        }
    })
}

/// Serializes a deployment descriptor for `SubmitTaskRequest.tdd`.
pub fn encode_tdd(tdd: &TaskDeploymentDescriptor) -> Vec<u8> {
    // Serializing plain data structs with string map keys cannot fail.
    serde_json::to_vec(tdd).unwrap_or_default()
}

/// Deserializes `SubmitTaskRequest.tdd`.
pub fn decode_tdd(bytes: &[u8]) -> Result<TaskDeploymentDescriptor, ProtoError> {
    serde_json::from_slice(bytes).map_err(|source| ProtoError::Json {
        what: "TaskDeploymentDescriptor",
        source,
    })
}

/// Serializes a task state snapshot for `AcknowledgeCheckpointRequest.snapshot`.
pub fn encode_snapshot(snapshot: &TaskStateSnapshot) -> Vec<u8> {
    serde_json::to_vec(snapshot).unwrap_or_default()
}

/// Deserializes `AcknowledgeCheckpointRequest.snapshot`.
pub fn decode_snapshot(bytes: &[u8]) -> Result<TaskStateSnapshot, ProtoError> {
    serde_json::from_slice(bytes).map_err(|source| ProtoError::Json {
        what: "TaskStateSnapshot",
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flink_types::*;
    use std::collections::BTreeMap;

    fn sample_tdd() -> TaskDeploymentDescriptor {
        let job_id = JobId::generate();
        let attempt = ExecutionAttemptId {
            job_id,
            vertex: JobVertexId(1),
            subtask: 2,
            attempt: 3,
        };
        let producer = ExecutionAttemptId {
            vertex: JobVertexId(0),
            ..attempt
        };
        let loc = TaskManagerLocation {
            resource_id: ResourceId("tm-1".into()),
            rpc_address: "127.0.0.1:1".into(),
            data_address: "127.0.0.1:2".into(),
        };
        TaskDeploymentDescriptor {
            job_id,
            job_name: "job".into(),
            program: ProgramRef {
                name: "example:wordcount".into(),
                args: vec!["--x".into()],
                bundle: None,
            },
            runtime_mode: RuntimeMode::Streaming,
            attempt,
            allocation_id: AllocationId::generate(),
            vertex_name: "Map".into(),
            chained_nodes: vec![3, 4],
            parallelism: 4,
            max_parallelism: 128,
            inputs: vec![InputGateDescriptor {
                edge: 0,
                target_input: 0,
                target_node: 3,
                channels: vec![InputChannelDescriptor {
                    partition: ResultPartitionId { producer, edge: 0 },
                    subpartition: 2,
                    producer_location: loc,
                }],
            }],
            outputs: vec![],
            restore: Some(TaskRestore {
                checkpoint_id: 7,
                operator_state: BTreeMap::from([(
                    "uid".to_string(),
                    vec![StateHandle {
                        location: StateLocation::Inline(vec![1, 2, 3]),
                        key_group_offsets: vec![(0, 0), (1, 10)],
                        size: 3,
                    }],
                )]),
            }),
            config: BTreeMap::from([("a".into(), "b".into())]),
        }
    }

    #[test]
    fn tdd_round_trips() {
        let tdd = sample_tdd();
        let back = decode_tdd(&encode_tdd(&tdd)).unwrap();
        assert_eq!(back, tdd);
    }

    #[test]
    fn snapshot_round_trips() {
        let snap: TaskStateSnapshot = sample_tdd().restore.unwrap().operator_state;
        assert_eq!(decode_snapshot(&encode_snapshot(&snap)).unwrap(), snap);
    }

    #[test]
    fn bad_tdd_is_a_clear_error() {
        let err = decode_tdd(b"{not json").unwrap_err();
        assert!(
            err.to_string().contains("TaskDeploymentDescriptor"),
            "{err}"
        );
    }

    #[test]
    fn attempt_and_state_round_trip() {
        let a = sample_tdd().attempt;
        let p = attempt_to_proto(&a);
        assert_eq!(attempt_from_proto("X", Some(&p)).unwrap(), a);
        for s in [
            ExecutionState::Created,
            ExecutionState::Scheduled,
            ExecutionState::Deploying,
            ExecutionState::Initializing,
            ExecutionState::Running,
            ExecutionState::Finished,
            ExecutionState::Canceling,
            ExecutionState::Canceled,
            ExecutionState::Failed,
        ] {
            assert_eq!(state_from_proto("X", state_to_proto(s) as i32).unwrap(), s);
        }
        assert!(state_from_proto("X", 0).is_err());
        assert!(state_from_proto("X", 99).is_err());
        let err = attempt_from_proto("CancelTaskRequest", None).unwrap_err();
        assert!(err.to_string().contains("CancelTaskRequest"), "{err}");
        let bad = pb::ExecutionAttempt {
            job_id: "zz".into(),
            ..p
        };
        assert!(attempt_from_proto("X", Some(&bad)).is_err());
    }
}
