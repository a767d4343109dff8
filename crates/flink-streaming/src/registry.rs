//! Programs by name. A flink-rs binary (or a user's bundle, which links
//! flink-rs) registers the programs it contains; every process that runs a
//! job rebuilds the stream graph by running the same program with the same
//! arguments and settings (see docs/user-jobs.md).

use crate::api::StreamExecutionEnvironment;
use crate::graph::{ExecutionSettings, GraphError, StreamGraph};
use flink_types::{ProgramRef, RuntimeMode};
use std::collections::BTreeMap;

/// Error a program may return while building its pipeline (e.g. bad arguments).
pub type ProgramError = Box<dyn std::error::Error + Send + Sync>;

/// A program: defines a pipeline on the environment.
pub type ProgramFn = fn(&StreamExecutionEnvironment) -> Result<(), ProgramError>;

/// Why a program could not be turned into a stream graph.
#[derive(Debug, thiserror::Error)]
pub enum ProgramBuildError {
    /// No program of that name is registered in this binary.
    #[error("unknown program '{name}'; available: {available}")]
    Unknown {
        /// Requested name.
        name: String,
        /// Registered names.
        available: String,
    },
    /// The program returned an error.
    #[error("program '{name}' failed: {message}")]
    Program {
        /// Program name.
        name: String,
        /// Its error.
        message: String,
    },
    /// The program panicked while building its pipeline.
    #[error("program '{name}' panicked while building its pipeline: {message}")]
    Panicked {
        /// Program name.
        name: String,
        /// Panic message.
        message: String,
    },
    /// The resulting graph is invalid.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// One registered program.
#[derive(Clone)]
pub struct ProgramEntry {
    /// The program.
    pub program: ProgramFn,
    /// One-line description for `--help`/listings.
    pub description: &'static str,
}

/// The programs a binary contains.
#[derive(Clone, Default)]
pub struct ProgramRegistry {
    programs: BTreeMap<String, ProgramEntry>,
}

/// Extracts a panic payload's message.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

impl ProgramRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
    /// Registers `program` under `name`.
    pub fn register(
        &mut self,
        name: &str,
        description: &'static str,
        program: ProgramFn,
    ) -> &mut Self {
        self.programs.insert(
            name.to_string(),
            ProgramEntry {
                program,
                description,
            },
        );
        self
    }
    /// Looks up a program.
    pub fn get(&self, name: &str) -> Option<&ProgramEntry> {
        self.programs.get(name)
    }
    /// Registered names and descriptions.
    pub fn list(&self) -> impl Iterator<Item = (&str, &'static str)> {
        self.programs
            .iter()
            .map(|(k, v)| (k.as_str(), v.description))
    }
    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.programs.contains_key(name)
    }

    /// Runs the program to build its stream graph.
    pub fn build_graph(
        &self,
        program: &ProgramRef,
        settings: ExecutionSettings,
    ) -> Result<StreamGraph, ProgramBuildError> {
        let entry = self
            .get(&program.name)
            .ok_or_else(|| ProgramBuildError::Unknown {
                name: program.name.clone(),
                available: self.programs.keys().cloned().collect::<Vec<_>>().join(", "),
            })?;
        let env = StreamExecutionEnvironment::new(settings, program.args.clone());
        let f = entry.program;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&env)));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(ProgramBuildError::Program {
                    name: program.name.clone(),
                    message: e.to_string(),
                });
            }
            Err(p) => {
                return Err(ProgramBuildError::Panicked {
                    name: program.name.clone(),
                    message: panic_message(&*p),
                });
            }
        }
        let graph = env.into_stream_graph();
        graph.validate()?;
        Ok(graph)
    }
}

/// Execution settings from a flat job configuration (Flink keys).
pub fn settings_from_config(
    config: &BTreeMap<String, String>,
    job_name: &str,
) -> ExecutionSettings {
    let parse_u32 = |k: &str| config.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    ExecutionSettings {
        parallelism: parse_u32("parallelism.default").unwrap_or(1).max(1),
        max_parallelism: parse_u32("pipeline.max-parallelism").filter(|p| *p > 0),
        chaining: config
            .get("pipeline.operator-chaining.enabled")
            .map(|v| !v.trim().eq_ignore_ascii_case("false"))
            .unwrap_or(true),
        runtime_mode: match config
            .get("execution.runtime-mode")
            .map(|s| s.trim().to_ascii_uppercase())
        {
            Some(m) if m == "BATCH" => RuntimeMode::Batch,
            _ => RuntimeMode::Streaming,
        },
        job_name: config
            .get("pipeline.name")
            .cloned()
            .unwrap_or_else(|| job_name.to_string()),
        config: config.clone(),
    }
}
