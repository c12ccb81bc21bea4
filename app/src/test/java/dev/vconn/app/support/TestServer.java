package dev.vconn.app.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.app.ServerCli;
import dev.vconn.app.VconnServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link VconnServer} started from command-line options on an ephemeral loopback port, with a JDK HTTP/1.1 client
 * and the access log records it wrote. Closing it stops the server gracefully and checks that every IOBuffer block
 * went back to the pool.
 */
public final class TestServer implements AutoCloseable {
  /** Bound for every wait in these tests. */
  public static final Duration WAIT = Duration.ofSeconds(30);

  public final VconnServer server;
  /** Every access log record, as written (on the event loops). */
  public final LogRecorder log;
  public final HttpClient client = newClient();

  private TestServer(VconnServer server, LogRecorder log) {
    this.server = server;
    this.log = log;
  }

  /** Starts a server with {@code --transport transport --listen 127.0.0.1:0} and the given options. */
  public static TestServer start(String transport, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("--transport", transport, "--listen", "127.0.0.1:0",
        "--event-loops", "2"));
    args.addAll(List.of(options));
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = ServerCli.parse(args.toArray(String[]::new), new PrintWriter(new StringWriter()),
        new PrintWriter(err));
    if (!(o instanceof ServerCli.Run run)) {
      throw new IllegalArgumentException("bad test options " + args + ": " + err);
    }
    LogRecorder log = new LogRecorder();
    return new TestServer(VconnServer.start(run.settings(), log), log);
  }

  /** A JDK client forced to HTTP/1.1 (no h2c upgrade attempts). */
  public static HttpClient newClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
  }

  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(WAIT);
  }

  public HttpResponse<String> get(String path) throws Exception {
    return get(client, path);
  }

  public HttpResponse<String> get(HttpClient c, String path) throws Exception {
    return c.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code /_stats} through {@code c}, as numbers by key. */
  public Map<String, Long> stats(HttpClient c) throws Exception {
    HttpResponse<String> r = get(c, "/_stats");
    assertEquals(200, r.statusCode(), r.body());
    Map<String, Long> values = new HashMap<>();
    Matcher m = Pattern.compile("\"(\\w+)\": (\\d+)").matcher(r.body());
    while (m.find()) {
      values.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return values;
  }

  /** Stops gracefully (bounded) and checks that no block is left outstanding. */
  @Override
  public void close() {
    try {
      server.stopAsync().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      fail("server did not stop within " + WAIT);
    } catch (ExecutionException e) {
      throw new AssertionError("stop failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping", e);
    }
    assertEquals(0, server.transport().blockPool().outstanding(),
        "IOBuffer blocks not returned to the pool: " + server.transport().blockPool());
  }
}
