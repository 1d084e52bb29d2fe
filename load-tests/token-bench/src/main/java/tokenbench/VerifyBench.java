package tokenbench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One verification of a fresh token: a pool of distinct valid tokens walked in turn, so nothing a
 * library might keep from one token helps the next. Single thread; the buyer goes to JMH's black hole.
 * Besides JMH's wall time, each iteration measures its own thread's CPU time ({@link CpuTimeProfiler}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VerifyBench {

  @Param({"nimbus-processor", "nimbus-direct", "jose4j", "java-jwt", "jjwt", "jdk"})
  public String candidate;

  @Param({"HS256", "RS256"})
  public String alg;

  private Candidate verifier;
  private String[] pool;
  private int next;
  private long ops;
  private long cpuAtStart;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @Setup
  public void setUp() throws Exception {
    Alg a = Alg.valueOf(alg);
    Keys keys = Keys.generate();
    verifier = Candidate.of(candidate, a, keys);
    List<String> failed = Conformance.failures(verifier, a, keys);
    if (!failed.isEmpty()) throw new IllegalStateException(candidate + " " + alg + " fails the checks: " + failed);
    // RS256 tokens cost about a millisecond each to sign: a smaller pool, still never the same token twice in a row
    pool = Mint.pool(a, keys, a == Alg.HS256 ? 16384 : 1024);
  }

  @Setup(Level.Iteration)
  public void startClock() {
    ops = 0;
    cpuAtStart = THREADS.getCurrentThreadCpuTime();
  }

  @TearDown(Level.Iteration)
  public void stopClock() {
    CpuTimeProfiler.record(THREADS.getCurrentThreadCpuTime() - cpuAtStart, ops);
  }

  @Benchmark
  public String verify() {
    ops++;
    String token = pool[next];
    next = (next + 1) & (pool.length - 1);
    String buyer = verifier.buyerOf(token);
    if (buyer == null) throw new IllegalStateException(candidate + " refused a valid token");
    return buyer;
  }
}
