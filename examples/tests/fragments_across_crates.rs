//! A fragment of another crate (`rill_examples::readings::readings`): called by its path,
//! inlined and fused here, its `crate::` paths still meaning its own crate.

use rill::prelude::*;
use rill::testing::{collect, Collected};

static MAXIMA: Collected<(String, i64)> = Collected::new();

#[rill::job(no_main)]
fn maxima(env: &mut Env) {
    let lines = env.from_elements(["a 1", "not a reading", "a 5", "b 2"]).map(|l| l.to_owned());
    rill_examples::readings::readings(lines).key_by(|(host, _)| host).max(1).sink_to(collect(&MAXIMA));
}

#[test]
fn a_fragment_of_another_crate_is_inlined_and_fused() {
    MAXIMA_JOB.run(Some(1), &[]).unwrap();
    let last: std::collections::BTreeMap<String, i64> = MAXIMA.values().into_iter().collect();
    assert_eq!(last, [("a".to_owned(), 5), ("b".to_owned(), 2)].into());
    // The map, the library's flat_map: one chain.
    assert!(MAXIMA_JOB.plan_json(1).contains("\"name\":\"Map -> Flat Map\""), "{}", MAXIMA_JOB.plan_json(1));
}
