package dev.vconn.app.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An origin server for the tests: the JDK's {@code com.sun.net.httpserver} on an ephemeral loopback port, each
 * exchange on its own thread (so a handler that waits does not hold up others).
 */
public final class TestOrigin implements AutoCloseable {
  /** What the origin saw of one request. */
  public record Seen(String method, String uri, String host, String via, byte[] body) {}

  public final List<Seen> requests = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  /** An origin answering every request with {@code handler}. */
  public TestOrigin(Handler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", exchange -> serve(exchange, handler));
    server.start();
  }

  /** Answers one request; the body was read already. */
  @FunctionalInterface
  public interface Handler {
    void handle(HttpExchange exchange, byte[] body) throws Exception;
  }

  /** A handler that answers 200 with a text saying what it saw. */
  public static Handler describing() {
    return (exchange, body) -> respond(exchange, 200, "origin saw " + exchange.getRequestMethod() + " "
        + exchange.getRequestURI() + " with " + body.length + " body bytes");
  }

  public static void respond(HttpExchange exchange, int status, String text) throws IOException {
    respond(exchange, status, text.getBytes(StandardCharsets.UTF_8));
  }

  public static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.getResponseHeaders().set("X-Origin", "test");
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private void serve(HttpExchange exchange, Handler handler) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      requests.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
          exchange.getRequestHeaders().getFirst("Host"), exchange.getRequestHeaders().getFirst("Via"), body));
      handler.handle(exchange, body);
    } catch (Exception e) {
      throw new IOException("test origin handler failed", e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code 127.0.0.1:port} */
  public String authority() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
