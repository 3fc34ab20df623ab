//! Routing as `Providers/RouterProvider.php` builds it (mikopbx-api.md §1).
//!
//! There is no route table on the server: every controller's `#[HttpMapping]` lists the verbs it
//! answers and the actions behind each verb, and the router registers, per mapped verb,
//! `/{id}:{method}`, `:{method}`, `/{id}` and `/` (most specific first). A verb a resource does
//! not map has no route at all and falls to the `notFound` handler (404 with `success`). A mapped
//! verb reaches the controller, which answers 405 for an action that verb does not allow and
//! 400 for a resource-level method called without an ID.

use http::Method;

/// A resource's route table entry.
pub(crate) struct ResourceSpec {
    /// The path segment after `/pbxcore/api/v3/`.
    pub(crate) name: &'static str,
    /// `#[HttpMapping]`: the actions each verb may reach.
    pub(crate) verbs: &'static [(Method, &'static [&'static str])],
    /// Custom methods that need a record id (`/{id}:{method}`).
    pub(crate) record_methods: &'static [&'static str],
    /// Custom methods that are `#[ResourceSecurity(PUBLIC)]`.
    pub(crate) public_methods: &'static [&'static str],
    /// The controller's `idPattern`.
    pub(crate) id_ok: fn(&str) -> bool,
    /// The PHP namespace segment used in `processor` strings (`Lib/<Ns>/…Action::main`).
    pub(crate) lib: &'static str,
}

/// What the URL addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) resource: &'static str,
    pub(crate) id: Option<String>,
    pub(crate) method: Option<String>,
}

fn method_name_ok(m: &str) -> bool {
    m.starts_with(|c: char| c.is_ascii_alphabetic()) && m.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `[^/:]+`, the default ID pattern.
pub(crate) fn any_id(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', ':'])
}

/// `[0-9]+`.
pub(crate) fn numeric_id(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// `[0-9]{2,8}` (extension numbers).
pub(crate) fn number_id(s: &str) -> bool {
    (2..=8).contains(&s.len()) && numeric_id(s)
}

/// `PREFIX-[A-Fa-f0-9]{4,}` for one of `prefixes`.
pub(crate) fn prefixed_hex(s: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|rest| rest.len() >= 4 && rest.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

/// Parse `/pbxcore/api/v3/<res>[/<id>][:<method>]`; `None` means no route can match.
pub(crate) fn parse(
    path: &str,
    specs: &'static [ResourceSpec],
    verb: &Method,
) -> Option<(&'static ResourceSpec, Route)> {
    let rest = path.strip_prefix("/pbxcore/api/v3/")?;
    let end = rest.find(['/', ':']).unwrap_or(rest.len());
    let (name, tail) = rest.split_at(end);
    let spec = specs.iter().find(|s| s.name == name)?;
    if !spec.verbs.iter().any(|(m, _)| m == verb) {
        return None;
    }
    let (id, method) = if tail.is_empty() {
        (None, None)
    } else if let Some(m) = tail.strip_prefix(':') {
        (None, Some(m))
    } else {
        let after = tail.strip_prefix('/')?;
        match after.split_once(':') {
            Some((id, m)) => (Some(id), Some(m)),
            None => (Some(after), None),
        }
    };
    if let Some(m) = method
        && !method_name_ok(m)
    {
        return None;
    }
    if let Some(id) = id
        && !(spec.id_ok)(id)
    {
        return None;
    }
    Some((
        spec,
        Route {
            resource: spec.name,
            id: id.map(str::to_string),
            method: method.map(str::to_string),
        },
    ))
}

/// The action a request runs (`BaseRestController::mapHttpMethodToAction()`).
pub(crate) fn action(verb: &Method, route: &Route) -> String {
    if let Some(m) = &route.method {
        return m.clone();
    }
    match (verb, route.id.is_some()) {
        (&Method::GET, false) | (&Method::HEAD, false) => "getList",
        (&Method::GET, true) | (&Method::HEAD, true) => "getRecord",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, _) => "delete",
        _ => "getList",
    }
    .to_string()
}

/// The standard CRUD actions (`BaseRestController::$actionMapping`); never custom methods.
pub(crate) const CRUD_ACTIONS: &[&str] = &[
    "getList",
    "getRecord",
    "create",
    "update",
    "patch",
    "delete",
];

/// The controller's checks of a custom method (`BaseRestController::handleCustomRequest()`):
/// `Err((status, message))` for 405 / 400. CRUD routes are not checked here: the controller
/// hands them to the worker, whose processor answers an action it does not know (422).
pub(crate) fn check_action(
    spec: &ResourceSpec,
    verb: &Method,
    route: &Route,
    action: &str,
) -> Result<(), (u16, String)> {
    if route.method.is_none() {
        return Ok(());
    }
    let allowed = spec
        .verbs
        .iter()
        .find(|(m, _)| m == verb)
        .map(|(_, a)| *a)
        .unwrap_or(&[]);
    if CRUD_ACTIONS.contains(&action) || !allowed.contains(&action) {
        return Err((
            405,
            format!("Method '{action}' is not allowed with HTTP {verb}"),
        ));
    }
    if route.id.is_none() && spec.record_methods.contains(&action) {
        return Err((400, format!("Method '{action}' requires a resource ID")));
    }
    Ok(())
}

/// Whether the resource's processor implements a CRUD `action` for `verb`.
pub(crate) fn crud_supported(spec: &ResourceSpec, verb: &Method, action: &str) -> bool {
    spec.verbs
        .iter()
        .any(|(m, a)| m == verb && a.contains(&action))
}

/// Whether the route is a public endpoint (`PublicEndpointsRegistry`).
pub(crate) fn is_public(spec: &ResourceSpec, route: &Route) -> bool {
    route.id.is_none()
        && route
            .method
            .as_deref()
            .is_some_and(|m| spec.public_methods.contains(&m))
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: &[ResourceSpec] = &[ResourceSpec {
        name: "extensions",
        verbs: &[
            (Method::GET, &["getList", "getRecord", "getForSelect"]),
            (Method::POST, &["available", "getPhoneRepresent"]),
        ],
        record_methods: &["getPhoneRepresent"],
        public_methods: &[],
        id_ok: number_id,
        lib: "Extensions",
    }];

    #[test]
    fn routes() {
        let g = Method::GET;
        assert!(parse("/pbxcore/api/v3/extensions", SPECS, &g).is_some());
        assert!(parse("/pbxcore/api/v3/extensions/", SPECS, &g).is_none());
        assert!(parse("/pbxcore/api/v3/extensions/1", SPECS, &g).is_none());
        assert!(parse("/pbxcore/api/v3/extensions/201/x", SPECS, &g).is_none());
        assert!(parse("/pbxcore/api/v3/extensions/201", SPECS, &Method::DELETE).is_none());
        assert!(parse("/pbxcore/api/v3/nope", SPECS, &g).is_none());
        assert!(parse("/pbxcore/api/v3/extensions:9bad", SPECS, &g).is_none());
        let (spec, r) = parse(
            "/pbxcore/api/v3/extensions:getPhoneRepresent",
            SPECS,
            &Method::POST,
        )
        .unwrap();
        let a = action(&Method::POST, &r);
        assert_eq!(
            check_action(spec, &Method::POST, &r, &a).unwrap_err().0,
            400
        );
        let (spec, r) = parse(
            "/pbxcore/api/v3/extensions:getForSelect",
            SPECS,
            &Method::POST,
        )
        .unwrap();
        let e = check_action(spec, &Method::POST, &r, &action(&Method::POST, &r)).unwrap_err();
        assert_eq!(
            e,
            (
                405,
                "Method 'getForSelect' is not allowed with HTTP POST".to_string()
            )
        );
        // A CRUD name is never a custom method; CRUD routes are the processor's business.
        let (spec, r) = parse("/pbxcore/api/v3/extensions:getList", SPECS, &Method::GET).unwrap();
        assert_eq!(
            check_action(spec, &Method::GET, &r, "getList")
                .unwrap_err()
                .0,
            405
        );
        let (spec, r) = parse("/pbxcore/api/v3/extensions", SPECS, &Method::POST).unwrap();
        assert!(check_action(spec, &Method::POST, &r, "create").is_ok());
        assert!(!crud_supported(spec, &Method::POST, "create"));
        assert!(crud_supported(spec, &Method::GET, "getList"));
    }
}
