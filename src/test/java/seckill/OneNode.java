package seckill;

import com.typesafe.config.ConfigFactory;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * One node on the embedded H2 journal for a whole test class: started before the class's first
 * test, stopped after its last. Fields of type {@link TestNode} and {@link Api} in the test class
 * are set to it. {@link Settings} adds config to the node.
 *
 * <pre>
 * &#64;ExtendWith(OneNode.class)
 * class SomeTest {
 *   private TestNode node;
 *   private Api api;
 * </pre>
 */
public final class OneNode implements TestInstancePostProcessor {

  /** HOCON that overrides the node's config. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface Settings {
    String value();
  }

  private record Running(TestNode node) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      node.close();
    }
  }

  @Override
  public void postProcessTestInstance(Object instance, ExtensionContext context) throws Exception {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    Class<?> testClass = context.getRequiredTestClass();
    Settings settings = testClass.getAnnotation(Settings.class);
    TestNode node = classContext.getStore(ExtensionContext.Namespace.create(OneNode.class, testClass))
        .getOrComputeIfAbsent("node", key -> new Running(TestNode.start(TestDatabases.h2(),
            settings == null ? ConfigFactory.empty() : ConfigFactory.parseString(settings.value()))), Running.class)
        .node();
    for (Class<?> c = testClass; c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (java.lang.reflect.Modifier.isStatic(field.getModifiers())) continue;
        if (field.getType() == TestNode.class) set(field, instance, node);
        if (field.getType() == Api.class) set(field, instance, node.api());
      }
    }
  }

  private static void set(Field field, Object instance, Object value) throws IllegalAccessException {
    field.setAccessible(true);
    field.set(instance, value);
  }
}
