//! Compiles the Hadoop/YARN `.proto` files with the pure-Rust `protox` compiler and prost-build.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "RpcHeader.proto",
    "IpcConnectionContext.proto",
    "ProtobufRpcEngine2.proto",
    "Security.proto",
    "yarn_protos.proto",
    "yarn_service_protos.proto",
    "yarn_security_token.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    for p in PROTOS {
        println!("cargo:rerun-if-changed={}", dir.join(p).display());
    }
    let fds = protox::compile(PROTOS, [&dir])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
