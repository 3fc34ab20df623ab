//! Seed data: a small office PBX with 50 employees on SIP extensions 201..=250 with mobile
//! numbers, two call queues and two IVR menus (one of each with an id ending in a hex letter, for
//! the A–F quirk), a conference room, two SIP trunks, the default incoming route and three
//! incoming rules, a module and the general settings.
//!
//! Everything is deterministic so tests in every language can rely on it:
//! extension `201` exists (type SIP), `299` is free, ids are numeric strings.

use serde_json::{Value, json};

use crate::state::{
    AsteriskManager, CallQueue, ConferenceRoom, Employee, IncomingRoute, IvrMenu, IvrMenuAction,
    IvrNumber, QueueMember, Store,
};

/// Realistic full names of the 50 seeded employees (extension 201 + index).
const NAMES: &[&str] = &[
    "Alexey Ivanov",
    "Maria Petrova",
    "Ivan Smirnov",
    "Olga Kuznetsova",
    "Dmitry Popov",
    "Anna Sokolova",
    "Sergey Lebedev",
    "Elena Kozlova",
    "Nikolay Novikov",
    "Tatiana Morozova",
    "John Smith",
    "Emily Johnson",
    "Michael Williams",
    "Sarah Brown",
    "David Jones",
    "Laura Miller",
    "James Davis",
    "Sophie Garcia",
    "Robert Wilson",
    "Julia Taylor",
    "Pavel Volkov",
    "Irina Fedorova",
    "Andrey Mikhailov",
    "Natalia Orlova",
    "Thomas Anderson",
    "Ekaterina Pavlova",
    "Mikhail Semenov",
    "Svetlana Egorova",
    "Artem Vasiliev",
    "Ksenia Nikolaeva",
    "Daniel Moore",
    "Olivia Martin",
    "Christopher Clark",
    "Emma Lewis",
    "Matthew Walker",
    "Grace Hall",
    "Andrew Young",
    "Chloe King",
    "Joseph Wright",
    "Hannah Scott",
    "Roman Zakharov",
    "Yulia Belova",
    "Viktor Makarov",
    "Alina Frolova",
    "Denis Kovalev",
    "Marina Zaitseva",
    "Oleg Bogdanov",
    "Daria Stepanova",
    "Igor Titov",
    "Polina Gusev",
];

/// The number of seeded employees.
pub(crate) const EMPLOYEES: u64 = 50;

/// Fill an empty store with the seed data.
pub(crate) fn seed(store: &mut Store) {
    for i in 0..EMPLOYEES {
        let name = NAMES[i as usize % NAMES.len()];
        let (first, last) = name.split_once(' ').unwrap_or((name, ""));
        let number = (201 + i).to_string();
        // Every employee has a mobile number (MikoPBX then also creates an EXTERNAL extension
        // for it): Moscow-area mobile prefixes, digits only as the PBX stores them.
        let prefix = ["7916", "7925", "7903", "7985", "7926"][i as usize % 5];
        let mobile = format!("{prefix}{:07}", 5_550_000 + i * 37);
        let id = store.next_user_id;
        store.next_user_id += 1;
        store.employees.insert(
            id,
            Employee {
                id,
                username: name.to_string(),
                email: format!(
                    "{}.{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                number,
                mobile_number: mobile.clone(),
                mobile_dialstring: mobile,
                // Strong enough for `PasswordService` (score ≥ 60): PATCH re-validates stored secrets.
                sip_secret: format!("Sec-{:08x}-Pbx", (i + 1) * 2_654_435_761 % 0xffff_ffff),
                sip_transport: "udp,tcp".into(),
                sip_dtmfmode: "auto".into(),
                sip_enable_recording: i % 5 != 4,
                sip_networkfilterid: "none".into(),
                fwd_ringlength: 45,
                fwd_forwarding: String::new(),
                fwd_forwardingonbusy: String::new(),
                fwd_forwardingonunavailable: String::new(),
            },
        );
    }
    seed_queues(store);
    seed_ivr_menus(store);
    store.conference_rooms = vec![ConferenceRoom {
        id: 1,
        uniqid: "CONFERENCE-7C3D9E10".into(),
        extension: Some("2100".into()),
        name: Some("Weekly meeting".into()),
        pin_code: Some(String::new()),
    }];
    store.next_conference_id = 2;
    store.records.insert(
        "sip-providers".into(),
        vec![
            json!({"id": "SIP-TRUNK-ABCDEF12", "uniqid": "SIP-TRUNK-ABCDEF12", "description": "Main trunk",
                   "host": "sip.example.net", "username": "office", "port": 5060, "registration_type": "outbound",
                   "transport": "udp", "disabled": false, "qualify": true, "dtmfmode": "auto", "networkfilterid": "none"}),
            json!({"id": "SIP-TRUNK-ABCDEF1A", "uniqid": "SIP-TRUNK-ABCDEF1A", "description": "Backup trunk",
                   "host": "backup.example.net", "username": "office2", "port": 5060, "registration_type": "inbound",
                   "transport": "tcp", "disabled": false, "qualify": true, "dtmfmode": "rfc4733", "networkfilterid": "none"}),
        ],
    );
    store.records.insert(
        "modules".into(),
        vec![json!({"id": "ModuleUsersUI", "uniqid": "ModuleUsersUI", "name": "Users UI", "version": "1.0.45",
                    "developer": "MIKO", "disabled": "0", "description": "Web interface users and roles"})],
    );
    store.general_settings = general_settings();
    seed_managers(store);
    seed_incoming_routes(store);
}

/// The default route as `GetDefaultRouteAction` creates it (id 1, `busy`, priority 9999,
/// `default action`), and three rules as the web UI saves them: the main number (the DID of
/// the simulated CDR and calls) to the main IVR menu, a direct line to an employee, and
/// anything from the backup trunk to the main menu too.
pub(crate) fn seed_incoming_routes(store: &mut Store) {
    let some = |v: &str| Some(v.to_string());
    let route = |id: u64,
                 name: &str,
                 number: &str,
                 provider: Option<&str>,
                 ext: &str,
                 priority: &str,
                 timeout: &str,
                 note: &str| {
        IncomingRoute {
            id,
            rulename: some(name),
            number: some(number),
            extension: some(ext),
            provider: provider.map(str::to_string),
            priority: some(priority),
            timeout: some(timeout),
            action: some("extension"),
            note: some(note),
            audio_message_id: None,
        }
    };
    store.incoming_routes = vec![
        route(1, "default action", "", None, "busy", "9999", "0", ""),
        route(
            2,
            "Main number",
            "74951234567",
            Some("SIP-TRUNK-ABCDEF12"),
            "2000",
            "1",
            "120",
            "Office main line, to the voice menu",
        ),
        route(
            3,
            "Direct line Ksenia Nikolaeva",
            "74951234570",
            Some("SIP-TRUNK-ABCDEF12"),
            "230",
            "2",
            "30",
            "",
        ),
        route(
            4,
            "Backup trunk",
            "",
            Some("SIP-TRUNK-ABCDEF1A"),
            "2000",
            "3",
            "120",
            "Any number on the backup trunk",
        ),
    ];
    store.next_incoming_route_id = 5;
}

/// The AMI user the shipped database has (calls-events-recordings.md §0.9): `1cami`, made for
/// the 1C integration, with `networkfilterid = 0` (no such filter: any address). Its shipped
/// secret is replaced by a random one at first boot (UpdateConfigsUpToVer100.php:46-51), so it
/// is random here too.
fn seed_managers(store: &mut Store) {
    let classes = [
        ("call", "readwrite"),
        ("cdr", "read"),
        ("originate", "write"),
        ("reporting", "write"),
        ("user", "read"),
    ];
    store.asterisk_managers.push(AsteriskManager {
        id: 1,
        username: "1cami".into(),
        secret: crate::util::random_hex(16),
        classes: classes
            .iter()
            .map(|&(c, v)| (c.to_owned(), v.to_owned()))
            .collect(),
        networkfilterid: Some("0".into()),
        eventfilter: Some(String::new()),
        description: Some("1C integration".into()),
        weak_secret: Some("0".into()),
    });
    store.next_manager_id = 2;
}

/// Two queues as the web UI saves them (every column set; `timeout_to_redirect_to_extension`
/// `''` means "wait forever"). Sales ends in a digit, Support in a hex letter (the A–F quirk).
fn seed_queues(store: &mut Store) {
    let some = |v: &str| Some(v.to_string());
    let queue = |id: u64, uniqid: &str, name: &str, ext: &str, strategy: &str| CallQueue {
        id,
        uniqid: uniqid.into(),
        name: some(name),
        extension: some(ext),
        strategy: some(strategy),
        seconds_to_ring_each_member: some("15"),
        seconds_for_wrapup: some("15"),
        recive_calls_while_on_a_call: some("0"),
        caller_hear: some("ringing"),
        announce_position: some("0"),
        announce_hold_time: some("0"),
        periodic_announce_sound_id: None,
        moh_sound_id: None,
        periodic_announce_frequency: None,
        timeout_to_redirect_to_extension: some(""),
        timeout_extension: None,
        redirect_to_extension_if_empty: None,
        number_unanswered_calls_to_redirect: some("3"),
        redirect_to_extension_if_unanswered: None,
        number_repeat_unanswered_to_redirect: some("3"),
        redirect_to_extension_if_repeat_exceeded: None,
        callerid_prefix: None,
        description: None,
        members: Vec::new(),
    };
    let mut member_id = 0;
    let mut members = |list: &[(&str, i64)]| {
        list.iter()
            .map(|(ext, priority)| {
                member_id += 1;
                QueueMember {
                    id: member_id,
                    extension: ext.to_string(),
                    priority: *priority,
                }
            })
            .collect::<Vec<_>>()
    };
    let mut sales = queue(1, "QUEUE-1A2B3C41", "Sales", "2001", "ringall");
    sales.description = some("Sales department");
    sales.members = members(&[("201", 1), ("202", 2), ("203", 3)]);
    let mut support = queue(2, "QUEUE-1A2B3C4D", "Support", "2002", "rrmemory");
    support.description = some("Technical support");
    support.seconds_to_ring_each_member = some("20");
    support.timeout_to_redirect_to_extension = some("300");
    support.timeout_extension = some("2000");
    support.callerid_prefix = some("SUP:");
    support.members = members(&[("210", 1), ("211", 1)]);
    store.call_queues = vec![sales, support];
    store.next_queue_id = 3;
    store.next_queue_member_id = member_id + 1;
}

/// Two IVR menus as SaveRecordAction saves them (every column set, the `IVR MENU` extension
/// row with the name as caller id). The main menu sends 1 and 2 to the queues and times out to
/// an employee; the support line (id ending in a hex letter) sends `*` back to the main menu.
fn seed_ivr_menus(store: &mut Store) {
    let some = |v: &str| Some(v.to_string());
    let mut action_id = 0;
    let mut actions = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(digits, ext)| {
                action_id += 1;
                IvrMenuAction {
                    id: action_id,
                    digits: some(digits),
                    extension: some(ext),
                }
            })
            .collect::<Vec<_>>()
    };
    let main = IvrMenu {
        id: 1,
        uniqid: "IVR-5E0F1A22".into(),
        extension: some("2000"),
        audio_message_id: some("1"),
        name: some("Main menu"),
        timeout: some("7"),
        timeout_extension: some("201"),
        allow_enter_any_internal_extension: some("1"),
        number_of_repeat: some("3"),
        description: some("Greeting, then sales or support"),
        actions: actions(&[("1", "2001"), ("2", "2002")]),
    };
    let support = IvrMenu {
        id: 2,
        uniqid: "IVR-3C9D2B7E".into(),
        extension: some("2010"),
        audio_message_id: some(""),
        name: some("Support line"),
        timeout: some("10"),
        timeout_extension: some("2002"),
        allow_enter_any_internal_extension: some("0"),
        number_of_repeat: some("2"),
        description: some("Technical support hotline"),
        actions: actions(&[("1", "2002"), ("2", "210"), ("*", "2000")]),
    };
    store.ivr_numbers = [&main, &support]
        .iter()
        .map(|m| IvrNumber {
            number: m.extension.clone().unwrap_or_default(),
            callerid: m.name.clone().unwrap_or_default(),
        })
        .collect();
    store.ivr_menus = vec![main, support];
    store.next_ivr_id = 3;
    store.next_ivr_action_id = action_id + 1;
}

/// A few well-known `PbxSettings` keys with their defaults (`PbxSettingsDefaultValuesTrait.php`).
pub(crate) fn general_settings() -> Value {
    json!({
        "PBXName": "MikoPBX simulator",
        "PBXDescription": "",
        "PBXLanguage": "en-en",
        "WebAdminLanguage": "en",
        "WEBPort": "80",
        "WEBHTTPSPort": "443",
        "RedirectToHttps": "1",
        "AMIEnabled": "1",
        "AMIPort": "5038",
        "AJAMEnabled": "1",
        "AJAMPort": "8088",
        "AJAMPortTLS": "8089",
        "PBXFirewallEnabled": "1",
        "PBXFail2BanEnabled": "1",
        "PBXRateLimitEnabled": "1",
        "APIQueueMaxLength": "50",
        "APIRequestTTL": "35",
        "PBXRecordCalls": "1",
        "PBXInternalExtensionLength": "3"
    })
}
