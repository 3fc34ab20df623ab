//! Learn mode (`ClientBuilder::record_usage`, `MIKOPBX_RECORD_USAGE`) against the simulator over
//! TLS: what is recorded and when, once per client, escape-hatch requests by their permission
//! key, nothing secret in the file, a file that cannot be written never failing a call, and the
//! parser. The variable itself is tested where a process can own its environment: the CLI's and
//! the bindings' tests.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use mikopbx::usage::{self, Usage, UsageError};
use mikopbx::{ErrorKind, HttpMethod, NetworkFilter, Permissions, Resource};

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn records_each_operation_once_with_the_escape_hatch_by_permission_key() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.txt");
    let c = builder(&sim, sim.admin_key().to_string())
        .record_usage(&file)
        .build()
        .unwrap();
    c.extensions()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap();
    c.extensions()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap();
    c.system().ping().await.unwrap();
    // A path of the table runs, and is recorded, as that operation.
    c.request(HttpMethod::Get, "/pbxcore/api/v3/extensions?limit=1", None)
        .await
        .unwrap();
    // A module's endpoint (the simulator has none: 404): sent, so recorded, by its permission
    // key only: no query, no record id, no action.
    for path in [
        "/pbxcore/api/v3/module-example/tasks?search=SECRET-QUERY",
        "/pbxcore/api/v3/module-example/tasks/TASK-12:run",
    ] {
        let e = c.request(HttpMethod::Get, path, None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
    assert_eq!(
        lines(&file),
        [
            usage::HEADER,
            "extensions.list",
            "system.ping",
            "GET /api/v3/module-example/tasks",
        ]
    );
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in [sim.admin_key(), "SECRET-QUERY", "TASK-12", "run"] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // Another client (or process) appends to the same file; the reader returns each entry once.
    let other = builder(&sim, sim.admin_key().to_string())
        .record_usage(&file)
        .build()
        .unwrap();
    other
        .extensions()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap();
    other
        .cdr()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap();
    let all = lines(&file);
    assert_eq!(all.iter().filter(|l| *l == usage::HEADER).count(), 1);
    assert_eq!(all.iter().filter(|l| *l == "extensions.list").count(), 2);
    let entries = usage::read(&file).unwrap();
    let names: Vec<String> = entries.iter().map(Usage::line).collect();
    assert_eq!(
        names,
        [
            "extensions.list",
            "system.ping",
            "GET /api/v3/module-example/tasks",
            "cdr.list"
        ]
    );
    let needs = usage::needs(&entries);
    assert_eq!(
        needs.permissions,
        Permissions::none()
            .grant(Resource::Extensions, mikopbx::Access::Read)
            .grant(Resource::Cdr, mikopbx::Access::Read)
            .grant_path("/api/v3/module-example/tasks", mikopbx::Access::Read)
            .unwrap()
    );
    assert!(needs.full_only.is_empty());
    sim.shutdown().await;
}

/// What `--from-usage` needs: calls the key cannot make are recorded, whether the PBX refused
/// them or the pre-check did; calls this client would never send are not.
#[tokio::test]
async fn refused_calls_are_recorded_and_unsendable_ones_are_not() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let narrow = Permissions::none().grant(Resource::Extensions, mikopbx::Access::Read);
    let (key, _) = create_key(&sim, Some(narrow.clone()), NetworkFilter::Any).await;

    // Refused by the PBX (401 for a missing permission).
    let by_server = dir.path().join("server.txt");
    let c = builder(&sim, key.clone())
        .record_usage(&by_server)
        .build()
        .unwrap();
    c.extensions()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap();
    let e = c.employees().list(Default::default()).collect_all().await;
    assert!(e.is_err(), "the key cannot read employees");
    // Never sent: a dangerous action, a missing id, a malformed path.
    let e = c.system().reboot().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let e = c.employees().get("").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let e = c
        .request(HttpMethod::Get, "/pbxcore/api/v3/../x", None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert_eq!(
        lines(&by_server),
        [usage::HEADER, "extensions.list", "employees.list"]
    );

    // Refused by the pre-check (the key's permissions known to the client): recorded too.
    let local = dir.path().join("local.txt");
    let c = builder(&sim, key)
        .permissions(narrow)
        .record_usage(&local)
        .build()
        .unwrap();
    let e = c
        .cdr()
        .list(Default::default())
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let e = c
        .request(
            HttpMethod::Post,
            "/pbxcore/api/v3/module-example/tasks",
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(
        lines(&local),
        [
            usage::HEADER,
            "cdr.list",
            "POST /api/v3/module-example/tasks"
        ]
    );
    sim.shutdown().await;
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_written_never_fails_a_call() {
    // The test runtime runs on this thread, so the subscriber sees the client's warnings.
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be, and a file under a missing directory.
    for file in [dir.path().to_owned(), dir.path().join("missing/usage.txt")] {
        let c = builder(&sim, sim.admin_key().to_string())
            .record_usage(&file)
            .build()
            .unwrap();
        c.extensions()
            .list(Default::default())
            .collect_all()
            .await
            .unwrap();
        c.cdr()
            .list(Default::default())
            .collect_all()
            .await
            .unwrap();
        c.extensions()
            .list(Default::default())
            .collect_all()
            .await
            .unwrap();
    }
    assert!(!dir.path().join("missing").exists());
    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        logged.matches("cannot write the usage file").count(),
        2,
        "one warning per client: {logged}"
    );
    sim.shutdown().await;
}

#[test]
fn the_reader_names_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.txt");
    std::fs::write(
        &file,
        format!("{}\nextensions.list\nextensions.lisst\n", usage::HEADER),
    )
    .unwrap();
    let e = usage::read(&file).unwrap_err();
    match &e {
        UsageError::Line { line, text, .. } => {
            assert_eq!((*line, text.as_str()), (3, "extensions.lisst"));
        }
        other => panic!("{other:?}"),
    }
    let shown = e.to_string();
    assert!(
        shown.contains("usage.txt: line 3: unknown operation"),
        "{shown}"
    );
    let e = usage::read(dir.path().join("none.txt")).unwrap_err();
    assert!(matches!(e, UsageError::Read { .. }), "{e:?}");
    // The option by name, as the bindings pass it.
    let options = serde_json::json!({"record_usage": ""});
    let e = mikopbx::ClientBuilder::new("https://127.0.0.1")
        .options(options.as_object().unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("record_usage"), "{e}");
}
