//! `key_by(..).sum(field)`, `min`, `max`, `min_by`, `max_by`: Flink's rolling aggregations
//! per key. The field is a tuple position (`sum(1)`) or a field name (`sum(count)`), made a
//! field access at compile time, so a wrong field is a compile error at the argument.
//!
//! ```ignore
//! env.from_elements([("a", 1), ("a", 2)]).key_by(|(k, _)| *k).sum(1).print();
//! ```

use super::{id, key, one_input, operator};
use crate::build::{Builder, OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Shape};
use crate::parse::Call;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

macro_rules! rolling {
    ($name:ident, $method:literal, $signature:expr, $emit:expr) => {
        pub static $name: OperatorSpec = OperatorSpec {
            op: operator($method, "Keyed Aggregation", $emit),
            on: &[StreamKind::KeyedStream],
            args: (1, 1),
            signature: $signature,
            after_sink: false,
            build,
        };
    };
}

/// How each aggregation reads, on keyed and windowed streams.
pub const SUM_SIGNATURE: &str = "sum(field), with a tuple position (sum(1)) or a field name (sum(count))";

rolling!(SUM, "sum", SUM_SIGNATURE, |n| emit(n, Aggregation::Sum));
rolling!(MIN, "min", "min(field)", |n| emit(n, Aggregation::Min));
rolling!(MAX, "max", "max(field)", |n| emit(n, Aggregation::Max));
rolling!(MIN_BY, "min_by", "min_by(field)", |n| emit(n, Aggregation::MinBy));
rolling!(MAX_BY, "max_by", "max_by(field)", |n| emit(n, Aggregation::MaxBy));

fn build(b: &mut Builder, cur: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    check_field(b, call)?;
    let key = cur.keyed.clone()?;
    Some(StreamRef::of(one_input(b, &cur, call, spec, Shape::Keyed { key }), call.span))
}

fn emit(node: &Node, aggregation: Aggregation) -> TokenStream {
    let (id, key) = (id(node), key(node));
    let agg = aggregation.emit(&node.args[0]);
    if aggregation.selects() {
        quote_spanned!(node.span=> .keyed_select_by(#id, #key, #agg))
    } else {
        quote_spanned!(node.span=> .keyed_field_aggregate(#id, #key, #agg))
    }
}

/// Which aggregation of a field.
#[derive(Clone, Copy)]
pub enum Aggregation {
    Sum,
    Min,
    Max,
    MinBy,
    MaxBy,
}

impl Aggregation {
    /// `min_by`/`max_by` keep the whole record with the least/greatest field.
    pub fn selects(self) -> bool {
        matches!(self, Aggregation::MinBy | Aggregation::MaxBy)
    }

    /// `sum(1)` → `::rill::codegen::Sum, |r| &mut r.1`: one field accessor, carrying the user's
    /// span, so that a wrong field is one error at the argument.
    pub fn emit(self, arg: &Expr) -> TokenStream {
        let field = field_of(arg).expect("validated field");
        let (access_mut, access) = match &field {
            Field::Index(0, span) => (
                quote_spanned!(*span=> |__rill_r| ::rill::codegen::Field0::field0(__rill_r)),
                quote_spanned!(*span=> |__rill_r| ::rill::codegen::Field0::field0_ref(__rill_r)),
            ),
            Field::Index(n, span) => {
                let idx = syn::Index { index: *n, span: *span };
                (
                    quote_spanned!(*span=> |__rill_r| &mut __rill_r.#idx),
                    quote_spanned!(*span=> |__rill_r| &__rill_r.#idx),
                )
            }
            Field::Named(ident) => (quote!(|__rill_r| &mut __rill_r.#ident), quote!(|__rill_r| &__rill_r.#ident)),
        };
        match self {
            Aggregation::Sum => quote!(::rill::codegen::Sum, #access_mut),
            Aggregation::Min => quote!(::rill::codegen::Min, #access_mut),
            Aggregation::Max => quote!(::rill::codegen::Max, #access_mut),
            Aggregation::MinBy => quote!(::rill::codegen::MinBy, #access),
            Aggregation::MaxBy => quote!(::rill::codegen::MaxBy, #access),
        }
    }
}

/// `sum(1)`, `sum(count)`, `sum("count")`: a tuple position or a field name.
pub fn check_field(b: &mut Builder, call: &Call) -> Option<()> {
    if field_of(&call.args[0]).is_none() {
        b.error(
            call.args[0].span(),
            format!("`{}` takes a field: a tuple position such as `1` or a field name such as `count`", call.method),
        );
        return None;
    }
    Some(())
}

/// The field an aggregation names: `Some(Index(1))` for `1`, `Some(Named(count))`.
pub enum Field {
    /// A tuple position, at the span of the literal.
    Index(u32, Span),
    /// A field name.
    Named(syn::Ident),
}

/// The field `arg` names: `1`, `"1"`, `count` or `"count"`.
pub fn field_of(arg: &Expr) -> Option<Field> {
    match arg {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok().map(|n| Field::Index(n, i.span())),
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => {
            let v = s.value();
            if let Ok(n) = v.parse::<u32>() {
                return Some(Field::Index(n, s.span()));
            }
            syn::parse_str::<syn::Ident>(&v).ok().map(|mut i| {
                i.set_span(s.span());
                Field::Named(i)
            })
        }
        Expr::Path(p) if p.path.segments.len() == 1 && p.qself.is_none() => {
            Some(Field::Named(p.path.segments[0].ident.clone()))
        }
        _ => None,
    }
}
