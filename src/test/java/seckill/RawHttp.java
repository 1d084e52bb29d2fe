package seckill;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Bytes on a socket, for requests no HTTP client would send: malformed lines, no content type, half-sent headers. */
public final class RawHttp {

  private RawHttp() {}

  /**
   * What the server answers to {@code request}, until it closes (ending in {@code <reset>} if it reset
   * the connection) or {@code timeoutMillis} pass without a byte (ending in {@code <no answer>}).
   */
  public static String exchange(int port, String request, int timeoutMillis) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(timeoutMillis);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return readUntilClosed(s.getInputStream());
    }
  }

  static String readUntilClosed(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
        String sofar = out.toString(StandardCharsets.UTF_8);
        int headerEnd = sofar.indexOf("\r\n\r\n");
        int length = contentLength(sofar);
        if (headerEnd >= 0 && length >= 0 && out.size() >= headerEnd + 4 + length) break;
      }
    } catch (SocketTimeoutException quiet) {
      return out.toString(StandardCharsets.UTF_8) + "<no answer>";
    } catch (java.net.SocketException reset) {
      return out.toString(StandardCharsets.UTF_8) + "<reset>";
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) return Integer.parseInt(line.substring(15).trim());
    }
    return -1;
  }

  /** The status code of a raw answer, or -1. */
  public static int status(String answer) {
    return answer.startsWith("HTTP/1.1 ") ? Integer.parseInt(answer.substring(9, 12)) : -1;
  }

  /** The body of a raw answer (after the blank line). */
  public static String body(String answer) {
    int i = answer.indexOf("\r\n\r\n");
    return i < 0 ? "" : answer.substring(i + 4);
  }
}
