//! Compiles proto/control.proto with the pure-Rust `protox` compiler (no
//! system protoc) and generates tonic clients and servers from it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/control.proto");
    let fds = protox::compile(["control.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
