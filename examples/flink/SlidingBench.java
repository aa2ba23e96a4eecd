// The `sliding-alert` workload on Apache Flink 2.3: the records of `window-alert`
// (the README's "Performance") in 60 s event-time windows sliding by 1 s. Prints the same
// RESULT line as the reference workloads. Run with ./run.sh N [PARALLELISM] [KEYS].
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import java.time.Duration;

public class SlidingBench {
    static long mix(long x) { x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; return x; }

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        int p = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        long keys = args.length > 2 ? Long.parseLong(args[2]) : 10_000;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(p);
        env.fromSequence(0, n - 1)
            .map(i -> new Tuple3<>(Math.floorMod(mix(i), keys), i, (double) Math.floorMod(mix(i * 31), 1000L)))
            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.DOUBLE))
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple3<Long, Long, Double>>forBoundedOutOfOrderness(Duration.ofMillis(200))
                .withTimestampAssigner((e, ts) -> e.f1 / 100))
            .keyBy(e -> e.f0)
            .window(SlidingEventTimeWindows.of(Duration.ofSeconds(60), Duration.ofSeconds(1)))
            .aggregate(new AggregateFunction<Tuple3<Long, Long, Double>, double[], double[]>() {
                public double[] createAccumulator() { return new double[]{0, 0, Double.NEGATIVE_INFINITY}; }
                public double[] add(Tuple3<Long, Long, Double> e, double[] a) { a[0] += 1; a[1] += e.f2; a[2] = Math.max(a[2], e.f2); return a; }
                public double[] getResult(double[] a) { return new double[]{a[0], a[1] / a[0], a[2]}; }
                public double[] merge(double[] a, double[] b) { a[0] += b[0]; a[1] += b[1]; a[2] = Math.max(a[2], b[2]); return a; }
            })
            .filter(r -> r[2] >= 990)
            .sinkTo(new DiscardingSink<>());
        JobExecutionResult r = env.execute("sliding-alert");
        long ms = r.getNetRuntime();
        System.out.printf("RESULT flink sliding-alert n=%d p=%d ms=%d rate=%.0f%n", n, p, ms, n * 1000.0 / Math.max(ms, 1));
    }
}
