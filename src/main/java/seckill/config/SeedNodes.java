package seckill.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.Arrays;
import java.util.List;

/**
 * {@code pekko.cluster.seed-nodes} from {@code SECKILL_SEED_NODES}: an environment variable is a
 * string, so the addresses come comma-separated and are made the list Pekko reads.
 */
public final class SeedNodes {

  private static final String PATH = "pekko.cluster.seed-nodes";

  private SeedNodes() {}

  /** The config with a comma-separated seed-nodes string turned into a list; any other config as it is. */
  public static Config listed(Config config) {
    if (!config.hasPath(PATH) || config.getValue(PATH).valueType() != ConfigValueType.STRING) return config;
    List<String> seeds = Arrays.stream(config.getString(PATH).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return config.withValue(PATH, ConfigValueFactory.fromIterable(seeds));
  }
}
