//! `api!`: the one place an endpoint is described.
//!
//! Each resource module holds one `api!` block, in the spirit of ruma's endpoint definitions: the
//! resource handle, then one entry per endpoint with its Rust method, arguments, result, HTTP verb,
//! path, response shape, server action name, retry rule and docs. From it come
//!
//! - the [`OperationSpec`](crate::OperationSpec) constant, which the URL building, the permission
//!   pre-check, `minimal_for`, retry eligibility, the 401 probe and the docs table read;
//! - the Rust method (unless the entry says `custom`: then only the method is hand-written, in
//!   the same module, with this exact signature, and knows nothing of any binding);
//! - with the `uniffi` feature: the Kotlin/Swift method, exported from the core's own handle
//!   (also for `custom` methods: it forwards to the hand-written one), and for lists a concrete
//!   cursor type;
//! - with the `python` feature: the entry of the Python dispatch;
//! - the manifest entry (`mikopbx operations --json`) from which the Python API, its stubs and the
//!   Kotlin/Swift list wrappers are generated.
//!
//! ```text
//! api! {
//!     /// `employees`: users and their SIP extensions.
//!     EmployeesApi => employees, Resource::Employees, "/pbxcore/api/v3/employees";
//!
//!     /// One employee by id.
//!     EMPLOYEES_GET = get(id id: &str) -> one Employee
//!         = GET "/{id}" Object, "employees.getRecord", idempotent, "One employee";
//! }
//! ```
//!
//! Arguments are `role name: Type`. Roles: `id` (the path's `{id}`, always `&str`), `query` (a
//! struct whose serialized fields are the query string), `body` (a struct sent as the JSON body),
//! and, for `custom` methods only, `field` (one `&str` field of the body) and `param` (one
//! `Option<&str>` query parameter). Results: `one T`, `list T` (a `Vec` from one answer),
//! `nothing` and `pager NamePager<T>` (a lazy [`Pager`](crate::Pager); `NamePager` is the
//! Kotlin/Swift cursor type). Retry: `idempotent` or `once` (never re-sent after an ambiguous
//! failure). Flags after the summary: `custom`, `public`, `dangerous` (a system action that can
//! destroy or stop a PBX: refused unless the client allows dangerous actions).

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// The parts of one request that an operation's arguments supply.
#[derive(Debug, Default)]
pub(crate) struct Request<'a> {
    pub id: Option<&'a str>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// A query struct as query parameters: its serialized fields (serde names are the wire names),
/// leaving out unset and empty values. Numbers and booleans are written as JSON writes them.
pub(crate) fn query_pairs<T: Serialize>(query: &T) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(query) {
        for (k, v) in map {
            match v {
                Value::Null => {}
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => out.push((k, s)),
                other => out.push((k, other.to_string())),
            }
        }
    }
    out
}

/// A body struct as JSON, without `null` members (optional fields are left out).
pub(crate) fn body_json<T: Serialize>(operation: &str, body: &T) -> Result<Value, Error> {
    serde_json::to_value(body)
        .map(crate::resources::without_nulls)
        .map_err(|e| Error::config(format!("{operation}: cannot encode the request: {e}")))
}

/// Page size and item cap of a list query (`page_size`, `max_items` in every query struct).
pub trait Paged {
    /// Items per request.
    fn page_size(&self) -> Option<u32>;
    /// Stop after this many items.
    fn max_items(&self) -> Option<u64>;
}

/// Lists without filters.
impl Paged for () {
    fn page_size(&self) -> Option<u32> {
        None
    }
    fn max_items(&self) -> Option<u64> {
        None
    }
}

/// Implements [`Paged`] for query structs with `page_size` and `max_items` fields.
macro_rules! paged {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::api::Paged for $t {
            fn page_size(&self) -> Option<u32> {
                self.page_size
            }
            fn max_items(&self) -> Option<u64> {
                self.max_items
            }
        }
    )*};
}
pub(crate) use paged;

/// Python's view of record types (feature `python`): a readable `repr()` (the Rust `Debug`
/// form), plus any getters given in braces. Invoked beside the records of each resource module;
/// `bindings/python/tests/test_generated.py` checks that every record class has it.
macro_rules! python_records {
    ($($record:ident $({ $($extra:tt)* })?),* $(,)?) => {$(
        #[cfg(feature = "python")]
        #[pyo3::pymethods]
        impl $record {
            fn __repr__(&self) -> String {
                format!("{self:?}")
            }
            $($($extra)*)?
        }
    )*};
}
pub(crate) use python_records;

/// See the module documentation.
macro_rules! api {
    (
        $(#[doc = $hdoc:literal])*
        $Handle:ident => $accessor:ident, $resource:expr, $base:literal;
        $(
            $(#[doc = $doc:literal])*
            $CONST:ident = $method:ident ( $($role:ident $arg:ident : $aty:ty),* )
                -> $ret:ident $($rty:ident)? $(<$item:ty>)?
                = $verb:ident $suffix:literal $shape:ident, $wire:literal, $retry:ident, $summary:literal
                $(, $flag:ident)* ;
        )*
    ) => {
        $(#[doc = $hdoc])*
        #[derive(Debug, Clone)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
        pub struct $Handle {
            pub(crate) client: $crate::Client,
        }

        // uniffi needs the plain type name in `impl`.
        use $crate::Client;

        #[cfg_attr(feature = "uniffi", uniffi::export)]
        impl Client {
            $(#[doc = $hdoc])*
            pub fn $accessor(&self) -> $Handle {
                $Handle { client: self.clone() }
            }
        }

        /// The operation constants of this resource (re-exported here, in [`crate::operations`]
        /// and at the crate root).
        pub(crate) mod specs {
            #[allow(unused_imports)]
            use super::*;
        $(
            $(#[doc = $doc])*
            pub const $CONST: $crate::OperationSpec = $crate::OperationSpec {
                name: concat!(stringify!($accessor), ".", stringify!($method)),
                wire: $wire,
                method: $crate::HttpMethod::$verb,
                path_template: concat!($base, $suffix),
                resource: $resource,
                access: $crate::Access::for_method($crate::HttpMethod::$verb),
                idempotent: $crate::api::api!(@idempotent $retry),
                public: $crate::api::api!(@public $($flag)*),
                dangerous: $crate::api::api!(@dangerous $($flag)*),
                shape: $crate::ResponseShape::$shape,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
                handle: stringify!($accessor),
                handle_type: stringify!($Handle),
                method_name: stringify!($method),
                params: &[$($crate::api::api!(@param $role $arg : $aty)),*],
                returns: $crate::api::api!(@returns $ret $($rty)? $(<$item>)?),
            };
        )*
        }
        pub use specs::*;

        /// Every operation of this resource, in definition order.
        pub(crate) static OPERATIONS: &[&$crate::OperationSpec] = &[$(&$CONST),*];

        $(
            $crate::api::api!(@method [$($flag)*] $Handle $CONST $method
                ($($role $arg : $aty),*) -> $ret $($rty)? $(<$item>)?; $($doc)*);
        )*

        impl $Handle {
            /// The by-name dispatch of this resource (`None` when `method` is not one of its own):
            /// JSON arguments in, JSON out. See [`crate::dynamic`].
            pub(crate) fn json_call(
                self,
                method: &str,
                args: serde_json::Value,
            ) -> Option<Result<$crate::dynamic::DynCall, $crate::Error>> {
                match method {
                    $(
                        stringify!($method) => Some($crate::api::api!(@json self, $CONST, args,
                            $method ($($role $arg : $aty),*) -> $ret $($rty)? $(<$item>)?)),
                    )*
                    _ => None,
                }
            }
        }

        #[cfg(feature = "python")]
        impl $Handle {
            /// The Python dispatch of this resource: `None` when `method` is not one of its own.
            pub(crate) fn python_call(
                self,
                method: &str,
                args: serde_json::Value,
            ) -> Option<Result<$crate::python::PyCall, $crate::Error>> {
                match method {
                    $(
                        stringify!($method) => Some($crate::api::api!(@python self, $CONST, args,
                            $method ($($role $arg : $aty),*) -> $ret $($rty)? $(<$item>)?)),
                    )*
                    _ => None,
                }
            }
        }
    };

    (@idempotent idempotent) => { true };
    (@idempotent once) => { false };
    (@public) => { false };
    (@public public $($rest:ident)*) => { true };
    (@public $other:ident $($rest:ident)*) => { $crate::api::api!(@public $($rest)*) };
    (@dangerous) => { false };
    (@dangerous dangerous $($rest:ident)*) => { true };
    (@dangerous $other:ident $($rest:ident)*) => { $crate::api::api!(@dangerous $($rest)*) };

    (@param id $arg:ident : $aty:ty) => {
        $crate::describe::Param { name: stringify!($arg), location: $crate::describe::ParamIn::Path, ty: "&str", model: None }
    };
    (@param query $arg:ident : $aty:ty) => {
        $crate::describe::Param { name: stringify!($arg), location: $crate::describe::ParamIn::Query, ty: stringify!($aty), model: Some($crate::describe::model_of::<$aty>()) }
    };
    (@param body $arg:ident : $aty:ty) => {
        $crate::describe::Param { name: stringify!($arg), location: $crate::describe::ParamIn::Body, ty: stringify!($aty), model: Some($crate::describe::model_of::<$aty>()) }
    };
    (@param field $arg:ident : $aty:ty) => {
        $crate::describe::Param { name: stringify!($arg), location: $crate::describe::ParamIn::Body, ty: "&str", model: None }
    };
    (@param param $arg:ident : $aty:ty) => {
        $crate::describe::Param { name: stringify!($arg), location: $crate::describe::ParamIn::Query, ty: "Option<&str>", model: None }
    };

    (@returns one $rty:ident) => {
        $crate::describe::ReturnType { form: $crate::describe::Returns::One, ty: stringify!($rty), model: $crate::api::api!(@model $rty), cursor: None }
    };
    (@returns list $rty:ident) => {
        $crate::describe::ReturnType { form: $crate::describe::Returns::List, ty: stringify!($rty), model: $crate::api::api!(@model $rty), cursor: None }
    };
    (@returns nothing) => {
        $crate::describe::ReturnType { form: $crate::describe::Returns::Nothing, ty: "()", model: None, cursor: None }
    };
    (@returns pager $pager:ident <$item:ty>) => {
        $crate::describe::ReturnType { form: $crate::describe::Returns::Pager, ty: stringify!($item), model: Some($crate::describe::model_of::<$item>()), cursor: Some(stringify!($pager)) }
    };
    (@model bool) => { None };
    (@model ApiKey) => { None };
    (@model $rty:ident) => { Some($crate::describe::model_of::<$rty>()) };

    // ---- methods -------------------------------------------------------------------------
    // Lists return their own cursor type (`EmployeePager`): one concrete type per list, so that
    // uniffi can export it, wrapping the generic `Pager<T>`. A `custom` method is hand-written
    // in the resource module (with `cfg_attr(feature = "uniffi", uniffi::export(...))` on its
    // impl); the cursor type is still defined here.
    (@method [$($flag:ident)*] $Handle:ident $CONST:ident $method:ident ($($args:tt)*) -> pager $pager:ident <$item:ty>; $($doc:literal)*) => {
        $crate::pagination::cursor!($pager, $item);
        $crate::api::api!(@pager_method [$($flag)*] $Handle $CONST $method ($($args)*) -> $pager <$item>; $($doc)*);
        $crate::api::api!(@ffi_pager $Handle $CONST $method ($($args)*) -> $pager; $($doc)*);
    };
    (@method [$($flag:ident)*] $Handle:ident $CONST:ident $method:ident ($($args:tt)*) -> $ret:ident $($rty:ident)?; $($doc:literal)*) => {
        $crate::api::api!(@call_method [$($flag)*] $Handle $CONST $method ($($args)*) -> $ret $($rty)?; $($doc)*);
        $crate::api::api!(@ffi_call $Handle $CONST $method ($($args)*) -> $ret $($rty)?; $($doc)*);
    };

    // Kotlin/Swift: one exported method per operation, with the Rust method's name, taking owned
    // strings where the Rust method borrows them (uniffi lifts no `&str`).
    (@ffi_pager $Handle:ident $CONST:ident $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $pager:ident; $($doc:literal)*) => {
        #[cfg(feature = "uniffi")]
        mikopbx_macros::with_names! {
            #[uniffi::export]
            impl $Handle {
                $(#[doc = $doc])*
                #[allow(non_snake_case)]
                #[uniffi::method(name = name_of!($method))]
                pub fn $CONST(&self, $($arg: $crate::api::api!(@owned $role $aty)),*) -> $pager {
                    self.$method($($crate::api::api!(@pass_owned $role $arg)),*)
                }
            }
        }
    };
    (@ffi_call $Handle:ident $CONST:ident $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $ret:ident $($rty:ident)?; $($doc:literal)*) => {
        #[cfg(feature = "uniffi")]
        mikopbx_macros::with_names! {
            #[uniffi::export(async_runtime = "tokio")]
            impl $Handle {
                $(#[doc = $doc])*
                #[allow(non_snake_case)]
                #[uniffi::method(name = name_of!($method))]
                pub async fn $CONST(&self, $($arg: $crate::api::api!(@owned $role $aty)),*)
                    -> Result<$crate::api::api!(@rust_ret $ret $($rty)?), $crate::Error> {
                    self.$method($($crate::api::api!(@pass_owned $role $arg)),*).await
                }
            }
        }
    };
    (@pass_owned id $arg:ident) => { &$arg };
    (@pass_owned field $arg:ident) => { &$arg };
    (@pass_owned param $arg:ident) => { $arg.as_deref() };
    (@pass_owned query $arg:ident) => { $arg };
    (@pass_owned body $arg:ident) => { $arg };

    (@pager_method [custom $($rest:ident)*] $($tail:tt)*) => {};
    (@pager_method [$other:ident $($rest:ident)*] $($tail:tt)*) => {
        $crate::api::api!(@pager_method [$($rest)*] $($tail)*);
    };
    (@pager_method [] $Handle:ident $CONST:ident $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $pager:ident <$item:ty>; $($doc:literal)*) => {
        impl $Handle {
            $(#[doc = $doc])*
            pub fn $method(&self, $($arg: $aty),*) -> $pager {
                $pager::from($crate::api::api!(@pager_body self, $CONST, $($arg)*))
            }
        }
    };
    (@pager_body $self:ident, $CONST:ident, $query:ident) => {
        $crate::Pager::for_query($self.client.clone(), &$CONST, &$query)
    };
    (@pager_body $self:ident, $CONST:ident,) => {
        $crate::Pager::for_query($self.client.clone(), &$CONST, &())
    };

    (@call_method [custom $($rest:ident)*] $($tail:tt)*) => {};
    (@call_method [$other:ident $($rest:ident)*] $($tail:tt)*) => {
        $crate::api::api!(@call_method [$($rest)*] $($tail)*);
    };
    (@call_method [] $Handle:ident $CONST:ident $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $ret:ident $($rty:ident)?; $($doc:literal)*) => {
        impl $Handle {
            $(#[doc = $doc])*
            pub async fn $method(&self, $($arg: $aty),*) -> Result<$crate::api::api!(@rust_ret $ret $($rty)?), $crate::Error> {
                #[allow(unused_mut)]
                let mut request = $crate::api::Request::default();
                $( $crate::api::api!(@fill request, $CONST, $role $arg); )*
                $crate::api::api!(@execute self, $CONST, request, $ret)
            }
        }
    };

    (@rust_ret one ApiKey) => { $crate::ApiKey };
    (@rust_ret one $rty:ident) => { $rty };
    (@rust_ret list $rty:ident) => { Vec<$rty> };
    (@rust_ret nothing) => { () };

    (@fill $req:ident, $CONST:ident, id $arg:ident) => { $req.id = Some($arg); };
    (@fill $req:ident, $CONST:ident, query $arg:ident) => { $req.query = $crate::api::query_pairs(&$arg); };
    (@fill $req:ident, $CONST:ident, body $arg:ident) => { $req.body = Some($crate::api::body_json($CONST.name, &$arg)?); };

    (@execute $self:ident, $CONST:ident, $req:ident, one) => { $self.client.execute_one(&$CONST, $req).await };
    (@execute $self:ident, $CONST:ident, $req:ident, list) => { $self.client.execute_list(&$CONST, $req).await };
    (@execute $self:ident, $CONST:ident, $req:ident, nothing) => { $self.client.execute(&$CONST, $req).await.map(|_| ()) };

    // ---- by-name dispatch (JSON) ----------------------------------------------------------
    (@json $self:ident, $CONST:ident, $args:ident, $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $($ret:tt)*) => {{
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(non_camel_case_types)]
        struct Args { $($arg: $crate::api::api!(@owned $role $aty)),* }
        match $crate::dynamic::arguments::<Args>(&$CONST, $args) {
            #[allow(unused_variables)]
            Ok(a) => Ok($crate::api::api!(@json_run $self, a, $method ($($role $arg),*) -> $($ret)*)),
            Err(e) => Err(e),
        }
    }};
    (@json_run $self:ident, $a:ident, $method:ident ($($role:ident $arg:ident),*) -> pager $pager:ident <$item:ty>) => {
        $crate::dynamic::DynCall::pager($self.$method($($crate::api::api!(@pass $a, $role $arg)),*).into_pager())
    };
    (@json_run $self:ident, $a:ident, $method:ident ($($role:ident $arg:ident),*) -> $ret:ident $($rty:ident)?) => {
        $crate::dynamic::DynCall::future(async move {
            $self.$method($($crate::api::api!(@pass $a, $role $arg)),*).await
                .map($crate::api::api!(@json_wrap $ret $($rty)?))
        })
    };
    (@json_wrap nothing) => { |_: ()| serde_json::Value::Null };
    (@json_wrap $ret:ident ApiKey) => { |k: $crate::ApiKey| serde_json::Value::String(k.expose_secret().to_owned()) };
    (@json_wrap $ret:ident $rty:ident) => { |v| serde_json::to_value(v).unwrap_or_default() };

    // ---- Python dispatch -------------------------------------------------------------------
    (@python $self:ident, $CONST:ident, $args:ident, $method:ident ($($role:ident $arg:ident : $aty:ty),*) -> $($ret:tt)*) => {{
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(non_camel_case_types)]
        struct Args { $($arg: $crate::api::api!(@owned $role $aty)),* }
        match $crate::python::arguments::<Args>(&$CONST, $args) {
            #[allow(unused_variables)]
            Ok(a) => Ok($crate::api::api!(@python_run $self, a, $method ($($role $arg),*) -> $($ret)*)),
            Err(e) => Err(e),
        }
    }};
    (@owned id $aty:ty) => { String };
    (@owned field $aty:ty) => { String };
    (@owned param $aty:ty) => { Option<String> };
    (@owned query $aty:ty) => { $aty };
    (@owned body $aty:ty) => { $aty };
    (@pass $a:ident, id $arg:ident) => { &$a.$arg };
    (@pass $a:ident, field $arg:ident) => { &$a.$arg };
    (@pass $a:ident, param $arg:ident) => { $a.$arg.as_deref() };
    (@pass $a:ident, query $arg:ident) => { $a.$arg };
    (@pass $a:ident, body $arg:ident) => { $a.$arg };
    (@python_run $self:ident, $a:ident, $method:ident ($($role:ident $arg:ident),*) -> pager $pager:ident <$item:ty>) => {
        $crate::python::PyCall::pager($self.$method($($crate::api::api!(@pass $a, $role $arg)),*).into_pager())
    };
    (@python_run $self:ident, $a:ident, $method:ident ($($role:ident $arg:ident),*) -> $ret:ident $($rty:ident)?) => {
        $crate::python::PyCall::future(async move {
            $self.$method($($crate::api::api!(@pass $a, $role $arg)),*).await
                .map($crate::api::api!(@py_wrap $ret $($rty)?))
        })
    };
    (@py_wrap nothing) => { |v: ()| v };
    (@py_wrap $ret:ident bool) => { |v: bool| v };
    (@py_wrap list $rty:ident) => { $crate::python::Records };
    (@py_wrap $ret:ident ApiKey) => { |v: $crate::ApiKey| v };
    (@py_wrap $ret:ident $rty:ident) => { $crate::python::Record };
}
pub(crate) use api;
