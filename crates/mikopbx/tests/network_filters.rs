//! `network-filters`, every operation in depth, against the simulator over real TLS. The shapes
//! and rules are the server's (`src/PBXCoreREST/Lib/NetworkFilters/` in mikopbx/Core).

mod common;

use common::*;
use mikopbx::{
    Access, ErrorKind, NetworkFilter, NetworkFilterQuery, NetworkFilterSelectQuery, Permissions,
    Resource,
};

/// The use it is made for: find the filter of one address, bind a least-privilege key to it.
#[tokio::test]
async fn find_the_localhost_filter_for_a_key() {
    let sim = sim().await;
    let c = admin(&sim);
    let pager = c.network_filters().list(NetworkFilterQuery {
        search: Some("127.0.0.1".into()),
        ..Default::default()
    });
    let found = pager.collect_all().await.unwrap();
    // Filter 3 (permit only) and filter 4 (permit, and deny everything else: what an AMI user
    // needs, since Asterisk's ACL starts from "allow"); for an API key both restrict.
    assert_eq!(found.len(), 2, "{found:?}");
    let filter = &found[0];
    assert_eq!(found[1].permit, "127.0.0.1/32");
    assert_eq!(filter.permit, "127.0.0.1/32");
    assert!(filter.active_rules.is_some_and(|n| n > 0), "{filter:?}");
    let id: i64 = filter.id.parse().expect("numeric id");

    let perms = Permissions::none().grant(Resource::NetworkFilters, Access::Read);
    let (key, info) = create_key(&sim, Some(perms), NetworkFilter::Id { id }).await;
    assert!(info.has_network_filter, "{info:?}");
    // From 127.0.0.1 the key works...
    let local = builder(&sim, key.expose_secret().to_owned())
        .build()
        .unwrap();
    local.network_filters().get(&filter.id).await.unwrap();
    // ...and from anywhere else the server refuses it.
    let remote = builder(&sim, key.expose_secret().to_owned())
        .local_address(REMOTE)
        .build()
        .unwrap();
    let e = remote.network_filters().get(&filter.id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
}

#[tokio::test]
async fn list_pages_through_every_filter() {
    let sim = sim().await;
    let c = admin(&sim);
    let pager = c.network_filters().list(NetworkFilterQuery {
        page_size: Some(2),
        ..Default::default()
    });
    let first = pager.next_page().await.unwrap().unwrap();
    assert_eq!(first.len(), 2);
    // The `items` shape carries a total.
    let total = pager.total().await.expect("items/total shape");
    let mut all = first;
    while let Some(page) = pager.next_page().await.unwrap() {
        all.extend(page);
    }
    assert_eq!(all.len() as u64, total);
    let ids: Vec<i64> = all.iter().map(|f| f.id.parse().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "id ASC");
    // List rows have no record-only fields; unknown fields are kept.
    assert!(
        all.iter()
            .all(|f| f.rules.is_empty() && f.newer_block_ip.is_none())
    );
    assert!(all[0].extra.contains_key("search_index"), "{:?}", all[0]);

    let capped = c
        .network_filters()
        .list(NetworkFilterQuery {
            max_items: Some(1),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(capped.len(), 1);
}

#[tokio::test]
async fn get_a_record_and_a_missing_one() {
    let sim = sim().await;
    let c = admin(&sim);
    let all = c
        .network_filters()
        .list(NetworkFilterQuery::default())
        .collect_all()
        .await
        .unwrap();
    for row in &all {
        let r = c.network_filters().get(&row.id).await.unwrap();
        assert_eq!(r.id, row.id);
        assert_eq!(r.permit, row.permit);
        assert!(r.newer_block_ip.is_some() && r.local_network.is_some());
        // Every rule is allow or block, and a list row counts at least one row per allowed one.
        assert!(
            r.rules.values().all(|a| a == "allow" || a == "block"),
            "{r:?}"
        );
        let allowed = r.rules.values().filter(|a| *a == "allow").count() as i64;
        assert!(row.active_rules.unwrap() >= allowed, "{row:?} {r:?}");
    }
    let e = c.network_filters().get("999").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("999"), "{e}");
}

#[tokio::test]
async fn select_options_by_category() {
    let sim = sim().await;
    let c = admin(&sim);
    let records = {
        let rows = c
            .network_filters()
            .list(NetworkFilterQuery::default())
            .collect_all()
            .await
            .unwrap();
        let mut out = Vec::new();
        for r in rows {
            out.push(c.network_filters().get(&r.id).await.unwrap());
        }
        out
    };
    let allowing = |cat: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r.rules.get(cat).is_some_and(|a| a == "allow"))
            .map(|r| r.id.clone())
            .collect()
    };
    let handle = c.network_filters();
    let select = |category: Option<&str>, include_localhost: Option<bool>| {
        handle.get_for_select(NetworkFilterSelectQuery {
            category: category.map(str::to_owned),
            include_localhost,
        })
    };

    // SIP by default: `none`, then the filters allowing SIP, with their network.
    let sip = select(None, None).await.unwrap();
    assert_eq!(sip[0].value, "none");
    let ids: Vec<String> = sip[1..].iter().map(|o| o.value.clone()).collect();
    assert_eq!(ids, allowing("SIP"));
    assert!(sip[1..].iter().all(|o| o.network.is_some()));

    let ami = select(Some("AMI"), Some(true)).await.unwrap();
    assert_eq!(ami[1].value, "localhost");
    let ids: Vec<String> = ami[2..].iter().map(|o| o.value.clone()).collect();
    assert_eq!(ids, allowing("AMI"));
    // `false` is not sent: the server would read the text "false" as true.
    let ami = select(Some("AMI"), Some(false)).await.unwrap();
    assert!(ami.iter().all(|o| o.value != "localhost"), "{ami:?}");
    // The firewall has no API category.
    let api: Vec<String> = select(Some("API"), Some(true))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.value)
        .collect();
    assert_eq!(api, ["none", "localhost"]);
}

#[tokio::test]
async fn read_only_permissions() {
    let sim = sim().await;
    let ops = mikopbx::operations::OPERATIONS
        .iter()
        .filter(|o| o.handle == "network_filters")
        .collect::<Vec<_>>();
    assert_eq!(ops.len(), 3);
    assert!(ops.iter().all(|o| o.access == Access::Read && o.idempotent));

    // A key without network-filters is refused before sending.
    let other = Permissions::none().grant(Resource::Extensions, Access::Read);
    let (key, _) = create_key(&sim, Some(other.clone()), NetworkFilter::Any).await;
    let c = builder(&sim, key.expose_secret().to_owned())
        .permissions(other.with_network(NetworkFilter::Any))
        .build()
        .unwrap();
    let e = c
        .network_filters()
        .get_for_select(NetworkFilterSelectQuery::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.status(), None, "refused locally: {e}");
    assert!(e.to_string().contains("etwork"), "{e}");
}
