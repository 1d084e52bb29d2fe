package seckill.orders;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;
import seckill.journal.Journal;

/** A JDBC session on the journal's database, where the orders projection keeps its offsets. */
final class ProjectionSession implements JdbcSession {

  private final Connection connection;

  ProjectionSession(HikariDataSource pool) {
    try {
      this.connection = pool.getConnection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("no connection for the projection's offsets: " + e.getMessage(), e);
    }
  }

  /** One small pool per node for offsets, sized like the projection's blocking dispatcher. */
  static HikariDataSource pool(Config config) {
    return Journal.pool(config, "seckill-projection",
        config.getInt("pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size"));
  }

  @Override
  public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
