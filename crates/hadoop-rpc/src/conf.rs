//! Hadoop `*-site.xml` configuration: loading from `HADOOP_CONF_DIR` / `YARN_CONF_DIR`,
//! `${var}` expansion, `final` properties, and typed accessors for the addresses and security
//! settings flink-rs needs (ResourceManager addresses including HA `rm-ids`, default FS).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Result, RpcError};

/// Files read from a configuration directory, in Hadoop's order (later ones override earlier
/// ones unless the earlier value is `final`).
pub const SITE_FILES: &[&str] = &["core-site.xml", "hdfs-site.xml", "yarn-site.xml"];

/// Default port of `yarn.resourcemanager.address`.
pub const RM_DEFAULT_PORT: u16 = 8032;
/// Default port of `yarn.resourcemanager.scheduler.address`.
pub const RM_SCHEDULER_DEFAULT_PORT: u16 = 8030;

const MAX_SUBST_DEPTH: usize = 20;
/// Largest `*-site.xml` accepted (Hadoop's own files are a few KiB).
const MAX_SITE_FILE: u64 = 16 * 1024 * 1024;

/// Hadoop's SASL quality of protection (`hadoop.rpc.protection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcProtection {
    /// `authentication` (qop `auth`).
    Authentication,
    /// `integrity` (qop `auth-int`).
    Integrity,
    /// `privacy` (qop `auth-conf`).
    Privacy,
}

/// `hadoop.security.authentication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityMode {
    /// `simple` (the default).
    Simple,
    /// `kerberos`.
    Kerberos,
}

/// A loaded Hadoop configuration: a flat key/value map with `final` tracking.
#[derive(Debug, Clone, Default)]
pub struct HadoopConf {
    props: HashMap<String, String>,
    finals: HashSet<String>,
    sources: Vec<PathBuf>,
}

impl HadoopConf {
    /// An empty configuration (all accessors return Hadoop's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads `core-site.xml`, `hdfs-site.xml` and `yarn-site.xml` from `HADOOP_CONF_DIR` and,
    /// if set and different, `YARN_CONF_DIR`. Fails with a message naming the variables to set
    /// when neither is set.
    pub fn from_env() -> Result<Self> {
        let hadoop = std::env::var_os("HADOOP_CONF_DIR").map(PathBuf::from);
        let yarn = std::env::var_os("YARN_CONF_DIR").map(PathBuf::from);
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(h) = hadoop {
            dirs.push(h);
        }
        if let Some(y) = yarn
            && !dirs.contains(&y)
        {
            dirs.push(y);
        }
        if dirs.is_empty() {
            return Err(RpcError::Config(
                "neither HADOOP_CONF_DIR nor YARN_CONF_DIR is set: set HADOOP_CONF_DIR to the \
                 directory containing core-site.xml and yarn-site.xml (e.g. /etc/hadoop/conf)"
                    .into(),
            ));
        }
        let mut conf = HadoopConf::new();
        for d in &dirs {
            conf.add_dir(d)?;
        }
        Ok(conf)
    }

    /// Loads the site files from one directory (missing files are skipped, a missing directory
    /// is an error).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let mut conf = HadoopConf::new();
        conf.add_dir(dir.as_ref())?;
        Ok(conf)
    }

    /// Adds the site files of `dir` on top of this configuration.
    pub fn add_dir(&mut self, dir: &Path) -> Result<()> {
        if !dir.is_dir() {
            return Err(RpcError::Config(format!(
                "configuration directory {} does not exist or is not a directory: point \
                 HADOOP_CONF_DIR at the directory containing core-site.xml and yarn-site.xml",
                dir.display()
            )));
        }
        for f in SITE_FILES {
            let p = dir.join(f);
            if p.is_file() {
                self.add_file(&p)?;
            }
        }
        Ok(())
    }

    /// Adds one `*-site.xml` file.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let meta = std::fs::metadata(path).map_err(|e| RpcError::Io {
            context: format!("reading {}", path.display()),
            source: e,
        })?;
        if meta.len() > MAX_SITE_FILE {
            return Err(RpcError::Config(format!(
                "{} is {} bytes, larger than the {} byte limit for a site file",
                path.display(),
                meta.len(),
                MAX_SITE_FILE
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| RpcError::Io {
            context: format!("reading {}", path.display()),
            source: e,
        })?;
        self.add_xml(&text)
            .map_err(|e| RpcError::Config(format!("{}: {e}", path.display())))?;
        self.sources.push(path.to_path_buf());
        Ok(())
    }

    /// Adds properties from the text of a Hadoop `<configuration>` document.
    pub fn add_xml(&mut self, text: &str) -> std::result::Result<(), String> {
        let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
        let root = doc.root_element();
        if root.tag_name().name() != "configuration" {
            return Err(format!(
                "root element is <{}>, expected <configuration>",
                root.tag_name().name()
            ));
        }
        for prop in root.children().filter(|n| n.has_tag_name("property")) {
            let mut name = None;
            let mut value = None;
            let mut is_final = false;
            for c in prop.children().filter(|n| n.is_element()) {
                let t = c.text().unwrap_or("").trim().to_string();
                match c.tag_name().name() {
                    "name" => name = Some(t),
                    "value" => value = Some(t),
                    "final" => is_final = t == "true",
                    _ => {}
                }
            }
            let (Some(name), Some(value)) = (name, value) else {
                continue;
            };
            if self.finals.contains(&name) {
                tracing::debug!(%name, "ignoring override of final Hadoop property");
                continue;
            }
            if is_final {
                self.finals.insert(name.clone());
            }
            self.props.insert(name, value);
        }
        Ok(())
    }

    /// Sets a property (programmatic override; ignored if the key is final).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        if !self.finals.contains(&key) {
            self.props.insert(key, value.into());
        }
    }

    /// The files that were loaded.
    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }

    /// The raw (unexpanded) value.
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }

    /// The value with `${var}` references expanded (from other properties, then `${env.X}`
    /// from the environment, then other environment variables); unresolvable references stay
    /// as they are, as in Hadoop.
    pub fn get(&self, key: &str) -> Option<String> {
        self.props.get(key).map(|v| self.expand(v))
    }

    /// Value or default.
    pub fn get_or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or_else(|| self.expand(default))
    }

    /// Boolean value (`true`/`false`, case-insensitive); other values give the default.
    pub fn get_bool(&self, key: &str, default: bool) -> bool {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            _ => default,
        }
    }

    /// Comma-separated list, trimmed, empty entries dropped.
    pub fn get_list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn expand(&self, value: &str) -> String {
        let mut cur = value.to_string();
        for _ in 0..MAX_SUBST_DEPTH {
            let mut out = String::with_capacity(cur.len());
            let mut rest = cur.as_str();
            let mut changed = false;
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let var = &after[..end];
                let replacement = if let Some(env) = var.strip_prefix("env.") {
                    std::env::var(env).ok()
                } else {
                    self.props
                        .get(var)
                        .cloned()
                        .or_else(|| std::env::var(var).ok())
                };
                match replacement {
                    Some(r) => {
                        out.push_str(&r);
                        changed = true;
                    }
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            cur = out;
            if !changed {
                break;
            }
        }
        cur
    }

    /// `fs.defaultFS` (Hadoop default `file:///`).
    pub fn default_fs(&self) -> String {
        self.get("fs.defaultFS")
            .or_else(|| self.get("fs.default.name"))
            .unwrap_or_else(|| "file:///".to_string())
    }

    /// `hadoop.security.authentication`.
    pub fn security_mode(&self) -> Result<SecurityMode> {
        match self
            .get_or("hadoop.security.authentication", "simple")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "simple" => Ok(SecurityMode::Simple),
            "kerberos" => Ok(SecurityMode::Kerberos),
            other => Err(RpcError::Config(format!(
                "hadoop.security.authentication is '{other}': use 'simple' or 'kerberos'"
            ))),
        }
    }

    /// `hadoop.rpc.protection` (a list; the first entry is the preferred one).
    pub fn rpc_protection(&self) -> Result<Vec<RpcProtection>> {
        let list = self.get_list("hadoop.rpc.protection");
        if list.is_empty() {
            return Ok(vec![RpcProtection::Authentication]);
        }
        list.iter()
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "authentication" => Ok(RpcProtection::Authentication),
                "integrity" => Ok(RpcProtection::Integrity),
                "privacy" => Ok(RpcProtection::Privacy),
                other => Err(RpcError::Config(format!(
                    "hadoop.rpc.protection contains '{other}': use authentication, integrity or privacy"
                ))),
            })
            .collect()
    }

    /// `yarn.resourcemanager.ha.enabled`.
    pub fn rm_ha_enabled(&self) -> bool {
        self.get_bool("yarn.resourcemanager.ha.enabled", false)
    }

    /// The ResourceManager client addresses (`yarn.resourcemanager.address`, one per
    /// `yarn.resourcemanager.ha.rm-ids` entry when HA is enabled), in failover order.
    pub fn rm_addresses(&self) -> Result<Vec<String>> {
        self.rm_service_addresses("yarn.resourcemanager.address", RM_DEFAULT_PORT)
    }

    /// The ResourceManager scheduler addresses (`yarn.resourcemanager.scheduler.address`).
    pub fn rm_scheduler_addresses(&self) -> Result<Vec<String>> {
        self.rm_service_addresses(
            "yarn.resourcemanager.scheduler.address",
            RM_SCHEDULER_DEFAULT_PORT,
        )
    }

    fn rm_service_addresses(&self, key: &str, default_port: u16) -> Result<Vec<String>> {
        if self.rm_ha_enabled() {
            let ids = self.get_list("yarn.resourcemanager.ha.rm-ids");
            if ids.is_empty() {
                return Err(RpcError::Config(
                    "yarn.resourcemanager.ha.enabled is true but yarn.resourcemanager.ha.rm-ids \
                     is empty: list the RM ids, e.g. rm1,rm2"
                        .into(),
                ));
            }
            ids.iter()
                .map(|id| {
                    if let Some(a) = self.get(&format!("{key}.{id}")) {
                        return normalize_address(&a, default_port, key);
                    }
                    match self.get(&format!("yarn.resourcemanager.hostname.{id}")) {
                        Some(h) => Ok(format!("{}:{default_port}", h.trim())),
                        None => Err(RpcError::Config(format!(
                            "RM id '{id}' has neither {key}.{id} nor yarn.resourcemanager.hostname.{id}"
                        ))),
                    }
                })
                .collect()
        } else {
            let addr = match self.get(key) {
                Some(a) => a,
                None => format!(
                    "{}:{default_port}",
                    self.get_or("yarn.resourcemanager.hostname", "0.0.0.0")
                ),
            };
            Ok(vec![normalize_address(&addr, default_port, key)?])
        }
    }
}

/// Checks `host[:port]` and adds the default port if missing.
fn normalize_address(addr: &str, default_port: u16, key: &str) -> Result<String> {
    let addr = addr.trim();
    if addr.is_empty() {
        return Err(RpcError::Config(format!(
            "{key} is empty: set it to host:port"
        )));
    }
    match addr.rsplit_once(':') {
        Some((host, port)) => {
            port.parse::<u16>().map_err(|_| {
                RpcError::Config(format!(
                    "{key} = '{addr}' has an invalid port: use host:port"
                ))
            })?;
            if host.is_empty() {
                return Err(RpcError::Config(format!("{key} = '{addr}' has no host")));
            }
            Ok(addr.to_string())
        }
        None => Ok(format!("{addr}:{default_port}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(props: &[(&str, &str, bool)]) -> String {
        let mut s = String::from("<?xml version=\"1.0\"?>\n<configuration>\n");
        for (n, v, f) in props {
            s.push_str(&format!(
                "<property><name>{n}</name><value>{v}</value>{}</property>\n",
                if *f { "<final>true</final>" } else { "" }
            ));
        }
        s.push_str("</configuration>\n");
        s
    }

    #[test]
    fn expansion_and_final() {
        let mut c = HadoopConf::new();
        c.add_xml(&xml(&[
            ("yarn.resourcemanager.hostname", "rmhost", false),
            (
                "yarn.resourcemanager.address",
                "${yarn.resourcemanager.hostname}:9032",
                false,
            ),
            ("locked", "a", true),
        ]))
        .unwrap();
        c.add_xml(&xml(&[("locked", "b", false)])).unwrap();
        assert_eq!(c.get("locked").as_deref(), Some("a"));
        assert_eq!(c.rm_addresses().unwrap(), vec!["rmhost:9032".to_string()]);
        assert_eq!(
            c.rm_scheduler_addresses().unwrap(),
            vec!["rmhost:8030".to_string()]
        );
    }

    #[test]
    fn self_reference_terminates() {
        let mut c = HadoopConf::new();
        c.add_xml(&xml(&[("a", "${a}x", false)])).unwrap();
        assert!(c.get("a").unwrap().ends_with('x'));
    }

    #[test]
    fn ha_rm_ids() {
        let mut c = HadoopConf::new();
        c.add_xml(&xml(&[
            ("yarn.resourcemanager.ha.enabled", "true", false),
            ("yarn.resourcemanager.ha.rm-ids", "rm1, rm2", false),
            ("yarn.resourcemanager.hostname.rm1", "h1", false),
            ("yarn.resourcemanager.address.rm2", "h2:1234", false),
        ]))
        .unwrap();
        assert_eq!(c.rm_addresses().unwrap(), vec!["h1:8032", "h2:1234"]);
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let mut c = HadoopConf::new();
        assert!(c.add_xml("<configuration><property>").is_err());
        assert!(
            c.add_xml("<foo/>")
                .unwrap_err()
                .contains("expected <configuration>")
        );
        c.set("yarn.resourcemanager.address", "h:notaport");
        assert!(
            c.rm_addresses()
                .unwrap_err()
                .to_string()
                .contains("invalid port")
        );
        c.set("hadoop.security.authentication", "ldap");
        assert!(c.security_mode().is_err());
        let err = HadoopConf::from_dir("/nonexistent/dir")
            .unwrap_err()
            .to_string();
        assert!(err.contains("HADOOP_CONF_DIR"), "{err}");
    }

    #[test]
    fn loads_dir() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("core-site.xml"),
            xml(&[("fs.defaultFS", "hdfs://nn:9000", false)]),
        )
        .unwrap();
        std::fs::write(
            d.path().join("yarn-site.xml"),
            xml(&[("yarn.resourcemanager.address", "localhost:1", false)]),
        )
        .unwrap();
        let c = HadoopConf::from_dir(d.path()).unwrap();
        assert_eq!(c.default_fs(), "hdfs://nn:9000");
        assert_eq!(c.rm_addresses().unwrap(), vec!["localhost:1"]);
        assert_eq!(c.sources().len(), 2);
        assert_eq!(
            c.rpc_protection().unwrap(),
            vec![RpcProtection::Authentication]
        );
    }
}
