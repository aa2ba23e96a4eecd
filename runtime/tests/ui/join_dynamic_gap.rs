use rill::prelude::*;

#[rill::job]
fn job(env: &mut Env) {
    let a = env.from_sequence(1, 3);
    let b = env.from_sequence(4, 6);
    a.join(b)
        .where_(|x| *x)
        .equal_to(|y| *y)
        .window(EventTimeSessionWindows::with_dynamic_gap(|x| std::time::Duration::from_millis(*x as u64)))
        .apply(|x, y| x + y)
        .print();
}
