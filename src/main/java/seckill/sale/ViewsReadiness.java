package seckill.sale;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/** Readiness check for Pekko Management: this node knows every sale (its views were read from a majority). */
public final class ViewsReadiness implements Supplier<CompletionStage<Boolean>> {

  private final SaleViews views;

  public ViewsReadiness(ActorSystem system) {
    this.views = SaleViews.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(views.synced());
  }
}
