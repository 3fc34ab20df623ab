//! `sip:getPeersStatuses` and `sip:getRegistry`: is a phone or a trunk online
//! (mikopbx-api.md §5, `sip` bullet).
//!
//! Shapes from mikopbx/Core `src/PBXCoreREST/Lib/Sip/GetPeersStatusesAction.php`,
//! `GetRegistryAction.php` and `src/Core/Asterisk/AsteriskManager.php` (`getPjSipPeers`,
//! `getPjSipRegistry`, `getPjSipPeer`). The simulated Asterisk state is a pure function of the
//! current records: an employee's extension is registered unless its number is a multiple of 5
//! (205, 210, … stand for phones that are switched off), an outbound trunk is registered, an
//! inbound or unregistered trunk has no contact.
//!
//! Not simulated yet (the router's 404): `getStatuses`, `/{id}:getStatus`, `/{id}:getHistory`,
//! `/{id}:getStats` (they go through `Lib/Extensions/GetAllStatusesAction` and its Redis
//! caches), `/{id}:getSecret`, `/{id}:getAuthFailureStats` and the POST actions.

use serde_json::Value;

use super::Call;
use super::php::PhpVal;
use crate::envelope::ApiResult;

/// A PHP array in insertion order: the key order is part of the byte shape.
fn row(fields: &[(&str, &str)]) -> PhpVal {
    PhpVal::Obj(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), PhpVal::s(*v)))
            .collect(),
    )
}

/// A success whose data keeps PHP's key order.
fn ok(call: &Call<'_>, data: PhpVal) -> ApiResult {
    let mut r = call.ok(data.to_value());
    r.data_raw = Some(data.to_json());
    r
}

/// Whether the simulated phone on extension `number` has a live contact.
pub(crate) fn phone_registered(number: &str) -> bool {
    number.parse::<u64>().map_or(true, |n| n % 5 != 0)
}

/// `PJSIPShowEndpoints`' `DeviceState` of a simulated endpoint.
fn device_state(registered: bool) -> &'static str {
    if registered {
        "Not in use"
    } else {
        "Unavailable"
    }
}

/// `AsteriskManager::getPjSipPeers()`: `DeviceState` "Not in use", "In use", "Busy" and
/// "Ringing" map to `OK`, anything else (here "Unavailable") to `UNKNOWN`; the `anonymous`
/// endpoint is skipped. The list is the endpoints in the order Asterisk lists them (by name).
fn peer(id: &str, registered: bool) -> PhpVal {
    let detailed = device_state(registered);
    let state = if registered { "OK" } else { "UNKNOWN" };
    row(&[("id", id), ("state", state), ("detailed-state", detailed)])
}

/// One provider row of the sip-providers store: (uniqid, host, username, registration_type,
/// disabled).
fn providers(call: &Call<'_>) -> Vec<(String, String, String, String, bool)> {
    call.app.read(|s| {
        s.records
            .get("sip-providers")
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        let text = |k: &str| match &r[k] {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            v => v.to_string(),
                        };
                        // The model stores "0"/"1"; the simulator's catalog keeps booleans.
                        let disabled =
                            matches!(&r["disabled"], Value::Bool(true)) || r["disabled"] == "1";
                        (
                            text("uniqid"),
                            text("host"),
                            text("username"),
                            text("registration_type"),
                            disabled,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Whether a simulated trunk endpoint has a contact: only outbound registrations succeed.
fn trunk_registered(registration_type: &str) -> bool {
    registration_type == "outbound"
}

pub(crate) fn handle(call: &Call<'_>) -> ApiResult {
    match call.action {
        "getPeersStatuses" => {
            let mut endpoints: Vec<(String, bool)> = call.app.read(|s| {
                s.employees
                    .values()
                    .map(|e| (e.number.clone(), phone_registered(&e.number)))
                    .collect()
            });
            // Trunks are PJSIP endpoints named by their uniqid; a disabled one is not written
            // to pjsip.conf, so Asterisk does not list it.
            endpoints.extend(
                providers(call)
                    .into_iter()
                    .filter(|p| !p.4)
                    .map(|p| (p.0, trunk_registered(&p.3))),
            );
            endpoints.sort();
            ok(
                call,
                PhpVal::List(endpoints.iter().map(|(id, r)| peer(id, *r)).collect()),
            )
        }
        _ => {
            // getRegistry: first `PJSIPShowRegistrationsOutbound` (one row per outbound trunk:
            // id = ObjectName without "REG-", state = upper-cased Status, host from ServerUri,
            // username = ContactUser), then the providers loop: disabled → OFF; inbound/none →
            // the endpoint state, OK read as REGISTERED for inbound only; outbound rows are
            // already there (their id is set, so the fill-in loop changes nothing).
            let providers = providers(call);
            let mut rows: Vec<PhpVal> = providers
                .iter()
                .filter(|p| !p.4 && p.3 == "outbound")
                .map(|p| {
                    row(&[
                        ("id", &p.0),
                        ("state", "REGISTERED"),
                        ("host", &p.1),
                        ("username", &p.2),
                    ])
                })
                .collect();
            for (id, host, username, reg, disabled) in &providers {
                if *disabled {
                    rows.push(row(&[
                        ("state", "OFF"),
                        ("id", id),
                        ("username", username),
                        ("host", host),
                    ]));
                    continue;
                }
                if reg == "inbound" || reg == "none" {
                    let ok = trunk_registered(reg);
                    let state = match (ok, reg.as_str()) {
                        (true, "inbound") => "REGISTERED",
                        (true, _) => "OK",
                        _ => "UNKNOWN",
                    };
                    rows.push(row(&[
                        ("state", state),
                        ("id", id),
                        ("username", username),
                        ("host", host),
                    ]));
                }
            }
            ok(call, PhpVal::List(rows))
        }
    }
}

#[cfg(test)]
mod wire_tests {
    use crate::test_support::*;
    use crate::{RunningSimulator, Simulator};
    use serde_json::{Value, json};

    async fn sim() -> RunningSimulator {
        Simulator::builder().cdr_records(10).start().await.unwrap()
    }

    /// `getPjSipPeers()` rows, byte for byte: `id`, `state`, `detailed-state`, by endpoint name.
    #[tokio::test]
    async fn peers_statuses_shape() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "sip:getPeersStatuses"))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(
                r#"{"result":true,"data":[{"id":"201","state":"OK","detailed-state":"Not in use"},"#
            ),
            "{body}"
        );
        assert!(
            body.contains(r#"{"id":"205","state":"UNKNOWN","detailed-state":"Unavailable"}"#),
            "{body}"
        );
        assert!(
            body.contains(
                r#""processor":"MikoPBX\\PBXCoreREST\\Lib\\Sip\\GetPeersStatusesAction::main""#
            ),
            "{body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        let rows = v["data"].as_array().unwrap();
        assert_eq!(rows.len(), 52, "50 phones and 2 trunks");
        assert_eq!(v["function"], "getPeersStatuses");
        let trunk = rows
            .iter()
            .find(|r| r["id"] == "SIP-TRUNK-ABCDEF12")
            .unwrap();
        assert_eq!(trunk["state"], "OK");
        let backup = rows
            .iter()
            .find(|r| r["id"] == "SIP-TRUNK-ABCDEF1A")
            .unwrap();
        assert_eq!(backup["state"], "UNKNOWN");
    }

    /// `getRegistry`: outbound registrations first (`id,state,host,username`), then the
    /// providers loop's rows (`state,id,username,host`).
    #[tokio::test]
    async fn registry_shape() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, body) = send(c.get(api(&sim, "sip:getRegistry"))).await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.starts_with(concat!(
                r#"{"result":true,"data":[{"id":"SIP-TRUNK-ABCDEF12","state":"REGISTERED","host":"sip.example.net","username":"office"},"#,
                r#"{"state":"UNKNOWN","id":"SIP-TRUNK-ABCDEF1A","username":"office2","host":"backup.example.net"}],"#
            )),
            "{body}"
        );
        let (_, v) = json(c.get(api(&sim, "sip:getRegistry"))).await;
        assert_eq!(
            v["processor"],
            json!("MikoPBX\\PBXCoreREST\\Lib\\Sip\\GetRegistryAction::main")
        );
    }

    /// The verbs of `#[HttpMapping]`, and the actions not simulated yet.
    #[tokio::test]
    async fn verbs_and_unsimulated_actions() {
        let sim = sim().await;
        let c = client(&sim, LOCAL);
        let (s, _) = send(c.post(api(&sim, "sip:getPeersStatuses"))).await;
        assert_ne!(s, 200);
        // getStatus needs GetAllStatusesAction's Redis-backed extension statuses: not simulated,
        // so the route table does not list it and the router refuses it.
        let (s, _) = send(c.get(api(&sim, "sip/201:getStatus"))).await;
        assert_ne!(s, 200);
    }

    /// A key without `sip` is refused with the server's 401.
    #[tokio::test]
    async fn permissions() {
        let sim = sim().await;
        let (key, _) = make_key(
            &sim,
            json!({"description": "crm", "full_permissions": false,
                   "allowed_paths": {"/api/v3/sip": "read"}}),
        )
        .await;
        let c = client(&sim, REMOTE);
        let (s, _) = send(c.get(api(&sim, "sip:getPeersStatuses")).bearer_auth(&key)).await;
        assert_eq!(s, 200);
        let (other, _) = make_key(
            &sim,
            json!({"description": "other", "full_permissions": false,
                   "allowed_paths": {"/api/v3/extensions": "read"}}),
        )
        .await;
        let (s, text) = send(c.get(api(&sim, "sip:getRegistry")).bearer_auth(&other)).await;
        assert_eq!(s, 401);
        assert_401_shape(&text);
    }
}
