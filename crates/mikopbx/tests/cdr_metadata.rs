//! `cdr.get_metadata`, against the simulator over real TLS: the date range of the most recent
//! calls (`src/PBXCoreREST/Lib/Cdr/GetMetadataAction.php` in mikopbx/Core).

mod common;

use common::*;
use mikopbx::{Access, CdrMetadataQuery, CdrQuery, ErrorKind, Permissions, Resource};

#[tokio::test]
async fn the_range_is_that_of_the_newest_calls() {
    let sim = mikopbx_sim::Simulator::builder()
        .cdr_records(3000)
        .start()
        .await
        .unwrap();
    let c = admin(&sim);
    let newest: Vec<_> = c
        .cdr()
        .list(CdrQuery {
            date_from: Some("2000-01-01".into()),
            ..Default::default()
        })
        .collect_all()
        .await
        .unwrap();
    let meta = c
        .cdr()
        .get_metadata(CdrMetadataQuery::default())
        .await
        .unwrap();
    assert!(meta.has_records);
    assert_eq!(meta.sample_size, 100, "the server's default sample");
    let latest = newest.last().unwrap();
    let hundredth = &newest[newest.len() - 100];
    assert_eq!(meta.latest_date.as_deref(), Some(latest.start.as_str()));
    assert_eq!(
        meta.earliest_date.as_deref(),
        Some(hundredth.start.as_str())
    );

    let capped = c
        .cdr()
        .get_metadata(CdrMetadataQuery { limit: Some(5000) })
        .await
        .unwrap();
    assert_eq!(capped.sample_size, 1000, "at most 1000");
    let none = c
        .cdr()
        .get_metadata(CdrMetadataQuery { limit: Some(0) })
        .await
        .unwrap();
    assert_eq!(
        (none.has_records, none.sample_size, none.earliest_date),
        (false, 0, None)
    );
}

#[tokio::test]
async fn read_on_cdr_is_enough_and_needed() {
    let sim = sim().await;
    let read = Permissions::none().grant(Resource::Cdr, Access::Read);
    let (key, _) = create_key(&sim, Some(read.clone()), mikopbx::NetworkFilter::Any).await;
    let c = builder(&sim, key).permissions(read).build().unwrap();
    c.cdr()
        .get_metadata(CdrMetadataQuery::default())
        .await
        .unwrap();
    let other = Permissions::none().grant(Resource::Extensions, Access::Read);
    let (key, _) = create_key(&sim, Some(other.clone()), mikopbx::NetworkFilter::Any).await;
    let c = builder(&sim, key).permissions(other).build().unwrap();
    let e = c
        .cdr()
        .get_metadata(CdrMetadataQuery::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.resource(), Some(Resource::Cdr));
}
