//! The `flink-rs` executable: every role of flink-rs, with the built-in
//! example programs registered.

fn main() -> std::process::ExitCode {
    let mut registry = flink_rs::ProgramRegistry::new();
    flink_examples::register_examples(&mut registry);
    flink_rs::main_with_registry(registry)
}
