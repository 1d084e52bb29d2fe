package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import seckill.serialization.CborSerializable;

/**
 * The shape of the main code stays readable: one meaning per name, no file that grew into a god
 * class, and feature packages that depend on each other one way only (STYLE.md, "Habits").
 */
class CodeShapeTest {

  private static final Path MAIN = Path.of("src/main/java");
  private static final Path CLASSES = Path.of("target/classes");
  private static final int MAX_LINES = 600;
  private static final int MAX_ENTITY_LINES = 450;
  /** Nested names that are a convention, not a meaning: an entity's protocol, a feature's settings, an extension's id. */
  private static final Set<String> CONVENTIONAL = Set.of("Settings", "Id", "Command", "Event", "State");
  private static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?seckill\\.([a-z.]+?)\\.[A-Z]");
  private static final Pattern INLINE = Pattern.compile("(?<![\\w.])seckill\\.([a-z.]+?)\\.[A-Z]");

  @Test
  void everyTypeNameHasOneMeaning() throws IOException {
    Map<String, Set<String>> bySimpleName = new TreeMap<>();
    Set<String> topLevel = new HashSet<>();
    try (Stream<Path> files = Files.walk(CLASSES)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String binary = CLASSES.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        String[] parts = binary.substring(binary.lastIndexOf('.') + 1).split("\\$");
        if (Stream.of(parts).anyMatch(s -> s.isEmpty() || Character.isDigit(s.charAt(0)))) continue; // anonymous
        String simple = parts[parts.length - 1];
        if (parts.length == 1) topLevel.add(simple);
        bySimpleName.computeIfAbsent(simple, k -> new TreeSet<>()).add(binary);
      }
    }
    assertTrue(bySimpleName.size() > 50, "compiled main classes found in " + CLASSES.toAbsolutePath());
    // a name clashes when a top-level type shares it, or two public types share it; not counted among
    // these: messages, whose class names are their manifests in the journal and between nodes (an
    // actor's Get or Refused), and private types, read only beside their outer class
    List<String> clashes = new ArrayList<>();
    bySimpleName.forEach((simple, types) -> {
      if (types.size() < 2) return;
      long visible = types.stream().filter(t -> isPublic(t) && !isMessage(t)).count();
      if (topLevel.contains(simple) || (visible > 1 && !CONVENTIONAL.contains(simple))) clashes.add(simple + ": " + types);
    });
    assertEquals(List.of(), clashes, "types sharing a simple name");
  }

  /** Seen from other packages: public, and so is every class around it. */
  private static boolean isPublic(String binaryName) {
    for (Class<?> c = load(binaryName); c != null; c = c.getEnclosingClass()) {
      if (!Modifier.isPublic(c.getModifiers())) return false;
    }
    return true;
  }

  private static boolean isMessage(String binaryName) {
    return CborSerializable.class.isAssignableFrom(load(binaryName));
  }

  private static Class<?> load(String binaryName) {
    try {
      return Class.forName(binaryName, false, CodeShapeTest.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void noFileGrowsIntoAGodClass() throws IOException {
    List<String> tooLong = new ArrayList<>();
    for (Path file : sources()) {
      long lines = Files.lines(file).count();
      int max = file.endsWith(Path.of("seckill/sale/Sale.java")) ? MAX_ENTITY_LINES : MAX_LINES;
      if (lines > max) tooLong.add(MAIN.relativize(file) + " has " + lines + " lines (at most " + max + ")");
    }
    assertEquals(List.of(), tooLong);
  }

  @Test
  void featurePackagesDependOneWay() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    for (Path file : sources()) {
      String pkg = MAIN.relativize(file.getParent()).toString().replace('/', '.');
      String text = Files.readString(file);
      Set<String> targets = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
      for (Pattern p : List.of(IMPORT, INLINE)) {
        Matcher m = p.matcher(text);
        while (m.find()) {
          String target = "seckill." + m.group(1);
          if (!target.equals(pkg)) targets.add(target);
        }
      }
    }
    assertTrue(uses.size() > 10, "packages found under " + MAIN.toAbsolutePath());
    List<String> cycle = cycle(uses);
    assertEquals(List.of(), cycle, "a cycle between packages");
  }

  /** The first cycle found in {@code graph}, as the packages along it, or an empty list. */
  static List<String> cycle(Map<String, Set<String>> graph) {
    Map<String, Integer> state = new TreeMap<>(); // 1 on the current path, 2 done
    for (String start : graph.keySet()) {
      List<String> path = new ArrayList<>();
      List<String> found = visit(start, graph, state, path);
      if (!found.isEmpty()) return found;
    }
    return List.of();
  }

  private static List<String> visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state, List<String> path) {
    Integer seen = state.get(node);
    if (seen != null && seen == 2) return List.of();
    if (seen != null) {
      List<String> loop = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
      loop.add(node);
      return loop;
    }
    state.put(node, 1);
    path.add(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      List<String> found = visit(next, graph, state, path);
      if (!found.isEmpty()) return found;
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
    return List.of();
  }

  @Test
  void aCycleIsFound() {
    assertEquals(List.of("a", "b", "a"), cycle(new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("a")))));
    assertEquals(List.of(), cycle(new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c")))));
  }

  private static List<Path> sources() throws IOException {
    try (Stream<Path> files = Files.walk(MAIN)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
  }
}
