//! [`NetworkConfig`]: sizes of buffers, credits and queues, and timeouts.

use crate::NetworkError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Largest buffer (and thus wire frame payload) accepted, 64 MiB. A frame
/// announcing more is a protocol violation; a larger `write` is rejected.
pub const MAX_BUFFER_SIZE: usize = 64 * 1024 * 1024;

/// Configuration of the network stack of one TaskManager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct NetworkConfig {
    /// `taskmanager.memory.segment-size`: the size callers fill buffers up
    /// to (informative for this crate, which moves opaque buffers).
    pub segment_size: usize,
    /// Exclusive receive buffers (= initial credit) per remote input channel (Flink: 2).
    pub buffers_per_channel: usize,
    /// Floating buffers per input gate, lent to channels with a backlog (Flink: 8).
    pub floating_buffers_per_gate: usize,
    /// Producer-side cap of unconsumed buffers per subpartition; a full
    /// subpartition blocks `write` (backpressure).
    pub max_queued_buffers_per_subpartition: usize,
    /// How long a consumer keeps retrying a partition the producer has not
    /// registered (yet).
    #[serde(with = "duration_ms", rename = "partition-request-timeout-ms")]
    pub partition_request_timeout: Duration,
    /// TCP connect timeout towards another TaskManager's data server.
    #[serde(with = "duration_ms", rename = "connect-timeout-ms")]
    pub connect_timeout: Duration,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            segment_size: 32 * 1024,
            buffers_per_channel: 2,
            floating_buffers_per_gate: 8,
            max_queued_buffers_per_subpartition: 10,
            partition_request_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl NetworkConfig {
    /// Checks ranges; the error names the setting and a valid value.
    pub fn validate(&self) -> Result<(), NetworkError> {
        let err = |m: String| Err(NetworkError::Config(m));
        if self.segment_size < 4096 || self.segment_size > MAX_BUFFER_SIZE {
            return err(format!(
                "segment-size {} is out of range; use 4096..={MAX_BUFFER_SIZE} bytes (default 32768)",
                self.segment_size
            ));
        }
        if self.buffers_per_channel == 0 || self.buffers_per_channel > 1 << 16 {
            return err(format!(
                "buffers-per-channel {} must be in 1..=65536 (Flink default 2)",
                self.buffers_per_channel
            ));
        }
        if self.floating_buffers_per_gate > 1 << 20 {
            return err(format!(
                "floating-buffers-per-gate {} is too large; use 0..=1048576 (Flink default 8)",
                self.floating_buffers_per_gate
            ));
        }
        if self.max_queued_buffers_per_subpartition < 2
            || self.max_queued_buffers_per_subpartition > 1 << 20
        {
            return err(format!(
                "max-queued-buffers-per-subpartition {} must be in 2..=1048576 (e.g. buffers-per-channel + floating-buffers-per-gate)",
                self.max_queued_buffers_per_subpartition
            ));
        }
        if self.partition_request_timeout.is_zero() {
            return err("partition-request-timeout-ms must be > 0 (e.g. 20000)".into());
        }
        if self.connect_timeout.is_zero() {
            return err("connect-timeout-ms must be > 0 (e.g. 10000)".into());
        }
        Ok(())
    }
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips_through_json() {
        let c = NetworkConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            json.contains("\"partition-request-timeout-ms\":20000"),
            "{json}"
        );
        let back: NetworkConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn bad_values_name_the_setting() {
        let c = NetworkConfig {
            buffers_per_channel: 0,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("buffers-per-channel")
        );
        let c = NetworkConfig {
            max_queued_buffers_per_subpartition: 1,
            ..Default::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max-queued-buffers-per-subpartition")
        );
        let err = serde_json::from_str::<NetworkConfig>("{\"bogus\":1}").unwrap_err();
        assert!(err.to_string().contains("bogus"));
    }
}
