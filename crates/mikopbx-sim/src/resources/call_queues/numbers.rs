//! The numbering plan as call queues see it (`m_Extensions` and the relations on its
//! `number`): representations (`RecordRepresentationTrait::getRepresent`), uniqueness, the next
//! free application number, the RESTRICT relations that block a delete and the renumbering
//! cascade (src/Common/Models/Extensions.php).

use super::super::php::PhpVal;
use crate::state::{CallQueue, Employee, IvrMenu, Store};

/// The `SYSTEM` extensions every PBX has (UpdateConfigsUpToVer20241212::ensureSystemExtensionsExist)
/// with their `mo_SystemExten_*` English texts (src/Common/Messages/en/Common.php).
pub(crate) const SYSTEM_EXTENSIONS: [(&str, &str); 4] = [
    ("hangup", "End call"),
    ("busy", "Play busy signal"),
    ("voicemail", "Voicemail"),
    ("did2user", "Route to extension (match by DID)"),
];

/// The admin web UI root (`adminApplication.baseUri`, src/Core/System/RootFS/etc/inc/mikopbx-settings.json).
const BASE_URI: &str = "/admin-cabinet/";

/// `RecordRepresentationTrait::trimName()`: names over 64 bytes are cut at the last space at or
/// before byte 61 and get `...`.
fn trim_name(s: &str) -> String {
    if s.len() <= 64 {
        return s.to_string();
    }
    let head = &s.as_bytes()[..62.min(s.len())];
    match head.iter().rposition(|&b| b == b' ') {
        Some(p) => format!("{}...", &s[..p]),
        None => "...".into(),
    }
}

fn employee_represent(e: &Employee, mobile: bool) -> String {
    let icon = if mobile {
        "<i class=\"icons\"><i class=\"user outline icon\"></i><i class=\"top right corner alternate mobile icon\"></i></i>"
    } else {
        "<i class=\"icons\"><i class=\"user outline icon\"></i></i>"
    };
    let number = if mobile { &e.mobile_number } else { &e.number };
    format!("{icon} {} <{number}>", trim_name(&e.username))
}

/// `CallQueues::getRepresent()`.
pub(crate) fn queue_represent(q: &CallQueue) -> String {
    format!(
        "<i class=\"users icon\"></i> Queue: {} <{}>",
        q.name.as_deref().unwrap_or(""),
        q.extension.as_deref().unwrap_or("")
    )
}

/// `IvrMenu::getRepresent()` for a saved menu (`mo_IVRMenuShort4Dropdown` is "IVR menu").
pub(crate) fn ivr_represent(m: &IvrMenu) -> String {
    format!(
        "<i class=\"sitemap icon\"></i> IVR menu: {} <{}>",
        m.name.as_deref().unwrap_or(""),
        m.extension.as_deref().unwrap_or("")
    )
}

/// `Extensions::findFirstByNumber($n)?->getRepresent()`.
pub(crate) fn number_represent(s: &Store, n: &str) -> Option<String> {
    if n.is_empty() {
        return None;
    }
    if let Some(e) = s.employees.values().find(|e| e.number == n) {
        return Some(employee_represent(e, false));
    }
    if let Some(e) = s.employees.values().find(|e| e.mobile_number == n) {
        return Some(employee_represent(e, true));
    }
    if let Some(q) = s
        .call_queues
        .iter()
        .find(|q| q.extension.as_deref() == Some(n))
    {
        return Some(queue_represent(q));
    }
    // An `IVR MENU` row: `$this->IvrMenu?->getRepresent() ?? "$callerid <$number>"`, the
    // menu being the one whose `extension` column holds the number (a PATCH can leave a row
    // without one).
    if let Some(row) = s.ivr_numbers.iter().find(|r| r.number == n) {
        return Some(
            s.ivr_menus
                .iter()
                .find(|m| m.extension.as_deref() == Some(n))
                .map_or_else(|| format!("{} <{n}>", row.callerid), ivr_represent),
        );
    }
    if let Some(c) = s
        .conference_rooms
        .iter()
        .find(|c| c.extension.as_deref() == Some(n))
    {
        return Some(crate::resources::conference_rooms::represent(c));
    }
    SYSTEM_EXTENSIONS
        .iter()
        .find(|(num, _)| *num == n)
        .map(|(_, text)| format!("<i class=\"cogs icon\"></i> {text}"))
}

/// Every number in `m_Extensions` (the uniqueness check of `BaseActionHelper::checkUniqueness`).
pub(crate) fn taken_numbers(s: &Store) -> Vec<String> {
    let mut out: Vec<String> = crate::resources::extensions::all(s)
        .into_iter()
        .map(|e| e.number)
        .collect();
    out.extend(SYSTEM_EXTENSIONS.iter().map(|(n, _)| n.to_string()));
    out
}

/// `Extensions::getNextFreeApplicationNumber()`: the first free `2200<i>`, i from 100.
pub(crate) fn next_free_application_number(s: &Store) -> String {
    let taken = taken_numbers(s);
    (100u64..)
        .map(|i| format!("2200{i}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_default()
}

fn link(controller: &str, id: &str) -> String {
    // `buildRecordUrl()`: "$controller//$action//$id" (double slashes kept by Phalcon's Url).
    format!("{BASE_URI}{controller}//modify//{id}")
}

/// `Extensions::delete()`: every record that references `n` through an ACTION_RESTRICT
/// relation, as `getRepresent(true)`, in the relation order of Extensions::initialize().
pub(crate) fn restrict_list(s: &Store, n: &str) -> Vec<String> {
    let mut out = Vec::new();
    for field in 0..4 {
        for q in &s.call_queues {
            if q.redirects()[field].as_deref() == Some(n) {
                out.push(format!(
                    "Call queue - <a href='{}'>{}</a>",
                    link("call-queues", &q.uniqid),
                    queue_represent(q)
                ));
            }
        }
    }
    // `IncomingRoutingTable` (RESTRICT), in id order; `repIncomingRoutingTable` is just
    // '%represent%', so the link has no prefix.
    for r in s
        .incoming_routes
        .iter()
        .filter(|r| r.extension.as_deref() == Some(n))
    {
        out.push(format!(
            "<a href='{}'>{}</a>",
            link("incoming-routes", &r.id.to_string()),
            crate::resources::incoming_routes::route_represent(r)
        ));
    }
    let fwd: [fn(&Employee) -> &String; 3] = [
        |e| &e.fwd_forwarding,
        |e| &e.fwd_forwardingonbusy,
        |e| &e.fwd_forwardingonunavailable,
    ];
    for f in fwd {
        for e in s.employees.values().filter(|e| f(e) == n) {
            out.push(format!(
                "Employee routing settings - <a href='{}'>{}</a>",
                link("extensions", &e.id.to_string()),
                employee_represent(e, false)
            ));
        }
    }
    for m in s
        .ivr_menus
        .iter()
        .filter(|m| m.timeout_extension.as_deref() == Some(n))
    {
        out.push(format!(
            "IVR menu - <a href='{}'>{}</a>",
            link("ivr-menu", &m.uniqid),
            ivr_represent(m)
        ));
    }
    for m in &s.ivr_menus {
        for _ in m
            .actions
            .iter()
            .filter(|a| a.extension.as_deref() == Some(n))
        {
            out.push(format!(
                "IVR menu member - <a href='{}'>{}</a>",
                link("ivr-menu", &m.uniqid),
                ivr_represent(m)
            ));
        }
    }
    out
}

/// `Extensions::afterUpdate()` → `updateRelationshipsNumbers()`: a renumbered extension is
/// rewritten in every relation on `number` (queue routing and members, incoming routes, the
/// IVR menu's own `extension`, IVR timeouts and actions, employees' forwarding).
pub(crate) fn renumber(s: &mut Store, old: &str, new: &str) {
    let swap = |v: &mut String| {
        if v == old {
            *v = new.to_string();
        }
    };
    for q in &mut s.call_queues {
        for r in q.redirects_mut() {
            if r.as_deref() == Some(old) {
                *r = Some(new.to_string());
            }
        }
        for m in &mut q.members {
            swap(&mut m.extension);
        }
    }
    for r in &mut s.incoming_routes {
        if r.extension.as_deref() == Some(old) {
            r.extension = Some(new.to_string());
        }
    }
    for e in s.employees.values_mut() {
        swap(&mut e.fwd_forwarding);
        swap(&mut e.fwd_forwardingonbusy);
        swap(&mut e.fwd_forwardingonunavailable);
    }
    let swap_opt = |v: &mut Option<String>| {
        if v.as_deref() == Some(old) {
            *v = Some(new.to_string());
        }
    };
    for m in &mut s.ivr_menus {
        swap_opt(&mut m.extension);
        swap_opt(&mut m.timeout_extension);
        for a in &mut m.actions {
            swap_opt(&mut a.extension);
        }
    }
}

/// The `data` of `AbstractDeleteAction::executeStandardDelete()` for a record with dependants
/// (a queue's members, a menu's actions): how many went with it and what they were, then
/// `deleted_extension: true` when the record's own extension was deleted too.
pub(crate) fn standard_delete_answer(
    related: usize,
    related_type: &str,
    had_number: bool,
) -> PhpVal {
    let mut data = vec![
        ("deleted_count".to_string(), PhpVal::Int(related as i64)),
        ("deleted_type".into(), PhpVal::s(related_type)),
    ];
    if had_number {
        data.push(("deleted_extension".into(), PhpVal::Bool(true)));
    }
    PhpVal::Obj(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_trimmed_at_a_space() {
        assert_eq!(trim_name("short"), "short");
        let long = format!("{} tail", "a".repeat(70));
        assert_eq!(trim_name(&long), "...");
        let spaced = format!("{} {}", "a".repeat(40), "b".repeat(40));
        assert_eq!(trim_name(&spaced), format!("{}...", "a".repeat(40)));
    }

    #[test]
    fn representations_of_every_kind() {
        let s = Store::fresh();
        assert_eq!(
            number_represent(&s, "2001").as_deref(),
            Some("<i class=\"users icon\"></i> Queue: Sales <2001>")
        );
        assert_eq!(
            number_represent(&s, "2100").as_deref(),
            Some("<i class=\"phone volume icon\"></i> Conference: Weekly meeting <2100>")
        );
        assert_eq!(
            number_represent(&s, "2000").as_deref(),
            Some("<i class=\"sitemap icon\"></i> IVR menu: Main menu <2000>")
        );
        assert_eq!(
            number_represent(&s, "busy").as_deref(),
            Some("<i class=\"cogs icon\"></i> Play busy signal")
        );
        let mobile = s.employees[&1].mobile_number.clone();
        assert!(
            number_represent(&s, &mobile)
                .unwrap()
                .contains("mobile icon")
        );
        assert_eq!(number_represent(&s, "299"), None);
        assert_eq!(next_free_application_number(&s), "2200100");
    }
}
