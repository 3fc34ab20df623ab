//! OPERATIONS.md and manifest.json are generated from the operations table and must stay in sync
//! with it, and so must docs/api.md. `MIKOPBX_REGENERATE_DOCS=1 cargo test -p mikopbx --test
//! docs_table` rewrites all three.

fn check_generated(path: &str, expected: &str) {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current != expected {
        if std::env::var_os("MIKOPBX_REGENERATE_DOCS").is_some() {
            std::fs::write(path, expected).unwrap();
        } else {
            panic!(
                "{path} is out of date: run `MIKOPBX_REGENERATE_DOCS=1 cargo test -p mikopbx --test docs_table`"
            );
        }
    }
}

/// The manifest the binding generators read (`scripts/generate-bindings.py`).
#[test]
fn manifest_json_matches_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.json");
    let mut text = serde_json::to_string_pretty(&mikopbx::describe::manifest_json()).unwrap();
    text.push('\n');
    check_generated(path, &text);
}

/// Every record field's type is a primitive, a container of primitives, or a model the manifest
/// carries: a generator never meets a type it cannot name.
#[test]
fn every_field_type_is_known() {
    let models = mikopbx::describe::models();
    let primitive = |t: &str| {
        matches!(
            t,
            "String"
                | "bool"
                | "i64"
                | "u64"
                | "u32"
                | "u16"
                | "Arc<ApiKey>"
                | "Arc<Secret>"
                | "Secret"
                | "NetworkFilter"
        ) || t.starts_with("HashMap<String,")
    };
    for m in models.values() {
        for f in m.fields() {
            let inner =
                f.ty.trim_start_matches("Option<")
                    .trim_start_matches("Vec<")
                    .trim_start_matches("Arc<")
                    .trim_end_matches('>');
            assert!(
                primitive(f.ty) || primitive(inner) || models.contains_key(inner),
                "{}.{}: type {} is neither primitive nor a model of the manifest",
                m.name,
                f.name,
                f.ty
            );
        }
    }
}

#[test]
fn operations_md_matches_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/OPERATIONS.md");
    let header = "# Which permission does each call need?\n\nGenerated from `mikopbx::operations::OPERATIONS` \
                  (`mikopbx operations`). `allowed_paths` keys never carry the `/pbxcore` prefix; `write` \
                  includes `read`; the access follows the HTTP verb, as the server decides.\n\n";
    let expected = format!("{header}{}", mikopbx::operations::markdown_table());
    check_generated(path, &expected);
}

/// `docs/api.md`: every operation in every language, and the server's endpoints not typed yet.
#[test]
fn api_reference_matches_the_table() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let endpoints = std::fs::read_to_string(format!("{root}/docs/server-endpoints.tsv"))
        .expect("docs/server-endpoints.tsv");
    check_generated(
        &format!("{root}/docs/api.md"),
        &mikopbx::reference::markdown(&endpoints),
    );
}

#[test]
fn client_and_pager_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<mikopbx::Client>();
    send_sync::<mikopbx::Error>();
    send::<mikopbx::Pager<mikopbx::CdrRecord>>();
}
