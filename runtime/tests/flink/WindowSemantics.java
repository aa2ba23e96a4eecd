// The inputs of runtime/tests/windows.rs, run on Apache Flink 2.3. Its printed output is
// kept in expected.txt, which the Rust tests compare against. Regenerate with ./run.sh.
import org.apache.flink.api.common.eventtime.*;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class WindowSemantics {
    /** Bounded out-of-orderness (200 ms) that emits after every event. */
    static class EveryEvent<T> implements WatermarkGenerator<T> {
        long max = Long.MIN_VALUE + 201;
        public void onEvent(T e, long ts, WatermarkOutput out) {
            max = Math.max(max, ts);
            out.emitWatermark(new Watermark(max - 200 - 1));
        }
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    /** A trigger of the user's own: fires every third record of a key's window, and at the window's end. */
    static class EveryThirdOrEnd extends org.apache.flink.streaming.api.windowing.triggers.Trigger<Tuple3<String, Long, Long>, TimeWindow> {
        final ValueStateDescriptor<Long> seen = new ValueStateDescriptor<>("seen", Long.class);
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onElement(Tuple3<String, Long, Long> e, long ts, TimeWindow w, TriggerContext ctx) throws Exception {
            ctx.registerEventTimeTimer(w.maxTimestamp());
            ValueState<Long> s = ctx.getPartitionedState(seen);
            long n = (s.value() == null ? 0 : s.value()) + 1;
            s.update(n);
            return n % 3 == 0 ? org.apache.flink.streaming.api.windowing.triggers.TriggerResult.FIRE : org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onEventTime(long time, TimeWindow w, TriggerContext ctx) {
            return time == w.maxTimestamp() ? org.apache.flink.streaming.api.windowing.triggers.TriggerResult.FIRE : org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onProcessingTime(long time, TimeWindow w, TriggerContext ctx) {
            return org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public void clear(TimeWindow w, TriggerContext ctx) throws Exception {
            ctx.deleteEventTimeTimer(w.maxTimestamp());
            ctx.getPartitionedState(seen).clear();
        }
    }

    /** A trigger of the user's own on global windows: fires and purges every second record. */
    static class PairsPurged extends org.apache.flink.streaming.api.windowing.triggers.Trigger<Tuple2<String, Long>, org.apache.flink.streaming.api.windowing.windows.GlobalWindow> {
        final ValueStateDescriptor<Long> seen = new ValueStateDescriptor<>("seen", Long.class);
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onElement(Tuple2<String, Long> e, long ts, org.apache.flink.streaming.api.windowing.windows.GlobalWindow w, TriggerContext ctx) throws Exception {
            ValueState<Long> s = ctx.getPartitionedState(seen);
            long n = (s.value() == null ? 0 : s.value()) + 1;
            s.update(n);
            return n % 2 == 0 ? org.apache.flink.streaming.api.windowing.triggers.TriggerResult.FIRE_AND_PURGE : org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onEventTime(long time, org.apache.flink.streaming.api.windowing.windows.GlobalWindow w, TriggerContext ctx) {
            return org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public org.apache.flink.streaming.api.windowing.triggers.TriggerResult onProcessingTime(long time, org.apache.flink.streaming.api.windowing.windows.GlobalWindow w, TriggerContext ctx) {
            return org.apache.flink.streaming.api.windowing.triggers.TriggerResult.CONTINUE;
        }
        public void clear(org.apache.flink.streaming.api.windowing.windows.GlobalWindow w, TriggerContext ctx) throws Exception {
            ctx.getPartitionedState(seen).clear();
        }
    }

    /** Bounded out-of-orderness with a given bound that emits after every event. */
    static class Bounded<T> implements WatermarkGenerator<T> {
        final long bound;
        long max;
        Bounded(long bound) { this.bound = bound; this.max = Long.MIN_VALUE + bound + 1; }
        public void onEvent(T e, long ts, WatermarkOutput out) {
            max = Math.max(max, ts);
            out.emitWatermark(new Watermark(max - bound - 1));
        }
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);

        List<Tuple3<String, Long, Long>> events = Arrays.asList(
            Tuple3.of("a", 1000L, 1L), Tuple3.of("a", 1500L, 2L), Tuple3.of("b", 1200L, 10L),
            Tuple3.of("a", 2100L, 3L), Tuple3.of("a", 900L, 4L), Tuple3.of("b", 3500L, 20L),
            Tuple3.of("a", 5000L, 5L), Tuple3.of("a", 1100L, 6L), Tuple3.of("b", 4999L, 30L),
            Tuple3.of("a", 7000L, 7L));
        env.fromData(events)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new EveryEvent<>())
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
            .sum(2)
            .print("tumbling");

        env.fromData(events)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new EveryEvent<>())
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
            .allowedLateness(Duration.ofSeconds(5))
            .sum(2)
            .print("lateness");

        // A trigger of the user's own on event-time windows with allowed lateness: every
        // third record of a key's window fires it, so does its end; late records within the
        // lateness count on.
        env.fromData(events)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new EveryEvent<>())
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
            .allowedLateness(Duration.ofSeconds(1))
            .trigger(new EveryThirdOrEnd())
            .sum(2)
            .print("custom-trigger");

        List<Tuple3<Integer, Long, Double>> readings = new ArrayList<>();
        for (long i = 0; i < 10; i++) readings.add(Tuple3.of(1, i * 500, (double) i));
        env.fromData(readings)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<Integer, Long, Double>>forMonotonousTimestamps()
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(SlidingEventTimeWindows.of(Duration.ofSeconds(2), Duration.ofSeconds(1)))
            .aggregate(new AggregateFunction<Tuple3<Integer, Long, Double>, double[], Tuple3<Long, Double, Double>>() {
                public double[] createAccumulator() { return new double[]{0, 0, Double.NEGATIVE_INFINITY}; }
                public double[] add(Tuple3<Integer, Long, Double> e, double[] a) { a[0] += 1; a[1] += e.f2; a[2] = Math.max(a[2], e.f2); return a; }
                public Tuple3<Long, Double, Double> getResult(double[] a) { return Tuple3.of((long) a[0], a[1] / a[0], a[2]); }
                public double[] merge(double[] a, double[] b) { a[0] += b[0]; a[1] += b[1]; a[2] = Math.max(a[2], b[2]); return a; }
            })
            .print("sliding");

        env.fromData(Arrays.asList(Tuple2.of("x", 10L), Tuple2.of("x", 20L), Tuple2.of("y", 1L), Tuple2.of("x", 1010L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .reduce((a, b) -> Tuple2.of(a.f0, a.f1 + b.f1))
            .print("reduce");

        env.fromData(Arrays.asList(Tuple2.of("k", 100L), Tuple2.of("k", 300L), Tuple2.of("k", 1700L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .process(new ProcessWindowFunction<Tuple2<String, Long>, String, String, TimeWindow>() {
                public void process(String key, Context ctx, Iterable<Tuple2<String, Long>> elements, Collector<String> out) {
                    int n = 0;
                    for (Tuple2<String, Long> e : elements) n++;
                    out.collect(key + " [" + ctx.window().getStart() + ", " + ctx.window().getEnd() + ") n=" + n);
                }
            })
            .print("process");

        // A process window function writing to a side output: the side records carry the
        // window's last timestamp.
        final org.apache.flink.util.OutputTag<String> crowded = new org.apache.flink.util.OutputTag<String>("crowded") {};
        org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator<String> perWindow =
            env.fromData(Arrays.asList(Tuple2.of("k", 100L), Tuple2.of("k", 300L), Tuple2.of("j", 500L), Tuple2.of("k", 1700L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .process(new ProcessWindowFunction<Tuple2<String, Long>, String, String, TimeWindow>() {
                public void process(String key, Context ctx, Iterable<Tuple2<String, Long>> elements, Collector<String> out) {
                    int n = 0;
                    for (Tuple2<String, Long> e : elements) n++;
                    out.collect(key + " n=" + n);
                    if (n > 1) ctx.output(crowded, key + " [" + ctx.window().getStart() + ", " + ctx.window().getEnd() + ") n=" + n);
                }
            });
        perWindow.getSideOutput(crowded)
            .process(new ProcessFunction<String, String>() {
                public void processElement(String s, Context ctx, Collector<String> out) { out.collect(s + " @" + ctx.timestamp()); }
            })
            .print("window-side");

        env.fromData(Arrays.asList(Tuple2.of(1, 10L), Tuple2.of(1, 2500L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<Integer, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .max(1)
            .process(new ProcessFunction<Tuple2<Integer, Long>, Long>() {
                public void processElement(Tuple2<Integer, Long> e, Context ctx, Collector<Long> out) { out.collect(ctx.timestamp()); }
            })
            .print("timestamps");

        List<Tuple2<String, Long>> counted = new ArrayList<>();
        for (long i = 1; i <= 7; i++) { counted.add(Tuple2.of("a", i)); if (i <= 4) counted.add(Tuple2.of("b", i * 10)); }
        env.fromData(counted).keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.GlobalWindows.create())
            .trigger(new PairsPurged())
            .sum(1).print("custom-global");
        env.fromData(counted).keyBy(e -> e.f0).countWindow(3).sum(1).print("count");
        env.fromData(counted).keyBy(e -> e.f0).countWindow(3, 2).sum(1).print("count-sliding");
        env.fromData(counted).keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.GlobalWindows.create())
            .trigger(org.apache.flink.streaming.api.windowing.triggers.CountTrigger.of(2))
            .sum(1).print("global-count");
        env.fromData(counted).keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.GlobalWindows.create())
            .trigger(org.apache.flink.streaming.api.windowing.triggers.PurgingTrigger.of(
                org.apache.flink.streaming.api.windowing.triggers.CountTrigger.of(2)))
            .sum(1).print("global-purging");
        env.fromData(counted).keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.GlobalWindows.createWithEndOfStreamTrigger())
            .sum(1).print("global-end");
        env.fromData(counted).keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.GlobalWindows.create())
            .sum(1).print("global-never");

        // Sessions with a 1 s gap; (a, 1400) arrives late but within the bound and bridges
        // a's sessions [0, 1500) and [2000, 3900) into one.
        env.fromData(Arrays.asList(Tuple3.of("a", 0L, 1L), Tuple3.of("a", 500L, 2L), Tuple3.of("a", 2000L, 3L),
                Tuple3.of("a", 2900L, 4L), Tuple3.of("b", 100L, 10L), Tuple3.of("a", 1400L, 5L),
                Tuple3.of("a", 6000L, 6L), Tuple3.of("b", 5000L, 20L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new WatermarkGenerator<Tuple3<String, Long, Long>>() {
                    long max = Long.MIN_VALUE + 2001;
                    public void onEvent(Tuple3<String, Long, Long> e, long ts, WatermarkOutput out) {
                        max = Math.max(max, ts); out.emitWatermark(new Watermark(max - 2000 - 1));
                    }
                    public void onPeriodicEmit(WatermarkOutput out) {}
                })
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows.withGap(Duration.ofSeconds(1)))
            .sum(2)
            .print("sessions");

        DataStream<Tuple2<String, Long>> orders = env.fromData(Arrays.asList(Tuple2.of("a", 100L), Tuple2.of("b", 200L),
                Tuple2.of("a", 1500L), Tuple2.of("a", 2500L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1));
        DataStream<Tuple2<String, Long>> clicks = env.fromData(Arrays.asList(Tuple2.of("a", 300L), Tuple2.of("a", 900L),
                Tuple2.of("b", 1900L), Tuple2.of("a", 2100L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forMonotonousTimestamps().withTimestampAssigner((e, ts) -> e.f1));
        orders.join(clicks).where(o -> o.f0).equalTo(c -> c.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .apply((o, c) -> o.f0 + ":" + o.f1 + "-" + c.f1, org.apache.flink.api.common.typeinfo.Types.STRING)
            .print("join");

        // A co-group: each key's orders and clicks per second, either side possibly empty,
        // stamped with the window's last timestamp.
        orders.coGroup(clicks).where(o -> o.f0).equalTo(c -> c.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
            .apply(new org.apache.flink.api.common.functions.CoGroupFunction<Tuple2<String, Long>, Tuple2<String, Long>, String>() {
                public void coGroup(Iterable<Tuple2<String, Long>> os, Iterable<Tuple2<String, Long>> cs, Collector<String> out) {
                    String key = "";
                    List<Long> ot = new ArrayList<>(), ct = new ArrayList<>();
                    for (Tuple2<String, Long> o : os) { key = o.f0; ot.add(o.f1); }
                    for (Tuple2<String, Long> c : cs) { key = c.f0; ct.add(c.f1); }
                    java.util.Collections.sort(ot);
                    java.util.Collections.sort(ct);
                    out.collect(key + " orders " + ot + " clicks " + ct);
                }
            }, org.apache.flink.api.common.typeinfo.Types.STRING)
            .process(new ProcessFunction<String, String>() {
                public void processElement(String s, Context ctx, Collector<String> out) {
                    out.collect(s + " @" + ctx.timestamp());
                }
            })
            .print("cogroup");

        orders.keyBy(o -> o.f0).intervalJoin(clicks.keyBy(c -> c.f0))
            .between(Duration.ofMillis(-300), Duration.ofMillis(800))
            .process(new org.apache.flink.streaming.api.functions.co.ProcessJoinFunction<Tuple2<String, Long>, Tuple2<String, Long>, String>() {
                public void processElement(Tuple2<String, Long> o, Tuple2<String, Long> c, Context ctx, Collector<String> out) {
                    out.collect(o.f0 + ":" + o.f1 + "-" + c.f1 + "@" + ctx.getTimestamp());
                }
            })
            .print("interval");

        List<Tuple3<String, Long, Long>> ticks = Arrays.asList(Tuple3.of("k", 0L, 1L), Tuple3.of("k", 500L, 2L),
            Tuple3.of("k", 1500L, 3L), Tuple3.of("k", 2500L, 4L), Tuple3.of("k", 4500L, 5L));
        env.fromData(ticks)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new Bounded<>(0))
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
            .trigger(org.apache.flink.streaming.api.windowing.triggers.PurgingTrigger.of(
                org.apache.flink.streaming.api.windowing.triggers.CountTrigger.of(2)))
            .sum(2)
            .print("count-trigger");
        env.fromData(ticks)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new Bounded<>(0))
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(5)))
            .trigger(org.apache.flink.streaming.api.windowing.triggers.ContinuousEventTimeTrigger.of(Duration.ofSeconds(1)))
            .sum(2)
            .print("continuous");

        // Per-window state kept across a window's late firings, per-key state across windows.
        env.fromData(events)
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new EveryEvent<>())
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(2)))
            .allowedLateness(Duration.ofSeconds(5))
            .process(new ProcessWindowFunction<Tuple3<String, Long, Long>, String, String, TimeWindow>() {
                final ValueStateDescriptor<Integer> firings = new ValueStateDescriptor<>("firings", Integer.class);
                final ValueStateDescriptor<Integer> all = new ValueStateDescriptor<>("all", Integer.class);
                public void process(String key, Context ctx, Iterable<Tuple3<String, Long, Long>> elements, Collector<String> out) throws Exception {
                    ValueState<Integer> f = ctx.windowState().getState(firings);
                    ValueState<Integer> g = ctx.globalState().getState(all);
                    int firing = (f.value() == null ? 0 : f.value()) + 1;
                    int global = (g.value() == null ? 0 : g.value()) + 1;
                    f.update(firing);
                    g.update(global);
                    int n = 0;
                    for (Tuple3<String, Long, Long> e : elements) n++;
                    out.collect(key + " " + ctx.window().getStart() + " firing=" + firing + " n=" + n + " global=" + global);
                }
            })
            .print("window-state");

        // Sessions whose gap each record sets (field 2, in ms).
        env.fromData(Arrays.asList(Tuple3.of("a", 0L, 500L), Tuple3.of("a", 400L, 2000L), Tuple3.of("a", 3000L, 100L),
                Tuple3.of("b", 100L, 100L), Tuple3.of("b", 250L, 100L), Tuple3.of("a", 3050L, 1000L),
                Tuple3.of("a", 9000L, 100L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<String, Long, Long>>forGenerator(c -> new EveryEvent<>())
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows.withDynamicGap(
                (org.apache.flink.streaming.api.windowing.assigners.SessionWindowTimeGapExtractor<Tuple3<String, Long, Long>>) e -> e.f2))
            .process(new ProcessWindowFunction<Tuple3<String, Long, Long>, String, String, TimeWindow>() {
                public void process(String key, Context ctx, Iterable<Tuple3<String, Long, Long>> elements, Collector<String> out) {
                    int n = 0;
                    for (Tuple3<String, Long, Long> e : elements) n++;
                    out.collect(key + " [" + ctx.window().getStart() + ", " + ctx.window().getEnd() + ") n=" + n);
                }
            })
            .print("dynamic-sessions");

        // Sessions (1 s gap) with 2 s of allowed lateness: late records merge into fired
        // sessions and fire them again, or bridge a fired and an open one; later ones go to
        // the side output.
        final org.apache.flink.util.OutputTag<Tuple2<String, Long>> lateSessions =
            new org.apache.flink.util.OutputTag<Tuple2<String, Long>>("late-sessions") {};
        org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator<String> sessionFirings = env
            .fromData(Arrays.asList(Tuple2.of("a", 0L), Tuple2.of("a", 500L), Tuple2.of("a", 3000L), Tuple2.of("a", 1200L),
                Tuple2.of("a", 2100L), Tuple2.of("b", 100L), Tuple2.of("b", 0L), Tuple2.of("a", 5000L), Tuple2.of("b", 500L),
                Tuple2.of("a", 6500L)))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<String, Long>>forGenerator(c -> new Bounded<>(0))
                .withTimestampAssigner((e, ts) -> e.f1))
            .keyBy(e -> e.f0)
            .window(org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows.withGap(Duration.ofSeconds(1)))
            .allowedLateness(Duration.ofSeconds(2))
            .sideOutputLateData(lateSessions)
            .process(new ProcessWindowFunction<Tuple2<String, Long>, String, String, TimeWindow>() {
                public void process(String key, Context ctx, Iterable<Tuple2<String, Long>> elements, Collector<String> out) {
                    int n = 0;
                    for (Tuple2<String, Long> e : elements) n++;
                    out.collect(key + " [" + ctx.window().getStart() + ", " + ctx.window().getEnd() + ") n=" + n);
                }
            });
        sessionFirings.print("session-lateness");
        sessionFirings.getSideOutput(lateSessions).map(e -> "late " + e.f0 + "@" + e.f1).print("session-late");

        env.execute("window semantics");
    }
}
