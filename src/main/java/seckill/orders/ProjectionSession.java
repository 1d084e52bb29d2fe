package seckill.orders;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

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
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.getString("seckill.db.url"));
    hc.setUsername(config.getString("seckill.db.user"));
    hc.setPassword(config.getString("seckill.db.password"));
    hc.setMaximumPoolSize(config.getInt("pekko.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size"));
    hc.setMinimumIdle(1);
    hc.setConnectionTimeout(config.getDuration("seckill.db.connection-timeout").toMillis());
    hc.setPoolName("seckill-projection");
    // connect on first use: a database away at start must not stop the node from starting
    hc.setInitializationFailTimeout(-1);
    return new HikariDataSource(hc);
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
