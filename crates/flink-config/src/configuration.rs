//! [`Configuration`]: Flink's flat map of dotted keys to string values,
//! with the origin of every value, loading from `config.yaml` (or the legacy
//! `flink-conf.yaml`) and `-D key=value` overrides.

use crate::error::ConfigError;
use crate::option::{AnyOption, ConfigOption};
use crate::registry;
use crate::value::OptionValue;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// File name of Flink 2.x's standard-YAML configuration.
pub const CONFIG_FILE: &str = "config.yaml";
/// File name of Flink 1.x's flat configuration, used when config.yaml is absent.
pub const LEGACY_CONFIG_FILE: &str = "flink-conf.yaml";
/// Environment variable naming the configuration directory.
pub const ENV_FLINK_CONF_DIR: &str = "FLINK_CONF_DIR";

/// Where a configuration value came from, for error messages.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ConfigSource {
    /// A configuration file.
    File(PathBuf),
    /// A `-D key=value` dynamic property.
    DynamicProperty,
    /// Set by a flink-rs component or a command line flag (the text says which,
    /// e.g. "-p" or "the YARN ApplicationMaster").
    Set(String),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::DynamicProperty => f.write_str("-D"),
            Self::Set(s) => f.write_str(s),
        }
    }
}

/// One stored value and its origin.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigEntry {
    /// The value as written (YAML lists joined with ';').
    pub value: String,
    /// Where it came from.
    pub source: ConfigSource,
}

/// Why a key was reported by [`Configuration::check_keys`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum KeyNotice {
    /// The key is not known to flink-rs (it is ignored).
    Unknown {
        /// The key.
        key: String,
        /// A known key within a small edit distance, if any.
        suggestion: Option<&'static str>,
    },
    /// The key is a deprecated name of a known option.
    Deprecated {
        /// The deprecated key.
        key: String,
        /// The key to use instead.
        replacement: &'static str,
    },
}

impl fmt::Display for KeyNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                key,
                suggestion: Some(s),
            } => write!(
                f,
                "unknown configuration key '{key}' is ignored; did you mean '{s}'?"
            ),
            Self::Unknown {
                key,
                suggestion: None,
            } => write!(f, "unknown configuration key '{key}' is ignored"),
            Self::Deprecated { key, replacement } => write!(
                f,
                "configuration key '{key}' is deprecated; use '{replacement}' instead"
            ),
        }
    }
}

/// Flink's configuration: a flat map from dotted keys to string values.
/// Typed access goes through [`ConfigOption`]s (see [`crate::options`]).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Configuration {
    entries: BTreeMap<String, ConfigEntry>,
}

impl Configuration {
    /// An empty configuration (every option at its default).
    pub fn new() -> Self {
        Self::default()
    }

    /// The configuration directory to use: `$FLINK_CONF_DIR` if set, else
    /// `conf/` next to the executable's directory (`<dir>/../conf`, Flink's
    /// layout), else `./conf` if it exists. `None` means "defaults only".
    pub fn default_conf_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os(ENV_FLINK_CONF_DIR).filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(|p| p.join("conf")))
            .filter(|d| d.is_dir())
        {
            return Some(dir);
        }
        let local = PathBuf::from("conf");
        local.is_dir().then_some(local)
    }

    /// Loads `<dir>/config.yaml`, or `<dir>/flink-conf.yaml` when config.yaml
    /// does not exist, or nothing when neither exists. The directory must exist.
    pub fn load_from_dir(dir: &Path) -> Result<Self, ConfigError> {
        if !dir.is_dir() {
            return Err(ConfigError::ConfDirMissing(dir.to_path_buf()));
        }
        let yaml = dir.join(CONFIG_FILE);
        if yaml.is_file() {
            return Self::load_file(&yaml);
        }
        let legacy = dir.join(LEGACY_CONFIG_FILE);
        if legacy.is_file() {
            tracing::info!("using legacy {} (no {CONFIG_FILE} found)", legacy.display());
            return Self::load_file(&legacy);
        }
        tracing::info!(
            "no {CONFIG_FILE} in {}: using default configuration",
            dir.display()
        );
        Ok(Self::new())
    }

    /// Loads one file: standard YAML unless its name is `flink-conf.yaml`,
    /// which uses Flink's legacy flat `key: value` format.
    pub fn load_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let source = ConfigSource::File(path.to_path_buf());
        if path.file_name().is_some_and(|n| n == LEGACY_CONFIG_FILE) {
            Self::from_legacy_str(&text, source)
        } else {
            Self::from_yaml_str(&text, source)
        }
    }

    /// The full client/role loading sequence: the configuration directory
    /// (explicit, else [`Configuration::default_conf_dir`]), then `-D`
    /// overrides in order. Logs unknown and deprecated keys.
    pub fn load(
        conf_dir: Option<&Path>,
        dynamic_properties: &[String],
    ) -> Result<Self, ConfigError> {
        let mut config = match conf_dir
            .map(Path::to_path_buf)
            .or_else(Self::default_conf_dir)
        {
            Some(dir) => Self::load_from_dir(&dir)?,
            None => Self::new(),
        };
        config.apply_dynamic_properties(dynamic_properties)?;
        config.check_keys();
        Ok(config)
    }

    /// Parses standard YAML (Flink 2.x `config.yaml`). Nested maps flatten to
    /// dotted keys; lists of plain values are stored `;`-joined; scalars are
    /// stored as written. An empty document is an empty configuration.
    pub fn from_yaml_str(text: &str, source: ConfigSource) -> Result<Self, ConfigError> {
        let yaml_err = |message: String| ConfigError::Yaml {
            path: source.to_string(),
            message,
        };
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| yaml_err(e.to_string()))?;
        let mut config = Self::new();
        match doc {
            Value::Null => {}
            Value::Mapping(_) => flatten("", &doc, &mut |key, value| {
                config.set_string(key, value, source.clone());
            })
            .map_err(yaml_err)?,
            _ => {
                return Err(yaml_err(
                    "the top level must be a map of keys to values".into(),
                ));
            }
        }
        Ok(config)
    }

    /// Parses Flink's legacy `flink-conf.yaml`: one `key: value` per line,
    /// `#` starts a comment, blank lines are skipped.
    pub fn from_legacy_str(text: &str, source: ConfigSource) -> Result<Self, ConfigError> {
        let mut config = Self::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (key, value) = line
                .split_once(": ")
                .map(|(k, v)| (k.trim(), v.trim()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| ConfigError::LegacyLine {
                    path: source.to_string(),
                    line: i + 1,
                    content: raw.trim().to_string(),
                })?;
            config.set_string(key, value, source.clone());
        }
        Ok(config)
    }

    /// Renders the configuration as flat YAML (`key: value`, sorted), the form
    /// the client freezes into the `config.yaml` shipped to containers.
    /// [`Configuration::from_yaml_flat`] reads it back to an equal map.
    pub fn to_yaml_flat(&self) -> String {
        let map: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .map(|(k, e)| (k.as_str(), e.value.as_str()))
            .collect();
        if map.is_empty() {
            return String::new();
        }
        // A map of strings always serializes.
        serde_yaml_ng::to_string(&map).unwrap_or_default()
    }

    /// Reads what [`Configuration::to_yaml_flat`] wrote (any standard YAML works).
    pub fn from_yaml_flat(text: &str, source: ConfigSource) -> Result<Self, ConfigError> {
        Self::from_yaml_str(text, source)
    }

    /// Applies `-D key=value` arguments in order (later ones win).
    pub fn apply_dynamic_properties(&mut self, properties: &[String]) -> Result<(), ConfigError> {
        for p in properties {
            let (k, v) = parse_dynamic_property(p)?;
            self.set_string(&k, &v, ConfigSource::DynamicProperty);
        }
        Ok(())
    }

    /// Sets a raw value.
    pub fn set_string(&mut self, key: &str, value: &str, source: ConfigSource) {
        self.entries.insert(
            key.to_string(),
            ConfigEntry {
                value: value.to_string(),
                source,
            },
        );
    }

    /// Sets a typed value for an option; `who` names the setter for error
    /// messages (e.g. "-p").
    pub fn set<T: OptionValue>(&mut self, option: &ConfigOption<T>, value: &T, who: &str) {
        self.set_string(
            option.key(),
            &value.to_value_string(),
            ConfigSource::Set(who.to_string()),
        );
    }

    /// Removes a key; returns the old entry.
    pub fn remove(&mut self, key: &str) -> Option<ConfigEntry> {
        self.entries.remove(key)
    }

    /// The raw entry under exactly this key.
    pub fn get_entry(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries.get(key)
    }

    /// The raw value under exactly this key.
    pub fn get_string(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|e| e.value.as_str())
    }

    /// Whether the option is set (under its key or a deprecated key).
    pub fn contains<T: OptionValue>(&self, option: &ConfigOption<T>) -> bool {
        self.lookup(option).is_some()
    }

    /// The entry for an option: its key first, then its deprecated keys in order.
    fn lookup<T: OptionValue>(&self, option: &ConfigOption<T>) -> Option<(&str, &ConfigEntry)> {
        std::iter::once(option.key())
            .chain(option.deprecated_keys().iter().copied())
            .find_map(|k| self.entries.get(k).map(|e| (k, e)))
    }

    /// The typed value of an option, or its default. An option without a
    /// default that is not set is a [`ConfigError::Missing`]; use
    /// [`Configuration::get_optional`] for options that may stay unset.
    pub fn get<T: OptionValue>(&self, option: &ConfigOption<T>) -> Result<T, ConfigError> {
        self.get_optional(option)?
            .ok_or_else(|| ConfigError::Missing {
                key: option.key().to_string(),
                hint: format!(
                    "{} Set it in config.yaml or with -D {}=<value>.",
                    option.description(),
                    option.key()
                ),
            })
    }

    /// The typed value if set, else the default if the option has one, else `None`.
    pub fn get_optional<T: OptionValue>(
        &self,
        option: &ConfigOption<T>,
    ) -> Result<Option<T>, ConfigError> {
        if let Some((key, entry)) = self.lookup(option) {
            return option
                .parse_checked(&entry.value)
                .map(Some)
                .map_err(|expected| ConfigError::InvalidValue {
                    key: key.to_string(),
                    value: entry.value.clone(),
                    origin: entry.source.clone(),
                    expected,
                });
        }
        match option.default_str() {
            None => Ok(None),
            Some(d) => {
                option
                    .parse_checked(d)
                    .map(Some)
                    .map_err(|expected| ConfigError::InvalidValue {
                        key: option.key().to_string(),
                        value: d.to_string(),
                        origin: ConfigSource::Set("the built-in default".into()),
                        expected,
                    })
            }
        }
    }

    /// All entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ConfigEntry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// The plain key -> value map (e.g. for `JobGraph::config`).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries
            .iter()
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds every entry of `other`, overriding existing keys.
    pub fn merge(&mut self, other: &Configuration) {
        for (k, e) in &other.entries {
            self.entries.insert(k.clone(), e.clone());
        }
    }

    /// Entries under `prefix` with the prefix removed, e.g.
    /// `containerized.master.env.` -> environment variables for the AM.
    pub fn with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        self.entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(k, _)| k.len() > prefix.len())
            .map(|(k, e)| (k[prefix.len()..].to_string(), e.value.clone()))
            .collect()
    }

    /// Reports keys flink-rs does not know and deprecated keys, logging each
    /// with `tracing::warn!` (or `debug!`, see below), and returns the
    /// warnings. Nothing here is an error: unknown keys are ignored.
    ///
    /// Policy for keys flink-rs does not know:
    /// * Under a *free-form* prefix (user-defined namespaces that are passed
    ///   through: `flink.hadoop.`, `flink.yarn.`, `containerized.*.env.`,
    ///   `env.`, `metrics.`, `pipeline.global-job-parameters.`,
    ///   `external-resource.`): silent.
    /// * Under a Flink *namespace* whose keys flink-rs knows only partly
    ///   (`yarn.`, `security.`, `high-availability.`, `state.`, `web.`, `rest.`,
    ///   `blob.`, `akka.`/`pekko.`, `cluster.`, `io.`, `fs.`): a warning only
    ///   when a known key is close by edit distance (a likely typo),
    ///   otherwise a debug message (valid Flink keys that flink-rs ignores).
    /// * Anything else: a warning, with a "did you mean" when a known key is close.
    pub fn check_keys(&self) -> Vec<KeyNotice> {
        let mut notices = Vec::new();
        for (key, entry) in &self.entries {
            if let Some(opt) = registry::find_by_deprecated_key(key) {
                let n = KeyNotice::Deprecated {
                    key: key.clone(),
                    replacement: opt.key(),
                };
                tracing::warn!("{n} (from {})", entry.source);
                notices.push(n);
                continue;
            }
            if registry::find(key).is_some() || is_free_form(key) {
                continue;
            }
            let suggestion = registry::suggest(key);
            let n = KeyNotice::Unknown {
                key: key.clone(),
                suggestion,
            };
            if suggestion.is_none() && is_partly_known_namespace(key) {
                tracing::debug!("{n} (from {})", entry.source);
                continue;
            }
            tracing::warn!("{n} (from {})", entry.source);
            notices.push(n);
        }
        notices
    }
}

/// Prefixes of user-defined keys that are passed through verbatim.
pub const FREE_FORM_PREFIXES: &[&str] = &[
    "flink.hadoop.",
    "flink.yarn.",
    "env.",
    "metrics.",
    "pipeline.global-job-parameters.",
    "external-resource.",
];

/// Flink namespaces flink-rs implements only in part.
pub const PARTLY_KNOWN_NAMESPACES: &[&str] = &[
    "yarn.",
    "security.",
    "high-availability.",
    "state.",
    "web.",
    "rest.",
    "blob.",
    "akka.",
    "pekko.",
    "cluster.",
    "io.",
    "fs.",
    "taskmanager.memory.",
    "jobmanager.memory.",
];

fn is_free_form(key: &str) -> bool {
    FREE_FORM_PREFIXES.iter().any(|p| key.starts_with(p))
        || (key.starts_with("containerized.") && key.contains(".env."))
}

fn is_partly_known_namespace(key: &str) -> bool {
    PARTLY_KNOWN_NAMESPACES.iter().any(|p| key.starts_with(p))
}

/// Flattens a YAML value into dotted keys.
fn flatten(prefix: &str, value: &Value, out: &mut dyn FnMut(&str, &str)) -> Result<(), String> {
    let at = |p: &str| {
        if p.is_empty() {
            "the top level".to_string()
        } else {
            format!("'{p}'")
        }
    };
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                let k = scalar_to_string(k)
                    .ok_or_else(|| format!("a key under {} is not a plain value", at(prefix)))?;
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        Value::Sequence(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                parts.push(scalar_to_string(item).ok_or_else(|| {
                    format!("the list under {} may only hold plain values", at(prefix))
                })?);
            }
            out(prefix, &parts.join(";"));
            Ok(())
        }
        Value::Null => {
            // `key:` with no value: treat as unset, as Flink does.
            Ok(())
        }
        Value::Tagged(t) => flatten(prefix, &t.value, out),
        scalar => {
            let s = scalar_to_string(scalar)
                .ok_or_else(|| format!("unsupported value under {}", at(prefix)))?;
            out(prefix, &s);
            Ok(())
        }
    }
}

fn scalar_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Tagged(t) => scalar_to_string(&t.value),
        _ => None,
    }
}

/// Parses one `-D` argument: `key=value` (the value may contain '=' and be empty).
pub fn parse_dynamic_property(arg: &str) -> Result<(String, String), ConfigError> {
    let (k, v) = arg.split_once('=').ok_or(ConfigError::DynamicProperty {
        input: arg.to_string(),
        reason: "missing '='",
    })?;
    let k = k.trim();
    if k.is_empty() {
        return Err(ConfigError::DynamicProperty {
            input: arg.to_string(),
            reason: "the key is empty",
        });
    }
    Ok((k.to_string(), v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options;

    fn yaml(text: &str) -> Configuration {
        Configuration::from_yaml_str(text, ConfigSource::File("config.yaml".into())).unwrap()
    }

    #[test]
    fn nested_yaml_flattens_to_dotted_keys() {
        let c = yaml(
            "taskmanager:\n  numberOfTaskSlots: 4\n  memory:\n    process:\n      size: 1728m\n\
             parallelism.default: 2\nyarn:\n  ship-files: [a.txt, /b/c.txt]\n\
             rest:\n  port: 8082\nflag: true\nratio: 1.5\nempty:\n",
        );
        assert_eq!(c.get_string("taskmanager.numberOfTaskSlots"), Some("4"));
        assert_eq!(
            c.get_string("taskmanager.memory.process.size"),
            Some("1728m")
        );
        assert_eq!(c.get_string("parallelism.default"), Some("2"));
        assert_eq!(c.get_string("yarn.ship-files"), Some("a.txt;/b/c.txt"));
        assert_eq!(c.get_string("flag"), Some("true"));
        assert_eq!(c.get_string("ratio"), Some("1.5"));
        assert_eq!(c.get_string("empty"), None);
        assert_eq!(
            c.get(&options::YARN_SHIP_FILES).unwrap(),
            vec!["a.txt", "/b/c.txt"]
        );
        assert_eq!(c.get(&options::REST_PORT).unwrap(), 8082);
    }

    #[test]
    fn yaml_block_lists_work() {
        let c = yaml("yarn.ship-files:\n  - a\n  - b\n");
        assert_eq!(c.get(&options::YARN_SHIP_FILES).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn bad_yaml_is_a_clear_error() {
        let src = ConfigSource::File("/etc/flink/config.yaml".into());
        let e = Configuration::from_yaml_str("a: [1, 2\n", src.clone()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid YAML in /etc/flink/config.yaml"),
            "{e}"
        );
        let e = Configuration::from_yaml_str("- a\n- b\n", src.clone()).unwrap_err();
        assert!(e.to_string().contains("top level must be a map"), "{e}");
        let e = Configuration::from_yaml_str("k:\n  - {a: 1}\n", src).unwrap_err();
        assert!(
            e.to_string().contains("'k' may only hold plain values"),
            "{e}"
        );
    }

    #[test]
    fn legacy_flat_format_with_comments() {
        let text = "# Flink 1.x\njobmanager.rpc.address: jm-host\n\n  taskmanager.numberOfTaskSlots: 3   # three\n\
                    env.java.opts: -Dx=y\n";
        let c = Configuration::from_legacy_str(text, ConfigSource::File("flink-conf.yaml".into()))
            .unwrap();
        assert_eq!(c.get_string("jobmanager.rpc.address"), Some("jm-host"));
        assert_eq!(c.get(&options::TASK_MANAGER_NUM_TASK_SLOTS).unwrap(), 3);
        assert_eq!(c.get_string("env.java.opts"), Some("-Dx=y"));
        let e = Configuration::from_legacy_str(
            "a: 1\nbroken line\n",
            ConfigSource::File("flink-conf.yaml".into()),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "flink-conf.yaml:2: cannot parse 'broken line': expected 'key: value' (a space after the colon)"
        );
    }

    #[test]
    fn dynamic_properties_override_and_parse_errors_are_clear() {
        let mut c = yaml("parallelism.default: 2\n");
        c.apply_dynamic_properties(&["parallelism.default=8".into(), "a.b=x=y".into()])
            .unwrap();
        assert_eq!(c.get(&options::PARALLELISM_DEFAULT).unwrap(), 8);
        assert_eq!(c.get_string("a.b"), Some("x=y"));
        assert_eq!(
            c.get_entry("parallelism.default").unwrap().source,
            ConfigSource::DynamicProperty
        );
        let e = parse_dynamic_property("parallelism.default").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid dynamic property 'parallelism.default': missing '='; expected key=value, e.g. -D taskmanager.numberOfTaskSlots=4"
        );
        assert!(
            parse_dynamic_property("=3")
                .unwrap_err()
                .to_string()
                .contains("key is empty")
        );
        assert_eq!(
            parse_dynamic_property("k=").unwrap(),
            ("k".into(), "".into())
        );
    }

    #[test]
    fn invalid_value_error_names_key_value_source_and_form() {
        let mut c = Configuration::new();
        c.apply_dynamic_properties(&["taskmanager.numberOfTaskSlots=abc".into()])
            .unwrap();
        let e = c.get(&options::TASK_MANAGER_NUM_TASK_SLOTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value 'abc' for 'taskmanager.numberOfTaskSlots' (from -D): expected a positive integer"
        );
        let c = yaml("taskmanager.numberOfTaskSlots: 0\n");
        let e = c.get(&options::TASK_MANAGER_NUM_TASK_SLOTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value '0' for 'taskmanager.numberOfTaskSlots' (from config.yaml): expected a positive integer"
        );
    }

    #[test]
    fn defaults_and_missing_values() {
        let c = Configuration::new();
        assert_eq!(c.get(&options::PARALLELISM_DEFAULT).unwrap(), 1);
        assert_eq!(c.get(&options::JOB_MANAGER_RPC_PORT).unwrap(), 6123);
        assert_eq!(
            c.get_optional(&options::CHECKPOINTING_INTERVAL).unwrap(),
            None
        );
        let e = c.get(&options::CHECKPOINTING_INTERVAL).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("missing configuration 'execution.checkpointing.interval'"),
            "{e}"
        );
    }

    #[test]
    fn deprecated_keys_are_read_as_fallback_and_reported() {
        let c = yaml("state.checkpoints.dir: hdfs:///ckpt\n");
        assert_eq!(
            c.get_optional(&options::CHECKPOINTING_DIR)
                .unwrap()
                .as_deref(),
            Some("hdfs:///ckpt")
        );
        assert_eq!(
            c.check_keys(),
            vec![KeyNotice::Deprecated {
                key: "state.checkpoints.dir".into(),
                replacement: "execution.checkpointing.dir"
            }]
        );
        // The new key wins over the deprecated one.
        let c = yaml("state.checkpoints.dir: a\nexecution.checkpointing.dir: b\n");
        assert_eq!(
            c.get_optional(&options::CHECKPOINTING_DIR)
                .unwrap()
                .as_deref(),
            Some("b")
        );
    }

    #[test]
    fn unknown_keys_warn_with_suggestions_but_pass_through_prefixes_are_quiet() {
        let c = yaml(
            "taskmanager.numberOfTaskSlot: 2\ntotally.unknown.key: 1\n\
             flink.hadoop.dfs.replication: 1\ncontainerized.master.env.FOO: bar\n\
             metrics.reporter.x.factory.class: y\nyarn.some-future-key: 3\n\
             security.kerberos.something: z\nenv.java.opts.all: -X\n",
        );
        let notices = c.check_keys();
        assert_eq!(
            notices,
            vec![
                KeyNotice::Unknown {
                    key: "taskmanager.numberOfTaskSlot".into(),
                    suggestion: Some("taskmanager.numberOfTaskSlots")
                },
                KeyNotice::Unknown {
                    key: "totally.unknown.key".into(),
                    suggestion: None
                },
            ]
        );
        assert_eq!(
            notices[0].to_string(),
            "unknown configuration key 'taskmanager.numberOfTaskSlot' is ignored; did you mean 'taskmanager.numberOfTaskSlots'?"
        );
        // A typo inside a partly-known namespace still warns.
        let c = yaml("yarn.appmaster.vcore: 2\n");
        assert_eq!(
            c.check_keys(),
            vec![KeyNotice::Unknown {
                key: "yarn.appmaster.vcore".into(),
                suggestion: Some("yarn.appmaster.vcores")
            }]
        );
    }

    #[test]
    fn flat_yaml_round_trips() {
        let mut c = yaml(
            "taskmanager:\n  numberOfTaskSlots: 4\nyarn.ship-files: [a, b]\nweird: \"x: y # z\"\n\
             num-string: '007'\nempty-string: ''\nenv.java.opts.all: \"-Da=b -Dc='d'\"\n",
        );
        c.set(&options::PARALLELISM_DEFAULT, &3, "-p");
        let text = c.to_yaml_flat();
        let back =
            Configuration::from_yaml_flat(&text, ConfigSource::Set("shipped".into())).unwrap();
        assert_eq!(back.to_map(), c.to_map(), "{text}");
        assert_eq!(back.get_string("num-string"), Some("007"));
        assert_eq!(Configuration::new().to_yaml_flat(), "");
    }

    #[test]
    fn with_prefix_strips_the_prefix() {
        let c = yaml(
            "containerized.master.env.A: 1\ncontainerized.master.env.B: 2\ncontainerized.taskmanager.env.C: 3\n",
        );
        let m = c.with_prefix("containerized.master.env.");
        assert_eq!(m.len(), 2);
        assert_eq!(m["A"], "1");
    }

    #[test]
    fn loading_from_a_directory_prefers_config_yaml() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Configuration::load_from_dir(dir.path()).unwrap().is_empty());
        std::fs::write(
            dir.path().join("flink-conf.yaml"),
            "parallelism.default: 5\n",
        )
        .unwrap();
        let c = Configuration::load_from_dir(dir.path()).unwrap();
        assert_eq!(c.get(&options::PARALLELISM_DEFAULT).unwrap(), 5);
        std::fs::write(
            dir.path().join("config.yaml"),
            "parallelism:\n  default: 6\n",
        )
        .unwrap();
        let c = Configuration::load(Some(dir.path()), &["rest.port=9000".into()]).unwrap();
        assert_eq!(c.get(&options::PARALLELISM_DEFAULT).unwrap(), 6);
        assert_eq!(c.get(&options::REST_PORT).unwrap(), 9000);
        let src = &c.get_entry("parallelism.default").unwrap().source;
        assert_eq!(src, &ConfigSource::File(dir.path().join("config.yaml")));
        let missing = dir.path().join("nope");
        let e = Configuration::load_from_dir(&missing).unwrap_err();
        assert!(e.to_string().contains("set FLINK_CONF_DIR"), "{e}");
    }
}
