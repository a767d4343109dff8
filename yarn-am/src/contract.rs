//! What the client and the ApplicationMaster agree on: file names in the
//! container's working directory, environment variables, and the list of
//! staged files the AM hands on to every TaskManager container.
//!
//! The client (`flink-client`'s YARN deployer) uploads the files to
//! `<staging>/.flink-rs/<applicationId>/`, registers them as YARN
//! `LocalResource`s under the names below, and passes the same list in
//! [`ENV_STAGED_RESOURCES`] so the AM can start TaskManagers with the same
//! binary and configuration without listing HDFS.

use hadoop_proto::yarn::{
    LocalResourceProto, LocalResourceTypeProto, LocalResourceVisibilityProto,
    StringLocalResourceMapProto,
};
use serde::{Deserialize, Serialize};
use yarn_client::local_resource;

/// Name of the flink-rs executable (or job bundle) in a container.
pub const BINARY: &str = "flink-rs";
/// The frozen effective configuration, a flat `key: value` YAML file.
pub const CONFIG_FILE: &str = "config.yaml";
/// Directory of the client's Hadoop `*-site.xml` files in a container.
pub const HADOOP_CONF: &str = "hadoop-conf";
/// Name of the application directory under the staging directory.
pub const STAGING_SUBDIR: &str = ".flink-rs";

/// Application id (`application_<ts>_<n>`).
pub const ENV_APP_ID: &str = "_FLINK_RS_APP_ID";
/// The application directory `<staging>/.flink-rs/<appId>` (full URI); the AM
/// deletes it when the application ends.
pub const ENV_YARN_FILES: &str = "_FLINK_RS_YARN_FILES";
/// JSON list of [`StagedResource`]s localized into every container.
pub const ENV_STAGED_RESOURCES: &str = "_FLINK_RS_STAGED_RESOURCES";
/// JSON [`ApplicationProgram`]: what `main()` the AM runs (application mode).
pub const ENV_PROGRAM: &str = "_FLINK_RS_PROGRAM";
/// The submitting user (`HADOOP_USER_NAME` in containers).
pub const ENV_HADOOP_USER: &str = "HADOOP_USER_NAME";

/// Hidden `flink-rs` role run by the AM container of an application cluster.
pub const AM_ROLE: &str = "yarn-application-am";

/// Hidden `flink-rs` role run by the AM container of a session cluster.
pub const AM_SESSION_ROLE: &str = "yarn-session-am";

/// The program an application cluster runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationProgram {
    /// Registered program name (`example:wordcount`, or `main` in a bundle).
    pub name: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// One uploaded (or pre-staged) file, as a container sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedResource {
    /// Name (relative path) in the container's working directory.
    pub name: String,
    /// Full URI of the file (`hdfs://nn:port/user/u/.flink-rs/<app>/flink-rs`).
    pub uri: String,
    /// Length in bytes as the file system reports it.
    pub len: u64,
    /// Modification time (ms) as the file system reports it.
    pub modification_time_ms: u64,
    /// PUBLIC (shared across applications, from `yarn.provided.lib.dirs`)
    /// or APPLICATION visibility.
    pub public: bool,
}

impl StagedResource {
    /// The YARN `LocalResource` for this file.
    pub fn to_local_resource(&self) -> Result<LocalResourceProto, yarn_client::YarnError> {
        local_resource(
            &self.uri,
            self.len,
            self.modification_time_ms,
            LocalResourceTypeProto::File,
            if self.public {
                LocalResourceVisibilityProto::Public
            } else {
                LocalResourceVisibilityProto::Application
            },
        )
    }

    /// The `local_resources` map entries of a launch context for `resources`.
    pub fn to_launch_map(
        resources: &[StagedResource],
    ) -> Result<Vec<StringLocalResourceMapProto>, yarn_client::YarnError> {
        resources
            .iter()
            .map(|r| {
                Ok(StringLocalResourceMapProto {
                    key: Some(r.name.clone()),
                    value: Some(r.to_local_resource()?),
                })
            })
            .collect()
    }
}

/// Renders a flat configuration map as the YAML the AM and TaskManagers read
/// (`key: "value"` lines; values quoted so YAML never reinterprets them).
pub fn render_flat_config(map: &std::collections::BTreeMap<String, String>) -> String {
    let mut s = String::from("# Effective configuration frozen by the flink-rs client.\n");
    for (k, v) in map {
        let quoted = serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into());
        s.push_str(&format!("{k}: {quoted}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_resource_round_trips_to_a_local_resource() {
        let r = StagedResource {
            name: "flink-rs".into(),
            uri: "hdfs://127.0.0.1:9000/user/u/.flink-rs/application_1_0001/flink-rs".into(),
            len: 42,
            modification_time_ms: 7,
            public: false,
        };
        let lr = r.to_local_resource().unwrap();
        assert_eq!(lr.size, Some(42));
        assert_eq!(lr.timestamp, Some(7));
        let url = lr.resource.unwrap();
        assert_eq!(url.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(url.port, Some(9000));
        let json = serde_json::to_string(&vec![r.clone()]).unwrap();
        let back: Vec<StagedResource> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![r]);
    }

    #[test]
    fn flat_config_quotes_values() {
        let mut m = std::collections::BTreeMap::new();
        m.insert("a.b".to_string(), "x: y # z".to_string());
        m.insert("n".to_string(), "4".to_string());
        let text = render_flat_config(&m);
        assert!(text.contains("a.b: \"x: y # z\"\n"));
        assert!(text.contains("n: \"4\"\n"));
    }
}
