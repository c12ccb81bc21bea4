package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpStats;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http2.Http2Front;
import dev.vconn.plugin.Plugin;
import dev.vconn.plugin.PluginContext;
import dev.vconn.plugin.http.BodySource;
import dev.vconn.plugin.http.InterceptHandler;
import dev.vconn.plugin.http.InterceptRequest;
import dev.vconn.plugin.http.InterceptResponse;
import dev.vconn.plugin.http.InterceptServer;
import dev.vconn.plugin.http.RequestTargets;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The routes the server answers itself, each an intercept: {@code /} (the route list), {@code /echo} (the request
 * as the plugin received it), {@code /bytes/{n}} (n bytes with Content-Length), {@code /stream-bytes/{n}} (the same
 * bytes, chunked) and, when asked for ({@code --stats-route}),
 * {@code /_stats} (the proxy's counters as JSON). They need no origin, so a fresh server has something to serve.
 *
 * <p>Part of the server rather than a plugin it finds: the server makes it (when {@code --builtin-routes} is on)
 * with what only the server knows (the index of everything it runs, the proxy for {@code /_stats}) and asks it
 * last, after every plugin.
 */
public final class BuiltinRoutes implements Plugin {
  /** Its name among the plugins. */
  public static final String NAME = "builtin-routes";
  /** The largest {@code n} of {@code /bytes/{n}} and {@code /stream-bytes/{n}}: 1 GiB. */
  public static final long MAX_BYTES = 1L << 30;
  /** The largest request body {@code /echo} takes: 1 MiB (413 beyond). */
  public static final long MAX_ECHO_BODY = 1L << 20;
  /** The 64-byte line {@code /bytes/{n}} repeats: 63 visible characters and a line feed. */
  private static final byte[] LINE =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n".getBytes(StandardCharsets.US_ASCII);
  /** {@link #LINE} 128 times: the pattern from any offset in one copy of up to 8128 bytes. */
  private static final byte[] LINES = repeat(LINE, 128);

  private final BlockPool pool;
  private final HttpLimits limits;
  private final String transport;
  private final Supplier<HttpProxy> proxy;
  private final Supplier<List<String>> index;
  private final boolean statsRoute;
  private final Supplier<Http2Front.Stats> http2;
  private final long startNanos = System.nanoTime();

  /**
   * Creates the routes.
   *
   * @param pool the transport's block pool
   * @param limits the proxy's head limits
   * @param transport the transport's name, for {@code /_stats}
   * @param proxy the proxy whose counters {@code /_stats} shows (resolved at request time: the proxy is built after
   *     its hooks)
   * @param index the lines {@code /} lists
   * @param statsRoute whether {@code /_stats} is served (off: it goes on to remap like any other path)
   */
  public BuiltinRoutes(BlockPool pool, HttpLimits limits, String transport, Supplier<HttpProxy> proxy,
      Supplier<List<String>> index, boolean statsRoute) {
    this(pool, limits, transport, proxy, index, statsRoute, () -> null);
  }

  /**
   * Creates the routes of a server that may speak HTTP/2.
   *
   * @param pool the transport's block pool
   * @param limits the proxy's head limits
   * @param transport the transport's name, for {@code /_stats}
   * @param proxy the proxy whose counters {@code /_stats} shows (resolved at request time: the proxy is built after
   *     its hooks)
   * @param index the lines {@code /} lists
   * @param statsRoute whether {@code /_stats} is served (off: it goes on to remap like any other path)
   * @param http2 the HTTP/2 front's counters for {@code /_stats}, resolved at request time; a null result (HTTP/2
   *     off) shows zeros
   */
  public BuiltinRoutes(BlockPool pool, HttpLimits limits, String transport, Supplier<HttpProxy> proxy,
      Supplier<List<String>> index, boolean statsRoute, Supplier<Http2Front.Stats> http2) {
    this.http2 = Objects.requireNonNull(http2, "http2");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.proxy = Objects.requireNonNull(proxy, "proxy");
    this.index = Objects.requireNonNull(index, "index");
    this.statsRoute = statsRoute;
  }

  /**
   * The byte at {@code offset} of every {@code /bytes/{n}} body: 64-byte lines of letters, digits and {@code -},
   * each ended by a line feed, so the body is readable in a terminal and any slice can be checked.
   *
   * @param offset the offset in the body
   * @return the byte
   */
  public static byte patternByte(long offset) {
    return LINE[(int) (offset & 63)];
  }

  private static byte[] repeat(byte[] line, int times) {
    byte[] all = new byte[line.length * times];
    for (int i = 0; i < times; i++) {
      System.arraycopy(line, 0, all, i * line.length, line.length);
    }
    return all;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Registers the routes' interceptor.
   *
   * @param context the server's context
   */
  @Override
  public void init(PluginContext context) {
    context.addInterceptor(this::intercept);
  }

  @Override
  public List<String> describe() {
    List<String> routes = List.of(
        String.format("%-22s %s", "/", "this page"),
        String.format("%-22s %s", "/echo", "the request as a plugin receives it (method, target, headers, body)"),
        String.format("%-22s %s", "/bytes/{n}", "n bytes, with Content-Length (n <= " + MAX_BYTES + ")"),
        String.format("%-22s %s", "/stream-bytes/{n}", "the same n bytes, chunked"));
    if (!statsRoute) {
      return routes;
    }
    List<String> withStats = new ArrayList<>(routes);
    withStats.add(String.format("%-22s %s", "/_stats", "the proxy's counters as JSON"));
    return withStats;
  }

  private Continuation intercept(HttpTxn txn) {
    String path = RequestTargets.path(txn.clientRequest().target());
    InterceptHandler handler;
    if (path.equals("/")) {
      handler = InterceptHandler.sync(r -> indexPage());
    } else if (path.equals("/echo")) {
      handler = InterceptHandler.sync(BuiltinRoutes::echo);
    } else if (path.equals("/bytes") || path.startsWith("/bytes/")) {
      handler = InterceptHandler.sync(r -> bytes(r.path(), "/bytes/", false));
    } else if (path.equals("/stream-bytes") || path.startsWith("/stream-bytes/")) {
      handler = InterceptHandler.sync(r -> bytes(r.path(), "/stream-bytes/", true));
    } else if (statsRoute && path.equals("/_stats")) {
      handler = InterceptHandler.sync(r -> InterceptResponse.json(statsJson()));
    } else {
      return null;
    }
    return InterceptServer.continuation(handler, pool, limits, MAX_ECHO_BODY);
  }

  private InterceptResponse indexPage() {
    StringBuilder b = new StringBuilder("vconn-server (transport ").append(transport).append(")\n\n");
    for (String line : index.get()) {
      b.append("  ").append(line).append('\n');
    }
    return InterceptResponse.text(200, b.toString());
  }

  private static InterceptResponse echo(InterceptRequest r) {
    StringBuilder head = new StringBuilder();
    head.append(r.head().method()).append(' ').append(r.head().target()).append(' ')
        .append(r.head().version().text()).append('\n');
    for (HttpHeaders.Field f : r.head().headers()) {
      head.append(f.name()).append(": ").append(f.value()).append('\n');
    }
    head.append('\n');
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(r.body());
    return InterceptResponse.of(200, "text/plain; charset=utf-8", out.toByteArray());
  }

  /** {@code /bytes/{n}} (Content-Length) or {@code /stream-bytes/{n}} (chunked), {@code prefix} ending in '/'. */
  private static InterceptResponse bytes(String path, String prefix, boolean chunked) {
    String n = path.length() > prefix.length() ? path.substring(prefix.length()) : "";
    if (n.isEmpty() || !n.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return InterceptResponse.error(400, prefix + "{n} needs n as a decimal number of bytes");
    }
    if (n.length() > 18 || Long.parseLong(n) > MAX_BYTES) {
      return InterceptResponse.error(400, prefix + "{n} serves at most " + MAX_BYTES + " bytes");
    }
    long total = Long.parseLong(n);
    PatternSource source = new PatternSource(total);
    return chunked ? InterceptResponse.streamed(200, "text/plain; charset=us-ascii", source)
        : InterceptResponse.streamed(200, "text/plain; charset=us-ascii", source, total);
  }

  /**
   * {@code /bytes/{n}}'s and {@code /stream-bytes/{n}}'s body, generated as it is sent: copied from {@link #LINES} in runs (a byte-at-a-time loop
   * was a fifth of vconn-server's CPU time serving 64 KiB bodies).
   */
  static final class PatternSource implements BodySource {
    private final long total;
    private long offset;

    PatternSource(long total) {
      this.total = total;
    }

    @Override
    public int read(byte[] dst) {
      if (offset == total) {
        return -1;
      }
      int n = (int) Math.min(dst.length, total - offset);
      int pos = 0;
      while (pos < n) {
        int start = (int) ((offset + pos) & 63);
        int len = Math.min(LINES.length - start, n - pos);
        System.arraycopy(LINES, start, dst, pos, len);
        pos += len;
      }
      offset += n;
      return n;
    }
  }

  private String statsJson() {
    HttpProxy p = proxy.get();
    HttpStats.Snapshot s = p.stats().snapshot();
    long uptime = (System.nanoTime() - startNanos) / 1_000_000;
    BlockPool.Report blocks = pool.report();
    Http2Front.Stats h2 = http2.get();
    if (h2 == null) {
      h2 = new Http2Front.Stats(0, 0, 0, 0);
    }
    return "{\n"
        + "  \"transport\": \"" + transport + "\",\n"
        + "  \"uptimeMillis\": " + uptime + ",\n"
        + "  \"connections\": " + s.connections() + ",\n"
        + "  \"activeConnections\": " + s.activeConnections() + ",\n"
        + "  \"networkConnections\": " + s.networkConnections() + ",\n"
        + "  \"inProcessConnections\": " + s.inProcessConnections() + ",\n"
        + "  \"deniedConnections\": " + s.deniedConnections() + ",\n"
        + "  \"transactions\": " + s.transactions() + ",\n"
        + "  \"networkTransactions\": " + s.networkTransactions() + ",\n"
        + "  \"inProcessTransactions\": " + s.inProcessTransactions() + ",\n"
        + "  \"errorResponses\": " + s.errorResponses() + ",\n"
        + "  \"bytesIn\": " + s.bytesIn() + ",\n"
        + "  \"bytesOut\": " + s.bytesOut() + ",\n"
        + "  \"idleOriginConnections\": " + p.idleOriginConnections() + ",\n"
        + "  \"blockPoolOutstandingBytes\": " + blocks.outstandingBytes() + ",\n"
        + "  \"blockPoolCachedBytes\": " + blocks.cachedBytes() + ",\n"
        + "  \"blockPoolPeakOutstandingBytes\": " + blocks.peakOutstandingBytes() + ",\n"
        + "  \"blockPoolDroppedBlocks\": " + blocks.droppedBlocks() + ",\n"
        + "  \"http2Connections\": " + h2.http2Connections() + ",\n"
        + "  \"activeHttp2Connections\": " + h2.activeHttp2Connections() + ",\n"
        + "  \"openHttp2Streams\": " + h2.openHttp2Streams() + ",\n"
        + "  \"tlsConnections\": " + tlsJson(p.stats().tlsConnections()) + "\n"
        + "}\n";
  }

  /** TLS client connections by protocol and cipher suite: {@code {"TLSv1.3 TLS_AES_128_GCM_SHA256": 3}}. */
  private static String tlsJson(java.util.Map<String, Long> counts) {
    StringBuilder b = new StringBuilder("{");
    counts.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append('"').append(k).append("\": ").append(v));
    return b.append('}').toString();
  }
}
