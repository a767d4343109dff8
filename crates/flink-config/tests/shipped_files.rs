//! The shipped `conf/config.yaml` parses with no unknown keys and valid
//! values, and the committed `docs/configuration.md` matches the registry.

use flink_config::{ConfigSource, Configuration, FlinkConfig, options};
use std::path::PathBuf;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn shipped_config_yaml_parses_without_unknown_keys() {
    let path = repo_root().join("conf/config.yaml");
    let conf = Configuration::load_file(&path).unwrap();
    assert!(conf.check_keys().is_empty(), "{:?}", conf.check_keys());
    assert!(
        conf.len() >= 8,
        "expected the documented defaults, got {}",
        conf.len()
    );
    let flink = FlinkConfig::from_configuration(&conf).unwrap();
    assert_eq!(flink.task_manager.number_of_task_slots, 1);
    assert_eq!(
        conf.get_optional(&options::TASK_MANAGER_MEMORY_PROCESS_SIZE)
            .unwrap()
            .map(|m| m.mebi_bytes()),
        Some(1728)
    );
    assert_eq!(
        conf.get_optional(&options::JOB_MANAGER_MEMORY_PROCESS_SIZE)
            .unwrap()
            .map(|m| m.mebi_bytes()),
        Some(1600)
    );
    // Every value must parse as its option's type.
    for (key, entry) in conf.iter() {
        let opt = flink_config::registry::find(key).unwrap();
        opt.validate_raw(&entry.value)
            .unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    // The frozen form reads back to the same map.
    let back =
        Configuration::from_yaml_flat(&conf.to_yaml_flat(), ConfigSource::Set("t".into())).unwrap();
    assert_eq!(back.to_map(), conf.to_map());
}

#[test]
fn generated_docs_are_up_to_date() {
    let path = repo_root().join("docs/configuration.md");
    let expected = flink_config::docs::render_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/configuration.md is stale: run `cargo run -p flink-config --example gen_config_docs`"
    );
    for key in [
        "taskmanager.numberOfTaskSlots",
        "yarn.ship-files",
        "high-availability.storageDir",
    ] {
        assert!(
            actual.contains(&format!("`{key}`")),
            "{key} missing from docs"
        );
    }
}
