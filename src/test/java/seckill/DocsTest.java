package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs tell the truth about the repository: every relative link and anchor resolves, every
 * environment variable they name exists and every one that exists is documented, every file,
 * script and test class they name is there, and the README's test command is the one CI runs.
 */
class DocsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern VARIABLE = Pattern.compile("SECKILL_[A-Z0-9_]*[A-Z0-9]");
  private static final Pattern CONF_VARIABLE = Pattern.compile("\\$\\{\\?(SECKILL_[A-Z0-9_]+)}");
  private static final Pattern CODE = Pattern.compile("`([^`\\n]+)`");
  private static final Pattern REPO_PATH = Pattern.compile(
      "(?<![\\w./-])((?:load-tests|cluster-config|k8s|ops|docs|src|\\.ci)/[A-Za-z0-9_./-]*[A-Za-z0-9_-])");
  private static final Pattern TEST_CLASS = Pattern.compile("^[A-Z][A-Za-z0-9]*(?:Test|IT)$");

  /** README.md and every page under docs/. */
  static List<Path> docs() throws IOException {
    List<Path> all = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
      pages.filter(p -> p.toString().endsWith(".md")).sorted().forEach(all::add);
    }
    return all;
  }

  /** GitHub's anchor for a heading: lower case, code marks and punctuation dropped, spaces to hyphens. */
  static String anchor(String heading) {
    String text = heading.replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1").replace("`", "").toLowerCase(Locale.ROOT);
    return text.replaceAll("[^\\p{L}\\p{N} _-]", "").trim().replace(' ', '-');
  }

  /** The anchors a markdown file offers (headings outside code blocks; repeats get -1, -2, ...). */
  static Set<String> anchors(Path markdown) throws IOException {
    Set<String> anchors = new TreeSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean code = false;
    for (String line : Files.readAllLines(markdown)) {
      if (line.startsWith("```")) code = !code;
      if (code || !line.startsWith("#")) continue;
      String base = anchor(line.replaceFirst("^#+\\s*", ""));
      int n = seen.merge(base, 1, Integer::sum);
      anchors.add(n == 1 ? base : base + "-" + (n - 1));
    }
    return anchors;
  }

  /** The problems with one link written in {@code from}; empty when it resolves. */
  static List<String> brokenLink(Path from, String target) throws IOException {
    if (target.matches("^[a-z]+:.*")) return List.of(); // http:, https:, mailto: are not checked here
    String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
    String fragment = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
    Path resolved = file.isEmpty() ? from : from.getParent().resolve(file).normalize();
    if (!Files.exists(resolved)) return List.of(ROOT.relativize(from) + ": no file " + target);
    if (fragment != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(fragment)) {
      return List.of(ROOT.relativize(from) + ": no heading #" + fragment + " in " + ROOT.relativize(resolved));
    }
    return List.of();
  }

  /** The text outside fenced code blocks' fences, as written (links are checked everywhere else). */
  private static String read(Path doc) throws IOException {
    return Files.readString(doc);
  }

  @Test
  void everyRelativeLinkAndAnchorResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path doc : docs()) {
      Matcher m = LINK.matcher(read(doc));
      while (m.find()) broken.addAll(brokenLink(doc, m.group(1)));
    }
    assertEquals(List.of(), broken);
  }

  /** Every {@code ${?SECKILL_...}} override in src/main/resources/*.conf. */
  static Set<String> configuredVariables() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(ROOT.resolve("src/main/resources"))) {
      for (Path conf : files.filter(p -> p.toString().endsWith(".conf")).toList()) {
        Matcher m = CONF_VARIABLE.matcher(Files.readString(conf));
        while (m.find()) names.add(m.group(1));
      }
    }
    return names;
  }

  /** Every SECKILL_* name written in {@code text}. */
  static Set<String> variablesIn(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) names.add(m.group());
    return names;
  }

  @Test
  void everyVariableTheDocsNameExistsAndEveryOneThatExistsIsInTheConfigurationPage() throws IOException {
    Set<String> configured = configuredVariables();
    assertTrue(configured.size() > 20, "the .conf files were read: " + configured);
    Set<String> madeUp = new TreeSet<>();
    for (Path doc : docs()) {
      for (String name : variablesIn(read(doc))) if (!configured.contains(name)) madeUp.add(ROOT.relativize(doc) + ": " + name);
    }
    assertEquals(Set.of(), madeUp, "named in the docs, set nowhere in src/main/resources/*.conf");
    Set<String> undocumented = new TreeSet<>(configured);
    undocumented.removeAll(variablesIn(read(ROOT.resolve("docs/configuration.md"))));
    assertEquals(Set.of(), undocumented, "in src/main/resources/*.conf, missing from docs/configuration.md");
  }

  @Test
  void everyFileScriptAndTestClassTheDocsNameExists() throws IOException {
    Set<String> testClasses = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT.resolve("src/test/java"))) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
          .forEach(n -> testClasses.add(n.substring(0, n.length() - ".java".length())));
    }
    // what the scripts create when they run (cluster-config/run/..., target/...) is ignored by git, not committed
    List<String> generated = Files.readAllLines(ROOT.resolve(".gitignore")).stream().map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).map(l -> l.startsWith("/") ? l.substring(1) : l).toList();
    List<String> missing = new ArrayList<>();
    for (Path doc : docs()) {
      String text = read(doc);
      Matcher paths = REPO_PATH.matcher(text);
      while (paths.find()) {
        String path = paths.group(1);
        if (path.contains("*") || path.endsWith("/...") || generated.stream().anyMatch(path::startsWith)) continue;
        if (!Files.exists(ROOT.resolve(path))) missing.add(ROOT.relativize(doc) + ": " + path);
      }
      Matcher code = CODE.matcher(text);
      while (code.find()) {
        for (String word : code.group(1).split("[\\s,()]+")) {
          if (TEST_CLASS.matcher(word).matches() && !testClasses.contains(word)) missing.add(ROOT.relativize(doc) + ": " + word);
        }
      }
    }
    assertEquals(List.of(), missing, "named in the docs, not in the repository");
  }

  @Test
  void everyScreenshotIsShownSomewhere() throws IOException {
    StringBuilder all = new StringBuilder();
    for (Path doc : docs()) all.append(read(doc));
    List<String> unused = new ArrayList<>();
    try (Stream<Path> shots = Files.list(ROOT.resolve("docs/screenshots"))) {
      shots.map(p -> p.getFileName().toString()).filter(n -> !all.toString().contains("screenshots/" + n)).sorted()
          .forEach(unused::add);
    }
    assertEquals(List.of(), unused, "in docs/screenshots, shown by no page");
  }

  @Test
  void theReadmesTestCommandIsWhatCiRuns() throws IOException {
    List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run")).stream()
        .map(String::trim).filter(l -> l.startsWith("mvn ")).toList();
    assertEquals(1, ci.size(), ".ci/run runs one Maven command: " + ci);
    String readme = read(ROOT.resolve("README.md"));
    List<String> firstLines = readme.lines().limit(40).toList();
    assertTrue(firstLines.stream().anyMatch(l -> l.trim().startsWith(ci.get(0) + " ") || l.trim().equals(ci.get(0))),
        "the README's first 40 lines give CI's command '" + ci.get(0) + "'");
    assertTrue(firstLines.stream().anyMatch(l -> l.trim().startsWith("mvn -B test")), "and the quick loop, mvn -B test");
    assertTrue(firstLines.stream().anyMatch(l -> l.contains("exec:java")), "and the command that runs the service");
    assertTrue(readme.lines().count() <= 200, "the README is at most 200 lines: " + readme.lines().count());
  }

  @Test
  void theCheckerItselfCatchesEachKindOfMistake() throws IOException {
    Path readme = ROOT.resolve("README.md");
    assertEquals(1, brokenLink(readme, "docs/no-such-page.md").size(), "a missing file");
    assertEquals(1, brokenLink(readme, "docs/testing.md#no-such-heading").size(), "a missing anchor");
    assertEquals(List.of(), brokenLink(readme, "docs/testing.md#the-two-commands"));
    assertEquals("plan-b-switches-load-shedding-hot-keys-access-challenge",
        anchor("Plan B: switches, load shedding, hot keys, access challenge"));
    assertEquals(Set.of("SECKILL_MADE_UP"), variablesIn("set `SECKILL_MADE_UP=1` first"));
  }
}
