//! One version number for every package: the Rust crates (the workspace's `version`, and the
//! `version` of each path dependency, which is what crates.io records), the Python wheel
//! (`pyproject.toml`), the Kotlin jar (`bindings/kotlin/pom.xml`, and the dependency the Kotlin
//! example declares on it) and the generated manifest. The Swift package has no version in its
//! files (SwiftPM takes it from the git tag). Bump them together; this test fails when they differ.

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The quoted value of `key = "…"` on the first line starting with `key` after the line `section`.
fn toml_value(text: &str, section: &str, key: &str) -> String {
    let mut lines = text.lines().skip_while(|l| l.trim() != section).skip(1);
    let line = lines
        .find(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .unwrap_or_else(|| panic!("no `{key} =` under {section}"));
    quoted_after(line, "=")
}

fn quoted_after(line: &str, marker: &str) -> String {
    let rest = &line[line
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {line}"))..];
    rest.split('"')
        .nth(1)
        .unwrap_or_else(|| panic!("no quoted value in {line}"))
        .to_owned()
}

/// The text of the first `<version>` after `<artifactId>artifact</artifactId>`.
fn pom_version(pom: &str, artifact: &str) -> String {
    let anchor = format!("<artifactId>{artifact}</artifactId>");
    let after = &pom[pom.find(&anchor).unwrap_or_else(|| panic!("no {anchor}"))..];
    let start = after.find("<version>").expect("a <version>") + "<version>".len();
    let end = after[start..].find("</version>").expect("</version>");
    after[start..start + end].trim().to_owned()
}

#[test]
fn every_package_has_the_same_version() {
    let version = env!("CARGO_PKG_VERSION");
    let cargo = read("Cargo.toml");
    let mut found = vec![(
        "Cargo.toml [workspace.package] version",
        toml_value(&cargo, "[workspace.package]", "version"),
    )];
    for dep in ["mikopbx", "mikopbx-sim", "mikopbx-macros"] {
        let line = cargo
            .lines()
            .find(|l| l.starts_with(&format!("{dep} = {{")))
            .unwrap_or_else(|| panic!("{dep} in [workspace.dependencies]"));
        found.push((
            "Cargo.toml [workspace.dependencies] path dependency",
            quoted_after(line, "version"),
        ));
    }
    found.push((
        "bindings/python/pyproject.toml [project] version",
        toml_value(
            &read("bindings/python/pyproject.toml"),
            "[project]",
            "version",
        ),
    ));
    found.push((
        "bindings/kotlin/pom.xml <version>",
        pom_version(&read("bindings/kotlin/pom.xml"), "mikopbx-sdk"),
    ));
    found.push((
        "examples/kotlin/pom.xml dependency on mikopbx-sdk",
        pom_version(&read("examples/kotlin/pom.xml"), "mikopbx-sdk"),
    ));
    let manifest = read("crates/mikopbx/manifest.json");
    let line = manifest
        .lines()
        .find(|l| l.contains("\"sdk_version\""))
        .expect("sdk_version in manifest.json");
    found.push((
        "crates/mikopbx/manifest.json sdk_version",
        quoted_after(line, ":"),
    ));

    let wrong: Vec<String> = found
        .iter()
        .filter(|(_, v)| v != version)
        .map(|(place, v)| format!("{place} is {v}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "every package must carry version {version} (crates/mikopbx's): {}",
        wrong.join("; ")
    );
}
