//! `client.calls().originate(from, to)` against the simulator's AJAM listener over TLS: the
//! exact AMI recipe of the facts reaches Asterisk (channel, context, `pt1c_cid`, ChannelId),
//! the call it places carries the returned linkedid through pbx-status and the CDR, bad
//! numbers are refused before anything is sent, a refused login and a manager without
//! `originate` are typed errors, the Asterisk port is verified (its own pin too), and the
//! manager's secret appears nowhere: not in the URL, not in `Debug`, not in errors.
//!
//! Managers are created with bare REST requests in the server's wire format (the `permissions`
//! object of 26 booleans, `SaveRecordAction.php:318-368`), independent of the SDK's own
//! `asterisk_managers()` API.

mod common;

use std::time::Duration;

use common::raw_http;
use mikopbx::{CdrQuery, Client, ClientBuilder, ErrorKind};
use mikopbx_sim::{RunningSimulator, Simulator};
use serde_json::{Value, json};

const SECRET: &str = "Ajam-Test-Secret-7f3e9a";

async fn sim() -> RunningSimulator {
    Simulator::builder()
        .cdr_records(200)
        .start()
        .await
        .expect("sim")
}

/// Creates a manager through REST with the admin key; returns the created record.
async fn create_manager(
    sim: &RunningSimulator,
    username: &str,
    rights: &[&str],
    networkfilterid: &str,
) -> Value {
    let mut permissions = serde_json::Map::new();
    for class in [
        "call",
        "cdr",
        "originate",
        "reporting",
        "agent",
        "config",
        "dialplan",
        "dtmf",
        "log",
        "system",
        "user",
        "verbose",
        "command",
    ] {
        for access in ["read", "write"] {
            let key = format!("{class}_{access}");
            permissions.insert(key.clone(), json!(rights.contains(&key.as_str())));
        }
    }
    let body = json!({
        "username": username,
        "secret": SECRET,
        "permissions": permissions,
        "networkfilterid": networkfilterid,
        "description": "click-to-call test",
    })
    .to_string();
    let request = format!(
        "POST /pbxcore/api/v3/asterisk-managers HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        sim.admin_key(),
        body.len()
    );
    let (status, _, answer) = raw_http(sim, &request).await;
    let v: Value = serde_json::from_slice(&answer).expect("JSON");
    assert!(
        (200..300).contains(&status) && v["result"] == json!(true),
        "{status} {v}"
    );
    v["data"].clone()
}

fn ajam_port(sim: &RunningSimulator) -> u16 {
    let url = sim.ajam_url().expect("AJAM listener");
    url.rsplit(':').next().unwrap().parse().unwrap()
}

fn builder(sim: &RunningSimulator, username: &str, secret: &str) -> ClientBuilder {
    common::builder(sim, sim.admin_key().to_string())
        .asterisk_manager(username, secret)
        .ajam_port(ajam_port(sim))
}

async fn advance(sim: &RunningSimulator, ms: u64) {
    let (status, text) =
        common::post_control(sim, "clock", &json!({ "advance_ms": ms }).to_string()).await;
    assert_eq!(status, 200, "{text}");
}

#[tokio::test]
async fn originate_sends_the_recipe_and_the_call_carries_the_linkedid() {
    let sim = sim().await;
    create_manager(&sim, "crm-dialer", &["originate_write", "call_read"], "4").await;
    let client = builder(&sim, "crm-dialer", SECRET).build().unwrap();

    let linkedid = client
        .calls()
        .originate("201", "+79161234567")
        .await
        .expect("originate");
    assert!(
        linkedid.starts_with("sdk-") && linkedid.len() == 36,
        "{linkedid}"
    );

    let log = sim.ajam_log();
    let originates = log["originates"].as_array().expect("originates");
    assert_eq!(originates.len(), 1, "{log}");
    let o = &originates[0];
    assert_eq!(o["username"], "crm-dialer");
    assert_eq!(o["channel"], "Local/201@internal-originate");
    assert_eq!(o["context"], "all_peers");
    // `+` arrived as `+` (form-encoded as %2B; a bare `+` would decode to a space).
    assert_eq!(o["exten"], "+79161234567");
    assert_eq!(o["callerid"], "201");
    assert_eq!(o["variables"], json!(["pt1c_cid=+79161234567"]));
    assert_eq!(o["channel_id"], json!(linkedid));
    assert_eq!(o["linkedid"], json!(linkedid));
    assert_eq!(log["secrets_in_url"], 0, "the secret travelled in a URL");

    // The call rings, is answered, ends, and its CDR row carries the linkedid.
    let live = client.pbx_status().active_channels().await.unwrap();
    assert!(live.iter().any(|c| c.linkedid == linkedid), "{live:?}");
    advance(&sim, 20_000).await;
    assert!(
        !client
            .pbx_status()
            .active_channels()
            .await
            .unwrap()
            .iter()
            .any(|c| c.linkedid == linkedid)
    );
    let rows = client
        .cdr()
        .list(CdrQuery {
            linkedid: Some(linkedid.clone()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].src_num, "201");
    assert_eq!(rows[0].dst_num, "+79161234567");
    assert_eq!(rows[0].disposition, "ANSWERED");
}

#[tokio::test]
async fn numbers_that_could_inject_are_refused_before_sending() {
    let sim = sim().await;
    create_manager(&sim, "crm-dialer", &["originate_write"], "4").await;
    let client = builder(&sim, "crm-dialer", SECRET).build().unwrap();
    for (from, to) in [
        ("201", "79161234567,__peer_mobile=1"),
        ("201", "7916\r\nAction: Command"),
        ("201@internal", "79161234567"),
        ("201", "+7 916 123-45-67"),
    ] {
        let e = client.calls().originate(from, to).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{from:?} {to:?}: {e}");
        assert_eq!(e.operation(), Some("calls.originate"));
    }
    assert_eq!(sim.ajam_log()["originates"], json!([]));
}

#[tokio::test]
async fn refused_logins_and_missing_rights_are_typed() {
    let sim = sim().await;
    create_manager(&sim, "crm-dialer", &["originate_write"], "4").await;
    create_manager(&sim, "crm-reader", &["call_read"], "4").await;

    let wrong = builder(&sim, "crm-dialer", "not-the-secret")
        .build()
        .unwrap();
    let e = wrong.calls().originate("201", "101").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("network filter"), "{e}");

    // Filter 4 denies every address but 127.0.0.1: from 127.0.0.2 the same login fails.
    let elsewhere = builder(&sim, "crm-dialer", SECRET)
        .local_address(common::REMOTE)
        .build()
        .unwrap();
    let e = elsewhere.calls().originate("201", "101").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");

    let reader = builder(&sim, "crm-reader", SECRET).build().unwrap();
    let e = reader.calls().originate("201", "101").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("originate"), "{e}");

    let none = common::builder(&sim, sim.admin_key().to_string())
        .build()
        .unwrap();
    let e = none.calls().originate("201", "101").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert_eq!(sim.ajam_log()["originates"], json!([]));

    for text in [format!("{e}"), format!("{e:?}"), format!("{wrong:?}")] {
        assert!(
            !text.contains(SECRET) && !text.contains("not-the-secret"),
            "{text}"
        );
    }
    let b = builder(&sim, "crm-dialer", SECRET);
    assert!(!format!("{b:?}").contains(SECRET));
}

#[tokio::test]
async fn the_asterisk_port_is_verified_and_can_have_its_own_pin() {
    let sim = sim().await;
    create_manager(&sim, "crm-dialer", &["originate_write"], "4").await;
    let pem = std::fs::read(sim.state_dir().join("server.pem")).unwrap();
    let der = {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::from_pem_slice(&pem).unwrap()
    };
    let pin = mikopbx::transport::certificate_fingerprint(&der);

    let pinned = builder(&sim, "crm-dialer", SECRET)
        .pin_ajam_certificate_sha256(&pin)
        .unwrap()
        .build()
        .unwrap();
    pinned
        .calls()
        .originate("201", "101")
        .await
        .expect("pinned");

    let mismatched = builder(&sim, "crm-dialer", SECRET)
        .pin_ajam_certificate_sha256(&"00".repeat(32))
        .unwrap()
        .build()
        .unwrap();
    let e = mismatched
        .calls()
        .originate("201", "101")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert_eq!(e.tls_kind(), Some(mikopbx::TlsKind::PinMismatch), "{e}");

    // Without the simulator's CA, the Asterisk port is refused like the web port.
    let untrusted = Client::builder(sim.url())
        .asterisk_manager("crm-dialer", SECRET)
        .ajam_port(ajam_port(&sim))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = untrusted.calls().originate("201", "101").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert_eq!(
        sim.ajam_log()["originates"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn options_by_name_take_the_ami_login_and_refuse_half_of_it() {
    let opts = |v: Value| v.as_object().unwrap().clone();
    let b = Client::builder("https://127.0.0.1:1")
        .options(&opts(
            json!({"ami_username": "crm", "ami_secret": SECRET, "ajam_port": 18089}),
        ))
        .unwrap();
    assert!(!format!("{b:?}").contains(SECRET));
    b.build().expect("builds");
    let e = Client::builder("https://127.0.0.1:1")
        .options(&opts(json!({"ami_username": "crm"})))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let e = Client::builder("https://127.0.0.1:1")
        .options(&opts(json!({"ajam_port": 8089})))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}

#[tokio::test]
async fn a_manager_from_create_click_to_call_manager_can_originate() {
    let sim = sim().await;
    let admin = common::admin(&sim);
    let m = admin
        .asterisk_managers()
        .create_click_to_call_manager("crm-c2c", "4")
        .await
        .expect("created");
    let client = builder(&sim, &m.username, m.secret.expose_secret())
        .build()
        .unwrap();
    let linkedid = client
        .calls()
        .originate("205", "101")
        .await
        .expect("originate");
    assert_eq!(sim.ajam_log()["originates"][0]["linkedid"], json!(linkedid));
}
