//! Typed configuration structs built from a [`Configuration`], each with a
//! `validate()` for rules that span several keys. [`FlinkConfig`] bundles
//! what every role needs; roles may also build only the parts they use.

use crate::configuration::Configuration;
use crate::error::ConfigError;
use crate::options::*;
use crate::value::{MemorySize, format_duration};
use std::ops::RangeInclusive;
use std::time::Duration;

/// Flink's upper bound for `pipeline.max-parallelism` (number of key groups).
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 1 << 15;

/// Everything the flink-rs roles read from the configuration.
#[derive(Clone, PartialEq, Debug)]
pub struct FlinkConfig {
    /// Job defaults.
    pub pipeline: PipelineConfig,
    /// JobManager addresses and sizes.
    pub job_manager: JobManagerConfig,
    /// TaskManager slots, sizes and addresses.
    pub task_manager: TaskManagerConfig,
    /// REST endpoint.
    pub rest: RestConfig,
    /// Network buffers and flushing.
    pub network: NetworkConfig,
    /// Heartbeats.
    pub heartbeat: HeartbeatConfig,
    /// Restart strategy (resolved against checkpointing).
    pub restart_strategy: RestartStrategy,
    /// Checkpointing.
    pub checkpointing: CheckpointingConfig,
    /// YARN deployment.
    pub yarn: YarnConfig,
    /// High availability.
    pub high_availability: HighAvailabilityConfig,
}

impl FlinkConfig {
    /// Reads and validates every part.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let checkpointing = CheckpointingConfig::from_configuration(c)?;
        let cfg = Self {
            pipeline: PipelineConfig::from_configuration(c)?,
            job_manager: JobManagerConfig::from_configuration(c)?,
            task_manager: TaskManagerConfig::from_configuration(c)?,
            rest: RestConfig::from_configuration(c)?,
            network: NetworkConfig::from_configuration(c)?,
            heartbeat: HeartbeatConfig::from_configuration(c)?,
            restart_strategy: RestartStrategy::from_configuration(c, checkpointing.is_enabled())?,
            checkpointing,
            yarn: YarnConfig::from_configuration(c)?,
            high_availability: HighAvailabilityConfig::from_configuration(c)?,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every part.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.pipeline.validate()?;
        self.task_manager.validate()?;
        self.network.validate()?;
        self.heartbeat.validate()?;
        self.restart_strategy.validate()?;
        self.checkpointing.validate()?;
        self.yarn.validate()?;
        self.high_availability.validate()
    }
}

fn inconsistent(msg: String) -> ConfigError {
    ConfigError::Inconsistent(msg)
}

// ---------------------------------------------------------------------------

/// Job defaults (`parallelism.default`, `pipeline.*`, `execution.runtime-mode`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PipelineConfig {
    /// `parallelism.default`.
    pub parallelism: u32,
    /// `pipeline.max-parallelism`, if set.
    pub max_parallelism: Option<u32>,
    /// `pipeline.name`, if set.
    pub name: Option<String>,
    /// `execution.runtime-mode`.
    pub runtime_mode: ExecutionRuntimeMode,
}

impl PipelineConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let p = Self {
            parallelism: c.get(&PARALLELISM_DEFAULT)?,
            max_parallelism: c.get_optional(&PIPELINE_MAX_PARALLELISM)?,
            name: c.get_optional(&PIPELINE_NAME)?,
            runtime_mode: c.get(&EXECUTION_RUNTIME_MODE)?,
        };
        p.validate()?;
        Ok(p)
    }

    /// Max parallelism must be at most 32768 and not below the parallelism.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(m) = self.max_parallelism {
            if m > UPPER_BOUND_MAX_PARALLELISM {
                return Err(inconsistent(format!(
                    "pipeline.max-parallelism ({m}) must be at most {UPPER_BOUND_MAX_PARALLELISM}"
                )));
            }
            if self.parallelism > m {
                return Err(inconsistent(format!(
                    "parallelism.default ({}) exceeds pipeline.max-parallelism ({m}): lower -p or raise pipeline.max-parallelism",
                    self.parallelism
                )));
            }
        }
        Ok(())
    }

    /// The max parallelism for an operator of `parallelism`: the configured
    /// value, else Flink's derivation (1.5 x parallelism rounded up to a power
    /// of two, clamped to 128..=32768).
    pub fn effective_max_parallelism(&self, parallelism: u32) -> u32 {
        self.max_parallelism.unwrap_or_else(|| {
            let target = (parallelism as u64 + parallelism as u64 / 2).max(1);
            (target.next_power_of_two() as u32).clamp(128, UPPER_BOUND_MAX_PARALLELISM)
        })
    }
}

// ---------------------------------------------------------------------------

/// JobManager settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct JobManagerConfig {
    /// `jobmanager.rpc.address`.
    pub rpc_address: String,
    /// `jobmanager.rpc.port`.
    pub rpc_port: u16,
    /// `jobmanager.bind-host`, if set.
    pub bind_host: Option<String>,
    /// `jobmanager.memory.process.size`, if set.
    pub process_size: Option<MemorySize>,
    /// `jobmanager.execution.failover-strategy`.
    pub failover_strategy: FailoverStrategy,
}

impl JobManagerConfig {
    /// Reads.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        Ok(Self {
            rpc_address: c.get(&JOB_MANAGER_RPC_ADDRESS)?,
            rpc_port: c.get(&JOB_MANAGER_RPC_PORT)?,
            bind_host: c.get_optional(&JOB_MANAGER_BIND_HOST)?,
            process_size: c.get_optional(&JOB_MANAGER_MEMORY_PROCESS_SIZE)?,
            failover_strategy: c.get(&JOB_MANAGER_FAILOVER_STRATEGY)?,
        })
    }
}

// ---------------------------------------------------------------------------

/// TaskManager settings.
#[derive(Clone, PartialEq, Debug)]
pub struct TaskManagerConfig {
    /// `taskmanager.numberOfTaskSlots`.
    pub number_of_task_slots: u32,
    /// `taskmanager.memory.process.size`, if set.
    pub process_size: Option<MemorySize>,
    /// `taskmanager.memory.managed.fraction`.
    pub managed_fraction: f64,
    /// `taskmanager.host`, if set.
    pub host: Option<String>,
    /// `taskmanager.bind-host`, if set.
    pub bind_host: Option<String>,
    /// `taskmanager.rpc.port` as port ranges.
    pub rpc_ports: Vec<RangeInclusive<u16>>,
    /// `taskmanager.data.port`.
    pub data_port: u16,
    /// `taskmanager.resource-id`, if set.
    pub resource_id: Option<String>,
    /// `taskmanager.registration.timeout`.
    pub registration_timeout: Duration,
}

impl TaskManagerConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let t = Self {
            number_of_task_slots: c.get(&TASK_MANAGER_NUM_TASK_SLOTS)?,
            process_size: c.get_optional(&TASK_MANAGER_MEMORY_PROCESS_SIZE)?,
            managed_fraction: c.get(&TASK_MANAGER_MEMORY_MANAGED_FRACTION)?,
            host: c.get_optional(&TASK_MANAGER_HOST)?,
            bind_host: c.get_optional(&TASK_MANAGER_BIND_HOST)?,
            rpc_ports: port_spec(c, &TASK_MANAGER_RPC_PORT)?,
            data_port: c.get(&TASK_MANAGER_DATA_PORT)?,
            resource_id: c.get_optional(&TASK_MANAGER_RESOURCE_ID)?,
            registration_timeout: c.get(&TASK_MANAGER_REGISTRATION_TIMEOUT)?,
        };
        t.validate()?;
        Ok(t)
    }

    /// Fractions must leave room for the rest of the process.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.managed_fraction >= 1.0 {
            return Err(inconsistent(format!(
                "taskmanager.memory.managed.fraction ({}) must be below 1.0",
                self.managed_fraction
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// REST endpoint settings, as the client and the JobManager see them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RestConfig {
    /// `rest.address`, else `jobmanager.rpc.address`.
    pub address: String,
    /// `rest.bind-address`, if set.
    pub bind_address: Option<String>,
    /// `rest.port`.
    pub port: u16,
    /// `rest.bind-port` as port ranges, else `rest.port`.
    pub bind_ports: Vec<RangeInclusive<u16>>,
    /// `rest.connection-timeout`.
    pub connection_timeout: Duration,
    /// `rest.idleness-timeout`.
    pub idleness_timeout: Duration,
    /// `rest.retry.max-attempts`.
    pub retry_max_attempts: u32,
    /// `rest.retry.delay`.
    pub retry_delay: Duration,
}

impl RestConfig {
    /// Reads.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let port = c.get(&REST_PORT)?;
        let bind_ports = if c.contains(&REST_BIND_PORT) {
            port_spec(c, &REST_BIND_PORT)?
        } else {
            vec![port..=port]
        };
        Ok(Self {
            address: match c.get_optional(&REST_ADDRESS)? {
                Some(a) => a,
                None => c.get(&JOB_MANAGER_RPC_ADDRESS)?,
            },
            bind_address: c.get_optional(&REST_BIND_ADDRESS)?,
            port,
            bind_ports,
            connection_timeout: c.get(&REST_CONNECTION_TIMEOUT)?,
            idleness_timeout: c.get(&REST_IDLENESS_TIMEOUT)?,
            retry_max_attempts: c.get(&REST_RETRY_MAX_ATTEMPTS)?,
            retry_delay: c.get(&REST_RETRY_DELAY)?,
        })
    }

    /// The base URL clients use: `http://<address>:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.address, self.port)
    }
}

// ---------------------------------------------------------------------------

/// Network stack settings.
#[derive(Clone, PartialEq, Debug)]
pub struct NetworkConfig {
    /// `taskmanager.memory.segment-size`.
    pub segment_size: MemorySize,
    /// `taskmanager.network.memory.buffers-per-channel`.
    pub buffers_per_channel: u32,
    /// `taskmanager.network.memory.floating-buffers-per-gate`.
    pub floating_buffers_per_gate: u32,
    /// `taskmanager.network.memory.max-buffers-per-channel`.
    pub max_buffers_per_channel: u32,
    /// `execution.buffer-timeout.interval`; `None` when
    /// `execution.buffer-timeout.enabled` is false (flush only full buffers).
    pub buffer_timeout: Option<Duration>,
    /// `taskmanager.memory.network.fraction`.
    pub network_fraction: f64,
    /// `taskmanager.memory.network.min`.
    pub network_min: MemorySize,
}

impl NetworkConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let n = Self {
            segment_size: c.get(&TASK_MANAGER_MEMORY_SEGMENT_SIZE)?,
            buffers_per_channel: c.get(&NETWORK_BUFFERS_PER_CHANNEL)?,
            floating_buffers_per_gate: c.get(&NETWORK_FLOATING_BUFFERS_PER_GATE)?,
            max_buffers_per_channel: c.get(&NETWORK_MAX_BUFFERS_PER_CHANNEL)?,
            buffer_timeout: if c.get(&BUFFER_TIMEOUT_ENABLED)? {
                Some(c.get(&BUFFER_TIMEOUT_INTERVAL)?)
            } else {
                None
            },
            network_fraction: c.get(&TASK_MANAGER_MEMORY_NETWORK_FRACTION)?,
            network_min: c.get(&TASK_MANAGER_MEMORY_NETWORK_MIN)?,
        };
        n.validate()?;
        Ok(n)
    }

    /// The segment size must be a power of two of at least 4 kb, and an input
    /// channel needs at least one buffer.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = self.segment_size.bytes();
        if s < 4096 || !s.is_power_of_two() || s > u32::MAX as u64 {
            return Err(inconsistent(format!(
                "taskmanager.memory.segment-size ({}) must be a power of two between 4 kb and 2 gb, e.g. 32 kb",
                self.segment_size
            )));
        }
        if self.buffers_per_channel + self.floating_buffers_per_gate == 0 {
            return Err(inconsistent(
                "taskmanager.network.memory.buffers-per-channel and taskmanager.network.memory.floating-buffers-per-gate are both 0: input channels would have no buffers".into(),
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// Heartbeat settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HeartbeatConfig {
    /// `heartbeat.interval`.
    pub interval: Duration,
    /// `heartbeat.timeout`.
    pub timeout: Duration,
    /// `heartbeat.rpc-failure-threshold`.
    pub rpc_failure_threshold: u32,
}

impl HeartbeatConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let h = Self {
            interval: c.get(&HEARTBEAT_INTERVAL)?,
            timeout: c.get(&HEARTBEAT_TIMEOUT)?,
            rpc_failure_threshold: c.get(&HEARTBEAT_RPC_FAILURE_THRESHOLD)?,
        };
        h.validate()?;
        Ok(h)
    }

    /// The timeout must not be below the interval.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.timeout < self.interval {
            return Err(inconsistent(format!(
                "heartbeat.timeout ({}) must be at least heartbeat.interval ({})",
                format_duration(self.timeout),
                format_duration(self.interval)
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// The resolved restart strategy (Flink `RestartStrategyOptions`).
#[derive(Clone, PartialEq, Debug)]
pub enum RestartStrategy {
    /// The first failure fails the job.
    None,
    /// `attempts` restarts, `delay` apart.
    FixedDelay {
        /// `restart-strategy.fixed-delay.attempts`.
        attempts: u32,
        /// `restart-strategy.fixed-delay.delay`.
        delay: Duration,
    },
    /// Restarts while failures within `interval` stay at most `max_failures_per_interval`.
    FailureRate {
        /// `restart-strategy.failure-rate.max-failures-per-interval`.
        max_failures_per_interval: u32,
        /// `restart-strategy.failure-rate.failure-rate-interval`.
        failure_rate_interval: Duration,
        /// `restart-strategy.failure-rate.delay`.
        delay: Duration,
    },
    /// Delays growing by `backoff_multiplier` from `initial_backoff` to `max_backoff`.
    ExponentialDelay {
        /// `restart-strategy.exponential-delay.initial-backoff`.
        initial_backoff: Duration,
        /// `restart-strategy.exponential-delay.max-backoff`.
        max_backoff: Duration,
        /// `restart-strategy.exponential-delay.backoff-multiplier`.
        backoff_multiplier: f64,
        /// `restart-strategy.exponential-delay.reset-backoff-threshold`.
        reset_backoff_threshold: Duration,
        /// `restart-strategy.exponential-delay.jitter-factor`.
        jitter_factor: f64,
        /// `restart-strategy.exponential-delay.attempts-before-reset-backoff`.
        attempts_before_reset_backoff: u32,
    },
}

impl RestartStrategy {
    /// Reads `restart-strategy.*`. When the type is unset the strategy is
    /// `none` without checkpointing and exponential-delay with it, as in Flink.
    pub fn from_configuration(
        c: &Configuration,
        checkpointing_enabled: bool,
    ) -> Result<Self, ConfigError> {
        let ty = match c.get_optional(&RESTART_STRATEGY_TYPE)? {
            Some(t) => t,
            None if checkpointing_enabled => RestartStrategyType::ExponentialDelay,
            None => RestartStrategyType::None,
        };
        let s = match ty {
            RestartStrategyType::None => Self::None,
            RestartStrategyType::FixedDelay => Self::FixedDelay {
                attempts: c.get(&FIXED_DELAY_ATTEMPTS)?,
                delay: c.get(&FIXED_DELAY_DELAY)?,
            },
            RestartStrategyType::FailureRate => Self::FailureRate {
                max_failures_per_interval: c.get(&FAILURE_RATE_MAX_FAILURES)?,
                failure_rate_interval: c.get(&FAILURE_RATE_INTERVAL)?,
                delay: c.get(&FAILURE_RATE_DELAY)?,
            },
            RestartStrategyType::ExponentialDelay => Self::ExponentialDelay {
                initial_backoff: c.get(&EXPONENTIAL_DELAY_INITIAL_BACKOFF)?,
                max_backoff: c.get(&EXPONENTIAL_DELAY_MAX_BACKOFF)?,
                backoff_multiplier: c.get(&EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER)?,
                reset_backoff_threshold: c.get(&EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD)?,
                jitter_factor: c.get(&EXPONENTIAL_DELAY_JITTER_FACTOR)?,
                attempts_before_reset_backoff: c.get(&EXPONENTIAL_DELAY_ATTEMPTS)?,
            },
        };
        s.validate()?;
        Ok(s)
    }

    /// The initial backoff must not exceed the maximum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Self::ExponentialDelay {
            initial_backoff,
            max_backoff,
            ..
        } = self
            && initial_backoff > max_backoff
        {
            return Err(inconsistent(format!(
                "restart-strategy.exponential-delay.initial-backoff ({}) exceeds restart-strategy.exponential-delay.max-backoff ({})",
                format_duration(*initial_backoff),
                format_duration(*max_backoff)
            )));
        }
        Ok(())
    }

    /// Flink's name of the strategy type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::None => RestartStrategyType::None.as_str(),
            Self::FixedDelay { .. } => RestartStrategyType::FixedDelay.as_str(),
            Self::FailureRate { .. } => RestartStrategyType::FailureRate.as_str(),
            Self::ExponentialDelay { .. } => RestartStrategyType::ExponentialDelay.as_str(),
        }
    }
}

// ---------------------------------------------------------------------------

/// Checkpointing settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CheckpointingConfig {
    /// `execution.checkpointing.interval`; `None` disables checkpointing.
    pub interval: Option<Duration>,
    /// `execution.checkpointing.mode`.
    pub mode: CheckpointingMode,
    /// `execution.checkpointing.dir`.
    pub dir: Option<String>,
    /// `execution.checkpointing.savepoint-dir`.
    pub savepoint_dir: Option<String>,
    /// `execution.checkpointing.num-retained`.
    pub num_retained: u32,
    /// `execution.checkpointing.timeout`.
    pub timeout: Duration,
    /// `execution.checkpointing.max-concurrent-checkpoints`.
    pub max_concurrent: u32,
    /// `execution.checkpointing.min-pause`.
    pub min_pause: Duration,
    /// `execution.checkpointing.tolerable-failed-checkpoints`.
    pub tolerable_failures: u32,
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    pub externalized_retention: ExternalizedCheckpointRetention,
    /// `execution.checkpointing.unaligned.enabled`.
    pub unaligned: bool,
    /// `execution.checkpointing.aligned-checkpoint-timeout`.
    pub aligned_checkpoint_timeout: Duration,
    /// `execution.checkpointing.incremental`.
    pub incremental: bool,
}

impl CheckpointingConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let k = Self {
            interval: c.get_optional(&CHECKPOINTING_INTERVAL)?,
            mode: c.get(&CHECKPOINTING_MODE)?,
            dir: c.get_optional(&CHECKPOINTING_DIR)?,
            savepoint_dir: c.get_optional(&SAVEPOINT_DIR)?,
            num_retained: c.get(&CHECKPOINTING_NUM_RETAINED)?,
            timeout: c.get(&CHECKPOINTING_TIMEOUT)?,
            max_concurrent: c.get(&CHECKPOINTING_MAX_CONCURRENT)?,
            min_pause: c.get(&CHECKPOINTING_MIN_PAUSE)?,
            tolerable_failures: c.get(&CHECKPOINTING_TOLERABLE_FAILURES)?,
            externalized_retention: c.get(&CHECKPOINTING_EXTERNALIZED_RETENTION)?,
            unaligned: c.get(&CHECKPOINTING_UNALIGNED)?,
            aligned_checkpoint_timeout: c.get(&CHECKPOINTING_ALIGNED_TIMEOUT)?,
            incremental: c.get(&CHECKPOINTING_INCREMENTAL)?,
        };
        k.validate()?;
        Ok(k)
    }

    /// Whether periodic checkpoints are taken.
    pub fn is_enabled(&self) -> bool {
        self.interval.is_some()
    }

    /// Unaligned checkpoints need exactly-once mode.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.unaligned && self.mode == CheckpointingMode::AtLeastOnce {
            return Err(inconsistent(
                "execution.checkpointing.unaligned.enabled=true requires execution.checkpointing.mode=EXACTLY_ONCE".into(),
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// YARN deployment settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct YarnConfig {
    /// `yarn.appmaster.vcores`.
    pub appmaster_vcores: u32,
    /// `yarn.containers.vcores` (-1: number of slots).
    pub containers_vcores: i32,
    /// `yarn.application-attempts`, if set.
    pub application_attempts: Option<u32>,
    /// `yarn.application-attempt-failures-validity-interval` in ms.
    pub attempt_failures_validity_interval_ms: i64,
    /// `yarn.heartbeat.interval`.
    pub heartbeat_interval: Duration,
    /// `yarn.heartbeat.container-request-interval`.
    pub container_request_heartbeat_interval: Duration,
    /// `yarn.application-master.port` as port ranges.
    pub application_master_ports: Vec<RangeInclusive<u16>>,
    /// `yarn.staging-directory`.
    pub staging_directory: Option<String>,
    /// `yarn.ship-files`.
    pub ship_files: Vec<String>,
    /// `yarn.ship-archives`.
    pub ship_archives: Vec<String>,
    /// `yarn.provided.lib.dirs`.
    pub provided_lib_dirs: Vec<String>,
    /// `yarn.provided.usrlib.dir`.
    pub provided_usrlib_dir: Option<String>,
    /// `yarn.flink-dist-jar`.
    pub flink_dist_jar: Option<String>,
    /// `yarn.classpath.include-user-jar`.
    pub include_user_jar: IncludeUserJar,
    /// `yarn.file-replication` (-1: dfs.replication).
    pub file_replication: i32,
    /// `yarn.application.id`.
    pub application_id: Option<String>,
    /// `yarn.application.queue`.
    pub queue: Option<String>,
    /// `yarn.application.name`.
    pub application_name: Option<String>,
    /// `yarn.application.type`.
    pub application_type: String,
    /// `yarn.application.priority` (-1: unset).
    pub priority: i32,
    /// `yarn.application.node-label`.
    pub node_label: Option<String>,
    /// `yarn.taskmanager.node-label`.
    pub task_manager_node_label: Option<String>,
    /// `yarn.tags`, split at ','.
    pub tags: Vec<String>,
    /// `yarn.view.acls`.
    pub view_acls: Option<String>,
    /// `yarn.modify.acls`.
    pub modify_acls: Option<String>,
    /// `yarn.properties-file.location`.
    pub properties_file_location: Option<String>,
    /// `yarn.security.kerberos.ship-local-keytab`.
    pub ship_local_keytab: bool,
    /// `yarn.security.kerberos.localized-keytab-path`.
    pub localized_keytab_path: String,
    /// `yarn.security.appmaster.delegation.token.services`.
    pub appmaster_delegation_token_services: Vec<String>,
}

impl YarnConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let y = Self {
            appmaster_vcores: c.get(&YARN_APPMASTER_VCORES)?,
            containers_vcores: c.get(&YARN_CONTAINERS_VCORES)?,
            application_attempts: c.get_optional(&YARN_APPLICATION_ATTEMPTS)?,
            attempt_failures_validity_interval_ms: c
                .get(&YARN_ATTEMPT_FAILURES_VALIDITY_INTERVAL)?,
            heartbeat_interval: Duration::from_secs(c.get(&YARN_HEARTBEAT_INTERVAL)?.into()),
            container_request_heartbeat_interval: c
                .get(&YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL)?,
            application_master_ports: port_spec(c, &YARN_APPLICATION_MASTER_PORT)?,
            staging_directory: c.get_optional(&YARN_STAGING_DIRECTORY)?,
            ship_files: c.get_optional(&YARN_SHIP_FILES)?.unwrap_or_default(),
            ship_archives: c.get_optional(&YARN_SHIP_ARCHIVES)?.unwrap_or_default(),
            provided_lib_dirs: c.get_optional(&YARN_PROVIDED_LIB_DIRS)?.unwrap_or_default(),
            provided_usrlib_dir: c.get_optional(&YARN_PROVIDED_USRLIB_DIR)?,
            flink_dist_jar: c.get_optional(&YARN_FLINK_DIST_JAR)?,
            include_user_jar: c.get(&YARN_INCLUDE_USER_JAR)?,
            file_replication: c.get(&YARN_FILE_REPLICATION)?,
            application_id: c.get_optional(&YARN_APPLICATION_ID)?,
            queue: c.get_optional(&YARN_APPLICATION_QUEUE)?,
            application_name: c.get_optional(&YARN_APPLICATION_NAME)?,
            application_type: c.get(&YARN_APPLICATION_TYPE)?,
            priority: c.get(&YARN_APPLICATION_PRIORITY)?,
            node_label: c.get_optional(&YARN_APPLICATION_NODE_LABEL)?,
            task_manager_node_label: c.get_optional(&YARN_TASK_MANAGER_NODE_LABEL)?,
            tags: c
                .get_optional(&YARN_TAGS)?
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            view_acls: c.get_optional(&YARN_VIEW_ACLS)?,
            modify_acls: c.get_optional(&YARN_MODIFY_ACLS)?,
            properties_file_location: c.get_optional(&YARN_PROPERTIES_FILE_LOCATION)?,
            ship_local_keytab: c.get(&YARN_SHIP_LOCAL_KEYTAB)?,
            localized_keytab_path: c.get(&YARN_LOCALIZED_KEYTAB_PATH)?,
            appmaster_delegation_token_services: c.get(&YARN_AM_DELEGATION_TOKEN_SERVICES)?,
        };
        y.validate()?;
        Ok(y)
    }

    /// `yarn.containers.vcores` must be -1 or positive; the replication -1 or positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.containers_vcores == 0 || self.containers_vcores < -1 {
            return Err(inconsistent(format!(
                "yarn.containers.vcores ({}) must be positive, or -1 for the number of slots",
                self.containers_vcores
            )));
        }
        if self.file_replication == 0 || self.file_replication < -1 {
            return Err(inconsistent(format!(
                "yarn.file-replication ({}) must be positive, or -1 for dfs.replication",
                self.file_replication
            )));
        }
        Ok(())
    }

    /// Virtual cores of a TaskManager container with `slots` slots.
    pub fn task_manager_vcores(&self, slots: u32) -> u32 {
        if self.containers_vcores > 0 {
            self.containers_vcores as u32
        } else {
            slots.max(1)
        }
    }

    /// Maximum AM attempts: the configured value, else 1 without HA and 2 with HA.
    pub fn effective_application_attempts(&self, ha_enabled: bool) -> u32 {
        self.application_attempts
            .unwrap_or(if ha_enabled { 2 } else { 1 })
    }
}

// ---------------------------------------------------------------------------

/// High-availability settings.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HighAvailabilityConfig {
    /// `high-availability.type`.
    pub ha_type: HighAvailabilityType,
    /// `high-availability.cluster-id`.
    pub cluster_id: String,
    /// `high-availability.storageDir`.
    pub storage_dir: Option<String>,
    /// `high-availability.zookeeper.quorum`.
    pub zookeeper_quorum: Option<String>,
    /// `high-availability.zookeeper.path.root`.
    pub zookeeper_root: String,
    /// `high-availability.zookeeper.path.execution-plans`.
    pub zookeeper_execution_plans_path: String,
    /// `high-availability.zookeeper.client.session-timeout`.
    pub session_timeout: Duration,
    /// `high-availability.zookeeper.client.connection-timeout`.
    pub connection_timeout: Duration,
    /// `high-availability.zookeeper.client.retry-wait`.
    pub retry_wait: Duration,
    /// `high-availability.zookeeper.client.max-retry-attempts`.
    pub max_retry_attempts: u32,
    /// `high-availability.zookeeper.client.acl`.
    pub acl: ZooKeeperAcl,
    /// `high-availability.zookeeper.client.tolerate-suspended-connections`.
    pub tolerate_suspended_connections: bool,
    /// `high-availability.job-result-store.storage-path`.
    pub job_result_store_path: Option<String>,
    /// `high-availability.job-result-store.delete-on-commit`.
    pub job_result_store_delete_on_commit: bool,
}

impl HighAvailabilityConfig {
    /// Reads and validates.
    pub fn from_configuration(c: &Configuration) -> Result<Self, ConfigError> {
        let h = Self {
            ha_type: c.get(&HA_TYPE)?,
            cluster_id: c.get(&HA_CLUSTER_ID)?,
            storage_dir: c.get_optional(&HA_STORAGE_DIR)?,
            zookeeper_quorum: c.get_optional(&HA_ZOOKEEPER_QUORUM)?,
            zookeeper_root: c.get(&HA_ZOOKEEPER_ROOT)?,
            zookeeper_execution_plans_path: c.get(&HA_ZOOKEEPER_EXECUTION_PLANS_PATH)?,
            session_timeout: c.get(&HA_ZOOKEEPER_SESSION_TIMEOUT)?,
            connection_timeout: c.get(&HA_ZOOKEEPER_CONNECTION_TIMEOUT)?,
            retry_wait: c.get(&HA_ZOOKEEPER_RETRY_WAIT)?,
            max_retry_attempts: c.get(&HA_ZOOKEEPER_MAX_RETRY_ATTEMPTS)?,
            acl: c.get(&HA_ZOOKEEPER_ACL)?,
            tolerate_suspended_connections: c.get(&HA_ZOOKEEPER_TOLERATE_SUSPENDED)?,
            job_result_store_path: c.get_optional(&HA_JOB_RESULT_STORE_PATH)?,
            job_result_store_delete_on_commit: c.get(&HA_JOB_RESULT_STORE_DELETE_ON_COMMIT)?,
        };
        h.validate()?;
        Ok(h)
    }

    /// Whether HA is on.
    pub fn is_enabled(&self) -> bool {
        self.ha_type != HighAvailabilityType::None
    }

    /// ZooKeeper HA needs a quorum and a storage directory.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ha_type == HighAvailabilityType::ZooKeeper {
            if self
                .zookeeper_quorum
                .as_deref()
                .is_none_or(|q| q.trim().is_empty())
            {
                return Err(ConfigError::Missing {
                    key: HA_ZOOKEEPER_QUORUM.key().into(),
                    hint: "high-availability.type is ZOOKEEPER; set the quorum, e.g. -D high-availability.zookeeper.quorum=zk1:2181".into(),
                });
            }
            if self
                .storage_dir
                .as_deref()
                .is_none_or(|q| q.trim().is_empty())
            {
                return Err(ConfigError::Missing {
                    key: HA_STORAGE_DIR.key().into(),
                    hint: "high-availability.type is ZOOKEEPER; set a shared directory, e.g. -D high-availability.storageDir=hdfs:///flink/ha".into(),
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------

/// Parses a port specification: a port, a range `50100-50200`, or a
/// comma-separated list of both.
pub fn parse_port_spec(spec: &str) -> Result<Vec<RangeInclusive<u16>>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let range = match part.split_once('-') {
            Some((a, b)) => {
                let a: u16 = a.trim().parse().map_err(|_| format!("bad port '{a}'"))?;
                let b: u16 = b.trim().parse().map_err(|_| format!("bad port '{b}'"))?;
                if a > b {
                    return Err(format!("range '{part}' is empty"));
                }
                a..=b
            }
            None => {
                let p: u16 = part.parse().map_err(|_| format!("bad port '{part}'"))?;
                p..=p
            }
        };
        out.push(range);
    }
    if out.is_empty() {
        return Err("no port given".into());
    }
    Ok(out)
}

fn port_spec(
    c: &Configuration,
    option: &crate::ConfigOption<String>,
) -> Result<Vec<RangeInclusive<u16>>, ConfigError> {
    let raw = c.get(option)?;
    parse_port_spec(&raw).map_err(|_| {
        let (key, source) = match c.get_entry(option.key()) {
            Some(e) => (option.key().to_string(), e.source.clone()),
            None => (
                option.key().to_string(),
                crate::ConfigSource::Set("the built-in default".into()),
            ),
        };
        ConfigError::InvalidValue {
            key,
            value: raw.clone(),
            origin: source,
            expected: "a port, a range such as '50100-50200', or a comma-separated list of them"
                .into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigSource;

    fn conf(pairs: &[&str]) -> Configuration {
        let mut c = Configuration::new();
        let props: Vec<String> = pairs.iter().map(|s| s.to_string()).collect();
        c.apply_dynamic_properties(&props).unwrap();
        c
    }

    #[test]
    fn defaults_build_a_valid_config() {
        let f = FlinkConfig::from_configuration(&Configuration::new()).unwrap();
        assert_eq!(f.pipeline.parallelism, 1);
        assert_eq!(f.task_manager.number_of_task_slots, 1);
        assert_eq!(f.job_manager.rpc_address, "localhost");
        assert_eq!(f.job_manager.rpc_port, 6123);
        assert_eq!(f.rest.port, 8081);
        assert_eq!(f.rest.url(), "http://localhost:8081");
        assert_eq!(f.rest.bind_ports, vec![8081..=8081]);
        assert_eq!(f.network.segment_size, MemorySize::from_kibi(32));
        assert_eq!(f.network.buffers_per_channel, 2);
        assert_eq!(f.network.floating_buffers_per_gate, 8);
        assert_eq!(f.network.buffer_timeout, Some(Duration::from_millis(100)));
        assert_eq!(f.heartbeat.interval, Duration::from_secs(10));
        assert_eq!(f.heartbeat.timeout, Duration::from_secs(50));
        assert_eq!(f.restart_strategy, RestartStrategy::None);
        assert!(!f.checkpointing.is_enabled());
        assert_eq!(f.checkpointing.timeout, Duration::from_secs(600));
        assert_eq!(f.yarn.heartbeat_interval, Duration::from_secs(5));
        assert_eq!(f.yarn.appmaster_delegation_token_services, vec!["hadoopfs"]);
        assert_eq!(f.yarn.effective_application_attempts(false), 1);
        assert_eq!(f.yarn.effective_application_attempts(true), 2);
        assert_eq!(f.yarn.task_manager_vcores(4), 4);
        assert!(!f.high_availability.is_enabled());
        assert_eq!(f.high_availability.zookeeper_root, "/flink");
    }

    #[test]
    fn rest_address_falls_back_to_rpc_address() {
        let r = RestConfig::from_configuration(&conf(&["jobmanager.rpc.address=jm"])).unwrap();
        assert_eq!(r.url(), "http://jm:8081");
        let r = RestConfig::from_configuration(&conf(&[
            "jobmanager.rpc.address=jm",
            "rest.address=web",
            "rest.port=9000",
            "rest.bind-port=50100-50200",
        ]))
        .unwrap();
        assert_eq!(r.url(), "http://web:9000");
        assert_eq!(r.bind_ports, vec![50100..=50200]);
    }

    #[test]
    fn restart_strategy_defaults_follow_checkpointing() {
        let c = conf(&["execution.checkpointing.interval=10 s"]);
        let f = FlinkConfig::from_configuration(&c).unwrap();
        assert_eq!(
            f.restart_strategy,
            RestartStrategy::ExponentialDelay {
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                backoff_multiplier: 1.5,
                reset_backoff_threshold: Duration::from_secs(3600),
                jitter_factor: 0.1,
                attempts_before_reset_backoff: i32::MAX as u32,
            }
        );
        let c = conf(&[
            "restart-strategy.type=FixedDelay",
            "restart-strategy.fixed-delay.attempts=3",
            "restart-strategy.fixed-delay.delay=2 s",
        ]);
        assert_eq!(
            RestartStrategy::from_configuration(&c, true).unwrap(),
            RestartStrategy::FixedDelay {
                attempts: 3,
                delay: Duration::from_secs(2)
            }
        );
        let c = conf(&["restart-strategy.type=failure-rate"]);
        let s = RestartStrategy::from_configuration(&c, false).unwrap();
        assert_eq!(s.type_name(), "failure-rate");
        // Deprecated key.
        let c = conf(&["restart-strategy=none"]);
        assert_eq!(
            RestartStrategy::from_configuration(&c, true).unwrap(),
            RestartStrategy::None
        );
        let e =
            RestartStrategy::from_configuration(&conf(&["restart-strategy.type=sometimes"]), false)
                .unwrap_err();
        assert!(
            e.to_string().contains("one of 'none', 'fixed-delay'"),
            "{e}"
        );
        let e = RestartStrategy::from_configuration(
            &conf(&[
                "restart-strategy.type=exponential-delay",
                "restart-strategy.exponential-delay.initial-backoff=2 min",
            ]),
            false,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("exceeds restart-strategy.exponential-delay.max-backoff"),
            "{e}"
        );
    }

    #[test]
    fn cross_field_validation_errors() {
        let e = FlinkConfig::from_configuration(&conf(&["heartbeat.interval=60 s"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid configuration: heartbeat.timeout (50 s) must be at least heartbeat.interval (1 min)"
        );
        let e = FlinkConfig::from_configuration(&conf(&["taskmanager.memory.segment-size=1000"]))
            .unwrap_err();
        assert!(e.to_string().contains("power of two"), "{e}");
        let e = FlinkConfig::from_configuration(&conf(&[
            "parallelism.default=300",
            "pipeline.max-parallelism=128",
        ]))
        .unwrap_err();
        assert!(
            e.to_string().contains("exceeds pipeline.max-parallelism"),
            "{e}"
        );
        let e = FlinkConfig::from_configuration(&conf(&["high-availability.type=zookeeper"]))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("missing configuration 'high-availability.zookeeper.quorum'"),
            "{e}"
        );
        let e = FlinkConfig::from_configuration(&conf(&[
            "high-availability=zookeeper",
            "high-availability.zookeeper.quorum=zk:2181",
        ]))
        .unwrap_err();
        assert!(
            e.to_string().contains("high-availability.storageDir"),
            "{e}"
        );
        let ok = FlinkConfig::from_configuration(&conf(&[
            "high-availability.type=ZOOKEEPER",
            "high-availability.zookeeper.quorum=zk:2181",
            "high-availability.storageDir=hdfs:///ha",
        ]))
        .unwrap();
        assert!(ok.high_availability.is_enabled());
        let e = FlinkConfig::from_configuration(&conf(&[
            "execution.checkpointing.unaligned.enabled=true",
            "execution.checkpointing.mode=at_least_once",
        ]))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("requires execution.checkpointing.mode=EXACTLY_ONCE"),
            "{e}"
        );
        let e = FlinkConfig::from_configuration(&conf(&["yarn.containers.vcores=0"])).unwrap_err();
        assert!(e.to_string().contains("yarn.containers.vcores (0)"), "{e}");
        let e = FlinkConfig::from_configuration(&conf(&["yarn.application-master.port=90-80"]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value '90-80' for 'yarn.application-master.port' (from -D): expected a port, a range such as '50100-50200', or a comma-separated list of them"
        );
    }

    #[test]
    fn max_parallelism_derivation() {
        let p = PipelineConfig::from_configuration(&Configuration::new()).unwrap();
        assert_eq!(p.effective_max_parallelism(1), 128);
        assert_eq!(p.effective_max_parallelism(100), 256);
        assert_eq!(p.effective_max_parallelism(30000), 32768);
    }

    #[test]
    fn buffer_timeout_can_be_disabled_and_read_from_deprecated_key() {
        let n =
            NetworkConfig::from_configuration(&conf(&["execution.buffer-timeout.enabled=false"]))
                .unwrap();
        assert_eq!(n.buffer_timeout, None);
        let n = NetworkConfig::from_configuration(&conf(&["execution.buffer-timeout=5"])).unwrap();
        assert_eq!(n.buffer_timeout, Some(Duration::from_millis(5)));
    }

    #[test]
    fn port_specs() {
        assert_eq!(parse_port_spec("0").unwrap(), vec![0..=0]);
        assert_eq!(parse_port_spec("1-3, 7").unwrap(), vec![1..=3, 7..=7]);
        assert!(parse_port_spec("").is_err());
        assert!(parse_port_spec("x").is_err());
        assert!(parse_port_spec("70000").is_err());
    }

    #[test]
    fn yarn_lists_and_tags() {
        let mut c = Configuration::from_yaml_str(
            "yarn:\n  ship-files:\n    - /a\n    - /b\n  tags: a, b ,c\n",
            ConfigSource::File("config.yaml".into()),
        )
        .unwrap();
        c.apply_dynamic_properties(&["yarn.containers.vcores=2".into()])
            .unwrap();
        let y = YarnConfig::from_configuration(&c).unwrap();
        assert_eq!(y.ship_files, vec!["/a", "/b"]);
        assert_eq!(y.tags, vec!["a", "b", "c"]);
        assert_eq!(y.task_manager_vcores(8), 2);
    }
}
