//! No second TLS stack may enter the build: rustls with ring only.

#[test]
fn no_forbidden_tls_stacks_in_cargo_lock() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"))
        .expect("Cargo.lock at the workspace root");
    for banned in [
        "aws-lc-rs",
        "aws-lc-sys",
        "aws-lc-fips-sys",
        "openssl",
        "openssl-sys",
        "native-tls",
        "tokio-native-tls",
        "hyper-tls",
    ] {
        let needle = format!("name = \"{banned}\"");
        assert!(!lock.contains(&needle), "{banned} is in Cargo.lock");
    }
    assert!(
        lock.contains("name = \"ring\""),
        "ring is the crypto provider"
    );
}
