//! OPERATIONS.md is generated from the operations table and must stay in sync with it.

#[test]
fn operations_md_matches_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/OPERATIONS.md");
    let header = "# Which permission does each call need?\n\nGenerated from `mikopbx::operations::OPERATIONS` \
                  (`mikopbx operations`). `allowed_paths` keys never carry the `/pbxcore` prefix; `write` \
                  includes `read`; the access follows the HTTP verb, as the server decides.\n\n";
    let expected = format!("{header}{}", mikopbx::operations::markdown_table());
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current != expected {
        if std::env::var_os("MIKOPBX_REGENERATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        } else {
            panic!(
                "{path} is out of date: run `MIKOPBX_REGENERATE_DOCS=1 cargo test -p mikopbx --test docs_table`"
            );
        }
    }
}

#[test]
fn client_and_pager_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<mikopbx::Client>();
    send_sync::<mikopbx::Error>();
    send::<mikopbx::Pager<mikopbx::CdrRecord>>();
}
