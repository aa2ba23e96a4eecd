//! How a key selector is emitted: borrowing the key from the record, or computing it.
//!
//! `key_by(|(word, _)| word)`, `key_by(|r| r.host)` and `key_by(|r| r.host.clone())` name a
//! part of the record: the runtime can hash it and look state up by reference, and clone
//! it only for a key it has not seen (see `rill::state::key_selector`). rustc infers a
//! closure that returns a reference into its argument only against a bound that says so,
//! so the compiler decides here, from the closure as written, which selector it is:
//!
//! - a binding of the parameter (the parameter itself, or a binding of a pattern that
//!   destructures it, which Rust's binding modes make a reference) is returned as it is;
//! - a field path on one (`r.host`, `a.key.id`) is borrowed: `&r.host`;
//! - `.clone()` of either, or `*binding`, is the same key as a value: borrowed instead, so
//!   that a key is not copied per record only to be looked up;
//! - anything else (a computation, a binding under `&` in the pattern) is computed.
//!
//! Either way the key type is the one the user wrote (`.clone()` returns `Self`, the
//! borrowed `&r.host` has the type of `r.host`): `ctx.current_key()` does not change.

use crate::closures::moved;
use proc_macro2::TokenStream;
use quote::quote_spanned;
use std::collections::HashSet;
use syn::spanned::Spanned;
use syn::{Expr, Pat};

/// `|k| k.borrowed(..)` or `|k| k.owned(..)`: the selector maker a keyed builder method takes.
pub fn selector(closure: &Expr) -> TokenStream {
    let span = closure.span();
    match borrowing(closure) {
        Some(borrowing) => quote_spanned!(span=> |__rill_k| __rill_k.borrowed(#borrowing)),
        None => {
            let closure = moved(closure);
            quote_spanned!(span=> |__rill_k| __rill_k.owned(#closure))
        }
    }
}

/// What a hash exchange routes by: a closure that hashes what hashes as the key does,
/// without making the key where that can be seen from the selector: `.clone()` and
/// `.to_owned()` of a part of the record are hashed in place (an owned value hashes as what
/// it was made from: `Borrow`'s contract), also inside a tuple, so that
/// `|m| (m.host.clone(), m.metric.clone())` routes by `(&m.host, &m.metric)` and allocates
/// nothing. Anything else is computed and hashed.
pub fn hasher(closure: &Expr) -> TokenStream {
    let span = closure.span();
    match selector_closure(closure) {
        Some((c, refs)) => {
            let view = hash_view(&c.body, &refs);
            let (capture, pat) = (c.capture, &c.inputs[0]);
            let capture = capture.map_or_else(|| quote_spanned!(span=> move), |m| quote::quote!(#m));
            quote_spanned!(span=> #capture |#pat| ::rill::codegen::key_hash(&(#view)))
        }
        None => quote_spanned!(span=> move |__rill_r| ::rill::codegen::key_hash(&(#closure)(__rill_r))),
    }
}

/// A closure of one parameter (the record) without a written return type, and the
/// bindings of its parameter that are references into the record: the selectors whose
/// body the compiler may read.
fn selector_closure(closure: &Expr) -> Option<(&syn::ExprClosure, HashSet<syn::Ident>)> {
    let Expr::Closure(c) = closure else { return None };
    if c.inputs.len() != 1 || !matches!(c.output, syn::ReturnType::Default) {
        return None;
    }
    let mut refs = HashSet::new();
    reference_bindings(&c.inputs[0], true, &mut refs);
    Some((c, refs))
}

/// `e` names a part of the record: a reference binding of the parameter, or a field path
/// on one.
fn part_of_record(e: &Expr, refs: &HashSet<syn::Ident>) -> bool {
    match binding(e) {
        Some(ident) => refs.contains(ident),
        None => matches!(e, Expr::Field(_)) && rooted_in(e, refs),
    }
}

/// The selector's body with copies of parts of the record replaced by the parts (see
/// [`hasher`]).
fn hash_view(body: &Expr, refs: &HashSet<syn::Ident>) -> Expr {
    match unparen(body) {
        Expr::MethodCall(m)
            if (m.method == "clone" || m.method == "to_owned") && m.args.is_empty() && m.turbofish.is_none() =>
        {
            let receiver = unparen(&m.receiver);
            if part_of_record(receiver, refs) {
                let span = receiver.span();
                syn::parse_quote_spanned!(span=> &#receiver)
            } else {
                body.clone()
            }
        }
        Expr::Tuple(t) => {
            let mut t = t.clone();
            for e in t.elems.iter_mut() {
                *e = hash_view(e, refs);
            }
            Expr::Tuple(t)
        }
        _ => body.clone(),
    }
}

/// The selector rewritten to return a reference into the record, if it names a part of it.
fn borrowing(closure: &Expr) -> Option<Expr> {
    let (c, refs) = selector_closure(closure)?;
    let body = place_of(&c.body, &refs)?;
    let mut rewritten = c.clone();
    rewritten.body = Box::new(body);
    Some(moved(&Expr::Closure(rewritten)))
}

/// The bindings of `pat` that are references into the record: all of them where the
/// pattern matches the `&Record` argument without a `&` pattern (default binding modes).
fn reference_bindings(pat: &Pat, by_ref: bool, refs: &mut HashSet<syn::Ident>) {
    match pat {
        Pat::Ident(i) if i.subpat.is_none() && (by_ref || i.by_ref.is_some()) => {
            refs.insert(i.ident.clone());
        }
        Pat::Type(t) => reference_bindings(&t.pat, by_ref, refs),
        Pat::Paren(p) => reference_bindings(&p.pat, by_ref, refs),
        Pat::Reference(r) => reference_bindings(&r.pat, false, refs),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| reference_bindings(p, by_ref, refs)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| reference_bindings(p, by_ref, refs)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| reference_bindings(&f.pat, by_ref, refs)),
        _ => {}
    }
}

/// The body as an expression of type `&Key`, if it names a part of the record.
fn place_of(body: &Expr, refs: &HashSet<syn::Ident>) -> Option<Expr> {
    let body = unparen(body);
    // `x.clone()` and `*x` are the key `x` names, as a value.
    let inner = match body {
        Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() && m.turbofish.is_none() => {
            unparen(&m.receiver)
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => unparen(&u.expr),
        Expr::Reference(r) if r.mutability.is_none() => unparen(&r.expr),
        other => other,
    };
    if !part_of_record(inner, refs) {
        return None;
    }
    if binding(inner).is_some() {
        // A reference binding is already `&Key`.
        return Some(inner.clone());
    }
    let span = inner.span();
    Some(syn::parse_quote_spanned!(span=> &#inner))
}

/// `x`: a path of one identifier.
fn binding(e: &Expr) -> Option<&syn::Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
        _ => None,
    }
}

/// A field path (`a.b.0`) whose root is a reference binding.
fn rooted_in(e: &Expr, refs: &HashSet<syn::Ident>) -> bool {
    match unparen(e) {
        Expr::Field(f) => rooted_in(&f.base, refs),
        other => binding(other).is_some_and(|i| refs.contains(i)),
    }
}

fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn borrowed(src: &str) -> Option<String> {
        let e: Expr = syn::parse_str(src).unwrap();
        borrowing(&e).map(|b| b.to_token_stream().to_string())
    }

    #[test]
    fn parts_of_the_record_are_borrowed() {
        assert_eq!(borrowed("|(w, _)| w").as_deref(), Some("move | (w , _) | w"));
        assert_eq!(borrowed("|(w, _)| w.clone()").as_deref(), Some("move | (w , _) | w"));
        assert_eq!(borrowed("|(k, _)| *k").as_deref(), Some("move | (k , _) | k"));
        assert_eq!(borrowed("|t| t.0").as_deref(), Some("move | t | & t . 0"));
        assert_eq!(borrowed("|t| t.host.clone()").as_deref(), Some("move | t | & t . host"));
        assert_eq!(borrowed("|w| w.clone()").as_deref(), Some("move | w | w"));
        assert_eq!(borrowed("|m: &Metric| &m.key.id").as_deref(), Some("move | m : & Metric | & m . key . id"));
        assert_eq!(borrowed("|Metric { host, .. }| host").as_deref(), Some("move | Metric { host , .. } | host"));
    }

    fn hashed(src: &str) -> String {
        let e: Expr = syn::parse_str(src).unwrap();
        hasher(&e).to_string()
    }

    #[test]
    fn exchanges_hash_parts_of_the_record_in_place() {
        assert!(hashed("|m| (m.host.clone(), m.metric.clone())").contains("key_hash (& ((& m . host , & m . metric)))"));
        assert!(hashed("|(w, _)| w.to_owned()").contains("key_hash (& (& w))"));
        assert!(hashed("|t| t.0").contains("key_hash (& (t . 0))"));
        // A computation is hashed as computed; `to_string` of a number is another value.
        assert!(hashed("|t| t.0.to_string()").contains("key_hash (& (t . 0 . to_string ()))"));
        assert!(hashed("key_of").contains("key_hash (& (key_of) (__rill_r))"));
    }

    #[test]
    fn computed_keys_and_copies_out_of_the_pattern_are_owned() {
        for src in [
            "|t| t.0 % 16",
            "|t| t.name.to_lowercase()",
            "|&(k, _)| k",
            "|(a, b)| (a.clone(), b.clone())",
            "|_| REGION",
            "|t| -> i64 { t.0 }",
            "|t| t.0.to_owned()",
            "|t| { t.0 }",
            "key_of",
            "|t| t.key()",
        ] {
            assert_eq!(borrowed(src), None, "{src}");
        }
    }
}
