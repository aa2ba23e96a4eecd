// The four reference workloads (README, "Performance") on Apache Flink 2.3, so a clone of
// this repository compares Rill with Flink without anything outside it. The records are the
// ones `bench` makes (examples/src/bench.rs): the sequence 0..N-1, mix(x) the 64-bit
// finalizer of MurmurHash3, words "w" + hex(j * 7919). Prints the RESULT line `bench` prints,
// with `flink` as the engine: RESULT flink WORKLOAD n=N p=P ms=NET_RUNTIME rate=RECORDS_PER_S.
// Run with ./run.sh stateless|keyed-sum|wordcount|window-alert N [PARALLELISM] [KEYS].
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import java.time.Duration;

public class Reference {
    static final String[] WORDS = new String[1000];
    static {
        for (int j = 0; j < WORDS.length; j++) WORDS[j] = "w" + Integer.toHexString(j * 7919);
    }

    static long mix(long x) { x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; return x; }

    static String word(long i) { return WORDS[(int) Math.floorMod(mix(i), 1000L)]; }

    /** Count, sum and maximum of a window's values; the result is count, average, maximum. */
    static class CountAvgMax implements AggregateFunction<Tuple3<Long, Long, Double>, double[], double[]> {
        public double[] createAccumulator() { return new double[] {0, 0, Double.NEGATIVE_INFINITY}; }
        public double[] add(Tuple3<Long, Long, Double> e, double[] a) { a[0] += 1; a[1] += e.f2; a[2] = Math.max(a[2], e.f2); return a; }
        public double[] getResult(double[] a) { return new double[] {a[0], a[1] / a[0], a[2]}; }
        public double[] merge(double[] a, double[] b) { a[0] += b[0]; a[1] += b[1]; a[2] = Math.max(a[2], b[2]); return a; }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Reference stateless|keyed-sum|wordcount|window-alert N [PARALLELISM] [KEYS]");
            System.exit(2);
        }
        String workload = args[0];
        long n = Long.parseLong(args[1]);
        int p = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        long keys = args.length > 3 ? Long.parseLong(args[3]) : 10_000;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(p);
        DataStream<Long> seq = env.fromSequence(0, n - 1);
        switch (workload) {
            case "stateless":
                seq.map(i -> Tuple2.of(Math.floorMod(mix(i), keys), i * 908L / 1000))
                    .returns(Types.TUPLE(Types.LONG, Types.LONG))
                    .filter(t -> t.f0 % 2 == 0)
                    .sinkTo(new DiscardingSink<>());
                break;
            case "keyed-sum":
                seq.map(i -> Tuple2.of(Math.floorMod(mix(i), keys), 1L))
                    .returns(Types.TUPLE(Types.LONG, Types.LONG))
                    .keyBy(t -> t.f0)
                    .sum(1)
                    .sinkTo(new DiscardingSink<>());
                break;
            case "wordcount":
                seq.flatMap((FlatMapFunction<Long, Tuple2<String, Integer>>) (i, out) -> {
                        String line = word(i) + " " + word(i + 1) + " " + word(i + 2) + " " + word(i + 3);
                        for (String w : line.split("\\s+")) out.collect(Tuple2.of(w, 1));
                    })
                    .returns(Types.TUPLE(Types.STRING, Types.INT))
                    .keyBy(t -> t.f0)
                    .sum(1)
                    .sinkTo(new DiscardingSink<>());
                break;
            case "window-alert":
                // (host, sequence number, value); event time is the sequence number / 100 in ms.
                seq.map(i -> Tuple3.of(Math.floorMod(mix(i), keys), i, (double) Math.floorMod(mix(i * 31), 1000L)))
                    .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.DOUBLE))
                    .assignTimestampsAndWatermarks(
                        WatermarkStrategy.<Tuple3<Long, Long, Double>>forBoundedOutOfOrderness(Duration.ofMillis(200))
                            .withTimestampAssigner((e, ts) -> e.f1 / 100))
                    .keyBy(e -> e.f0)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
                    .aggregate(new CountAvgMax())
                    .filter(r -> r[2] >= 990)
                    .sinkTo(new DiscardingSink<>());
                break;
            default:
                System.err.println("unknown workload '" + workload + "': stateless, keyed-sum, wordcount or window-alert");
                System.exit(2);
        }
        JobExecutionResult r = env.execute(workload);
        long ms = r.getNetRuntime();
        System.out.printf("RESULT flink %s n=%d p=%d ms=%d rate=%.0f%n", workload, n, p, ms, n * 1000.0 / Math.max(ms, 1));
    }
}
