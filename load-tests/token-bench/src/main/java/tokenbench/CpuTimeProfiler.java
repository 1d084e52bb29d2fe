package tokenbench;

import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Reports the benchmark thread's own CPU time per operation (measured by {@link VerifyBench} around
 * each iteration). On a shared machine a thread waits for a core now and then; its CPU time does
 * not count that wait, so this figure moves less with the machine's load than the wall time.
 */
public final class CpuTimeProfiler implements InternalProfiler {

  private static volatile double lastNanosPerOp = Double.NaN;

  static void record(long cpuNanos, long ops) {
    lastNanosPerOp = ops == 0 ? Double.NaN : (double) cpuNanos / ops;
  }

  @Override
  public String getDescription() {
    return "CPU time of the benchmark thread per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
    lastNanosPerOp = Double.NaN;
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration, IterationResult result) {
    return List.of(new ScalarResult("cpu.ns/op", lastNanosPerOp, "ns/op", AggregationPolicy.AVG));
  }
}
