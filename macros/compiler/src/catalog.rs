//! The operators the compiler knows: their names, what they take and what they are.

/// What kind of thing a DataStream method makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A source on `env`.
    Source { parallel: bool },
    /// A one-input transformation.
    Transform,
    /// A rolling aggregation on a keyed stream.
    KeyedAggregation,
    /// `key_by`.
    KeyBy,
    /// A partitioning of the next edge (`rebalance`, ...).
    Partition,
    /// `union`.
    Union,
    /// A setting of the operator before it (`name`, `uid`, `set_parallelism`, ...).
    Attribute,
    /// A sink: ends the stream.
    Sink,
    /// `window(assigner)` on a keyed stream: a window function follows.
    Window,
    /// A setting of the window before it (`allowed_lateness`).
    WindowSetting,
    /// A function that only exists on a windowed stream (`aggregate`).
    WindowFunction,
    /// `side_output(&TAG)`: the records an operator wrote to a side output.
    SideOutput,
    /// `connect(other)`: two streams into one two-input operator.
    Connect,
    /// A function of connected streams (`co_map`, `co_flat_map`).
    CoFunction,
}

/// One DataStream method.
#[derive(Debug, Clone, Copy)]
pub struct OpInfo {
    pub method: &'static str,
    pub kind: Kind,
    /// Accepted argument counts, smallest and largest (`usize::MAX`: any number).
    pub args: (usize, usize),
    /// Flink's default operator name.
    pub display: &'static str,
    /// How the arguments read, for error messages.
    pub signature: &'static str,
}

const fn op(
    method: &'static str,
    kind: Kind,
    args: (usize, usize),
    display: &'static str,
    signature: &'static str,
) -> OpInfo {
    OpInfo { method, kind, args, display, signature }
}

use Kind::*;

pub const OPERATORS: &[OpInfo] = &[
    op("from_elements", Source { parallel: false }, (1, 1), "Source: from_elements", "from_elements([a, b, ...])"),
    op("from_iter", Source { parallel: false }, (1, 1), "Source: from_iter", "from_iter(iterable)"),
    op("from_sequence", Source { parallel: true }, (2, 2), "Source: from_sequence", "from_sequence(start, end)"),
    op(
        "socket_text_stream",
        Source { parallel: false },
        (2, 3),
        "Source: socket_text_stream",
        "socket_text_stream(host, port) or socket_text_stream(host, port, delimiter)",
    ),
    op(
        "from_source",
        Source { parallel: true },
        (3, 3),
        "Source: from_source",
        "from_source(source, WatermarkStrategy::for_bounded_out_of_orderness(..), \"name\")",
    ),
    op("read_text_file", Source { parallel: false }, (1, 1), "Source: read_text_file", "read_text_file(path)"),
    op("assign_timestamps_and_watermarks", Transform, (1, 1), "Timestamps/Watermarks", "assign_timestamps_and_watermarks(WatermarkStrategy::for_bounded_out_of_orderness(..).with_timestamp_assigner(|record, ts| ..))"),
    op("window", Window, (1, 1), "", "window(TumblingEventTimeWindows::of(Duration::from_secs(10)))"),
    op("window_all", Window, (1, 1), "", "window_all(TumblingEventTimeWindows::of(Duration::from_secs(10)))"),
    op("count_window", Window, (1, 2), "", "count_window(size) or count_window(size, slide)"),
    op("allowed_lateness", WindowSetting, (1, 1), "", "allowed_lateness(Duration::from_secs(5))"),
    op("aggregate", WindowFunction, (1, 2), "Window", "aggregate(an AggregateFunction) or aggregate(f, |key, window, result, out| ..)"),
    op("side_output_late_data", WindowSetting, (1, 1), "", "side_output_late_data(&TAG)"),
    op("trigger", WindowSetting, (1, 1), "", "trigger(CountTrigger::of(100))"),
    op("side_output", SideOutput, (1, 1), "Side Output", "side_output(&TAG)"),
    op("map", Transform, (1, 1), "Map", "map(|record| ...)"),
    op("flat_map", Transform, (1, 1), "Flat Map", "flat_map(|record| iterable)"),
    op("filter", Transform, (1, 1), "Filter", "filter(|record| bool)"),
    op("process", Transform, (1, 1), "Process", "process(|record, ctx, out| ...)"),
    op("key_by", KeyBy, (1, 2), "", "key_by(|record| key), on connected streams key_by(|a| key, |b| key)"),
    op("connect", Connect, (1, 1), "", "connect(other)"),
    op("join", Connect, (1, 1), "", "join(other).where_(|a| key).equal_to(|b| key).window(assigner).apply(|a, b| out)"),
    op("interval_join", Connect, (1, 1), "", "a.key_by(..).interval_join(b.key_by(..)).between(lower_ms, upper_ms).process(|left, right, ctx, out| ..)"),
    op("between", CoFunction, (2, 2), "", "between(lower_ms, upper_ms)"),
    op("where_", CoFunction, (1, 1), "", "where_(|a| key)"),
    op("equal_to", CoFunction, (1, 1), "", "equal_to(|b| key)"),
    op("apply", CoFunction, (1, 1), "Join", "apply(|a, b| out)"),
    op("co_map", CoFunction, (2, 2), "Co-Map", "co_map(|a| out, |b| out)"),
    op("co_flat_map", CoFunction, (2, 2), "Co-Flat Map", "co_flat_map(|a| iterable, |b| iterable)"),
    op("reduce", KeyedAggregation, (1, 2), "Keyed Reduce", "reduce(|aggregate, record| new_aggregate), on a window also reduce(f, |key, window, result, out| ..)"),
    op(
        "sum",
        KeyedAggregation,
        (1, 1),
        "Keyed Aggregation",
        "sum(field), with a tuple position (sum(1)) or a field name (sum(count))",
    ),
    op("min", KeyedAggregation, (1, 1), "Keyed Aggregation", "min(field)"),
    op("max", KeyedAggregation, (1, 1), "Keyed Aggregation", "max(field)"),
    op("min_by", KeyedAggregation, (1, 1), "Keyed Aggregation", "min_by(field)"),
    op("max_by", KeyedAggregation, (1, 1), "Keyed Aggregation", "max_by(field)"),
    op("union", Union, (1, usize::MAX), "", "union(other, ...)"),
    op("forward", Partition, (0, 0), "", "forward()"),
    op("rebalance", Partition, (0, 0), "", "rebalance()"),
    op("rescale", Partition, (0, 0), "", "rescale()"),
    op("broadcast", Partition, (0, 1), "", "broadcast(), or broadcast(&STATE) for a broadcast state"),
    op("global", Partition, (0, 0), "", "global()"),
    op("name", Attribute, (1, 1), "", "name(\"...\")"),
    op("uid", Attribute, (1, 1), "", "uid(\"...\")"),
    op("set_parallelism", Attribute, (1, 1), "", "set_parallelism(n)"),
    op("set_max_parallelism", Attribute, (1, 1), "", "set_max_parallelism(n)"),
    op("start_new_chain", Attribute, (0, 0), "", "start_new_chain()"),
    op("disable_chaining", Attribute, (0, 0), "", "disable_chaining()"),
    op("print", Sink, (0, 0), "Print to Std. Out", "print()"),
    op("print_to_err", Sink, (0, 0), "Print to Std. Err", "print_to_err()"),
    op("write_as_text", Sink, (1, 1), "Sink: write_as_text", "write_as_text(path)"),
    op("sink_to", Sink, (1, 1), "Sink: sink_to", "sink_to(sink)"),
    op("discard", Sink, (0, 0), "Sink: discard", "discard()"),
];

pub fn lookup(method: &str) -> Option<&'static OpInfo> {
    OPERATORS.iter().find(|o| o.method == method)
}

pub fn is_source(method: &str) -> bool {
    matches!(lookup(method), Some(OpInfo { kind: Source { .. }, .. }))
}

/// Names a stream method may have (everything but sources).
pub fn stream_methods() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().filter(|o| !matches!(o.kind, Source { .. })).map(|o| o.method)
}

pub fn source_methods() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().filter(|o| matches!(o.kind, Source { .. })).map(|o| o.method)
}
