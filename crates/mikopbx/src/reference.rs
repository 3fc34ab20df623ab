//! `docs/api.md`, the API reference: every operation of [`OPERATIONS`] with its method in each
//! language, its path, permission, retry rule and danger, and the server's endpoints it does not
//! cover yet (reachable through [`Client::request`](crate::Client::request)). Generated, with a
//! drift test (`crates/mikopbx/tests/docs_table.rs`).
//!
//! The method names follow each binding's rule, all derived from the manifest: Rust and Python
//! keep the snake_case names (`client.call_queues().get_default()`, `client.call_queues
//! .get_default()`), Kotlin and Swift camelCase them (`client.callQueues().getDefault()`), and
//! lists are iterators in Python, `<method>Flow` in Kotlin and `<method>Items` in Swift
//! (`bindings/ffi/wrappers.py`). Each binding's parity test holds it to those names.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::describe::{ParamIn, Returns};
use crate::operations::{OPERATIONS, OperationSpec};

/// Endpoints reached only through a hand-written helper, not as operations of the table
/// (`cdr.recording` downloads through `cdr:download` with the token it asks for).
const BEHIND_HELPERS: &[&OperationSpec] = &[&crate::recordings::CDR_DOWNLOAD];

/// One endpoint the server declares: a row of `docs/server-endpoints.tsv`.
struct Endpoint<'a> {
    resource: &'a str,
    method: &'a str,
    path: &'a str,
    action: &'a str,
    public: bool,
    notes: &'a str,
}

fn endpoints(tsv: &str) -> Vec<Endpoint<'_>> {
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let c: Vec<&str> = line.split('\t').collect();
            Some(Endpoint {
                resource: c.first()?,
                method: c.get(1)?,
                path: c.get(2)?,
                action: c.get(3)?,
                public: c.get(5).is_some_and(|p| *p == "yes"),
                notes: c.get(6).copied().unwrap_or(""),
            })
        })
        .collect()
}

fn camel(name: &str) -> String {
    let mut parts = name.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for p in parts {
        let mut chars = p.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The method's arguments as each language takes them: `(rust, python, kotlin, swift)`.
fn arguments(op: &OperationSpec) -> (String, String, String, String) {
    let mut rust = Vec::new();
    let mut python = Vec::new();
    let mut swift = Vec::new();
    for p in op.params {
        rust.push(p.name.to_owned());
        swift.push(format!("{}:", camel(p.name)));
        // Python takes a struct argument's fields as keyword arguments.
        python.push(if p.model.is_some() || p.location == ParamIn::Query {
            format!("**{}", p.ty)
        } else {
            p.name.to_owned()
        });
    }
    let kotlin = rust.iter().map(|a| camel(a)).collect::<Vec<_>>().join(", ");
    (rust.join(", "), python.join(", "), kotlin, swift.concat())
}

fn method_cells(op: &OperationSpec) -> [String; 4] {
    let (rust, python, kotlin, swift) = arguments(op);
    let handle = camel(op.handle);
    let method = camel(op.method_name);
    let list = op.returns.form == Returns::Pager;
    let (kotlin_method, swift_method) = if list {
        (format!("{method}Flow"), format!("{method}Items"))
    } else {
        (method.clone(), method)
    };
    [
        format!("`{}().{}({rust})`", op.handle, op.method_name),
        format!("`{}.{}({python})`", op.handle, op.method_name),
        format!("`{handle}().{kotlin_method}({kotlin})`"),
        format!("`{handle}().{swift_method}({swift})`"),
    ]
}

/// The reference, in Markdown; `server_endpoints` is `docs/server-endpoints.tsv`.
pub fn markdown(server_endpoints: &str) -> String {
    let server = endpoints(server_endpoints);
    let covers = |e: &Endpoint<'_>| {
        OPERATIONS
            .iter()
            .copied()
            .chain(BEHIND_HELPERS.iter().copied())
            .any(|op| op.method.as_str() == e.method && op.path_template == e.path)
    };
    let covered = server.iter().filter(|e| covers(e)).count();
    let mut by_resource: BTreeMap<&str, Vec<&OperationSpec>> = BTreeMap::new();
    for &op in OPERATIONS.iter() {
        by_resource
            .entry(op.resource.segment())
            .or_default()
            .push(op);
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# API reference\n\n\
         Generated from the operations table (one `api!` block per resource in \
         `crates/mikopbx/src/resources/`) and the server's endpoint list \
         (`docs/server-endpoints.tsv`, read from the controllers of MikoPBX 2026.1.223); do not \
         edit. `MIKOPBX_REGENERATE_DOCS=1 cargo test -p mikopbx --test docs_table` rewrites it.\n\n\
         **{} operations** in {} resources. Of the server's **{} endpoints**, {} are typed here; \
         the others are listed at the end and reachable through the escape hatch \
         `client.request(method, path, body)`, with the same permission check, retries and \
         typed errors.\n",
        OPERATIONS.len(),
        by_resource.len(),
        server.len(),
        covered
    );
    out.push_str(
        "Each method is on the resource handle of the client: Rust `client.call_queues().get(id)` \
         (`async`), Python `client.call_queues.get(id)` (`await` it on `AsyncClient`; `**Model` \
         means the model's fields as keyword arguments), Kotlin `client.callQueues().get(id)` \
         (`suspend`), Swift `try await client.callQueues().get(id:)`. A list is a pager in Rust, \
         an iterator of records in Python (async iterator on `AsyncClient`), a `Flow` in Kotlin \
         and an `AsyncSequence` in Swift; the Kotlin and Swift cursors (`list(query)`) are there \
         too. Beyond the table, each language also has `calls.watch` (live call events), \
         `calls.originate` (click-to-call over AJAM), `cdr.recording` (a call's recording), \
         `api_keys.create_for` and `asterisk_managers.create_click_to_call_manager` \
         (least-privilege provisioning) and `request` (see the README).\n\n\
         *permission*: the `allowed_paths` key and access an API key needs (or public). \
         *retried*: whether the client may resend it after an ambiguous failure (a dropped \
         connection, a 5xx); the others are resent only on a 503, which the PBX answers before \
         doing anything. *dangerous*: refused unless the client was built with \
         `allow_dangerous_actions`.\n",
    );
    for (segment, ops) in &by_resource {
        let resource = ops[0].resource;
        let _ = writeln!(
            out,
            "\n## {segment}: {}\n\n\
             | operation | HTTP | permission | retried | Rust | Python | Kotlin | Swift | what |\n\
             |---|---|---|---|---|---|---|---|---|",
            resource.label()
        );
        for op in ops {
            let path = op
                .path_template
                .strip_prefix("/pbxcore/api/v3")
                .unwrap_or(op.path_template);
            let permission = if op.public {
                "public".to_owned()
            } else {
                format!("`{}` {}", op.allowed_path(), op.access.as_str())
            };
            let what = if op.dangerous {
                format!("**dangerous**: {}", op.summary)
            } else {
                op.summary.to_owned()
            };
            let [rust, python, kotlin, swift] = method_cells(op);
            let _ = writeln!(
                out,
                "| `{}` | {} `{path}` | {permission} | {} | {rust} | {python} | {kotlin} | {swift} | {what} |",
                op.name,
                op.method,
                if op.idempotent { "yes" } else { "no" },
            );
        }
    }

    let missing: Vec<&Endpoint<'_>> = server.iter().filter(|e| !covers(e)).collect();
    let _ = writeln!(
        out,
        "\n## Not typed yet: {} endpoints, through `client.request`\n\n\
         | resource | HTTP | path | server action | public | server notes |\n\
         |---|---|---|---|---|---|",
        missing.len()
    );
    for e in missing {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | `{}` | {} | {} |",
            e.resource,
            e.method,
            e.path,
            e.action,
            if e.public { "yes" } else { "" },
            e.notes.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_each_bindings_rule() {
        let op = crate::operations::find("call_queues.get_default").unwrap();
        let [rust, python, kotlin, swift] = method_cells(op);
        assert_eq!(rust, "`call_queues().get_default()`");
        assert_eq!(python, "`call_queues.get_default()`");
        assert_eq!(kotlin, "`callQueues().getDefault()`");
        assert_eq!(swift, "`callQueues().getDefault()`");
        let list = crate::operations::find("call_queues.list").unwrap();
        let [_, python, kotlin, swift] = method_cells(list);
        assert_eq!(python, "`call_queues.list(**CallQueueQuery)`");
        assert_eq!(kotlin, "`callQueues().listFlow(query)`");
        assert_eq!(swift, "`callQueues().listItems(query:)`");
    }

    #[test]
    fn endpoints_the_table_covers_are_not_listed_as_missing() {
        let tsv = "resource\tmethod\tpath\taction\tkind\tpublic\tnotes\n\
                   system\tGET\t/pbxcore/api/v3/system:ping\tping\tcustom-collection\tyes\t\n\
                   module\tGET\t/pbxcore/api/v3/nothing:here\tx\tcustom-collection\tno\ta|b\n";
        let md = markdown(tsv);
        assert!(
            md.contains("Of the server's **2 endpoints**, 1 are typed here"),
            "{md}"
        );
        assert!(md.contains("## Not typed yet: 1 endpoints"), "{md}");
        assert!(md.contains("`/pbxcore/api/v3/nothing:here`"), "{md}");
        assert!(md.contains("a\\|b"), "escaped pipe");
    }
}
