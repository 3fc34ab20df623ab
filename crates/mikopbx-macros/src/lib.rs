//! `#[derive(Describe)]`: a model's machine-readable shape, read from the struct itself.
//!
//! The description (field names on the Rust side and on the wire, types as written, doc comments)
//! is what the operations manifest (`mikopbx operations --json`) and the binding generators read,
//! so a model's fields are stated once: in its Rust definition, with its serde attributes.

use proc_macro::TokenStream;
use proc_macro2::{Group, Literal, TokenStream as TokenStream2, TokenTree};
use quote::quote;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, Lit, Meta, parse_macro_input};

/// Implements `mikopbx::describe::Describe` for a struct with named fields, or for an enum of
/// unit variants (described by its variant names).
#[proc_macro_derive(Describe)]
pub fn derive_describe(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let name_str = name.to_string();
    let doc = docs(&input.attrs);
    let body = match &input.data {
        Data::Struct(s) => {
            let Fields::Named(named) = &s.fields else {
                return syn::Error::new_spanned(name, "Describe needs named fields")
                    .to_compile_error()
                    .into();
            };
            let fields = named.named.iter().map(|f| {
                let ident = f
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let ty = &f.ty;
                let ty_str = quote!(#ty).to_string().replace(' ', "");
                let doc = docs(&f.attrs);
                let serde = serde_field(&f.attrs);
                let wire = serde.wire.unwrap_or_else(|| ident.clone());
                let skip = serde.skip;
                let model = match nested_model_type(ty) {
                    Some(inner) => quote! { Some(::mikopbx::describe::model_of::<#inner>()) },
                    None => quote! { None },
                };
                quote! {
                    ::mikopbx::describe::Field {
                        name: #ident,
                        wire: #wire,
                        ty: #ty_str,
                        doc: #doc,
                        local: #skip,
                        model: #model,
                    }
                }
            });
            quote! { ::mikopbx::describe::Shape::Record(&[#(#fields),*]) }
        }
        Data::Enum(e) => {
            let variants = e.variants.iter().map(|v| v.ident.to_string());
            quote! { ::mikopbx::describe::Shape::Enum(&[#(#variants),*]) }
        }
        Data::Union(_) => {
            return syn::Error::new_spanned(name, "Describe does not support unions")
                .to_compile_error()
                .into();
        }
    };
    quote! {
        impl ::mikopbx::describe::Describe for #name {
            const MODEL: ::mikopbx::describe::Model = ::mikopbx::describe::Model {
                name: #name_str,
                doc: #doc,
                shape: #body,
            };
        }
    }
    .into()
}

/// Passes its input through with every `name_of!(ident)` replaced by the string literal
/// `"ident"`.
///
/// `macro_rules!` cannot put a name into an attribute that wants a literal (uniffi's
/// `#[uniffi::method(name = "…")]` does not expand `stringify!`); the `api!` macro wraps the
/// Kotlin/Swift methods it generates in this, so each keeps the name of the Rust method it
/// forwards to.
#[proc_macro]
pub fn with_names(input: TokenStream) -> TokenStream {
    replace_names(input.into()).into()
}

fn replace_names(input: TokenStream2) -> TokenStream2 {
    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match (&tokens[i], tokens.get(i + 1), tokens.get(i + 2)) {
            (TokenTree::Ident(id), Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g)))
                if id == "name_of" && bang.as_char() == '!' =>
            {
                let mut lit = Literal::string(g.stream().to_string().trim());
                lit.set_span(id.span());
                out.push(TokenTree::Literal(lit));
                i += 3;
            }
            (TokenTree::Group(g), _, _) => {
                let mut inner = Group::new(g.delimiter(), replace_names(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
                i += 1;
            }
            (other, _, _) => {
                out.push(other.clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

/// The model type inside a field's type (`Vec<CallQueueMember>` → `CallQueueMember`), for types
/// that are not primitives or standard containers. Such a type must derive `Describe` too, or the
/// build fails: the manifest can then always name every nested record.
fn nested_model_type(ty: &syn::Type) -> Option<syn::Type> {
    const LEAVES: &[&str] = &[
        "String", "HashMap", "BTreeMap", "ApiKey", "Secret", "Duration",
    ];
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    if matches!(name.as_str(), "Option" | "Vec" | "Arc" | "Box") {
        if let syn::PathArguments::AngleBracketed(args) = &last.arguments
            && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
        {
            return nested_model_type(inner);
        }
        return None;
    }
    let is_primitive = name.starts_with(|c: char| c.is_ascii_lowercase());
    (!is_primitive && !LEAVES.contains(&name.as_str())).then(|| ty.clone())
}

/// The `///` lines, joined with newlines and trimmed of the one leading space rustdoc adds.
fn docs(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(l) => match &l.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).to_owned())
        .collect();
    lines.join("\n").trim().to_owned()
}

#[derive(Default)]
struct SerdeField {
    /// The name the field has when serialized (what the server sees).
    wire: Option<String>,
    /// Never serialized: a client-side setting such as a page size.
    skip: bool,
}

/// Reads `rename = "x"`, `rename(serialize = "x")`, `skip` and `skip_serializing` from
/// `#[serde(...)]`.
fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                if meta.input.peek(syn::Token![=]) {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    out.wire = Some(s.value());
                } else {
                    meta.parse_nested_meta(|inner| {
                        let s: syn::LitStr = inner.value()?.parse()?;
                        if inner.path.is_ident("serialize") {
                            out.wire = Some(s.value());
                        }
                        Ok(())
                    })?;
                }
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                out.skip = true;
            } else if meta.input.peek(syn::Token![=]) {
                // `default = "…"`, `deserialize_with = "…"`, `alias = "…"`: not part of the shape.
                let _: Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|inner| {
                    if inner.input.peek(syn::Token![=]) {
                        let _: Expr = inner.value()?.parse()?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        });
    }
    out
}
