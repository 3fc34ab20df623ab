//! The machine-readable shape of models and operations.
//!
//! Models derive [`Describe`] (from `mikopbx-macros`), which reads their fields, serde names and
//! doc comments; every operation's [`OperationSpec`](crate::OperationSpec) lists its
//! [`Param`]s and the model it returns. [`manifest_json`] puts both together: it is what
//! `mikopbx operations --json` prints and what the binding generators read
//! (`scripts/generate-bindings.py`), so nothing about an operation is restated by hand in a
//! binding.

use serde_json::{Value, json};

/// A model described by its own definition.
pub trait Describe {
    /// The description.
    const MODEL: Model;
}

/// A model: a record (struct with named fields) or an enum of unit variants.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    /// The Rust type name, which is also its name in Python, Kotlin and Swift.
    pub name: &'static str,
    /// Its doc comment.
    pub doc: &'static str,
    /// Fields or variants.
    pub shape: Shape,
}

/// Fields or variants of a [`Model`].
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A struct's fields, in declaration order.
    Record(&'static [Field]),
    /// An enum's variant names.
    Enum(&'static [&'static str]),
}

/// One field of a record.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The Rust name (also the Python attribute; Kotlin and Swift camel-case it).
    pub name: &'static str,
    /// The name on the wire (serde `rename`), the same as `name` unless renamed.
    pub wire: &'static str,
    /// The Rust type as written, without spaces (`Option<String>`).
    pub ty: &'static str,
    /// Its doc comment.
    pub doc: &'static str,
    /// Never sent (a client-side setting, such as a page size).
    pub local: bool,
    /// The model of a nested record or enum (`Vec<CallQueueMember>`).
    pub model: Option<fn() -> Model>,
}

/// Where an operation's argument goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// The `{id}` of the path.
    Path,
    /// A query struct: its fields are query parameters.
    Query,
    /// The JSON body (a struct, or one field of it).
    Body,
}

impl ParamIn {
    /// `path`, `query`, `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Body => "body",
        }
    }
}

/// One argument of an operation, as the Rust method takes it.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The argument name.
    pub name: &'static str,
    /// Where it goes.
    pub location: ParamIn,
    /// Its Rust type as written (`&str`, `EmployeeQuery`, `Option<String>`).
    pub ty: &'static str,
    /// The model, for struct arguments.
    pub model: Option<fn() -> Model>,
}

/// What an operation returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Nothing (`()`).
    Nothing,
    /// One value of `ty`.
    One,
    /// A `Vec` of `ty`, in one answer.
    List,
    /// A lazy pager of `ty`.
    Pager,
}

impl Returns {
    /// `nothing`, `one`, `list`, `pager`.
    pub fn as_str(self) -> &'static str {
        match self {
            Returns::Nothing => "nothing",
            Returns::One => "one",
            Returns::List => "list",
            Returns::Pager => "pager",
        }
    }
}

/// The type an operation returns, with its [`Returns`] form.
#[derive(Debug, Clone, Copy)]
pub struct ReturnType {
    /// The form.
    pub form: Returns,
    /// The item type as written (`Employee`, `bool`, `()`).
    pub ty: &'static str,
    /// The model, for record items.
    pub model: Option<fn() -> Model>,
    /// For pagers: the cursor type Kotlin and Swift get (`EmployeePager`).
    pub cursor: Option<&'static str>,
}

/// The model of `T` as a function pointer (what [`Param::model`] holds).
pub const fn model_of<T: Describe>() -> fn() -> Model {
    fn get<T: Describe>() -> Model {
        T::MODEL
    }
    get::<T>
}

impl Model {
    /// The fields of a record (empty for an enum).
    pub fn fields(&self) -> &'static [Field] {
        match self.shape {
            Shape::Record(f) => f,
            Shape::Enum(_) => &[],
        }
    }

    fn to_json(self) -> Value {
        match self.shape {
            Shape::Record(fields) => json!({
                "name": self.name,
                "doc": self.doc,
                "kind": "record",
                "fields": fields.iter().map(|f| json!({
                    "name": f.name,
                    "wire": f.wire,
                    "type": f.ty,
                    "doc": f.doc,
                    "local": f.local,
                })).collect::<Vec<_>>(),
            }),
            Shape::Enum(variants) => json!({
                "name": self.name,
                "doc": self.doc,
                "kind": "enum",
                "variants": variants,
            }),
        }
    }
}

/// One operation's parameters as `operations --json` prints them: the path id, each query
/// parameter of a query struct with its wire name, and the body.
pub fn parameters_json(op: &crate::OperationSpec) -> Vec<Value> {
    let mut out = Vec::new();
    for p in op.params {
        match (p.location, p.model) {
            (ParamIn::Query, Some(model)) => {
                for f in model().fields() {
                    out.push(json!({
                        "name": f.name,
                        "in": if f.local { "client" } else { "query" },
                        "wire": if f.local { Value::Null } else { f.wire.into() },
                        "type": f.ty,
                        "required": !f.ty.starts_with("Option<"),
                        "doc": f.doc,
                        // The struct argument the field belongs to, for bindings that take
                        // the fields one by one.
                        "argument": p.name,
                        "argument_type": p.ty,
                    }));
                }
            }
            (location, _) => out.push(json!({
                "name": p.name,
                "in": location.as_str(),
                "wire": match location {
                    ParamIn::Path => Value::from("{id}"),
                    ParamIn::Body if p.model.is_none() => p.name.into(),
                    _ => Value::Null,
                },
                "type": p.ty,
                "required": !p.ty.starts_with("Option<"),
                "doc": "",
            })),
        }
    }
    out
}

/// One operation as `operations --json` prints it. The keys `name`, `wire`, `method`, `path`,
/// `resource`, `access`, `idempotent`, `public` and `parameters` are a contract with tooling.
pub fn operation_json(op: &crate::OperationSpec) -> Value {
    json!({
        "name": op.name,
        "wire": op.wire,
        "method": op.method.as_str(),
        "path": op.path_template,
        "resource": op.resource.segment(),
        "access": op.access.as_str(),
        "idempotent": op.idempotent,
        "public": op.public,
        "dangerous": op.dangerous,
        "parameters": parameters_json(op),
        "returns": {
            "form": op.returns.form.as_str(),
            "type": op.returns.ty,
            "cursor": op.returns.cursor,
        },
        "shape": format!("{:?}", op.shape),
        "handle": op.handle,
        "handle_type": op.handle_type,
        "method_name": op.method_name,
        "summary": op.summary,
        "doc": op.doc,
    })
}

/// The operations table as a JSON array (`mikopbx operations --json`).
pub fn operations_json() -> Value {
    Value::Array(
        crate::operations::OPERATIONS
            .iter()
            .map(|op| operation_json(op))
            .collect(),
    )
}

/// Every model the operations take or return, and the records nested in them, by name.
pub fn models() -> std::collections::BTreeMap<&'static str, Model> {
    let mut models = std::collections::BTreeMap::new();
    let mut todo: Vec<Model> = Vec::new();
    for op in crate::operations::OPERATIONS.iter() {
        let used = op
            .params
            .iter()
            .filter_map(|p| p.model)
            .chain(op.returns.model);
        todo.extend(used.map(|m| m()));
    }
    while let Some(model) = todo.pop() {
        if models.insert(model.name, model).is_none() {
            todo.extend(model.fields().iter().filter_map(|f| f.model).map(|m| m()));
        }
    }
    models
}

/// Operations plus every model they reach, sorted by name: the input of the binding generators.
pub fn manifest_json() -> Value {
    let models = models();
    json!({
        "sdk_version": env!("CARGO_PKG_VERSION"),
        "operations": operations_json(),
        "models": models.values().map(|m| m.to_json()).collect::<Vec<_>>(),
    })
}
