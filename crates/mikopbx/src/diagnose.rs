//! Narrowing down a 401.
//!
//! MikoPBX answers 401 "The user isn't authenticated." for a wrong key, a missing permission and a
//! refused source address alike. The client narrows it down from what it knows (the key's
//! permissions and network filter, given or read from `api-keys`), from whether the PBX sees it as
//! localhost, from a cheap probe of an operation the key should hold, and from the server's ID
//! quirk. It never guesses silently: the diagnosis lists what was ruled out and what remains.

use crate::client::Client;
use crate::error::{DenialOrigin, Diagnosis, Error, UnauthorizedCause};
use crate::operations::{self, OperationSpec};
use crate::permissions::{Access, NetworkFilter, Permissions, Resource, normalize_path};

pub(crate) fn undiagnosed() -> Diagnosis {
    Diagnosis {
        cause: UnauthorizedCause::Undetermined,
        ruled_out: Vec::new(),
        remaining: vec![
            "a wrong or revoked key".into(),
            "a missing permission".into(),
            "a network filter that refuses this address".into(),
        ],
        advice: "Run `mikopbx doctor` to narrow it down".into(),
    }
}

pub(crate) fn id_quirk_error(op: &OperationSpec, path: &str, status: Option<u16>) -> Error {
    let last = path.rsplit('/').next().unwrap_or("");
    Error::Unauthorized {
        messages: Vec::new(),
        operation: Some(op.name.to_owned()),
        status,
        diagnosis: Diagnosis {
            cause: UnauthorizedCause::IdQuirk,
            ruled_out: vec![format!(
                "a missing permission (the key holds {} on {})",
                op.access, op.resource
            )],
            remaining: Vec::new(),
            advice: format!(
                "The PBX does not recognise {last:?} as a record id (ids ending in A–F fail its check), so it refuses every key without full permissions on that record. Use a key with full permissions for this call"
            ),
        }.into(),
    }
}

/// A cheap read of a resource, used as a probe: the resource's first read in the table that
/// needs no id (a list asked for one item, or an action without arguments).
fn cheap_read(resource: Resource) -> Option<(&'static OperationSpec, Vec<(String, String)>)> {
    use crate::describe::Returns;
    let reads = operations::OPERATIONS.iter().copied().filter(|o| {
        o.resource == resource && o.access == Access::Read && !o.needs_id() && !o.public
    });
    let mut fallback = None;
    for op in reads {
        match op.returns.form {
            Returns::Pager => {
                let one = vec![
                    ("limit".to_owned(), "1".to_owned()),
                    ("offset".to_owned(), "0".to_owned()),
                ];
                return Some((op, one));
            }
            _ if op.params.is_empty() && fallback.is_none() => fallback = Some((op, Vec::new())),
            _ => {}
        }
    }
    fallback
}

/// Probes a read. `Some(true)` accepted, `Some(false)` 401, `None` inconclusive (other failure).
pub(crate) async fn probe(client: &Client, resource: Resource) -> Option<bool> {
    let (op, query) = cheap_read(resource)?;
    match client.call_with(op, None, &query, None, false).await {
        Ok(_) => Some(true),
        Err(Error::Unauthorized { .. }) => Some(false),
        // 403 from a JWT ACL or anything else: says nothing about the key.
        Err(_) => None,
    }
}

/// Reads the key's own record from `api-keys` (works when the key may read `api-keys`).
pub(crate) async fn read_own_permissions(client: &Client) -> Option<Permissions> {
    let key = client.api_key()?;
    let display = key.key_display();
    let query = vec![
        ("limit".to_owned(), "1000".to_owned()),
        ("offset".to_owned(), "0".to_owned()),
    ];
    let reply = client
        .call_with(
            &crate::resources::api_keys::API_KEYS_LIST,
            None,
            &query,
            None,
            false,
        )
        .await
        .ok()?;
    let page = crate::client::split_list(
        crate::resources::api_keys::API_KEYS_LIST.shape,
        reply.envelope.data(),
    );
    for item in page.items {
        let info: crate::resources::api_keys::ApiKeyInfo = serde_json::from_value(item).ok()?;
        if info.key_display == display {
            // List rows are summaries (no allowed_paths, no networkfilterid): read the record.
            let reply = client
                .call_with(
                    &crate::resources::api_keys::API_KEYS_GET,
                    Some(&info.id),
                    &[],
                    None,
                    false,
                )
                .await
                .ok()?;
            let full: crate::resources::api_keys::ApiKeyInfo =
                serde_json::from_value(reply.envelope.data()).ok()?;
            return Some(full.permissions());
        }
    }
    None
}

pub(crate) async fn diagnose_401(client: &Client, op: &'static OperationSpec, path: &str) -> Error {
    let status = Some(401);
    if client.api_key().is_none() {
        return Error::Unauthorized {
            messages: Vec::new(),
            operation: None,
            status,
            diagnosis: Diagnosis {
                cause: UnauthorizedCause::NoKey,
                ruled_out: Vec::new(),
                remaining: Vec::new(),
                advice: format!(
                    "Without a key the PBX answers only requests from 127.0.0.1/::1, and this client connects from {}. Create a key in System → API Keys and set it (MIKOPBX_API_KEY / api_key)",
                    client.source_desc()
                ),
            }.into(),
        };
    }
    let mut ruled_out = vec!["TLS and reachability (the PBX answered)".to_owned()];
    let quirk_possible = normalize_path(path) != op.resource.allowed_path();

    let (known, how) = match client.permissions() {
        Some(p) => (Some(p.clone()), "the permissions given to the client"),
        None => (
            read_own_permissions(client).await,
            "the key's own record in api-keys",
        ),
    };

    if let Some(p) = known {
        if !p.allows(op) {
            return Error::PermissionDenied {
                operation: None,
                status,
                resource: Some(op.resource),
                allowed_path: op.resource.allowed_path(),
                required: op.access,
                granted: p.access_for(op.resource),
                origin: DenialOrigin::Server,
            };
        }
        if !p.allows_request(op.method, path) {
            return id_quirk_error(op, path, status);
        }
        if p.network() == Some(&NetworkFilter::Localhost) && !client.is_localhost_source() {
            return Error::NetworkRestricted {
                operation: None,
                status,
                filter: NetworkFilter::Localhost,
                source_desc: client.source_desc().to_owned(),
            };
        }
        ruled_out.push(format!(
            "a missing permission ({how} grant {} on {})",
            op.access, op.resource
        ));
        // Probe something else the key holds, from the same address.
        let probe_res = Resource::ALL
            .iter()
            .copied()
            .filter(|r| p.access_for(*r).is_some() && *r != op.resource)
            .chain(std::iter::once(op.resource).filter(|_| op.access == Access::Write))
            .find(|r| cheap_read(*r).is_some());
        let outcome = match probe_res {
            Some(r) => probe(client, r).await.map(|ok| (r, ok)),
            None => None,
        };
        return match outcome {
            Some((r, true)) => Error::Unauthorized {
                messages: Vec::new(),
                operation: None,
                status,
                diagnosis: Diagnosis {
                    cause: UnauthorizedCause::Undetermined,
                    ruled_out: {
                        ruled_out.push(format!("a wrong key (a read of {r} with it succeeded)"));
                        ruled_out.push("the network filter (same address)".into());
                        ruled_out
                    },
                    remaining: vec![format!(
                        "the key's permissions on the PBX differ from {how}: it may no longer hold {} on {}",
                        op.access, op.resource
                    )],
                    advice: format!(
                        "Check the key in System → API Keys: it needs {} on {}",
                        op.access, op.resource
                    ),
                }.into(),
            },
            Some((_, false)) | None if matches!(p.network(), Some(NetworkFilter::Id { .. })) => {
                // The key grants this operation (and the ID quirk is ruled out), it is known to be
                // limited to a network filter, and no other read it holds passed: the filter is
                // the known restriction. The message still mentions revocation.
                Error::NetworkRestricted {
                    operation: None,
                    status,
                    filter: p.network().cloned().unwrap_or(NetworkFilter::Any),
                    source_desc: client.source_desc().to_owned(),
                }
            }
            Some((r, false)) => match p.network() {
                Some(NetworkFilter::Any) => Error::Unauthorized {
                    messages: Vec::new(),
                    operation: None,
                    status,
                    diagnosis: Diagnosis {
                        cause: UnauthorizedCause::InvalidKey,
                        ruled_out: {
                            ruled_out
                                .push("the network filter (the key accepts any address)".into());
                            ruled_out
                        },
                        remaining: Vec::new(),
                        advice: format!(
                            "A read of {r}, which the key should hold, was refused too. Check the key for typos, or whether it was revoked, in System → API Keys"
                        ),
                    }.into(),
                },
                Some(NetworkFilter::Localhost) => Error::Unauthorized {
                    messages: Vec::new(),
                    operation: None,
                    status,
                    diagnosis: Diagnosis {
                        cause: UnauthorizedCause::InvalidKey,
                        ruled_out: {
                            ruled_out.push(
                                "the network filter (localhost key used from localhost)".into(),
                            );
                            ruled_out
                        },
                        remaining: Vec::new(),
                        advice: format!(
                            "A read of {r}, which the key should hold, was refused too. Check the key for typos, or whether it was revoked"
                        ),
                    }.into(),
                },
                other => Error::Unauthorized {
                    messages: Vec::new(),
                    operation: None,
                    status,
                    diagnosis: Diagnosis {
                        cause: UnauthorizedCause::Undetermined,
                        ruled_out,
                        remaining: vec![
                            "a wrong or revoked key".into(),
                            match other {
                                Some(f) => format!("{f} does not admit {}", client.source_desc()),
                                None => format!(
                                    "the key's network filter does not admit {}",
                                    client.source_desc()
                                ),
                            },
                        ],
                        advice: format!(
                            "A read of {r}, which the key should hold, was refused too. Check the key and its network filter in System → API Keys"
                        ),
                    }.into(),
                },
            },
            None => Error::Unauthorized {
                messages: Vec::new(),
                operation: None,
                status,
                diagnosis: Diagnosis {
                    cause: UnauthorizedCause::Undetermined,
                    ruled_out,
                    remaining: vec![
                        "a wrong or revoked key".into(),
                        format!("a network filter that refuses {}", client.source_desc()),
                    ],
                    advice: "Check the key and its network filter in System → API Keys".into(),
                }.into(),
            },
        };
    }

    // Nothing known about the key: probe reads that say something definite. A write refused
    // while a read of the same resource passes is a missing write permission; a passing
    // `system:checkAuth` proves the key and the address are fine. Reads of unrelated resources are
    // not tried: the client does not fish for permissions it was not told about.
    let mut probes: Vec<Resource> = Vec::new();
    if op.access == Access::Write || quirk_possible {
        probes.push(op.resource);
    }
    if op.resource != Resource::System {
        probes.push(Resource::System);
    }
    for r in probes {
        match probe(client, r).await {
            Some(true) => {
                ruled_out.push(format!("a wrong or revoked key (a read of {r} succeeded)"));
                ruled_out.push("the network filter (accepted from the same address)".into());
                if r == op.resource && op.access == Access::Write {
                    return Error::PermissionDenied {
                        operation: None,
                        status,
                        resource: Some(op.resource),
                        allowed_path: op.resource.allowed_path(),
                        required: Access::Write,
                        granted: Some(Access::Read),
                        origin: DenialOrigin::Server,
                    };
                }
                if r == op.resource && quirk_possible {
                    return id_quirk_error(op, path, status);
                }
                if !quirk_possible {
                    return Error::PermissionDenied {
                        operation: None,
                        status,
                        resource: Some(op.resource),
                        allowed_path: op.resource.allowed_path(),
                        required: op.access,
                        granted: None,
                        origin: DenialOrigin::Server,
                    };
                }
                return Error::Unauthorized {
                    messages: Vec::new(),
                    operation: None,
                    status,
                    diagnosis: Diagnosis {
                        cause: UnauthorizedCause::Undetermined,
                        ruled_out,
                        remaining: vec![
                            format!("a missing {} permission on {}", op.access, op.resource),
                            "the server's ID quirk (this id is not recognised as an id)".into(),
                        ],
                        advice: format!(
                            "Grant {} for {} in System → API Keys; if it is already granted, the record id trips the server's ID check and only a full-permission key can reach it",
                            op.access, op.resource
                        ),
                    }.into(),
                };
            }
            Some(false) | None => continue,
        }
    }
    Error::Unauthorized {
        messages: Vec::new(),
        operation: None,
        status,
        diagnosis: Diagnosis {
            cause: UnauthorizedCause::Undetermined,
            ruled_out,
            remaining: vec![
                "a wrong or revoked key".into(),
                format!(
                    "a network filter that refuses {}{}",
                    client.source_desc(),
                    if client.is_localhost_source() {
                        ""
                    } else {
                        " (a localhost-only key is refused from here)"
                    }
                ),
                format!(
                    "a missing permission ({} on {}; system:checkAuth was refused too)",
                    op.access, op.resource
                ),
            ],
            advice: "Give the client the key's permissions (including its network filter) so it can tell these apart, or run `mikopbx doctor`".into(),
        }.into(),
    }
}
