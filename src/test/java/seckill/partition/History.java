package seckill.partition;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every reserve a run's clients sent and what came back, in the order answered, written as it happens
 * to a tab-separated log ({@link #read} gives it back): what {@link HistoryChecker} judges a run by.
 */
public final class History implements AutoCloseable {

  /** No answer: the connection was refused, reset or timed out. */
  public static final int NO_ANSWER = 0;

  /**
   * One request and its answer: when it was sent and answered (ms since the epoch, the test JVM's
   * clock), the node (index) it went to, the buyer, its requestId, the status ({@link #NO_ANSWER}
   * for none) and the reservation a 201 named (else null).
   */
  public record Exchange(long sentAt, long answeredAt, int node, String buyer, String requestId, int status,
      String reservationId) {

    String line() {
      return sentAt + "\t" + answeredAt + "\t" + node + "\t" + buyer + "\t" + requestId + "\t" + status + "\t"
          + (reservationId == null ? "-" : reservationId);
    }

    static Exchange parse(String line) {
      String[] f = line.split("\t");
      return new Exchange(Long.parseLong(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2]), f[3], f[4],
          Integer.parseInt(f[5]), f[6].equals("-") ? null : f[6]);
    }
  }

  private final List<Exchange> exchanges = new ArrayList<>();
  private final BufferedWriter log;
  private final Path path;

  public History(Path path) throws IOException {
    Files.createDirectories(path.toAbsolutePath().getParent());
    this.path = path;
    this.log = Files.newBufferedWriter(path);
  }

  public synchronized void add(Exchange e) {
    exchanges.add(e);
    try {
      log.write(e.line());
      log.newLine();
    } catch (IOException failed) {
      throw new UncheckedIOException(failed);
    }
  }

  /** What was recorded so far. */
  public synchronized List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  public Path path() {
    return path;
  }

  /** A history as its log holds it. */
  public static List<Exchange> read(Path path) throws IOException {
    return Files.readAllLines(path).stream().filter(l -> !l.isBlank()).map(Exchange::parse).toList();
  }

  @Override
  public synchronized void close() throws IOException {
    log.close();
  }
}
