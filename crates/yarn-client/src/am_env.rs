//! What an ApplicationMaster learns from its container environment.

use std::path::PathBuf;

use hadoop_proto::yarn::{ApplicationAttemptIdProto, ContainerIdProto};
use hadoop_rpc::Credentials;
use hadoop_rpc::credentials::AMRM_TOKEN_KIND;

use crate::error::{Result, YarnError};
use crate::ids::parse_container_id;

/// The AM container's environment as set by the NodeManager.
#[derive(Debug, Clone)]
pub struct AmEnvironment {
    /// `CONTAINER_ID`.
    pub container_id: ContainerIdProto,
    /// The attempt id derived from the container id.
    pub attempt_id: ApplicationAttemptIdProto,
    /// `NM_HOST`.
    pub nm_host: String,
    /// `NM_PORT`.
    pub nm_port: Option<u16>,
    /// `NM_HTTP_PORT`.
    pub nm_http_port: Option<u16>,
    /// `LOCAL_DIRS` (comma-separated in the environment).
    pub local_dirs: Vec<PathBuf>,
    /// `LOG_DIRS`.
    pub log_dirs: Vec<PathBuf>,
    /// Tokens from `HADOOP_TOKEN_FILE_LOCATION` (includes the AMRMToken).
    pub credentials: Credentials,
}

impl AmEnvironment {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads from any variable lookup (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let need = |k: &str| {
            get(k).ok_or_else(|| {
                YarnError::Environment(format!(
                    "{k} is not set: this must run inside a YARN container"
                ))
            })
        };
        let container_id = parse_container_id(&need("CONTAINER_ID")?)?;
        let attempt_id = container_id
            .app_attempt_id
            .ok_or_else(|| YarnError::Environment("CONTAINER_ID has no attempt id".into()))?;
        let port = |k: &str| get(k).and_then(|v| v.parse::<u16>().ok());
        let dirs = |k: &str| {
            get(k)
                .map(|v| {
                    v.split(',')
                        .filter(|s| !s.is_empty())
                        .map(PathBuf::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let token_file = need("HADOOP_TOKEN_FILE_LOCATION")?;
        let credentials = Credentials::read_file(std::path::Path::new(&token_file))?;
        Ok(AmEnvironment {
            container_id,
            attempt_id,
            nm_host: need("NM_HOST")?,
            nm_port: port("NM_PORT"),
            nm_http_port: port("NM_HTTP_PORT"),
            local_dirs: dirs("LOCAL_DIRS"),
            log_dirs: dirs("LOG_DIRS"),
            credentials,
        })
    }

    /// The AMRMToken from the credentials.
    pub fn amrm_token(&self) -> Result<hadoop_rpc::Token> {
        self.credentials.token_of_kind(AMRM_TOKEN_KIND).cloned().ok_or_else(|| {
            YarnError::Environment(format!("the container credentials (HADOOP_TOKEN_FILE_LOCATION) hold no {AMRM_TOKEN_KIND} token"))
        })
    }
}
