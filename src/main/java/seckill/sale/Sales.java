package seckill.sale;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Asks sale entities wherever they run in the cluster, with the HTTP ask timeout. */
public final class Sales {

  private final ClusterSharding sharding;
  private final Duration timeout;

  public Sales(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = system.settings().config().getDuration("seckill.http.ask-timeout");
  }

  public <T> CompletionStage<T> ask(String saleId, Function<ActorRef<T>, Sale.Command> command) {
    return sharding.entityRefFor(Sale.ENTITY_KEY, saleId).ask(command::apply, timeout);
  }

  public CompletionStage<Sale.Status> status(String saleId) {
    return ask(saleId, Sale.GetStatus::new);
  }
}
