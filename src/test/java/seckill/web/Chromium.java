package seckill.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium for the browser tests: the OS's chromium and chromedriver. The harness
 * installs them (Debian's packages, as root) when missing, as the tests start PostgreSQL and Kafka
 * from Maven Central themselves; where it cannot, the tests fail saying what is missing.
 */
final class Chromium {

  private static final Path BROWSER = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private Chromium() {}

  static synchronized ChromeDriver start() {
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) install();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    // the machine's network is closed: without the background-networking flags Chromium keeps
    // trying Google's hosts; a fresh profile per start
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000", "--user-data-dir=" + profile());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }

  private static String profile() {
    try {
      Path dir = Files.createTempDirectory("seckill-chromium-");
      dir.toFile().deleteOnExit();
      return dir.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void install() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      throw new IllegalStateException("the browser tests need " + BROWSER + " and " + DRIVER
          + ": apt-get install chromium chromium-driver (the harness does it when run as root on Debian or Ubuntu)");
    }
    run(List.of("apt-get", "update", "-qq"));
    run(List.of("apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"));
  }

  private static void run(List<String> command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
