package seckill.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;

/** The config files as shipped, resolved without the environment: exactly the embedded defaults. */
public final class ShippedDefaults {

  private ShippedDefaults() {}

  /** The given resources (e.g. "auth.conf"), the first one winning, with no ${?ENV} override applied. */
  public static Config of(String... resources) {
    Config shipped = ConfigFactory.empty();
    for (String resource : resources) shipped = shipped.withFallback(ConfigFactory.parseResources(resource));
    return shipped.resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
  }
}
