package seckill.journal;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a journal commit promises when it returns, checked before the node serves: a 2xx answer is
 * only sent after the commit of its event, so the commit must be in the file (H2) or in the server's
 * flushed WAL (PostgreSQL). A journal that would acknowledge commits it may lose is refused unless
 * {@code seckill.db.allow-unsafe-commits} is on.
 */
public final class Durability {

  private static final Logger log = LoggerFactory.getLogger(Durability.class);

  private Durability() {}

  /** The outcome of a check: safe, or the ways the journal may lose a commit it acknowledged. */
  public record Verdict(List<String> risks) {
    public boolean safe() {
      return risks.isEmpty();
    }
  }

  /** H2 from its URL: WRITE_DELAY (default 500 ms) is how long after a commit returned H2 writes it to the file. */
  public static Verdict ofH2(String url) {
    List<String> risks = new ArrayList<>();
    if (url.startsWith("jdbc:h2:mem:")) {
      risks.add("the journal is in memory (" + url + ")");
    } else {
      String delay = h2Setting(url, "WRITE_DELAY").orElse("500 (H2's default)");
      if (!delay.equals("0")) {
        risks.add("H2 runs with WRITE_DELAY=" + delay + ": a process crash loses the commits of that last window;"
            + " add ;WRITE_DELAY=0 to the URL");
      }
    }
    return new Verdict(List.copyOf(risks));
  }

  /** PostgreSQL from the server's settings as this connection sees them (role and database defaults included). */
  public static Verdict ofPostgres(Connection connection) throws SQLException {
    List<String> risks = new ArrayList<>();
    if (show(connection, "fsync").equals("off")) {
      risks.add("PostgreSQL runs with fsync = off: an OS crash or power loss can lose committed data");
    }
    if (show(connection, "synchronous_commit").equals("off")) {
      risks.add("PostgreSQL runs with synchronous_commit = off: a database crash loses commits it acknowledged");
    }
    return new Verdict(List.copyOf(risks));
  }

  /** Throws when the verdict is unsafe and the config does not allow it; warns when it allows it. */
  public static void require(Config config, Verdict verdict) {
    if (verdict.safe()) return;
    String risks = String.join("; ", verdict.risks());
    if (!config.getBoolean("seckill.db.allow-unsafe-commits")) {
      throw new IllegalStateException("the journal may lose acknowledged reservations: " + risks
          + ". Fix the database settings, or set SECKILL_DB_ALLOW_UNSAFE_COMMITS=on to run anyway");
    }
    log.warn("running on a journal that may lose acknowledged reservations (SECKILL_DB_ALLOW_UNSAFE_COMMITS=on): {}", risks);
  }

  private static String show(Connection connection, String setting) throws SQLException {
    try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1).trim().toLowerCase(Locale.ROOT);
    }
  }

  /** The value of one {@code ;KEY=value} setting in an H2 URL (keys are case-insensitive). */
  static Optional<String> h2Setting(String url, String key) {
    String[] parts = url.split(";");
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0 && parts[i].substring(0, eq).trim().equalsIgnoreCase(key)) return Optional.of(parts[i].substring(eq + 1).trim());
    }
    return Optional.empty();
  }
}
