package seckill.bench;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import seckill.Main;
import seckill.admission.EdgeLadder;

/**
 * The node load-tests/Bench.java measures: the service as {@link Main} starts it, plus the ladder's
 * {@code /bench/*} routes ({@link EdgeLadder}) and, as the reference, a bare Pekko HTTP server in the
 * same JVM answering a constant on the port given as the only argument. Never in production: it runs
 * from the test classes, {@code java -cp target/seckill.jar:target/test-classes seckill.bench.BenchNode 18081}.
 */
public final class BenchNode {

  private static final Logger log = LoggerFactory.getLogger(BenchNode.class);

  private BenchNode() {}

  public static void main(String[] args) {
    int noopPort = Integer.parseInt(args[0]);
    Main.run(parts -> {
      bindNoop(parts.system(), noopPort);
      return EdgeLadder.routes(parts.system(), parts.tokens(), parts.challenges(), parts.room());
    });
  }

  /** One constant answer, no route tree: what Pekko HTTP alone costs on this machine. */
  private static void bindNoop(ActorSystem<?> system, int port) {
    log.warn("benchmark node: /bench/* routes, and a bare server on port {}; not for production", port);
    Http.get(system).newServerAt(system.settings().config().getString("seckill.http.interface"), port)
        .bind(complete(EdgeLadder.OK));
  }
}
