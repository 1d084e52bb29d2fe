package seckill.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import seckill.TestDatabases;
import seckill.TestNode;

/**
 * Nodes that start together on a fresh PostgreSQL journal all try to name it: one write wins, the
 * others lose on the journal's key. Every writer ends with the winner's id, the journal holds one
 * name, and the lost race is at most a line in the log, never a stack trace.
 */
@ExtendWith(LogCapturingExtension.class)
class JournalIdentityPostgresIT {

  private static final int WRITERS = 4;
  private static final int ROUNDS = 3;

  @Test
  void writersNamingOneJournalAtOnceAgreeAndLogNoStackTrace() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logged.start();
    root.addAppender(logged);
    try {
      for (int round = 0; round < ROUNDS; round++) race(TestDatabases.postgres());
    } finally {
      root.detachAppender(logged);
    }
    List<String> traces = new ArrayList<>();
    for (ILoggingEvent e : logged.list) {
      if (e.getThrowableProxy() != null) traces.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage());
    }
    assertEquals(List.of(), traces, "no stack trace is logged for a lost race");
    List<String> raceLines = logged.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("event_journal_pkey") || m.contains("named the journal first")).toList();
    assertTrue(raceLines.size() <= ROUNDS * (WRITERS - 1), "at most one line per lost race: " + raceLines);
    assertTrue(raceLines.stream().allMatch(m -> m.lines().count() == 1), "one line each: " + raceLines);
    assertTrue(!raceLines.isEmpty(), "the writers raced (" + ROUNDS + " rounds of " + WRITERS + "), and the loser says so");
  }

  /** {@link #WRITERS} systems, each with its own journal connections, name the journal at once. */
  private static void race(Config db) throws Exception {
    Config config = TestNode.config(db, ConfigFactory.parseString("pekko.actor.provider = local"));
    Journal.prepare(config);
    List<ActorSystem<Void>> systems = new ArrayList<>();
    try {
      List<ActorRef<JournalIdentity.Get>> writers = new ArrayList<>();
      for (int i = 0; i < WRITERS; i++) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "identity-" + i, config);
        systems.add(system);
        writers.add(system.systemActorOf(JournalIdentity.create(Duration.ofMillis(50), Duration.ofMillis(500), 0.2),
            "journal-identity", Props.empty()));
      }
      List<CompletableFuture<String>> answers = new ArrayList<>();
      for (int i = 0; i < WRITERS; i++) answers.add(askUntilAnswered(writers.get(i), systems.get(i)));
      Set<String> ids = new HashSet<>();
      for (CompletableFuture<String> a : answers) ids.add(a.get(60, TimeUnit.SECONDS));
      assertEquals(1, ids.size(), "every writer has the same id: " + ids);
      try (Connection c = Journal.connect(config); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM event_journal WHERE persistence_id = 'JournalIdentity|journal'")) {
        rs.next();
        assertEquals(1, rs.getInt(1), "the journal is named once");
      }
    } finally {
      for (ActorSystem<Void> s : systems) s.terminate();
      for (ActorSystem<Void> s : systems) s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** Asks as SharedJournal does: again after a timeout, until an id comes back. */
  private static CompletableFuture<String> askUntilAnswered(ActorRef<JournalIdentity.Get> writer, ActorSystem<?> system) {
    return AskPattern.<JournalIdentity.Get, String>ask(writer, JournalIdentity.Get::new, Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture()
        .handle((id, failure) -> id != null ? CompletableFuture.completedFuture(id) : askUntilAnswered(writer, system))
        .thenCompose(f -> f);
  }
}
