//! `system`, every operation in depth, against the simulator over real TLS: the clock, the web
//! interface languages, and the dangerous power actions with their opt-in. The answers are the
//! server's (`src/PBXCoreREST/Lib/System/*Action.php` in mikopbx/Core).

mod common;

use common::*;
#[cfg(feature = "dangerous-actions")]
use mikopbx::{Access, Permissions, Resource};
use mikopbx::{Client, ErrorKind, LanguageChange, NewDateTime};

#[tokio::test]
async fn the_clock_reads_and_sets() {
    let sim = sim().await;
    let c = admin(&sim);
    let before = chrono::Utc::now().timestamp();
    let now = c.system().datetime().await.unwrap();
    assert!((now.timestamp - before).abs() < 60, "{now:?} vs {before}");
    c.system()
        .set_datetime(NewDateTime {
            timestamp: 1_767_225_600,
            user_time_zone: Some("Europe/Berlin".into()),
        })
        .await
        .unwrap();
    c.system()
        .set_datetime(NewDateTime {
            timestamp: 1_767_225_601,
            user_time_zone: None,
        })
        .await
        .unwrap();
    assert_eq!(
        system_actions(&sim),
        ["datetime 1767225600 Europe/Berlin", "datetime 1767225601"]
    );
}

#[tokio::test]
async fn languages_are_public_and_the_change_is_validated() {
    let sim = sim().await;
    // No key: the list is public (the login page shows it).
    let anonymous = Client::builder(sim.url())
        .trust_certificate_pem(sim.ca_pem())
        .unwrap()
        .build()
        .unwrap();
    let languages = anonymous.system().get_available_languages().await.unwrap();
    assert_eq!(languages.len(), 27, "LanguageProvider::AVAILABLE_LANGUAGES");
    assert_eq!(languages[0].code, "en");
    let de = languages.iter().find(|l| l.code == "de").expect("de");
    assert_eq!((de.name.as_str(), de.flag.as_str()), ("Deutsch", "germany"));
    assert!(languages.iter().any(|l| l.code == "zh_Hans"));

    let c = admin(&sim);
    let changed = c
        .system()
        .change_language(LanguageChange {
            language: "pt_BR".into(),
        })
        .await
        .unwrap();
    assert_eq!(changed.language, "pt_BR");
    assert_eq!(
        changed.represent,
        r#"<i class="flag brazil"></i> Português (Brasil)"#
    );
    let err = c
        .system()
        .change_language(LanguageChange {
            language: "xx".into(),
        })
        .await
        .unwrap_err();
    assert!(
        err.messages()
            .iter()
            .any(|m| m == "Invalid language code: xx"),
        "{err:?}"
    );
    let err = c
        .system()
        .change_language(LanguageChange {
            language: String::new(),
        })
        .await
        .unwrap_err();
    assert!(
        err.messages()
            .iter()
            .any(|m| m == "Language parameter is required"),
        "{err:?}"
    );
}

#[tokio::test]
async fn dangerous_actions_are_refused_unless_allowed_and_nothing_is_sent() {
    let sim = sim().await;
    let c = admin(&sim);
    for (name, result) in [
        ("system.reboot", c.system().reboot().await),
        ("system.shutdown", c.system().shutdown().await),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
        let text = err.to_string();
        assert!(text.contains(name), "{text}");
        assert!(text.contains("allow_dangerous_actions"), "{text}");
    }
    // By name, as the bindings call it, the refusal is the same.
    let refused = mikopbx::dynamic::call(&c, "system.reboot", serde_json::json!({})).await;
    assert!(refused.is_err_and(|e| e.kind() == ErrorKind::Config));
    assert!(system_actions(&sim).is_empty(), "nothing reached the PBX");
    // The option of the same name, by name, is refused in a build without the feature.
    let options = serde_json::json!({"allow_dangerous_actions": true});
    let built = builder(&sim, sim.admin_key()).options(options.as_object().unwrap());
    assert_eq!(built.is_ok(), cfg!(feature = "dangerous-actions"));
}

#[cfg(feature = "dangerous-actions")]
#[tokio::test]
async fn an_allowed_client_reboots_and_shuts_down_with_write_on_system() {
    let sim = sim().await;
    let c = builder(&sim, sim.admin_key())
        .allow_dangerous_actions(true)
        .build()
        .unwrap();
    c.system().reboot().await.unwrap();
    c.system().shutdown().await.unwrap();
    assert_eq!(system_actions(&sim), ["reboot", "shutdown"]);

    // The permission is still checked: a read-only key may not reboot.
    let read_only = Permissions::none().grant(Resource::System, Access::Read);
    let (key, _) = create_key(&sim, Some(read_only.clone()), mikopbx::NetworkFilter::Any).await;
    let limited = builder(&sim, key)
        .permissions(read_only)
        .allow_dangerous_actions(true)
        .build()
        .unwrap();
    let err = limited.system().reboot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err:?}");
    assert_eq!(system_actions(&sim).len(), 2);
}
