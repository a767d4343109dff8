//! Every configuration option flink-rs knows, with Flink's key names,
//! defaults and descriptions. This is the single place options are defined:
//! the registry ([`SECTIONS`]) drives unknown-key warnings and the generated
//! `docs/configuration.md`.

use crate::config_enum;
use crate::option::{
    AnyOption, ConfigOption, at_least_one, non_empty, positive_duration, positive_f64,
    positive_memory, positive_u32, unit_interval,
};
use crate::value::MemorySize;
use std::time::Duration;

// ---------------------------------------------------------------------------
// Enums used by options
// ---------------------------------------------------------------------------

config_enum! {
    /// `restart-strategy.type`.
    pub enum RestartStrategyType {
        /// No restarts: the first failure fails the job.
        None = "none" | "off" | "disable",
        /// A fixed number of attempts with a fixed delay.
        FixedDelay = "fixed-delay" | "fixeddelay",
        /// Restarts while the failure rate stays under a limit.
        FailureRate = "failure-rate" | "failurerate",
        /// Exponentially growing delays (Flink's default with checkpointing).
        ExponentialDelay = "exponential-delay" | "exponentialdelay",
    }
}

config_enum! {
    /// `execution.checkpointing.mode`.
    pub enum CheckpointingMode {
        /// Barriers are aligned; every record affects state exactly once.
        ExactlyOnce = "EXACTLY_ONCE",
        /// No alignment; records may be replayed into state after recovery.
        AtLeastOnce = "AT_LEAST_ONCE",
    }
}

config_enum! {
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    pub enum ExternalizedCheckpointRetention {
        /// Delete checkpoints when the job is cancelled.
        DeleteOnCancellation = "DELETE_ON_CANCELLATION",
        /// Keep checkpoints when the job is cancelled.
        RetainOnCancellation = "RETAIN_ON_CANCELLATION",
        /// Checkpoints are not externalized.
        NoExternalizedCheckpoints = "NO_EXTERNALIZED_CHECKPOINTS",
    }
}

config_enum! {
    /// `high-availability.type`.
    pub enum HighAvailabilityType {
        /// No high availability.
        None = "NONE",
        /// ZooKeeper leader election with state in `high-availability.storageDir`.
        ZooKeeper = "ZOOKEEPER",
    }
}

config_enum! {
    /// `high-availability.zookeeper.client.acl`.
    pub enum ZooKeeperAcl {
        /// World-readable and writable znodes.
        Open = "open",
        /// Only the creating (authenticated) user may access the znodes.
        Creator = "creator",
    }
}

config_enum! {
    /// `jobmanager.execution.failover-strategy`.
    pub enum FailoverStrategy {
        /// Restart all tasks of the job.
        Full = "full",
        /// Restart only the pipelined region of the failed task.
        Region = "region",
    }
}

config_enum! {
    /// `yarn.classpath.include-user-jar`.
    pub enum IncludeUserJar {
        /// The user jar is not on the system classpath (it goes to usrlib/).
        Disabled = "DISABLED",
        /// The user jar comes first.
        First = "FIRST",
        /// The user jar comes last.
        Last = "LAST",
        /// Sorted with the other entries.
        Order = "ORDER",
    }
}

config_enum! {
    /// `execution.runtime-mode`.
    pub enum ExecutionRuntimeMode {
        /// Continuous processing.
        Streaming = "STREAMING",
        /// Bounded inputs, staged execution.
        Batch = "BATCH",
        /// Batch if all sources are bounded, else streaming.
        Automatic = "AUTOMATIC",
    }
}

config_enum! {
    /// `execution.target`: where `flink-rs run` executes a job.
    pub enum DeploymentTarget {
        /// An in-process mini cluster.
        Local = "local",
        /// An existing cluster reached over REST (`-m host:port`).
        Remote = "remote",
        /// A YARN session cluster (`yarn.application.id`).
        YarnSession = "yarn-session",
        /// A dedicated YARN application cluster.
        YarnApplication = "yarn-application",
        /// A dedicated YARN cluster per job (deprecated in Flink).
        YarnPerJob = "yarn-per-job",
    }
}

// ---------------------------------------------------------------------------
// Common / pipeline / execution
// ---------------------------------------------------------------------------

/// `parallelism.default`.
pub static PARALLELISM_DEFAULT: ConfigOption<u32> = ConfigOption::new("parallelism.default")
    .with_default("1")
    .with_check(positive_u32, "a positive integer")
    .with_description(
        "Default parallelism of jobs and operators that do not set one (the -p flag sets it).",
    );

/// `pipeline.max-parallelism`.
pub static PIPELINE_MAX_PARALLELISM: ConfigOption<u32> =
    ConfigOption::new("pipeline.max-parallelism")
        .with_check(positive_u32, "a positive integer")
        .with_description(
            "Upper bound for rescaling and number of key groups. Unset: derived from the operator's parallelism (1.5 x parallelism rounded up to a power of two, at least 128, at most 32768).",
        );

/// `pipeline.name`.
pub static PIPELINE_NAME: ConfigOption<String> = ConfigOption::new("pipeline.name")
    .with_description("Job name; unset: the program chooses one.");

/// `pipeline.jars`.
pub static PIPELINE_JARS: ConfigOption<Vec<String>> = ConfigOption::new("pipeline.jars")
    .with_description("The job bundle(s) to run in application mode (exactly one).");

/// `execution.runtime-mode`.
pub static EXECUTION_RUNTIME_MODE: ConfigOption<ExecutionRuntimeMode> =
    ConfigOption::new("execution.runtime-mode")
        .with_default("STREAMING")
        .with_description("Runtime mode of jobs: STREAMING, BATCH or AUTOMATIC.");

/// `execution.target`.
pub static EXECUTION_TARGET: ConfigOption<DeploymentTarget> = ConfigOption::new("execution.target")
    .with_description("Where `run` executes the job: local, remote, yarn-session, yarn-application or yarn-per-job (the -t flag).");

/// `execution.attached`.
pub static EXECUTION_ATTACHED: ConfigOption<bool> = ConfigOption::new("execution.attached")
    .with_default("false")
    .with_description("Whether the client waits for the job to finish (run without -d sets it).");

/// `execution.shutdown-on-application-finish`.
pub static EXECUTION_SHUTDOWN_ON_APPLICATION_FINISH: ConfigOption<bool> =
    ConfigOption::new("execution.shutdown-on-application-finish")
        .with_default("true")
        .with_description(
            "Whether an application cluster shuts down when its job reaches a terminal state.",
        );

/// `execution.savepoint.path`.
pub static SAVEPOINT_PATH: ConfigOption<String> = ConfigOption::new("execution.savepoint.path")
    .with_deprecated_keys(&["savepoint.path"])
    .with_description("Savepoint or retained checkpoint to restore the job from (the -s flag).");

/// `execution.savepoint.ignore-unclaimed-state`.
pub static SAVEPOINT_IGNORE_UNCLAIMED_STATE: ConfigOption<bool> =
    ConfigOption::new("execution.savepoint.ignore-unclaimed-state")
        .with_default("false")
        .with_deprecated_keys(&["savepoint.ignore-unclaimed-state"])
        .with_description(
            "Allow restoring from a savepoint with state that maps to no operator (the -n flag).",
        );

/// `execution.buffer-timeout.enabled`.
pub static BUFFER_TIMEOUT_ENABLED: ConfigOption<bool> =
    ConfigOption::new("execution.buffer-timeout.enabled")
        .with_default("true")
        .with_description("Whether partly filled network buffers are flushed periodically; false flushes only full buffers.");

/// `execution.buffer-timeout.interval`.
pub static BUFFER_TIMEOUT_INTERVAL: ConfigOption<Duration> =
    ConfigOption::new("execution.buffer-timeout.interval")
        .with_default("100 ms")
        .with_deprecated_keys(&["execution.buffer-timeout"])
        .with_description("Maximum time a record waits in a partly filled network buffer before it is flushed; 0 flushes after every record.");

/// `io.tmp.dirs`.
pub static IO_TMP_DIRS: ConfigOption<Vec<String>> = ConfigOption::new("io.tmp.dirs")
    .with_description("Directories for temporary files (spilling, local state); on YARN the container's LOCAL_DIRS. Unset: the system temp directory.");

/// `state.backend.type`.
pub static STATE_BACKEND_TYPE: ConfigOption<String> = ConfigOption::new("state.backend.type")
    .with_default("hashmap")
    .with_deprecated_keys(&["state.backend"])
    .with_check(non_empty, "a state backend name such as 'hashmap'")
    .with_description(
        "State backend for keyed state: 'hashmap' (in memory, snapshotted to checkpoint storage).",
    );

// ---------------------------------------------------------------------------
// JobManager
// ---------------------------------------------------------------------------

/// `jobmanager.rpc.address`.
pub static JOB_MANAGER_RPC_ADDRESS: ConfigOption<String> =
    ConfigOption::new("jobmanager.rpc.address")
        .with_default("localhost")
        .with_check(non_empty, "a host name or IP address")
        .with_description("Host of the JobManager that TaskManagers and clients connect to (without HA). Set by the YARN ApplicationMaster to its host.");

/// `jobmanager.rpc.port`.
pub static JOB_MANAGER_RPC_PORT: ConfigOption<u16> = ConfigOption::new("jobmanager.rpc.port")
    .with_default("6123")
    .with_description("RPC port of the JobManager.");

/// `jobmanager.bind-host`.
pub static JOB_MANAGER_BIND_HOST: ConfigOption<String> = ConfigOption::new("jobmanager.bind-host")
    .with_description("Local address the JobManager's RPC server binds to. Unset: 0.0.0.0.");

/// `jobmanager.memory.process.size`.
pub static JOB_MANAGER_MEMORY_PROCESS_SIZE: ConfigOption<MemorySize> =
    ConfigOption::new("jobmanager.memory.process.size")
        .with_check(positive_memory, "a positive memory size such as '1600m'")
        .with_description("Total memory of the JobManager process; the YARN container size of the ApplicationMaster. The shipped config.yaml sets 1600m.");

/// `jobmanager.execution.failover-strategy`.
pub static JOB_MANAGER_FAILOVER_STRATEGY: ConfigOption<FailoverStrategy> = ConfigOption::new(
    "jobmanager.execution.failover-strategy",
)
.with_default("region")
.with_description(
    "Which tasks restart after a failure: 'full' (all) or 'region' (the failed pipelined region).",
);

// ---------------------------------------------------------------------------
// TaskManager
// ---------------------------------------------------------------------------

/// `taskmanager.numberOfTaskSlots`.
pub static TASK_MANAGER_NUM_TASK_SLOTS: ConfigOption<u32> =
    ConfigOption::new("taskmanager.numberOfTaskSlots")
        .with_default("1")
        .with_check(positive_u32, "a positive integer")
        .with_description(
            "Number of slots a TaskManager offers; each slot runs one parallel pipeline of a job.",
        );

/// `taskmanager.memory.process.size`.
pub static TASK_MANAGER_MEMORY_PROCESS_SIZE: ConfigOption<MemorySize> =
    ConfigOption::new("taskmanager.memory.process.size")
        .with_check(positive_memory, "a positive memory size such as '1728m'")
        .with_description("Total memory of a TaskManager process; the YARN container size of a TaskManager. The shipped config.yaml sets 1728m.");

/// `taskmanager.memory.managed.fraction`.
pub static TASK_MANAGER_MEMORY_MANAGED_FRACTION: ConfigOption<f64> =
    ConfigOption::new("taskmanager.memory.managed.fraction")
        .with_default("0.4")
        .with_check(unit_interval, "a fraction between 0 and 1")
        .with_description("Fraction of the TaskManager memory reserved as managed memory (sorting, batch operators, state).");

/// `taskmanager.memory.network.fraction`.
pub static TASK_MANAGER_MEMORY_NETWORK_FRACTION: ConfigOption<f64> =
    ConfigOption::new("taskmanager.memory.network.fraction")
        .with_default("0.1")
        .with_check(unit_interval, "a fraction between 0 and 1")
        .with_description("Fraction of the TaskManager memory used for network buffers.");

/// `taskmanager.memory.network.min`.
pub static TASK_MANAGER_MEMORY_NETWORK_MIN: ConfigOption<MemorySize> =
    ConfigOption::new("taskmanager.memory.network.min")
        .with_default("64 mb")
        .with_description("Minimum memory for network buffers.");

/// `taskmanager.memory.segment-size`.
pub static TASK_MANAGER_MEMORY_SEGMENT_SIZE: ConfigOption<MemorySize> =
    ConfigOption::new("taskmanager.memory.segment-size")
        .with_default("32 kb")
        .with_check(positive_memory, "a positive memory size such as '32 kb'")
        .with_description("Size of one network buffer (memory segment).");

/// `taskmanager.network.memory.buffers-per-channel`.
pub static NETWORK_BUFFERS_PER_CHANNEL: ConfigOption<u32> = ConfigOption::new(
    "taskmanager.network.memory.buffers-per-channel",
)
.with_default("2")
.with_description(
    "Exclusive buffers per input channel (the initial credit of credit-based flow control).",
);

/// `taskmanager.network.memory.floating-buffers-per-gate`.
pub static NETWORK_FLOATING_BUFFERS_PER_GATE: ConfigOption<u32> =
    ConfigOption::new("taskmanager.network.memory.floating-buffers-per-gate")
        .with_default("8")
        .with_description("Floating buffers per input gate, shared by its channels under backlog.");

/// `taskmanager.network.memory.max-buffers-per-channel`.
pub static NETWORK_MAX_BUFFERS_PER_CHANNEL: ConfigOption<u32> = ConfigOption::new(
    "taskmanager.network.memory.max-buffers-per-channel",
)
.with_default("10")
.with_check(positive_u32, "a positive integer")
.with_description(
    "Maximum buffers one output subpartition may hold, limiting in-flight data under data skew.",
);

/// `taskmanager.host`.
pub static TASK_MANAGER_HOST: ConfigOption<String> = ConfigOption::new("taskmanager.host")
    .with_description("Address other processes use to reach this TaskManager. Unset: detected; on YARN the NodeManager host.");

/// `taskmanager.bind-host`.
pub static TASK_MANAGER_BIND_HOST: ConfigOption<String> =
    ConfigOption::new("taskmanager.bind-host")
        .with_description("Local address the TaskManager's servers bind to. Unset: 0.0.0.0.");

/// `taskmanager.rpc.port`.
pub static TASK_MANAGER_RPC_PORT: ConfigOption<String> = ConfigOption::new("taskmanager.rpc.port")
    .with_default("0")
    .with_description("RPC port of the TaskManager: a port, a range such as '50100-50200', or 0 for any free port.");

/// `taskmanager.data.port`.
pub static TASK_MANAGER_DATA_PORT: ConfigOption<u16> = ConfigOption::new("taskmanager.data.port")
    .with_default("0")
    .with_description(
        "Port of the TaskManager's data-plane (shuffle) server; 0 picks a free port.",
    );

/// `taskmanager.resource-id`.
pub static TASK_MANAGER_RESOURCE_ID: ConfigOption<String> = ConfigOption::new(
    "taskmanager.resource-id",
)
.with_description("Id of the TaskManager; set to the container id on YARN. Unset: generated.");

/// `taskmanager.registration.timeout`.
pub static TASK_MANAGER_REGISTRATION_TIMEOUT: ConfigOption<Duration> = ConfigOption::new(
    "taskmanager.registration.timeout",
)
.with_default("5 min")
.with_check(positive_duration, "a positive duration such as '5 min'")
.with_description(
    "A TaskManager that has not registered with the ResourceManager within this time shuts down.",
);

// ---------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------

/// `rest.address`.
pub static REST_ADDRESS: ConfigOption<String> = ConfigOption::new("rest.address").with_description(
    "Host clients use to reach the JobManager's REST endpoint. Unset: jobmanager.rpc.address.",
);

/// `rest.bind-address`.
pub static REST_BIND_ADDRESS: ConfigOption<String> = ConfigOption::new("rest.bind-address")
    .with_description("Local address the REST server binds to. Unset: 0.0.0.0.");

/// `rest.port`.
pub static REST_PORT: ConfigOption<u16> = ConfigOption::new("rest.port")
    .with_default("8081")
    .with_description("Port clients connect to for the REST API (and the port the server binds if rest.bind-port is unset).");

/// `rest.bind-port`.
pub static REST_BIND_PORT: ConfigOption<String> = ConfigOption::new("rest.bind-port")
    .with_description("Port or range ('50100-50200') the REST server binds; 0 picks a free port (used on YARN). Unset: rest.port.");

/// `rest.connection-timeout`.
pub static REST_CONNECTION_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("rest.connection-timeout")
        .with_default("15 s")
        .with_check(positive_duration, "a positive duration such as '15 s'")
        .with_description(
            "How long the client tries to establish a connection to the REST endpoint.",
        );

/// `rest.idleness-timeout`.
pub static REST_IDLENESS_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("rest.idleness-timeout")
        .with_default("5 min")
        .with_check(positive_duration, "a positive duration such as '5 min'")
        .with_description("Maximum time a REST request may take before the client gives up.");

/// `rest.retry.max-attempts`.
pub static REST_RETRY_MAX_ATTEMPTS: ConfigOption<u32> =
    ConfigOption::new("rest.retry.max-attempts")
        .with_default("20")
        .with_description("How often the client retries a retryable REST operation.");

/// `rest.retry.delay`.
pub static REST_RETRY_DELAY: ConfigOption<Duration> = ConfigOption::new("rest.retry.delay")
    .with_default("3 s")
    .with_description("Delay between retries of a retryable REST operation.");

/// `client.timeout`.
pub static CLIENT_TIMEOUT: ConfigOption<Duration> = ConfigOption::new("client.timeout")
    .with_default("1 min")
    .with_check(positive_duration, "a positive duration such as '1 min'")
    .with_description("Timeout of client-side operations such as job submission.");

// ---------------------------------------------------------------------------
// Heartbeats and resource manager
// ---------------------------------------------------------------------------

/// `heartbeat.interval`.
pub static HEARTBEAT_INTERVAL: ConfigOption<Duration> = ConfigOption::new("heartbeat.interval")
    .with_default("10 s")
    .with_check(positive_duration, "a positive duration such as '10 s'")
    .with_description(
        "Interval of heartbeats between JobManager, ResourceManager and TaskManagers.",
    );

/// `heartbeat.timeout`.
pub static HEARTBEAT_TIMEOUT: ConfigOption<Duration> = ConfigOption::new("heartbeat.timeout")
    .with_default("50 s")
    .with_check(positive_duration, "a positive duration such as '50 s'")
    .with_description("A peer whose heartbeat is missing for this long is considered dead. Must exceed heartbeat.interval.");

/// `heartbeat.rpc-failure-threshold`.
pub static HEARTBEAT_RPC_FAILURE_THRESHOLD: ConfigOption<u32> = ConfigOption::new(
    "heartbeat.rpc-failure-threshold",
)
.with_default("2")
.with_description(
    "Consecutive failed heartbeat RPCs after which the peer is considered unreachable; 0 disables.",
);

/// `resourcemanager.taskmanager-timeout`.
pub static RESOURCE_MANAGER_TASK_MANAGER_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("resourcemanager.taskmanager-timeout")
        .with_default("30 s")
        .with_description("Idle TaskManagers (no allocated slots) are released after this time.");

/// `resourcemanager.start-worker.max-failure-rate`.
pub static RESOURCE_MANAGER_START_WORKER_MAX_FAILURE_RATE: ConfigOption<f64> =
    ConfigOption::new("resourcemanager.start-worker.max-failure-rate")
        .with_default("10.0")
        .with_check(positive_f64, "a positive number")
        .with_description("Failed TaskManager starts per minute above which new starts wait resourcemanager.start-worker.retry-interval.");

/// `resourcemanager.start-worker.retry-interval`.
pub static RESOURCE_MANAGER_START_WORKER_RETRY_INTERVAL: ConfigOption<Duration> =
    ConfigOption::new("resourcemanager.start-worker.retry-interval")
        .with_default("3 s")
        .with_description(
            "Delay before starting a TaskManager again when the start failure rate is exceeded.",
        );

/// `resourcemanager.previous-worker.recovery.timeout`.
pub static RESOURCE_MANAGER_PREVIOUS_WORKER_RECOVERY_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("resourcemanager.previous-worker.recovery.timeout")
        .with_default("0 ms")
        .with_description("How long a new ApplicationMaster attempt waits for TaskManagers of the previous attempt to re-register before requesting new ones.");

// ---------------------------------------------------------------------------
// Restart strategies
// ---------------------------------------------------------------------------

/// `restart-strategy.type`.
pub static RESTART_STRATEGY_TYPE: ConfigOption<RestartStrategyType> =
    ConfigOption::new("restart-strategy.type")
        .with_deprecated_keys(&["restart-strategy"])
        .with_description("none, fixed-delay, failure-rate or exponential-delay. Unset: none without checkpointing, exponential-delay with checkpointing.");

/// `restart-strategy.fixed-delay.attempts`.
pub static FIXED_DELAY_ATTEMPTS: ConfigOption<u32> =
    ConfigOption::new("restart-strategy.fixed-delay.attempts")
        .with_default("1")
        .with_description(
            "Number of restart attempts of the fixed-delay strategy before the job fails.",
        );

/// `restart-strategy.fixed-delay.delay`.
pub static FIXED_DELAY_DELAY: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.fixed-delay.delay")
        .with_default("1 s")
        .with_description("Delay between two restart attempts of the fixed-delay strategy.");

/// `restart-strategy.failure-rate.max-failures-per-interval`.
pub static FAILURE_RATE_MAX_FAILURES: ConfigOption<u32> =
    ConfigOption::new("restart-strategy.failure-rate.max-failures-per-interval")
        .with_default("1")
        .with_check(positive_u32, "a positive integer")
        .with_description("Failures allowed within restart-strategy.failure-rate.failure-rate-interval before the job fails.");

/// `restart-strategy.failure-rate.failure-rate-interval`.
pub static FAILURE_RATE_INTERVAL: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.failure-rate.failure-rate-interval")
        .with_default("1 min")
        .with_check(positive_duration, "a positive duration such as '1 min'")
        .with_description(
            "Time window in which failures are counted by the failure-rate strategy.",
        );

/// `restart-strategy.failure-rate.delay`.
pub static FAILURE_RATE_DELAY: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.failure-rate.delay")
        .with_default("1 s")
        .with_description("Delay between two restart attempts of the failure-rate strategy.");

/// `restart-strategy.exponential-delay.initial-backoff`.
pub static EXPONENTIAL_DELAY_INITIAL_BACKOFF: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.exponential-delay.initial-backoff")
        .with_default("1 s")
        .with_description("First restart delay of the exponential-delay strategy.");

/// `restart-strategy.exponential-delay.max-backoff`.
pub static EXPONENTIAL_DELAY_MAX_BACKOFF: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.exponential-delay.max-backoff")
        .with_default("1 min")
        .with_description("Upper bound of the restart delay of the exponential-delay strategy.");

/// `restart-strategy.exponential-delay.backoff-multiplier`.
pub static EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER: ConfigOption<f64> =
    ConfigOption::new("restart-strategy.exponential-delay.backoff-multiplier")
        .with_default("1.5")
        .with_check(at_least_one, "a number of at least 1.0")
        .with_description("Factor the restart delay grows by after each failure.");

/// `restart-strategy.exponential-delay.reset-backoff-threshold`.
pub static EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD: ConfigOption<Duration> =
    ConfigOption::new("restart-strategy.exponential-delay.reset-backoff-threshold")
        .with_default("1 h")
        .with_check(positive_duration, "a positive duration such as '1 h'")
        .with_description(
            "After running this long without failure, the delay goes back to the initial backoff.",
        );

/// `restart-strategy.exponential-delay.jitter-factor`.
pub static EXPONENTIAL_DELAY_JITTER_FACTOR: ConfigOption<f64> =
    ConfigOption::new("restart-strategy.exponential-delay.jitter-factor")
        .with_default("0.1")
        .with_check(unit_interval, "a fraction between 0 and 1")
        .with_description("Random variation of each delay, as a fraction of the delay.");

/// `restart-strategy.exponential-delay.attempts-before-reset-backoff`.
pub static EXPONENTIAL_DELAY_ATTEMPTS: ConfigOption<u32> =
    ConfigOption::new("restart-strategy.exponential-delay.attempts-before-reset-backoff")
        .with_default("2147483647")
        .with_description(
            "Restart attempts allowed before the backoff is reset; exceeding them fails the job.",
        );

// ---------------------------------------------------------------------------
// Checkpointing
// ---------------------------------------------------------------------------

/// `execution.checkpointing.interval`.
pub static CHECKPOINTING_INTERVAL: ConfigOption<Duration> =
    ConfigOption::new("execution.checkpointing.interval")
        .with_check(positive_duration, "a positive duration such as '10 s'")
        .with_description("Interval between checkpoints. Unset: checkpointing is disabled.");

/// `execution.checkpointing.mode`.
pub static CHECKPOINTING_MODE: ConfigOption<CheckpointingMode> =
    ConfigOption::new("execution.checkpointing.mode")
        .with_default("EXACTLY_ONCE")
        .with_description("EXACTLY_ONCE (aligned barriers) or AT_LEAST_ONCE.");

/// `execution.checkpointing.dir`.
pub static CHECKPOINTING_DIR: ConfigOption<String> = ConfigOption::new("execution.checkpointing.dir")
    .with_deprecated_keys(&["state.checkpoints.dir"])
    .with_description("Directory (file:// or hdfs://) for checkpoint data and metadata; checkpoints go to <dir>/<jobId>/chk-<n>/.");

/// `execution.checkpointing.savepoint-dir`.
pub static SAVEPOINT_DIR: ConfigOption<String> =
    ConfigOption::new("execution.checkpointing.savepoint-dir")
        .with_deprecated_keys(&["state.savepoints.dir"])
        .with_description("Default directory for savepoints.");

/// `execution.checkpointing.num-retained`.
pub static CHECKPOINTING_NUM_RETAINED: ConfigOption<u32> =
    ConfigOption::new("execution.checkpointing.num-retained")
        .with_default("1")
        .with_deprecated_keys(&["state.checkpoints.num-retained"])
        .with_check(positive_u32, "a positive integer")
        .with_description("Number of completed checkpoints kept.");

/// `execution.checkpointing.timeout`.
pub static CHECKPOINTING_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("execution.checkpointing.timeout")
        .with_default("10 min")
        .with_check(positive_duration, "a positive duration such as '10 min'")
        .with_description("A checkpoint not completed within this time is aborted.");

/// `execution.checkpointing.max-concurrent-checkpoints`.
pub static CHECKPOINTING_MAX_CONCURRENT: ConfigOption<u32> =
    ConfigOption::new("execution.checkpointing.max-concurrent-checkpoints")
        .with_default("1")
        .with_check(positive_u32, "a positive integer")
        .with_description("Maximum number of checkpoints in progress at the same time.");

/// `execution.checkpointing.min-pause`.
pub static CHECKPOINTING_MIN_PAUSE: ConfigOption<Duration> =
    ConfigOption::new("execution.checkpointing.min-pause")
        .with_default("0 ms")
        .with_description(
            "Minimum time between the end of one checkpoint and the start of the next.",
        );

/// `execution.checkpointing.tolerable-failed-checkpoints`.
pub static CHECKPOINTING_TOLERABLE_FAILURES: ConfigOption<u32> =
    ConfigOption::new("execution.checkpointing.tolerable-failed-checkpoints")
        .with_default("0")
        .with_description("Consecutive checkpoint failures tolerated before the job fails over.");

/// `execution.checkpointing.externalized-checkpoint-retention`.
pub static CHECKPOINTING_EXTERNALIZED_RETENTION: ConfigOption<ExternalizedCheckpointRetention> =
    ConfigOption::new("execution.checkpointing.externalized-checkpoint-retention")
        .with_default("NO_EXTERNALIZED_CHECKPOINTS")
        .with_description("Whether checkpoints are kept when the job is cancelled: DELETE_ON_CANCELLATION, RETAIN_ON_CANCELLATION or NO_EXTERNALIZED_CHECKPOINTS.");

/// `execution.checkpointing.unaligned.enabled`.
pub static CHECKPOINTING_UNALIGNED: ConfigOption<bool> = ConfigOption::new(
    "execution.checkpointing.unaligned.enabled",
)
.with_default("false")
.with_deprecated_keys(&["execution.checkpointing.unaligned"])
.with_description(
    "Unaligned checkpoints: barriers overtake buffered data, which is stored in the checkpoint.",
);

/// `execution.checkpointing.aligned-checkpoint-timeout`.
pub static CHECKPOINTING_ALIGNED_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("execution.checkpointing.aligned-checkpoint-timeout")
        .with_default("0 ms")
        .with_deprecated_keys(&["execution.checkpointing.alignment-timeout"])
        .with_description("With unaligned checkpoints enabled, an aligned checkpoint switches to unaligned after this time; 0 starts unaligned.");

/// `execution.checkpointing.incremental`.
pub static CHECKPOINTING_INCREMENTAL: ConfigOption<bool> =
    ConfigOption::new("execution.checkpointing.incremental")
        .with_default("false")
        .with_deprecated_keys(&["state.backend.incremental"])
        .with_description(
            "Whether checkpoints upload only the state changed since the previous checkpoint.",
        );

/// `state.storage.fs.memory-threshold`.
pub static STATE_STORAGE_FS_MEMORY_THRESHOLD: ConfigOption<MemorySize> =
    ConfigOption::new("state.storage.fs.memory-threshold")
        .with_default("20 kb")
        .with_deprecated_keys(&["state.backend.fs.memory-threshold"])
        .with_description("State blobs smaller than this are stored inline in the checkpoint's _metadata instead of in their own file.");

// ---------------------------------------------------------------------------
// YARN
// ---------------------------------------------------------------------------

/// `yarn.appmaster.vcores`.
pub static YARN_APPMASTER_VCORES: ConfigOption<u32> = ConfigOption::new("yarn.appmaster.vcores")
    .with_default("1")
    .with_check(positive_u32, "a positive integer")
    .with_description("Virtual cores of the ApplicationMaster (JobManager) container.");

/// `yarn.containers.vcores`.
pub static YARN_CONTAINERS_VCORES: ConfigOption<i32> = ConfigOption::new("yarn.containers.vcores")
    .with_default("-1")
    .with_description(
        "Virtual cores per TaskManager container; -1 uses taskmanager.numberOfTaskSlots.",
    );

/// `yarn.application-attempts`.
pub static YARN_APPLICATION_ATTEMPTS: ConfigOption<u32> =
    ConfigOption::new("yarn.application-attempts")
        .with_check(positive_u32, "a positive integer")
        .with_description("Maximum ApplicationMaster attempts. Unset: 1 without HA, 2 with HA.");

/// `yarn.application-attempt-failures-validity-interval`.
pub static YARN_ATTEMPT_FAILURES_VALIDITY_INTERVAL: ConfigOption<i64> =
    ConfigOption::new("yarn.application-attempt-failures-validity-interval")
        .with_default("10000")
        .with_description("Milliseconds within which AM attempt failures count towards yarn.application-attempts; -1 counts all.");

/// `yarn.heartbeat.interval`.
pub static YARN_HEARTBEAT_INTERVAL: ConfigOption<u32> =
    ConfigOption::new("yarn.heartbeat.interval")
        .with_default("5")
        .with_check(positive_u32, "a positive number of seconds")
        .with_description(
            "Seconds between heartbeats of the ApplicationMaster to the YARN ResourceManager.",
        );

/// `yarn.heartbeat.container-request-interval`.
pub static YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL: ConfigOption<Duration> =
    ConfigOption::new("yarn.heartbeat.container-request-interval")
        .with_default("500 ms")
        .with_check(positive_duration, "a positive duration such as '500 ms'")
        .with_description(
            "Heartbeat interval to the ResourceManager while container requests are pending.",
        );

/// `yarn.application-master.port`.
pub static YARN_APPLICATION_MASTER_PORT: ConfigOption<String> = ConfigOption::new(
    "yarn.application-master.port",
)
.with_default("0")
.with_description(
    "RPC port (or range such as '50100-50200') of the ApplicationMaster; 0 picks a free port.",
);

/// `yarn.staging-directory`.
pub static YARN_STAGING_DIRECTORY: ConfigOption<String> = ConfigOption::new("yarn.staging-directory")
    .with_description("Where the client uploads application files (<dir>/.flink/<appId>/). Unset: the file system home directory.");

/// `yarn.ship-files`.
pub static YARN_SHIP_FILES: ConfigOption<Vec<String>> = ConfigOption::new("yarn.ship-files")
    .with_deprecated_keys(&["yarn.ship-directories"])
    .with_description(
        "Files and directories shipped to every container (';'-separated or a YAML list).",
    );

/// `yarn.ship-archives`.
pub static YARN_SHIP_ARCHIVES: ConfigOption<Vec<String>> = ConfigOption::new("yarn.ship-archives")
    .with_description("Archives shipped to every container and unpacked by YARN.");

/// `yarn.provided.lib.dirs`.
pub static YARN_PROVIDED_LIB_DIRS: ConfigOption<Vec<String>> =
    ConfigOption::new("yarn.provided.lib.dirs")
        .with_description("Pre-uploaded directories (on the cluster file system) with the flink-rs binary; registered as PUBLIC resources instead of uploading.");

/// `yarn.provided.usrlib.dir`.
pub static YARN_PROVIDED_USRLIB_DIR: ConfigOption<String> =
    ConfigOption::new("yarn.provided.usrlib.dir")
        .with_description("Pre-uploaded directory with user job bundles.");

/// `yarn.flink-dist-jar`.
pub static YARN_FLINK_DIST_JAR: ConfigOption<String> = ConfigOption::new("yarn.flink-dist-jar")
    .with_description(
        "Location of the flink-rs executable to ship to containers. Unset: the running executable.",
    );

/// `yarn.classpath.include-user-jar`.
pub static YARN_INCLUDE_USER_JAR: ConfigOption<IncludeUserJar> = ConfigOption::new(
    "yarn.classpath.include-user-jar",
)
.with_default("ORDER")
.with_description(
    "Where the user bundle goes: DISABLED (usrlib/), FIRST, LAST or ORDER (the container root).",
);

/// `yarn.file-replication`.
pub static YARN_FILE_REPLICATION: ConfigOption<i32> = ConfigOption::new("yarn.file-replication")
    .with_default("-1")
    .with_description("HDFS replication of uploaded application files; -1 uses dfs.replication.");

/// `yarn.application.id`.
pub static YARN_APPLICATION_ID: ConfigOption<String> = ConfigOption::new("yarn.application.id")
    .with_description("YARN application to attach to (session mode, list, cancel).");

/// `yarn.application.queue`.
pub static YARN_APPLICATION_QUEUE: ConfigOption<String> =
    ConfigOption::new("yarn.application.queue").with_description("YARN queue of the application.");

/// `yarn.application.name`.
pub static YARN_APPLICATION_NAME: ConfigOption<String> = ConfigOption::new("yarn.application.name")
    .with_description("Name of the YARN application. Unset: 'Flink Application Cluster' or 'Flink session cluster'.");

/// `yarn.application.type`.
pub static YARN_APPLICATION_TYPE: ConfigOption<String> = ConfigOption::new("yarn.application.type")
    .with_default("Apache Flink")
    .with_description("Type of the YARN application.");

/// `yarn.application.priority`.
pub static YARN_APPLICATION_PRIORITY: ConfigOption<i32> =
    ConfigOption::new("yarn.application.priority")
        .with_default("-1")
        .with_description("YARN priority of the application; -1 leaves it unset.");

/// `yarn.application.node-label`.
pub static YARN_APPLICATION_NODE_LABEL: ConfigOption<String> =
    ConfigOption::new("yarn.application.node-label")
        .with_description("Node label expression for the application's containers.");

/// `yarn.taskmanager.node-label`.
pub static YARN_TASK_MANAGER_NODE_LABEL: ConfigOption<String> =
    ConfigOption::new("yarn.taskmanager.node-label")
        .with_description("Node label expression for TaskManager containers only.");

/// `yarn.tags`.
pub static YARN_TAGS: ConfigOption<String> = ConfigOption::new("yarn.tags")
    .with_description("Comma-separated tags of the YARN application.");

/// `yarn.view.acls`.
pub static YARN_VIEW_ACLS: ConfigOption<String> = ConfigOption::new("yarn.view.acls")
    .with_description("Users and groups allowed to view the application.");

/// `yarn.modify.acls`.
pub static YARN_MODIFY_ACLS: ConfigOption<String> = ConfigOption::new("yarn.modify.acls")
    .with_description("Users and groups allowed to modify (e.g. kill) the application.");

/// `yarn.properties-file.location`.
pub static YARN_PROPERTIES_FILE_LOCATION: ConfigOption<String> =
    ConfigOption::new("yarn.properties-file.location")
        .with_description("Directory of the .yarn-properties-<user> file written by yarn-session. Unset: the system temp directory.");

/// `yarn.container-start-command-template`.
pub static YARN_CONTAINER_START_COMMAND_TEMPLATE: ConfigOption<String> =
    ConfigOption::new("yarn.container-start-command-template")
        .with_default("%java% %jvmmem% %jvmopts% %logging% %class% %args% %redirects%")
        .with_description("Flink's template for container start commands; flink-rs starts its own executable and keeps only %redirects% semantics.");

/// `yarn.application.classpath`.
pub static YARN_APPLICATION_CLASSPATH: ConfigOption<Vec<String>> =
    ConfigOption::new("yarn.application.classpath")
        .with_description("Entries appended to the container classpath (kept for Flink compatibility; flink-rs needs no classpath).");

/// `yarn.security.kerberos.ship-local-keytab`.
pub static YARN_SHIP_LOCAL_KEYTAB: ConfigOption<bool> =
    ConfigOption::new("yarn.security.kerberos.ship-local-keytab")
        .with_default("true")
        .with_description("Whether the client ships the local keytab to the containers.");

/// `yarn.security.kerberos.localized-keytab-path`.
pub static YARN_LOCALIZED_KEYTAB_PATH: ConfigOption<String> =
    ConfigOption::new("yarn.security.kerberos.localized-keytab-path")
        .with_default("krb5.keytab")
        .with_description("Path of the keytab inside the containers.");

/// `yarn.security.appmaster.delegation.token.services`.
pub static YARN_AM_DELEGATION_TOKEN_SERVICES: ConfigOption<Vec<String>> = ConfigOption::new(
    "yarn.security.appmaster.delegation.token.services",
)
.with_default("hadoopfs")
.with_description(
    "Delegation token providers whose tokens are attached to the ApplicationMaster container.",
);

// ---------------------------------------------------------------------------
// High availability
// ---------------------------------------------------------------------------

/// `high-availability.type`.
pub static HA_TYPE: ConfigOption<HighAvailabilityType> =
    ConfigOption::new("high-availability.type")
        .with_default("NONE")
        .with_deprecated_keys(&["high-availability"])
        .with_description("NONE or ZOOKEEPER.");

/// `high-availability.cluster-id`.
pub static HA_CLUSTER_ID: ConfigOption<String> = ConfigOption::new("high-availability.cluster-id")
    .with_default("/default")
    .with_check(non_empty, "a non-empty cluster id")
    .with_description("Id of the cluster in ZooKeeper and the HA storage directory; set to the application id on YARN (do not override there).");

/// `high-availability.storageDir`.
pub static HA_STORAGE_DIR: ConfigOption<String> = ConfigOption::new("high-availability.storageDir")
    .with_description(
        "File system directory (hdfs://...) for JobManager metadata; required with HA.",
    );

/// `high-availability.zookeeper.quorum`.
pub static HA_ZOOKEEPER_QUORUM: ConfigOption<String> =
    ConfigOption::new("high-availability.zookeeper.quorum")
        .with_description("ZooKeeper quorum 'host1:2181,host2:2181'; required with ZOOKEEPER HA.");

/// `high-availability.zookeeper.path.root`.
pub static HA_ZOOKEEPER_ROOT: ConfigOption<String> =
    ConfigOption::new("high-availability.zookeeper.path.root")
        .with_default("/flink")
        .with_description("Root znode under which clusters keep their data.");

/// `high-availability.zookeeper.path.execution-plans`.
pub static HA_ZOOKEEPER_EXECUTION_PLANS_PATH: ConfigOption<String> =
    ConfigOption::new("high-availability.zookeeper.path.execution-plans")
        .with_default("/execution-plans")
        .with_deprecated_keys(&["high-availability.zookeeper.path.jobgraphs"])
        .with_description(
            "Znode (under the cluster's namespace) holding pointers to submitted job graphs.",
        );

/// `high-availability.zookeeper.client.session-timeout`.
pub static HA_ZOOKEEPER_SESSION_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("high-availability.zookeeper.client.session-timeout")
        .with_default("60 s")
        .with_check(positive_duration, "a positive duration such as '60 s'")
        .with_description("ZooKeeper session timeout.");

/// `high-availability.zookeeper.client.connection-timeout`.
pub static HA_ZOOKEEPER_CONNECTION_TIMEOUT: ConfigOption<Duration> =
    ConfigOption::new("high-availability.zookeeper.client.connection-timeout")
        .with_default("15 s")
        .with_check(positive_duration, "a positive duration such as '15 s'")
        .with_description("ZooKeeper connection timeout.");

/// `high-availability.zookeeper.client.retry-wait`.
pub static HA_ZOOKEEPER_RETRY_WAIT: ConfigOption<Duration> =
    ConfigOption::new("high-availability.zookeeper.client.retry-wait")
        .with_default("5 s")
        .with_description("Pause between ZooKeeper connection retries.");

/// `high-availability.zookeeper.client.max-retry-attempts`.
pub static HA_ZOOKEEPER_MAX_RETRY_ATTEMPTS: ConfigOption<u32> =
    ConfigOption::new("high-availability.zookeeper.client.max-retry-attempts")
        .with_default("3")
        .with_description("ZooKeeper connection retries before giving up.");

/// `high-availability.zookeeper.client.acl`.
pub static HA_ZOOKEEPER_ACL: ConfigOption<ZooKeeperAcl> =
    ConfigOption::new("high-availability.zookeeper.client.acl")
        .with_default("open")
        .with_description(
            "ACL of created znodes: 'open' or 'creator' (requires SASL authentication).",
        );

/// `high-availability.zookeeper.client.tolerate-suspended-connections`.
pub static HA_ZOOKEEPER_TOLERATE_SUSPENDED: ConfigOption<bool> =
    ConfigOption::new("high-availability.zookeeper.client.tolerate-suspended-connections")
        .with_default("false")
        .with_description(
            "Whether a suspended (not yet lost) ZooKeeper connection keeps leadership.",
        );

/// `high-availability.job-result-store.storage-path`.
pub static HA_JOB_RESULT_STORE_PATH: ConfigOption<String> =
    ConfigOption::new("high-availability.job-result-store.storage-path").with_description(
        "Where job results are stored. Unset: <storageDir>/job-result-store/<cluster-id>.",
    );

/// `high-availability.job-result-store.delete-on-commit`.
pub static HA_JOB_RESULT_STORE_DELETE_ON_COMMIT: ConfigOption<bool> =
    ConfigOption::new("high-availability.job-result-store.delete-on-commit")
        .with_default("true")
        .with_description("Whether a job's result entry is deleted once its cleanup is done.");

// ---------------------------------------------------------------------------
// Security
// ---------------------------------------------------------------------------

/// `security.kerberos.login.keytab`.
pub static KERBEROS_LOGIN_KEYTAB: ConfigOption<String> =
    ConfigOption::new("security.kerberos.login.keytab")
        .with_description("Keytab used to log in; takes precedence over the ticket cache.");

/// `security.kerberos.login.principal`.
pub static KERBEROS_LOGIN_PRINCIPAL: ConfigOption<String> =
    ConfigOption::new("security.kerberos.login.principal")
        .with_description("Principal of the keytab.");

/// `security.kerberos.login.use-ticket-cache`.
pub static KERBEROS_USE_TICKET_CACHE: ConfigOption<bool> =
    ConfigOption::new("security.kerberos.login.use-ticket-cache")
        .with_default("true")
        .with_description(
            "Whether the Kerberos ticket cache (KRB5CCNAME) is used when no keytab is configured.",
        );

/// `security.kerberos.relogin.period`.
pub static KERBEROS_RELOGIN_PERIOD: ConfigOption<Duration> =
    ConfigOption::new("security.kerberos.relogin.period")
        .with_default("1 min")
        .with_description("How often the TGT is checked and renewed from the keytab.");

/// `security.kerberos.krb5-conf.path`.
pub static KERBEROS_KRB5_CONF_PATH: ConfigOption<String> =
    ConfigOption::new("security.kerberos.krb5-conf.path")
        .with_description("krb5.conf to ship to the containers.");

/// `security.kerberos.access.hadoopFileSystems`.
pub static KERBEROS_ACCESS_HADOOP_FILE_SYSTEMS: ConfigOption<Vec<String>> =
    ConfigOption::new("security.kerberos.access.hadoopFileSystems")
        .with_description("Additional Hadoop file systems to obtain delegation tokens for.");

/// `security.delegation.tokens.enabled`.
pub static DELEGATION_TOKENS_ENABLED: ConfigOption<bool> =
    ConfigOption::new("security.delegation.tokens.enabled")
        .with_default("true")
        .with_description("Whether delegation tokens are obtained and distributed.");

/// `security.delegation.tokens.renewal.time-ratio`.
pub static DELEGATION_TOKENS_RENEWAL_TIME_RATIO: ConfigOption<f64> =
    ConfigOption::new("security.delegation.tokens.renewal.time-ratio")
        .with_default("0.75")
        .with_check(unit_interval, "a fraction between 0 and 1")
        .with_description(
            "Fraction of the earliest token lifetime after which new tokens are obtained.",
        );

/// `security.delegation.tokens.renewal.retry.backoff`.
pub static DELEGATION_TOKENS_RENEWAL_RETRY_BACKOFF: ConfigOption<Duration> =
    ConfigOption::new("security.delegation.tokens.renewal.retry.backoff")
        .with_default("1 h")
        .with_description("Wait after a failed attempt to obtain delegation tokens.");

/// `security.kerberos.token.provider.hadoopfs.renewer`.
pub static HADOOPFS_TOKEN_RENEWER: ConfigOption<String> = ConfigOption::new(
    "security.kerberos.token.provider.hadoopfs.renewer",
)
.with_description("Renewer of HDFS delegation tokens (set to 'yarn' so log aggregation works).");

// ---------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------

/// One documented group of options.
pub struct Section {
    /// Title in the docs.
    pub title: &'static str,
    /// The options.
    pub options: &'static [&'static dyn AnyOption],
}

/// Every known option, grouped as in the generated documentation.
pub static SECTIONS: &[Section] = &[
    Section {
        title: "Common",
        options: &[
            &PARALLELISM_DEFAULT,
            &PIPELINE_MAX_PARALLELISM,
            &PIPELINE_NAME,
            &PIPELINE_JARS,
            &EXECUTION_RUNTIME_MODE,
            &EXECUTION_TARGET,
            &EXECUTION_ATTACHED,
            &EXECUTION_SHUTDOWN_ON_APPLICATION_FINISH,
            &SAVEPOINT_PATH,
            &SAVEPOINT_IGNORE_UNCLAIMED_STATE,
            &BUFFER_TIMEOUT_ENABLED,
            &BUFFER_TIMEOUT_INTERVAL,
            &IO_TMP_DIRS,
            &STATE_BACKEND_TYPE,
        ],
    },
    Section {
        title: "JobManager",
        options: &[
            &JOB_MANAGER_RPC_ADDRESS,
            &JOB_MANAGER_RPC_PORT,
            &JOB_MANAGER_BIND_HOST,
            &JOB_MANAGER_MEMORY_PROCESS_SIZE,
            &JOB_MANAGER_FAILOVER_STRATEGY,
        ],
    },
    Section {
        title: "TaskManager",
        options: &[
            &TASK_MANAGER_NUM_TASK_SLOTS,
            &TASK_MANAGER_MEMORY_PROCESS_SIZE,
            &TASK_MANAGER_MEMORY_MANAGED_FRACTION,
            &TASK_MANAGER_MEMORY_NETWORK_FRACTION,
            &TASK_MANAGER_MEMORY_NETWORK_MIN,
            &TASK_MANAGER_MEMORY_SEGMENT_SIZE,
            &NETWORK_BUFFERS_PER_CHANNEL,
            &NETWORK_FLOATING_BUFFERS_PER_GATE,
            &NETWORK_MAX_BUFFERS_PER_CHANNEL,
            &TASK_MANAGER_HOST,
            &TASK_MANAGER_BIND_HOST,
            &TASK_MANAGER_RPC_PORT,
            &TASK_MANAGER_DATA_PORT,
            &TASK_MANAGER_RESOURCE_ID,
            &TASK_MANAGER_REGISTRATION_TIMEOUT,
        ],
    },
    Section {
        title: "REST and client",
        options: &[
            &REST_ADDRESS,
            &REST_BIND_ADDRESS,
            &REST_PORT,
            &REST_BIND_PORT,
            &REST_CONNECTION_TIMEOUT,
            &REST_IDLENESS_TIMEOUT,
            &REST_RETRY_MAX_ATTEMPTS,
            &REST_RETRY_DELAY,
            &CLIENT_TIMEOUT,
        ],
    },
    Section {
        title: "Heartbeats and resource manager",
        options: &[
            &HEARTBEAT_INTERVAL,
            &HEARTBEAT_TIMEOUT,
            &HEARTBEAT_RPC_FAILURE_THRESHOLD,
            &RESOURCE_MANAGER_TASK_MANAGER_TIMEOUT,
            &RESOURCE_MANAGER_START_WORKER_MAX_FAILURE_RATE,
            &RESOURCE_MANAGER_START_WORKER_RETRY_INTERVAL,
            &RESOURCE_MANAGER_PREVIOUS_WORKER_RECOVERY_TIMEOUT,
        ],
    },
    Section {
        title: "Restart strategies",
        options: &[
            &RESTART_STRATEGY_TYPE,
            &FIXED_DELAY_ATTEMPTS,
            &FIXED_DELAY_DELAY,
            &FAILURE_RATE_MAX_FAILURES,
            &FAILURE_RATE_INTERVAL,
            &FAILURE_RATE_DELAY,
            &EXPONENTIAL_DELAY_INITIAL_BACKOFF,
            &EXPONENTIAL_DELAY_MAX_BACKOFF,
            &EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER,
            &EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD,
            &EXPONENTIAL_DELAY_JITTER_FACTOR,
            &EXPONENTIAL_DELAY_ATTEMPTS,
        ],
    },
    Section {
        title: "Checkpointing",
        options: &[
            &CHECKPOINTING_INTERVAL,
            &CHECKPOINTING_MODE,
            &CHECKPOINTING_DIR,
            &SAVEPOINT_DIR,
            &CHECKPOINTING_NUM_RETAINED,
            &CHECKPOINTING_TIMEOUT,
            &CHECKPOINTING_MAX_CONCURRENT,
            &CHECKPOINTING_MIN_PAUSE,
            &CHECKPOINTING_TOLERABLE_FAILURES,
            &CHECKPOINTING_EXTERNALIZED_RETENTION,
            &CHECKPOINTING_UNALIGNED,
            &CHECKPOINTING_ALIGNED_TIMEOUT,
            &CHECKPOINTING_INCREMENTAL,
            &STATE_STORAGE_FS_MEMORY_THRESHOLD,
        ],
    },
    Section {
        title: "YARN",
        options: &[
            &YARN_APPMASTER_VCORES,
            &YARN_CONTAINERS_VCORES,
            &YARN_APPLICATION_ATTEMPTS,
            &YARN_ATTEMPT_FAILURES_VALIDITY_INTERVAL,
            &YARN_HEARTBEAT_INTERVAL,
            &YARN_CONTAINER_REQUEST_HEARTBEAT_INTERVAL,
            &YARN_APPLICATION_MASTER_PORT,
            &YARN_STAGING_DIRECTORY,
            &YARN_SHIP_FILES,
            &YARN_SHIP_ARCHIVES,
            &YARN_PROVIDED_LIB_DIRS,
            &YARN_PROVIDED_USRLIB_DIR,
            &YARN_FLINK_DIST_JAR,
            &YARN_INCLUDE_USER_JAR,
            &YARN_FILE_REPLICATION,
            &YARN_APPLICATION_ID,
            &YARN_APPLICATION_QUEUE,
            &YARN_APPLICATION_NAME,
            &YARN_APPLICATION_TYPE,
            &YARN_APPLICATION_PRIORITY,
            &YARN_APPLICATION_NODE_LABEL,
            &YARN_TASK_MANAGER_NODE_LABEL,
            &YARN_TAGS,
            &YARN_VIEW_ACLS,
            &YARN_MODIFY_ACLS,
            &YARN_PROPERTIES_FILE_LOCATION,
            &YARN_CONTAINER_START_COMMAND_TEMPLATE,
            &YARN_APPLICATION_CLASSPATH,
            &YARN_SHIP_LOCAL_KEYTAB,
            &YARN_LOCALIZED_KEYTAB_PATH,
            &YARN_AM_DELEGATION_TOKEN_SERVICES,
        ],
    },
    Section {
        title: "High availability",
        options: &[
            &HA_TYPE,
            &HA_CLUSTER_ID,
            &HA_STORAGE_DIR,
            &HA_ZOOKEEPER_QUORUM,
            &HA_ZOOKEEPER_ROOT,
            &HA_ZOOKEEPER_EXECUTION_PLANS_PATH,
            &HA_ZOOKEEPER_SESSION_TIMEOUT,
            &HA_ZOOKEEPER_CONNECTION_TIMEOUT,
            &HA_ZOOKEEPER_RETRY_WAIT,
            &HA_ZOOKEEPER_MAX_RETRY_ATTEMPTS,
            &HA_ZOOKEEPER_ACL,
            &HA_ZOOKEEPER_TOLERATE_SUSPENDED,
            &HA_JOB_RESULT_STORE_PATH,
            &HA_JOB_RESULT_STORE_DELETE_ON_COMMIT,
        ],
    },
    Section {
        title: "Security",
        options: &[
            &KERBEROS_LOGIN_KEYTAB,
            &KERBEROS_LOGIN_PRINCIPAL,
            &KERBEROS_USE_TICKET_CACHE,
            &KERBEROS_RELOGIN_PERIOD,
            &KERBEROS_KRB5_CONF_PATH,
            &KERBEROS_ACCESS_HADOOP_FILE_SYSTEMS,
            &DELEGATION_TOKENS_ENABLED,
            &DELEGATION_TOKENS_RENEWAL_TIME_RATIO,
            &DELEGATION_TOKENS_RENEWAL_RETRY_BACKOFF,
            &HADOOPFS_TOKEN_RENEWER,
        ],
    },
];
