//! The IDE's view of a job (`rill::ide`): the typed stand-ins rust-analyzer completes
//! operators on compose as the compiler's streams do, so that after each call the IDE
//! offers the next kind of stream's operators. Never run: the types are read off closures.

use rill::ide::{IdeEnv, WindowedStream};
use rill::prelude::*;
use std::time::Duration;

/// The name of what `f` returns.
fn returns<R>(_: &impl FnOnce(&mut Env) -> R) -> &'static str {
    std::any::type_name::<R>()
}

#[test]
fn each_call_gives_the_next_kind_of_stream() {
    let mapped = |env: &mut Env| IdeEnv::of(env).from_elements(["a b"]).map(|l: &str| l.len()).filter(|n| *n > 1);
    assert_eq!(returns(&mapped), "rill::api::fragment::DataStream<usize>");
    let keyed = |env: &mut Env| {
        let lines: DataStream<String> = IdeEnv::of(env).from_elements(["a b"]);
        let keyed: KeyedStream<u8, String> = lines.key_by(|l: &String| l.len());
        keyed
    };
    assert_eq!(returns(&keyed), "rill::api::fragment::KeyedStream<u8, alloc::string::String>");
    let windowed = |env: &mut Env| {
        let keyed: KeyedStream<u8, String> = IdeEnv::of(env).from_elements(["a"]).key_by(|l: &String| l.len());
        keyed.window(TumblingEventTimeWindows::of(Duration::from_secs(1))).allowed_lateness(Duration::ZERO)
    };
    assert_eq!(returns(&windowed), std::any::type_name::<WindowedStream<u8, String>>());
    let sink = |env: &mut Env| IdeEnv::of(env).from_sequence::<i64>(0, 9).print().name("out").uid("out");
    assert_eq!(returns(&sink), "rill::ide::DataStreamSink");
}
