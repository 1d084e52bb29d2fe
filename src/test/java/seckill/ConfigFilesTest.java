package seckill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every time and size we ship can be changed from the environment: the line after it reads
 * {@code ${?ENV}}. Exempt: values that are part of the design, not tunables (exit codes, the
 * parser's longest method).
 */
class ConfigFilesTest {

  private static final Pattern SETTING = Pattern.compile("^\\s*([\\w.\\-\"$]+)\\s*=\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|k)?\\s*$");
  private static final List<String> DESIGN = List.of("exit-code", "parsing.max-method-length");

  @Test
  void everyDurationAndSizeInTheConfigFilesHasAnEnvironmentOverride() throws IOException {
    List<String> fixed = new ArrayList<>();
    int durations = 0;
    try (Stream<Path> files = Files.list(Path.of("src/main/resources"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).sorted().toList()) {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = SETTING.matcher(lines.get(i));
          if (!m.matches() || DESIGN.stream().anyMatch(m.group(1)::endsWith)) continue;
          durations++;
          int next = i + 1;
          while (next < lines.size() && (lines.get(next).isBlank() || lines.get(next).trim().startsWith("#"))) next++;
          String override = next < lines.size() ? lines.get(next).trim() : "";
          if (!override.matches(Pattern.quote(m.group(1)) + "\\s*=\\s*\\$\\{\\?[A-Z][A-Z0-9_]+}")) {
            fixed.add(file.getFileName() + ":" + (i + 1) + " " + lines.get(i).trim());
          }
        }
      }
    }
    assertTrue(durations > 70, "the scan found the settings (" + durations + ")");
    assertEquals(List.of(), fixed, "settings without a ${?SECKILL_...} line after them");
  }
}
