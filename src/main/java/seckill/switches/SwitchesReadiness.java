package seckill.switches;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/** Readiness check for Pekko Management: this node has the journal's switches, so it honours a pause. */
public final class SwitchesReadiness implements Supplier<CompletionStage<Boolean>> {

  private final Switches switches;

  public SwitchesReadiness(ActorSystem system) {
    this.switches = Switches.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(switches.loaded());
  }
}
