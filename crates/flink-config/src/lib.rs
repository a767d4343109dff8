//! # flink-config
//!
//! Flink's configuration for flink-rs, with Flink's key names:
//!
//! * [`Configuration`]: a flat map of dotted keys to string values that
//!   remembers where each value came from. Loaded from
//!   `$FLINK_CONF_DIR/config.yaml` (standard YAML; nested maps flatten to
//!   dotted keys, lists are stored `;`-joined) or, when that file is absent,
//!   the legacy flat `flink-conf.yaml`; then `-D key=value` overrides
//!   ([`parse_dynamic_property`]). [`Configuration::to_yaml_flat`] freezes the
//!   effective configuration for shipping to YARN containers.
//! * [`ConfigOption`]: typed, documented keys, all defined in [`options`].
//!   [`Configuration::get`] returns `Result<T, ConfigError>` whose message names
//!   the key, the bad value, its origin and the accepted form. Unknown keys are
//!   logged (with a "did you mean" suggestion), never an error; see
//!   [`Configuration::check_keys`] for the pass-through policy.
//! * Value formats ([`value`]): [`MemorySize`] (`1728m`, `4 gb`), durations
//!   (`10 s`, `1 min`, bare number = ms), booleans, numbers, enums, lists, maps.
//! * Typed structs with `validate()` for what every role needs ([`typed`]):
//!   [`FlinkConfig`] and its parts.
//! * [`docs::render_markdown`] generates `docs/configuration.md` from the registry.
//!
//! ```
//! use flink_config::{Configuration, ConfigSource, options};
//! let mut conf = Configuration::from_yaml_str(
//!     "taskmanager:\n  numberOfTaskSlots: 4\n",
//!     ConfigSource::File("config.yaml".into()),
//! ).unwrap();
//! conf.apply_dynamic_properties(&["parallelism.default=8".to_string()]).unwrap();
//! assert_eq!(conf.get(&options::TASK_MANAGER_NUM_TASK_SLOTS).unwrap(), 4);
//! assert_eq!(conf.get(&options::PARALLELISM_DEFAULT).unwrap(), 8);
//! assert_eq!(conf.get(&options::REST_PORT).unwrap(), 8081);
//! ```

pub mod configuration;
pub mod docs;
pub mod error;
pub mod option;
pub mod options;
pub mod registry;
pub mod typed;
pub mod value;

pub use configuration::{
    CONFIG_FILE, ConfigEntry, ConfigSource, Configuration, ENV_FLINK_CONF_DIR, KeyNotice,
    LEGACY_CONFIG_FILE, parse_dynamic_property,
};
pub use error::ConfigError;
pub use option::{AnyOption, ConfigOption};
pub use typed::*;
pub use value::{MemorySize, OptionValue, format_duration, parse_duration};
