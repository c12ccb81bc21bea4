package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.plugin.Plugin;
import dev.vconn.plugin.PluginContext;
import dev.vconn.plugin.http.InProcessClient;
import dev.vconn.plugin.http.InterceptRequest;
import dev.vconn.plugin.http.InterceptResponse;
import dev.vconn.plugin.http.InterceptServer;
import dev.vconn.plugin.http.RequestTargets;
import dev.vconn.plugin.http.ResponseParser;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process fetcher, after Traffic Server's multiplexer and fetcher plugins: {@code GET /fanout?paths=/a,/b}
 * sends one internal GET per path through {@link HttpConnector} (no socket: straight into the HTTP state machine,
 * so each goes through routes and remap like any request) and answers with the results merged, in order.
 *
 * <p>Each internal connection carries the tag {@value #TAG} and its own id from a counter, so the access log shows
 * them as {@code pitag=fanout piid=N cqint=1}. They use the original client's address, so access control treats
 * them as that client.
 *
 * <p>Plugin {@value #NAME}, on by default ({@code --fanout}, or {@code plugin.fanout.enabled}); no settings.
 */
public final class FanoutPlugin implements Plugin {
  /** The plugin's name. */
  public static final String NAME = "fanout";
  /** The {@code pitag} of the internal requests. */
  public static final String TAG = "fanout";
  /** The most paths one request may fan out to. */
  public static final int MAX_PATHS = 16;
  /** The largest body taken from one internal response. */
  public static final long MAX_PART_BYTES = 1L << 20;
  private static final InetSocketAddress FALLBACK_CLIENT =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 65535);

  private HttpConnector connector;
  private BlockPool pool;
  private HttpLimits limits;
  private Duration inactivity;
  private final AtomicLong ids = new AtomicLong();

  /** One internal request's outcome. */
  private record Part(String path, long id, ResponseParser.Response response, Throwable failure) {}

  /** Creates the plugin (found with ServiceLoader); {@link #init} configures it. */
  public FanoutPlugin() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Takes the in-process connector, the pool, the proxy's limits and inactivity timeout; serves {@code /fanout}.
   *
   * @param context the server's context
   */
  @Override
  public void init(PluginContext context) {
    this.connector = context.httpConnector();
    this.pool = context.blockPool();
    this.limits = context.limits();
    this.inactivity = context.timeouts().inactivity();
    context.addInterceptor(this::intercept);
  }

  @Override
  public List<String> describe() {
    return List.of(String.format("%-22s %s", "/fanout?paths=/a,/b",
        "GETs each path in-process (pitag=" + TAG + ") and merges the results"));
  }

  private Continuation intercept(HttpTxn txn) {
    if (!RequestTargets.path(txn.clientRequest().target()).equals("/fanout")) {
      return null;
    }
    return InterceptServer.continuation(this::fanout, pool, limits, 0);
  }

  private CompletionStage<InterceptResponse> fanout(InterceptRequest request) {
    String list = request.queryParameter("paths").orElse("");
    List<String> paths = new ArrayList<>();
    for (String p : list.split(",")) {
      if (!p.isBlank()) {
        paths.add(p.strip());
      }
    }
    if (paths.isEmpty()) {
      return bad("give the paths to fetch as /fanout?paths=/a,/b");
    }
    if (paths.size() > MAX_PATHS) {
      return bad("at most " + MAX_PATHS + " paths, got " + paths.size());
    }
    for (String p : paths) {
      // Each path becomes a request line: only visible ASCII, and no fan-out of fan-outs.
      if (!p.startsWith("/") || !p.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        return bad("each path must start with / and be visible ASCII");
      }
      if (RequestTargets.path(p).equals("/fanout")) {
        return bad("/fanout cannot fan out to itself");
      }
    }
    String host = request.head().headers().get(HttpHeaders.HOST);
    SocketAddress client = clientAddress(request.client());
    List<CompletableFuture<Part>> parts = new ArrayList<>();
    for (String path : paths) {
      long id = ids.incrementAndGet();
      HttpConnectOptions options = HttpConnectOptions.builder().tag(TAG).id(id).clientAddress(client).build();
      CompletableFuture<ResponseParser.Response> fetch;
      try {
        fetch = InProcessClient.fetch(connector, options, path, host == null ? "localhost" : host, pool,
            MAX_PART_BYTES, inactivity);
      } catch (RuntimeException e) {
        fetch = CompletableFuture.failedFuture(e);
      }
      parts.add(fetch.handle((response, failure) -> new Part(path, id, response, failure)));
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenApply(done -> merge(parts.stream().map(CompletableFuture::join).toList()));
  }

  private static CompletionStage<InterceptResponse> bad(String message) {
    return CompletableFuture.completedFuture(InterceptResponse.error(400, message));
  }

  /** A section per path: a {@code ---} line with the status (or the failure), then the body. */
  private static InterceptResponse merge(List<Part> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    boolean allAnswered = true;
    write(out, "fanout: " + parts.size() + " in-process requests (pitag=" + TAG + ")\n");
    for (Part p : parts) {
      if (p.response() != null) {
        write(out, "--- GET " + p.path() + " -> " + p.response().status() + " (" + p.response().body().length
            + " bytes, piid=" + p.id() + ")\n");
        out.writeBytes(p.response().body());
        write(out, "\n");
      } else {
        allAnswered = false;
        Throwable cause = p.failure().getCause() != null ? p.failure().getCause() : p.failure();
        write(out, "--- GET " + p.path() + " -> failed: " + cause.getMessage() + " (piid=" + p.id() + ")\n");
      }
    }
    return InterceptResponse.of(allAnswered ? 200 : 502, "text/plain; charset=utf-8", out.toByteArray());
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The original client's address if the connect options accept it (an IP with a port, or Unix-domain). */
  private static SocketAddress clientAddress(SocketAddress original) {
    if (original instanceof UnixDomainSocketAddress) {
      return original;
    }
    if (original instanceof InetSocketAddress inet && !inet.isUnresolved() && inet.getPort() != 0) {
      return inet;
    }
    return FALLBACK_CLIENT;
  }
}
