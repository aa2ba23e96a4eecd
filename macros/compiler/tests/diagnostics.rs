//! Every call-level diagnostic of the compiler, each from a pipeline that makes it: the
//! messages the operator specs and the builder's shared checks give, at the right call.
//! (The compile-fail tests in `runtime/tests/ui` check how rustc shows a few of them.)

use quote::quote;
use rill_compiler::diag::Diagnostics;
use rill_compiler::{build_graph, parse_job};

/// The messages of the job with this body, each with the source text of where it points.
fn errors(body: proc_macro2::TokenStream) -> Vec<String> {
    let mut diags = Diagnostics::default();
    let item = syn::parse2(quote!(fn job(env: &mut Env) { #body })).unwrap();
    let job = parse_job(item, &mut diags).expect("a job function");
    let graph = build_graph(&job, &mut diags);
    rill_compiler::validate::validate(&graph, &job.name, &mut diags);
    diags.errors.iter().map(|d| d.message.clone()).collect()
}

/// The one message of the job with this body.
fn error(body: proc_macro2::TokenStream) -> String {
    let errors = errors(body);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn methods_on_the_wrong_kind_of_stream_say_where_they_belong() {
    let e = error(quote!(env.from_sequence(1, 2).from_elements([1]).print();));
    assert_eq!(e, "`from_elements` is a source: call it on `env`");
    let e = error(quote!(env.from_sequence(1, 2).reduce(|a, b| a + b).print();));
    assert!(e.starts_with("`reduce` is a rolling aggregation and needs a keyed stream"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).trigger(CountTrigger::of(2)).print();));
    assert!(e.starts_with("`trigger` belongs to a windowed stream"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).co_map(|a| a, |b| b).print();));
    assert_eq!(e, "`co_map` belongs to connected streams: a.connect(b).co_map(..)");
    let e = error(quote!(env.from_sequence(1, 2).between(0, 1).print();));
    assert_eq!(e, "`between` belongs to connected streams: a.connect(b).between(..)");
}

#[test]
fn co_flat_map_takes_two_functions_of_one_form() {
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).connect(b).co_flat_map(|a, out| out.collect(a), |b| vec![b]).print();
    });
    assert!(e.starts_with("`co_flat_map` takes two functions of one form"), "{e}");
}

#[test]
fn each_kind_of_stream_says_what_it_has() {
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).connect(b).map(|n| n).print();
    });
    assert!(e.starts_with("on connected streams come `co_map`, `co_flat_map`, `key_by(k1, k2)`"), "{e}");
    assert!(e.ends_with("not `map`"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).connect(b).key_by(|a| *a).print();
    });
    assert!(e.ends_with("not `key_by`"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2).key_by(|n| *n);
        env.from_sequence(1, 2).key_by(|n| *n).interval_join(b).process(|a, b, c, o| ()).print();
    });
    assert!(e.starts_with("`process` does not belong here: an interval join reads"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2).key_by(|n| *n);
        env.from_sequence(1, 2).key_by(|n| *n).interval_join(b).between(0, 1).between(0, 1).print();
    });
    assert!(e.starts_with("`between` does not belong here: an interval join reads"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).join(b).where_(|a| *a).where_(|a| *a).print();
    });
    assert!(e.starts_with("`where_` does not belong here: a window join reads"), "{e}");
    let e = error(quote! {
        env.from_sequence(1, 2).key_by(|n| *n).window(TumblingEventTimeWindows::of(d)).name("w").print();
    });
    assert!(e.starts_with("after `window(..)` comes a window function"), "{e}");
}

#[test]
fn operators_check_their_own_use() {
    let e = error(quote!(env.from_sequence(1, 2).key_by(|a| *a, |b| *b).print();));
    assert!(e.starts_with("`key_by` with two key selectors is for connected streams"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).key_by(|n| *n).reduce(|a, b| a + b, |k, w, r, o| ()).print();));
    assert!(e.starts_with("`reduce` takes 1 argument on a keyed stream"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).key_by(|n| *n).window_all(GlobalWindows::create()).sum(0).print();));
    assert!(e.starts_with("`window_all` takes a stream that is not keyed"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).key_by(|n| *n).sum(|n| n).print();));
    assert!(e.starts_with("`sum` takes a field"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).interval_join(b).between(0, 1).process(|a, b, c, o| ()).print();
    });
    assert!(e.starts_with("`interval_join` joins two keyed streams"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2);
        env.from_sequence(1, 2).key_by(|n| *n).connect(b).process(F).print();
    });
    assert!(e.starts_with("`process` on connected streams takes both keyed"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).connect(3).print();));
    assert!(e.starts_with("`connect` takes a stream"), "{e}");
    let e = error(quote! {
        let b = env.from_sequence(1, 2).print();
        env.from_sequence(1, 2).union(b).print();
    });
    assert_eq!(e, "this stream ends in a sink and cannot be unioned");
}

#[test]
fn settings_check_what_they_set() {
    let e = error(quote!(env.from_sequence(1, 2).map(|n| n).name(title).print();));
    assert!(e.starts_with("`name` takes a string literal"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).map(|n| n).set_parallelism(0).print();));
    assert_eq!(e, "parallelism must be at least 1");
    let e = error(quote!(env.from_sequence(1, 2).map(|n| n).set_max_parallelism(40000).print();));
    assert!(e.starts_with("max parallelism takes a whole number from 1 to 32768"), "{e}");
    let e = error(quote! {
        env.from_sequence(1, 2).window_all(GlobalWindows::create()).sum(0).set_parallelism(2).print();
    });
    assert!(e.starts_with("a `window_all` operator sees every record in one subtask"), "{e}");
    let e = error(quote!(env.from_sequence(1, 2).map(|n| n).set_parallelism(2).set_max_parallelism(1).print();));
    assert!(e.starts_with("parallelism 2 is above the max parallelism 1"), "{e}");
    // A sink may be named; nothing else follows it.
    assert!(errors(quote!(env.from_sequence(1, 2).print().name("out").uid("out");)).is_empty());
}

#[test]
fn unknown_methods_get_suggestions() {
    let e = error(quote!(env.from_sequense(1, 2).print();));
    assert_eq!(e, "unknown source `from_sequense`; did you mean `from_sequence`?");
    let e = error(quote!(env.from_sequence(1, 2).windw(w).print();));
    assert_eq!(e, "unknown operator `windw`; did you mean `window`?");
    let e = error(quote!(env.from_sequence(1, 2).map().print();));
    assert_eq!(e, "`map` takes 1 argument, but 0 were given: map(|record| ...)");
}

#[test]
fn a_variable_parallelism_is_one_value_compared_as_written() {
    // Equal expressions chain; a literal and an expression do not.
    let mut diags = Diagnostics::default();
    let item = syn::parse2(quote! {
        fn job(env: &mut Env) {
            env.from_sequence(1, 2).set_parallelism(p + 1).map(|n| n).set_parallelism(p + 1).print().set_parallelism(2);
        }
    })
    .unwrap();
    let job = parse_job(item, &mut diags).unwrap();
    let graph = build_graph(&job, &mut diags);
    assert!(diags.is_empty());
    let phys = rill_compiler::chain::chain(&graph);
    let chains: Vec<usize> = phys.chains.iter().map(|c| c.nodes.len()).collect();
    assert_eq!(chains, [2, 1]);
}
