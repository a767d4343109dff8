//! TaskManager settings with Flink's key names and defaults.

use crate::error::TaskManagerError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Settings of a TaskManager process.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TaskManagerConfig {
    /// `taskmanager.numberOfTaskSlots` (1).
    #[serde(rename = "taskmanager.numberOfTaskSlots")]
    pub num_task_slots: u32,
    /// `taskmanager.host`: the host the TaskManager advertises (localhost).
    #[serde(rename = "taskmanager.host")]
    pub host: String,
    /// `taskmanager.bind-host`: the host its servers bind to (default: `taskmanager.host`).
    #[serde(rename = "taskmanager.bind-host")]
    pub bind_host: Option<String>,
    /// `taskmanager.rpc.port` (0 = any free port).
    #[serde(rename = "taskmanager.rpc.port")]
    pub rpc_port: u16,
    /// `taskmanager.data.port` (0 = any free port).
    #[serde(rename = "taskmanager.data.port")]
    pub data_port: u16,
    /// `taskmanager.resource-id` (default: `<host>:<rpc port>-<random>`; on
    /// YARN the container id).
    #[serde(rename = "taskmanager.resource-id")]
    pub resource_id: Option<String>,
    /// `jobmanager.rpc.address` (localhost).
    #[serde(rename = "jobmanager.rpc.address")]
    pub jobmanager_address: String,
    /// `jobmanager.rpc.port` (6123).
    #[serde(rename = "jobmanager.rpc.port")]
    pub jobmanager_port: u16,
    /// `taskmanager.registration.timeout` (5 min): give up (exit) if the
    /// JobManager cannot be registered with for this long.
    #[serde(rename = "taskmanager.registration.timeout", with = "duration_ms")]
    pub registration_timeout: Duration,
    /// `heartbeat.interval` (10 s), until the JobManager sends its own.
    #[serde(rename = "heartbeat.interval", with = "duration_ms")]
    pub heartbeat_interval: Duration,
    /// `heartbeat.timeout` (50 s), until the JobManager sends its own.
    #[serde(rename = "heartbeat.timeout", with = "duration_ms")]
    pub heartbeat_timeout: Duration,
    /// `taskmanager.exit-on-jm-loss` (false; flink-rs key): exit when the
    /// JobManager is lost instead of registering again (YARN containers).
    #[serde(rename = "taskmanager.exit-on-jm-loss")]
    pub exit_on_jm_loss: bool,
    /// `taskmanager.memory.process.size` in MiB (1728), reported to the JobManager.
    #[serde(rename = "taskmanager.memory.process.size")]
    pub process_memory_mb: u64,
}

impl Default for TaskManagerConfig {
    fn default() -> Self {
        Self {
            num_task_slots: 1,
            host: "localhost".into(),
            bind_host: None,
            rpc_port: 0,
            data_port: 0,
            resource_id: None,
            jobmanager_address: "localhost".into(),
            jobmanager_port: 6123,
            registration_timeout: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(10),
            heartbeat_timeout: Duration::from_secs(50),
            exit_on_jm_loss: false,
            process_memory_mb: 1728,
        }
    }
}

impl TaskManagerConfig {
    /// `host:port` of the JobManager's RPC endpoint.
    pub fn jobmanager_rpc_address(&self) -> String {
        format!("{}:{}", self.jobmanager_address, self.jobmanager_port)
    }

    /// Reads the keys this struct knows from a flat map (other keys are ignored).
    pub fn from_flat(map: &BTreeMap<String, String>) -> Result<Self, TaskManagerError> {
        let mut c = Self::default();
        for (k, v) in map {
            let v = v.trim();
            match k.as_str() {
                "taskmanager.numberOfTaskSlots" => c.num_task_slots = num(k, v)?,
                "taskmanager.host" => c.host = v.into(),
                "taskmanager.bind-host" => c.bind_host = Some(v.into()),
                "taskmanager.rpc.port" => c.rpc_port = num(k, v)?,
                "taskmanager.data.port" => c.data_port = num(k, v)?,
                "taskmanager.resource-id" => c.resource_id = Some(v.into()),
                "jobmanager.rpc.address" => c.jobmanager_address = v.into(),
                "jobmanager.rpc.port" => c.jobmanager_port = num(k, v)?,
                "taskmanager.registration.timeout" => c.registration_timeout = duration(k, v)?,
                "heartbeat.interval" => c.heartbeat_interval = duration(k, v)?,
                "heartbeat.timeout" => c.heartbeat_timeout = duration(k, v)?,
                "taskmanager.exit-on-jm-loss" => {
                    c.exit_on_jm_loss =
                        v.parse().map_err(|_| bad(k, v, "expected true or false"))?
                }
                "taskmanager.memory.process.size" => c.process_memory_mb = memory_mb(k, v)?,
                _ => {}
            }
        }
        c.validate()?;
        Ok(c)
    }

    /// Checks values.
    pub fn validate(&self) -> Result<(), TaskManagerError> {
        if self.num_task_slots == 0 {
            return Err(bad(
                "taskmanager.numberOfTaskSlots",
                "0",
                "must be at least 1",
            ));
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_timeout <= self.heartbeat_interval {
            return Err(bad(
                "heartbeat.timeout",
                &format!("{} ms", self.heartbeat_timeout.as_millis()),
                "must be larger than heartbeat.interval (> 0)",
            ));
        }
        if self.host.is_empty() {
            return Err(bad(
                "taskmanager.host",
                "",
                "must name a host, e.g. localhost",
            ));
        }
        Ok(())
    }
}

fn bad(key: &str, value: &str, reason: &str) -> TaskManagerError {
    TaskManagerError::Config {
        key: key.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, TaskManagerError> {
    v.parse()
        .map_err(|_| bad(key, v, "expected a non-negative integer"))
}

/// Parses a Flink memory size (`1728m`, `2 gb`, bytes without unit) into MiB.
pub fn memory_mb(key: &str, v: &str) -> Result<u64, TaskManagerError> {
    flink_config::MemorySize::parse(v)
        .map(|m| m.mebi_bytes())
        .map_err(|reason| bad(key, v, &reason))
}

/// Parses a Flink duration (`500 ms`, `10 s`, `5 min`, `1 h`; no unit = ms).
pub fn duration(key: &str, v: &str) -> Result<Duration, TaskManagerError> {
    flink_config::parse_duration(v).map_err(|reason| bad(key, v, &reason))
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Ms(ms) => Ok(Duration::from_millis(ms)),
            Raw::Text(t) => super::duration("duration", &t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_keys_and_validation() {
        let m: BTreeMap<String, String> = [
            ("taskmanager.numberOfTaskSlots", "4"),
            ("jobmanager.rpc.port", "7000"),
            ("heartbeat.interval", "100 ms"),
            ("heartbeat.timeout", "1 s"),
            ("taskmanager.exit-on-jm-loss", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = TaskManagerConfig::from_flat(&m).unwrap();
        assert_eq!(c.num_task_slots, 4);
        assert_eq!(c.jobmanager_rpc_address(), "localhost:7000");
        assert!(c.exit_on_jm_loss);
        assert_eq!(memory_mb("k", "2 gb").unwrap(), 2048);
        assert_eq!(memory_mb("k", "1728m").unwrap(), 1728);
        assert!(memory_mb("k", "lots").is_err());
        let mut m2 = m.clone();
        m2.insert("taskmanager.numberOfTaskSlots".into(), "0".into());
        let e = TaskManagerConfig::from_flat(&m2).unwrap_err();
        assert!(
            e.to_string().contains("taskmanager.numberOfTaskSlots"),
            "{e}"
        );
        let c: TaskManagerConfig =
            serde_json::from_str(r#"{"taskmanager.registration.timeout": "2 s"}"#).unwrap();
        assert_eq!(c.registration_timeout, Duration::from_secs(2));
    }
}
