//! `uniffi-bindgen`, pinned to the workspace's uniffi so generated code matches the library.
fn main() {
    uniffi::uniffi_bindgen_main()
}
