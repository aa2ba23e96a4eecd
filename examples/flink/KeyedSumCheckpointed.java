// keyed-sum with checkpoints on Apache Flink 2.3: the reference keyed-sum (Bench.java) with
// the hashmap state backend and a checkpoint every CHECKPOINT_MS into a local directory,
// the twin of `bench keyed-sum N P KEYS CHECKPOINT_MS`. Prints the same RESULT line, and a
// CHECKPOINTS line from Flink's checkpoint statistics.
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import java.nio.file.Files;
import java.nio.file.Path;

public class KeyedSumCheckpointed {
    static long mix(long x) { x ^= x >>> 33; x *= 0xff51afd7ed558ccdL; x ^= x >>> 33; return x; }

    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        int p = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        long keys = args.length > 2 ? Long.parseLong(args[2]) : 10_000;
        long every = args.length > 3 ? Long.parseLong(args[3]) : 1000;
        Path dir = Files.createTempDirectory("flink-checkpoints");
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "hashmap");
        conf.setString("execution.checkpointing.storage", "filesystem");
        conf.setString("execution.checkpointing.dir", dir.toUri().toString());
        conf.setString("execution.checkpointing.interval", every + " ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(p);
        env.fromSequence(0, n - 1)
           .map(i -> new Tuple2<>(Math.floorMod(mix(i), keys), 1L))
           .returns(org.apache.flink.api.common.typeinfo.Types.TUPLE(
                org.apache.flink.api.common.typeinfo.Types.LONG, org.apache.flink.api.common.typeinfo.Types.LONG))
           .keyBy(t -> t.f0).sum(1)
           .sinkTo(new DiscardingSink<>());
        JobExecutionResult r = env.execute("keyed-sum-checkpointed");
        long ms = r.getNetRuntime();
        long completed;
        try (var chks = Files.list(dir.resolve(r.getJobID().toString()))) {
            completed = chks.filter(c -> c.getFileName().toString().startsWith("chk-")).count();
        } catch (Exception e) {
            completed = -1;
        }
        System.out.printf("RESULT flink keyed-sum-checkpointed n=%d p=%d ms=%d rate=%.0f%n", n, p, ms, n * 1000.0 / Math.max(ms, 1));
        System.out.printf("CHECKPOINTS retained=%d%n", completed);
    }
}
