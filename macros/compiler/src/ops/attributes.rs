//! Settings of the operator right before them: `name("..")`, `uid("..")`,
//! `set_parallelism(n)`, `set_max_parallelism(n)`, `start_new_chain()`,
//! `disable_chaining()` (Flink's names). They may follow a sink, which they then set.
//!
//! ```ignore
//! env.from_elements(["a"]).map(|w| w.len()).name("lengths").uid("lengths-v1").set_parallelism(2).print();
//! ```

use super::setting;
use crate::build::{Builder, OperatorSpec, StreamRef, STREAMS};
use crate::ir::{Parallelism, Shape};
use crate::parse::Call;
use syn::spanned::Spanned;
use syn::{Expr, Lit};

/// What an attribute sets.
#[derive(Clone, Copy)]
enum Attribute {
    Name,
    Uid,
    Parallelism,
    MaxParallelism,
    StartNewChain,
    DisableChaining,
}

macro_rules! attribute {
    ($name:ident, $method:literal, $args:expr, $signature:literal, $attribute:expr) => {
        pub static $name: OperatorSpec = OperatorSpec {
            op: setting($method),
            on: STREAMS,
            args: $args,
            signature: $signature,
            after_sink: true,
            build: |b, cur, call, spec| {
                set(b, &cur, call, spec, $attribute)?;
                Some(cur)
            },
        };
    };
}

attribute!(NAME, "name", (1, 1), "name(\"...\")", Attribute::Name);
attribute!(UID, "uid", (1, 1), "uid(\"...\")", Attribute::Uid);
attribute!(SET_PARALLELISM, "set_parallelism", (1, 1), "set_parallelism(n)", Attribute::Parallelism);
attribute!(SET_MAX_PARALLELISM, "set_max_parallelism", (1, 1), "set_max_parallelism(n)", Attribute::MaxParallelism);
attribute!(START_NEW_CHAIN, "start_new_chain", (0, 0), "start_new_chain()", Attribute::StartNewChain);
attribute!(DISABLE_CHAINING, "disable_chaining", (0, 0), "disable_chaining()", Attribute::DisableChaining);

fn set(b: &mut Builder, cur: &StreamRef, call: &Call, spec: &OperatorSpec, attribute: Attribute) -> Option<()> {
    let method = spec.method();
    let Some(node) = cur.last.filter(|_| cur.between.is_none()) else {
        let between = cur.between.unwrap_or("the stream");
        b.error(
            call.span,
            format!("`{method}` sets the operator right before it, but `{between}` comes in between: move it right after the operator"),
        );
        return None;
    };
    let arg = call.args.first();
    match attribute {
        Attribute::Name | Attribute::Uid => {
            let Some(Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. })) = arg else {
                b.error(
                    arg.map_or(call.span, |a| a.span()),
                    format!("`{method}` takes a string literal, as in {}", spec.signature),
                );
                return None;
            };
            if matches!(attribute, Attribute::Name) {
                b.node_mut(node).name = Some(s.value());
            } else {
                b.node_mut(node).uid = Some((s.value(), s.span()));
            }
        }
        Attribute::Parallelism => {
            let arg = arg.expect("arity checked");
            let par = match int_literal(arg) {
                Some(0) => {
                    b.error(arg.span(), "parallelism must be at least 1");
                    return None;
                }
                Some(n) => Parallelism::Fixed(n),
                None => Parallelism::Expr(arg.clone()),
            };
            let n = b.node(node);
            if n.window().is_some_and(|w| w.all) && par != Parallelism::Fixed(1) {
                b.error(call.span, "a `window_all` operator sees every record in one subtask: its parallelism is 1");
                return None;
            }
            if matches!(n.shape, Shape::Source { parallel: false }) && par != Parallelism::Fixed(1) {
                let message = format!("`{}` is a non-parallel source: its parallelism is 1 (add `rebalance()` and set the parallelism of the next operator)", n.method());
                b.error(call.span, message);
                return None;
            }
            b.node_mut(node).parallelism = par;
        }
        Attribute::MaxParallelism => {
            let arg = arg.expect("arity checked");
            match int_literal(arg) {
                Some(n) if (1..=32768).contains(&n) => b.node_mut(node).max_parallelism = Some(n),
                _ => {
                    b.error(arg.span(), "max parallelism takes a whole number from 1 to 32768 written in the job");
                    return None;
                }
            }
        }
        Attribute::StartNewChain => b.node_mut(node).start_new_chain = true,
        Attribute::DisableChaining => b.node_mut(node).disable_chaining = true,
    }
    Some(())
}

fn int_literal(e: &Expr) -> Option<u32> {
    match e {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse().ok(),
        _ => None,
    }
}
