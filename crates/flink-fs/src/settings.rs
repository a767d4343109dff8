//! [`HadoopSettings`]: how to reach HDFS.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{FsError, Result};

/// Where the Hadoop configuration comes from and client-side limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct HadoopSettings {
    /// Directory with core-site.xml / hdfs-site.xml. `None`: `$HADOOP_CONF_DIR`, then
    /// `$HADOOP_HOME/etc/hadoop`, else no files.
    pub conf_dir: Option<PathBuf>,
    /// Hadoop settings that override the files (e.g. `fs.defaultFS`).
    pub config: BTreeMap<String, String>,
    /// The user to act as (default: `HADOOP_USER_NAME`, else the OS user).
    pub user: Option<String>,
    /// Kerberos principal to log in with (with `kerberos_keytab`), else the ticket cache.
    pub kerberos_principal: Option<String>,
    /// Keytab for `kerberos_principal`.
    pub kerberos_keytab: Option<PathBuf>,
    /// Upper bound for one NameNode call (metadata operations, opening/creating files) and for
    /// one chunk write, in milliseconds. Also bounds how long an unreachable NameNode is retried.
    pub rpc_timeout_ms: u64,
}

impl Default for HadoopSettings {
    fn default() -> Self {
        HadoopSettings {
            conf_dir: None,
            config: BTreeMap::new(),
            user: None,
            kerberos_principal: None,
            kerberos_keytab: None,
            rpc_timeout_ms: 30_000,
        }
    }
}

impl HadoopSettings {
    /// Settings reading the site files of `dir` (e.g. a minicluster's conf dir).
    pub fn from_conf_dir(dir: impl Into<PathBuf>) -> Self {
        HadoopSettings {
            conf_dir: Some(dir.into()),
            ..HadoopSettings::default()
        }
    }

    /// The RPC timeout as a `Duration`.
    pub fn rpc_timeout(&self) -> Duration {
        Duration::from_millis(self.rpc_timeout_ms)
    }

    /// Checks the settings; errors name the setting and the fix.
    pub fn validate(&self) -> Result<()> {
        if self.rpc_timeout_ms == 0 {
            return Err(FsError::Config("rpc-timeout-ms must be > 0".into()));
        }
        if let Some(dir) = &self.conf_dir {
            if !dir.is_dir() {
                return Err(FsError::Config(format!(
                    "conf-dir {} is not a directory (point it at the dir holding core-site.xml)",
                    dir.display()
                )));
            }
            if dir.to_str().is_none() {
                return Err(FsError::Config(format!(
                    "conf-dir {} is not valid UTF-8",
                    dir.display()
                )));
            }
        }
        if self.kerberos_keytab.is_some() && self.kerberos_principal.is_none() {
            return Err(FsError::Config(
                "kerberos-keytab is set but kerberos-principal is not; set both".into(),
            ));
        }
        if let Some(k) = &self.kerberos_keytab
            && !k.is_file()
        {
            return Err(FsError::Config(format!(
                "kerberos-keytab {} does not exist",
                k.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        assert!(HadoopSettings::default().validate().is_ok());
        let e = HadoopSettings::from_conf_dir("/nonexistent/conf")
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/conf"), "{e}");
        let e = HadoopSettings {
            rpc_timeout_ms: 0,
            ..HadoopSettings::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("rpc-timeout-ms"), "{e}");
        let e = HadoopSettings {
            kerberos_keytab: Some("/x.keytab".into()),
            ..HadoopSettings::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("kerberos-principal"), "{e}");
    }
}
