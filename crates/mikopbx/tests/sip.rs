//! `sip`, the read side a CRM needs (is an agent's phone online, is the trunk registered),
//! against the simulator over real TLS. The shapes are the server's
//! (`src/PBXCoreREST/Lib/Sip/GetPeersStatusesAction.php`, `GetRegistryAction.php` and
//! `AsteriskManager::getPjSipPeers/getPjSipRegistry` in mikopbx/Core). The simulator's phones on
//! numbers that are multiples of 5 are switched off; its outbound trunk is registered.

mod common;

use common::*;
use mikopbx::{Access, ErrorKind, NetworkFilter, Permissions, Resource};

#[tokio::test]
async fn peers_statuses_and_registry() {
    let sim = sim().await;
    let c = admin(&sim);
    let peers = c.sip().peers_statuses().await.unwrap();
    assert_eq!(peers.len(), 52, "50 phones and 2 trunks");
    let p201 = peers.iter().find(|p| p.id == "201").unwrap();
    assert_eq!(
        (p201.state.as_str(), p201.detailed_state.as_str()),
        ("OK", "Not in use")
    );
    assert!(p201.extra.is_empty(), "{:?}", p201.extra);
    let p205 = peers.iter().find(|p| p.id == "205").unwrap();
    assert_eq!(
        (p205.state.as_str(), p205.detailed_state.as_str()),
        ("UNKNOWN", "Unavailable")
    );
    let trunk = peers.iter().find(|p| p.id == "SIP-TRUNK-ABCDEF12").unwrap();
    assert_eq!(trunk.state, "OK");

    let reg = c.sip().registry().await.unwrap();
    assert_eq!(reg.len(), 2);
    assert_eq!(reg[0].id, "SIP-TRUNK-ABCDEF12");
    assert_eq!(reg[0].state, "REGISTERED");
    assert_eq!(reg[0].host, "sip.example.net");
    assert_eq!(reg[0].username, "office");
    assert_eq!(reg[1].id, "SIP-TRUNK-ABCDEF1A");
    assert_eq!(reg[1].state, "UNKNOWN");
    assert_eq!(reg[1].username, "office2");
}

#[tokio::test]
async fn permissions() {
    let sim = sim().await;
    let read = Permissions::none().grant(Resource::Sip, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(read.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    assert!(!c.sip().peers_statuses().await.unwrap().is_empty());
    assert!(!c.sip().registry().await.unwrap().is_empty());

    // Without `sip`: refused before sending when the permissions are known, by the server's 401
    // when they are not.
    let other = Permissions::none().grant(Resource::Extensions, Access::Read);
    let (key, _) = create_key(&sim, Some(other.clone()), NetworkFilter::Any).await;
    let told = builder(&sim, key.expose_secret().to_owned())
        .permissions(other.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    let e = told.sip().peers_statuses().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), None, "refused locally: {e}");
    let blind = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    let e = blind.sip().registry().await.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthorized
        ),
        "{e}"
    );
}
