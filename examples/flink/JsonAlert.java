// The `json-alert` workload on Apache Flink 2.3: the seed's alerting case. Each record is a
// JSON metric {"host":"h<k>","metric":"cpu","ts":...,"value":...} built from the records of
// `window-alert` (the README's "Performance": k = floorMod(mix(i), KEYS), ts = i/100 ms,
// value = floorMod(mix(i*31), 1000)), parsed with Jackson (the copy Flink's jars ship
// shaded), keyed by host name, in 10 s event-time windows sliding by 1 s with count,
// average and maximum; alerts where the maximum reaches 990. Prints the same RESULT line as
// the reference workloads. Run with ./run.sh json-alert N [PARALLELISM] [KEYS].
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import java.time.Duration;

public class JsonAlert {
    static long mix(long x) { x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; return x; }

    /** A metric as the JSON names it (a POJO: Flink serializes it field by field). */
    public static class Metric {
        public String host;
        public String metric;
        public long ts;
        public double value;
        public Metric() {}
    }

    /** Parses each line with one ObjectMapper per subtask, as a Flink user does. */
    public static class Parse extends RichMapFunction<String, Metric> {
        private transient ObjectMapper mapper;
        @Override public void open(OpenContext ctx) {
            mapper = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        }
        @Override public Metric map(String line) throws Exception { return mapper.readValue(line, Metric.class); }
    }

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        int p = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        long keys = args.length > 2 ? Long.parseLong(args[2]) : 10_000;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(p);
        env.fromSequence(0, n - 1)
            .map(i -> "{\"host\":\"h" + Math.floorMod(mix(i), keys) + "\",\"metric\":\"cpu\",\"ts\":" + (i / 100)
                + ",\"value\":" + (double) Math.floorMod(mix(i * 31), 1000L) + "}")
            .map(new Parse())
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Metric>forBoundedOutOfOrderness(Duration.ofMillis(200))
                .withTimestampAssigner((m, ts) -> m.ts))
            .keyBy(m -> m.host)
            .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(1)))
            .aggregate(new AggregateFunction<Metric, double[], double[]>() {
                public double[] createAccumulator() { return new double[]{0, 0, Double.NEGATIVE_INFINITY}; }
                public double[] add(Metric m, double[] a) { a[0] += 1; a[1] += m.value; a[2] = Math.max(a[2], m.value); return a; }
                public double[] getResult(double[] a) { return new double[]{a[0], a[1] / a[0], a[2]}; }
                public double[] merge(double[] a, double[] b) { a[0] += b[0]; a[1] += b[1]; a[2] = Math.max(a[2], b[2]); return a; }
            })
            .filter(r -> r[2] >= 990)
            .sinkTo(new DiscardingSink<>());
        JobExecutionResult r = env.execute("json-alert");
        long ms = r.getNetRuntime();
        System.out.printf("RESULT flink json-alert n=%d p=%d ms=%d rate=%.0f%n", n, p, ms, n * 1000.0 / Math.max(ms, 1));
    }
}
