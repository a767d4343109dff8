//! JobManager settings with Flink's key names and defaults.

use crate::error::JobManagerError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Settings of a JobManager process. Keys are Flink's; build it with
/// [`JobManagerConfig::from_flat`] from a flat `key -> value` map (the form
/// flink-config produces) or use `Default` and set fields.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct JobManagerConfig {
    /// `jobmanager.rpc.address`: host the gRPC server binds to and advertises.
    #[serde(rename = "jobmanager.rpc.address")]
    pub rpc_address: String,
    /// `jobmanager.rpc.port` (6123; 0 picks a free port).
    #[serde(rename = "jobmanager.rpc.port")]
    pub rpc_port: u16,
    /// `rest.address`: host the REST endpoint advertises.
    #[serde(rename = "rest.address")]
    pub rest_address: String,
    /// `rest.bind-address`: host the REST server binds to (default: `rest.address`).
    #[serde(rename = "rest.bind-address")]
    pub rest_bind_address: Option<String>,
    /// `rest.port` (8081; 0 picks a free port).
    #[serde(rename = "rest.port")]
    pub rest_port: u16,
    /// `heartbeat.interval` (10 s).
    #[serde(rename = "heartbeat.interval", with = "duration_ms")]
    pub heartbeat_interval: Duration,
    /// `heartbeat.timeout` (50 s).
    #[serde(rename = "heartbeat.timeout", with = "duration_ms")]
    pub heartbeat_timeout: Duration,
    /// `heartbeat.rpc-failure-threshold` (2): a TaskManager whose RPCs fail to
    /// connect this many times in a row is considered lost without waiting
    /// for `heartbeat.timeout`; 0 disables.
    #[serde(rename = "heartbeat.rpc-failure-threshold")]
    pub rpc_failure_threshold: u32,
    /// `slot.request.timeout` (5 min).
    #[serde(rename = "slot.request.timeout", with = "duration_ms")]
    pub slot_request_timeout: Duration,
    /// `resourcemanager.taskmanager-timeout` (30 s): idle TaskManagers are
    /// released after this (only by drivers that release workers).
    #[serde(rename = "resourcemanager.taskmanager-timeout", with = "duration_ms")]
    pub taskmanager_timeout: Duration,
    /// `taskmanager.numberOfTaskSlots` (1): slots of each requested worker.
    #[serde(rename = "taskmanager.numberOfTaskSlots")]
    pub slots_per_task_manager: u32,
    /// `taskmanager.memory.process.size` in MiB (1728) for requested workers.
    #[serde(rename = "taskmanager.memory.process.size")]
    pub task_manager_process_memory_mb: u64,
    /// `taskmanager.registration.timeout` (5 min): how long a requested
    /// worker may take to register.
    #[serde(rename = "taskmanager.registration.timeout", with = "duration_ms")]
    pub worker_registration_timeout: Duration,
    /// `jobstore.max-capacity` (1000): finished jobs kept for queries.
    #[serde(rename = "jobstore.max-capacity")]
    pub job_store_max_capacity: usize,
}

impl Default for JobManagerConfig {
    fn default() -> Self {
        Self {
            rpc_address: "localhost".into(),
            rpc_port: 6123,
            rest_address: "localhost".into(),
            rest_bind_address: None,
            rest_port: 8081,
            heartbeat_interval: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(50),
            rpc_failure_threshold: 2,
            slot_request_timeout: Duration::from_secs(300),
            taskmanager_timeout: Duration::from_secs(30),
            slots_per_task_manager: 1,
            task_manager_process_memory_mb: 1728,
            worker_registration_timeout: Duration::from_secs(300),
            job_store_max_capacity: 1000,
        }
    }
}

impl JobManagerConfig {
    /// Reads the keys this struct knows from a flat map; unknown keys are
    /// ignored (they belong to other components), known keys are validated.
    pub fn from_flat(map: &BTreeMap<String, String>) -> Result<Self, JobManagerError> {
        let mut c = Self::default();
        for (k, v) in map {
            let v = v.trim();
            match k.as_str() {
                "jobmanager.rpc.address" => c.rpc_address = v.to_string(),
                "jobmanager.rpc.port" => c.rpc_port = parse_num(k, v)?,
                "rest.address" => c.rest_address = v.to_string(),
                "rest.bind-address" => c.rest_bind_address = Some(v.to_string()),
                "rest.port" => c.rest_port = parse_num(k, v)?,
                "heartbeat.interval" => c.heartbeat_interval = parse_duration(k, v)?,
                "heartbeat.timeout" => c.heartbeat_timeout = parse_duration(k, v)?,
                "heartbeat.rpc-failure-threshold" => c.rpc_failure_threshold = parse_num(k, v)?,
                "slot.request.timeout" => c.slot_request_timeout = parse_duration(k, v)?,
                "resourcemanager.taskmanager-timeout" => {
                    c.taskmanager_timeout = parse_duration(k, v)?
                }
                "taskmanager.numberOfTaskSlots" => c.slots_per_task_manager = parse_num(k, v)?,
                "taskmanager.memory.process.size" => {
                    c.task_manager_process_memory_mb = parse_memory_mb(k, v)?
                }
                "jobstore.max-capacity" => c.job_store_max_capacity = parse_num(k, v)?,
                "taskmanager.registration.timeout" => {
                    c.worker_registration_timeout = parse_duration(k, v)?
                }
                _ => {}
            }
        }
        c.validate()?;
        Ok(c)
    }

    /// Checks value ranges and relations.
    pub fn validate(&self) -> Result<(), JobManagerError> {
        let bad = |key: &str, value: String, reason: &str| JobManagerError::Config {
            key: key.into(),
            value,
            reason: reason.into(),
        };
        if self.heartbeat_interval.is_zero() {
            return Err(bad("heartbeat.interval", "0".into(), "must be positive"));
        }
        if self.heartbeat_timeout <= self.heartbeat_interval {
            return Err(bad(
                "heartbeat.timeout",
                format!("{} ms", self.heartbeat_timeout.as_millis()),
                "must be larger than heartbeat.interval",
            ));
        }
        if self.slots_per_task_manager == 0 {
            return Err(bad(
                "taskmanager.numberOfTaskSlots",
                "0".into(),
                "must be at least 1",
            ));
        }
        if self.rpc_address.is_empty() {
            return Err(bad(
                "jobmanager.rpc.address",
                String::new(),
                "must name a host, e.g. localhost",
            ));
        }
        Ok(())
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, JobManagerError> {
    v.parse().map_err(|_| JobManagerError::Config {
        key: key.into(),
        value: v.into(),
        reason: "expected a non-negative integer".into(),
    })
}

/// Parses a Flink duration: a number with an optional unit (`ms`, `s`,
/// `min`, `h`, `d`, and their long forms); no unit means milliseconds.
pub fn parse_duration(key: &str, v: &str) -> Result<Duration, JobManagerError> {
    flink_config::parse_duration(v).map_err(|reason| JobManagerError::Config {
        key: key.into(),
        value: v.into(),
        reason,
    })
}

/// Parses a Flink memory size (`1728m`, `2 gb`, `1024 mb`, bytes without unit) into MiB.
pub fn parse_memory_mb(key: &str, v: &str) -> Result<u64, JobManagerError> {
    flink_config::MemorySize::parse(v)
        .map(|m| m.mebi_bytes())
        .map_err(|reason| JobManagerError::Config {
            key: key.into(),
            value: v.into(),
            reason,
        })
}

/// Serde for durations as milliseconds (numbers) or Flink duration strings.
pub mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes milliseconds.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    /// Reads a number of milliseconds or a string like "10 s".
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Ms(ms) => Ok(Duration::from_millis(ms)),
            Raw::Text(t) => super::parse_duration("duration", &t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_flink() {
        assert_eq!(
            parse_duration("k", "500").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_duration("k", "10 s").unwrap(),
            Duration::from_secs(10)
        );
        assert_eq!(
            parse_duration("k", "5min").unwrap(),
            Duration::from_secs(300)
        );
        assert_eq!(
            parse_duration("k", "1 h").unwrap(),
            Duration::from_secs(3600)
        );
        let e = parse_duration("heartbeat.timeout", "soon").unwrap_err();
        assert!(e.to_string().contains("heartbeat.timeout"), "{e}");
    }

    #[test]
    fn flat_map_overrides_defaults_and_validates() {
        let mut m = BTreeMap::new();
        m.insert("jobmanager.rpc.port".to_string(), "0".to_string());
        m.insert("heartbeat.interval".to_string(), "100 ms".to_string());
        m.insert("heartbeat.timeout".to_string(), "1 s".to_string());
        m.insert("unrelated.key".to_string(), "x".to_string());
        let c = JobManagerConfig::from_flat(&m).unwrap();
        assert_eq!(c.rpc_port, 0);
        assert_eq!(c.heartbeat_interval, Duration::from_millis(100));
        assert_eq!(c.rest_port, 8081);
        m.insert("heartbeat.timeout".to_string(), "50".to_string());
        let e = JobManagerConfig::from_flat(&m).unwrap_err();
        assert!(
            e.to_string().contains("larger than heartbeat.interval"),
            "{e}"
        );
        m.insert("rest.port".to_string(), "http".to_string());
        assert!(JobManagerConfig::from_flat(&m).is_err());
    }

    #[test]
    fn serde_form_uses_flink_keys() {
        let c: JobManagerConfig =
            serde_json::from_str(r#"{"rest.port": 0, "heartbeat.timeout": "2 s"}"#).unwrap();
        assert_eq!(c.rest_port, 0);
        assert_eq!(c.heartbeat_timeout, Duration::from_secs(2));
    }
}
