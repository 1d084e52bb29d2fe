package seckill.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Readiness check for Pekko Management: the API's port is bound. It binds only after the node's
 * journal is verified as the cluster's (seckill.Main), a moment after the other checks may pass.
 */
public final class ApiReadiness implements Supplier<CompletionStage<Boolean>> {

  /** Whether this actor system's API is bound; {@link HttpServer#start} sets it. */
  public static final class Bound implements Extension {
    private final AtomicBoolean bound = new AtomicBoolean();

    void set() {
      bound.set(true);
    }

    boolean get() {
      return bound.get();
    }
  }

  /** One {@link Bound} per actor system. */
  public static final class Id extends AbstractExtensionId<Bound> implements ExtensionIdProvider {
    @Override
    public Bound createExtension(ExtendedActorSystem system) {
      return new Bound();
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  public static final Id ID = new Id();

  private final Bound bound;

  public ApiReadiness(ActorSystem system) {
    this.bound = ID.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(bound.get());
  }
}
