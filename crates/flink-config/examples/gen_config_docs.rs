//! Writes docs/configuration.md from the option registry:
//! `cargo run -p flink-config --example gen_config_docs`.

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, flink_config::docs::render_markdown())?;
    println!("wrote {}", path.display());
    Ok(())
}
