package seckill.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * The real JDBC journal whose write acknowledgements come {@link #delay} late, as a slow database
 * commit looks to an entity. The rows are written at once (the write itself stays on the plugin's
 * own path, whose bookkeeping is not thread-safe); only the answer is held back, on the scheduler,
 * without blocking a thread.
 */
public final class SlowJournal extends JdbcAsyncWriteJournal {

  /** Config overrides that make a test node journal through this plugin, otherwise as jdbc-journal. */
  public static final Config CONFIG = ConfigFactory.parseString("""
      slow-journal = ${jdbc-journal}
      slow-journal.class = "seckill.journal.SlowJournal"
      pekko.persistence.journal.plugin = "slow-journal"
      """);

  /** How late each write is acknowledged; JVM-wide, set by the test. */
  public static volatile Duration delay = Duration.ZERO;

  public SlowJournal(Config config) {
    super(config);
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    Future<Seq<Try<BoxedUnit>>> written = super.asyncWriteMessages(messages);
    Duration d = delay;
    if (d.isZero()) return written;
    return Patterns.after(scala.concurrent.duration.FiniteDuration.fromNanos(d.toNanos()), context().system().scheduler(),
        context().dispatcher(), written);
  }
}
