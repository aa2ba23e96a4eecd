//! `env.from_source(source, strategy, "name")`: a connector's source (Kafka) with its
//! watermark strategy, named as Flink's `fromSource` names it. Records it cannot read may
//! go to a side output (`OnBadRecord::SideOutput(&TAG)`, read with `.side_output(&TAG)`).
//!
//! ```ignore
//! env.from_source(kafka, WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(1)), "metrics")
//!     .print();
//! ```

use super::strategy;
use crate::build::{Builder, OperatorSpec, StreamKind, StreamRef};
use crate::ir::{Node, Operator, Shape};
use crate::parse::Call;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub static FROM_SOURCE: OperatorSpec = OperatorSpec {
    op: Operator { method: "from_source", display: "Source: from_source", emit, writes_side_outputs: true },
    on: &[StreamKind::Env],
    args: (3, 3),
    signature: "from_source(source, WatermarkStrategy::for_bounded_out_of_orderness(..), \"name\")",
    after_sink: false,
    build,
};

fn build(b: &mut Builder, _: StreamRef, call: &Call, spec: &'static OperatorSpec) -> Option<StreamRef> {
    let id = b.new_node(spec, call, Vec::new(), Shape::Source { parallel: true });
    // Flink names the source after `fromSource`'s name argument.
    if let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. })) = call.args.get(2) {
        b.node_mut(id).name = Some(format!("Source: {}", name.value()));
    }
    Some(StreamRef::of(id, call.span))
}

fn emit(node: &Node) -> TokenStream {
    let a = &node.args;
    let (source, name) = (&a[0], &a[2]);
    let strategy = strategy(&a[1]);
    quote_spanned!(node.span=> {
        let _: &str = #name;
        ::rill::codegen::FromSource::new(#source, #strategy)
    })
}
