package dev.vconn.app.admin;

import dev.vconn.app.plugins.InterceptRouter;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.plugin.http.InterceptHandler;
import dev.vconn.plugin.http.InterceptRequest;
import dev.vconn.plugin.http.InterceptResponse;
import dev.vconn.plugin.http.InterceptServer;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener of vconn-server ({@code --admin-listen}): a listener of its own on the server's transport, with
 * an {@link HttpProxy} of its own whose one interceptor answers every request (so nothing is ever forwarded, and its
 * counters stay apart from the public ones: scrapes do not show up in {@code /metrics}). No access log, no access
 * control: keep it on loopback or a private network (docs/server.md, Admin port).
 *
 * <ul>
 *   <li>{@code GET /metrics}: the {@link ServerMetrics} families in the Prometheus text format;</li>
 *   <li>{@code GET /healthz}: 200 while the process serves at all;</li>
 *   <li>{@code GET /readyz}: 200 while the server takes new connections, 503 once it drains;</li>
 *   <li>{@code POST /reload}: runs the {@link ReloadAction} on the admin's own thread; 200 applied, 500 rejected (the
 *       old configuration stays), 501 not supported;</li>
 *   <li>another method on these paths: 405 with {@code Allow}; another path: 404.</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  /** The largest request body taken (none of the routes reads one). */
  private static final long MAX_BODY = 64 * 1024;
  private static final String ROUTES = "/metrics, /healthz, /readyz, POST /reload";

  private final Supplier<String> metrics;
  private final BooleanSupplier ready;
  private final ReloadAction reloadAction;
  private final HttpProxy proxy;
  private final NetAcceptor.Listener listener;
  private final InetSocketAddress address;
  private final ExecutorService reloads;

  /**
   * Opens the admin listener.
   *
   * @param transport the server's transport (its acceptor and block pool serve the admin too)
   * @param listen where to listen
   * @param limits head limits for admin requests
   * @param metrics the exposition {@code /metrics} answers, computed at each request
   * @param ready whether the server is ready ({@code /readyz})
   * @param reloadAction what {@code POST /reload} runs
   * @throws IOException if the address cannot be bound
   */
  public AdminServer(Transport transport, InetSocketAddress listen, HttpLimits limits, Supplier<String> metrics,
      BooleanSupplier ready, ReloadAction reloadAction) throws IOException {
    Objects.requireNonNull(transport, "transport");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.ready = Objects.requireNonNull(ready, "ready");
    this.reloadAction = Objects.requireNonNull(reloadAction, "reloadAction");
    InterceptHandler handler = this::handle;
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, InterceptRouter.hook(List.of(
        txn -> InterceptServer.continuation(handler, transport.blockPool(), limits, MAX_BODY)))).build();
    this.proxy = new HttpProxy(HttpProxyConfig.builder(transport.blockPool())
        .limits(limits)
        .hooks(hooks)
        .accessLog(r -> { })
        .build());
    this.reloads = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "vconn-admin-reload");
      t.setDaemon(true);
      return t;
    });
    try {
      this.listener = transport.netAcceptor().listen(listen, proxy.sessionAcceptor());
    } catch (IOException | RuntimeException e) {
      reloads.shutdownNow();
      proxy.close();
      throw e;
    }
    this.address = (InetSocketAddress) listener.localAddress();
  }

  /**
   * The address the admin listener is bound to (with the real port when port 0 was asked for).
   *
   * @return the address
   */
  public InetSocketAddress address() {
    return address;
  }

  private CompletionStage<InterceptResponse> handle(InterceptRequest request) {
    String method = request.head().method();
    boolean get = method.equals("GET") || method.equals("HEAD");
    return switch (request.path()) {
      case "/metrics" -> done(get
          ? InterceptResponse.of(200, PrometheusText.CONTENT_TYPE, metrics.get().getBytes(StandardCharsets.UTF_8))
          : notAllowed("GET, HEAD"));
      case "/healthz" -> done(get ? InterceptResponse.text(200, "alive\n") : notAllowed("GET, HEAD"));
      case "/readyz" -> done(!get ? notAllowed("GET, HEAD")
          : ready.getAsBoolean() ? InterceptResponse.text(200, "ready\n")
          : InterceptResponse.text(503, "not ready: draining\n"));
      case "/reload" -> method.equals("POST") ? reload() : done(notAllowed("POST"));
      default -> done(InterceptResponse.error(404, "no admin route " + request.path() + " (routes: " + ROUTES
          + ")"));
    };
  }

  private CompletionStage<InterceptResponse> reload() {
    return CompletableFuture.supplyAsync(() -> {
      ReloadAction.Result r;
      try {
        r = reloadAction.reload();
      } catch (RuntimeException e) {
        LOG.warn("reload failed", e);
        r = ReloadAction.Result.rejected("reload failed: " + e);
      }
      LOG.info("reload through the admin listener: {}: {}", r.outcome(), r.message());
      return switch (r.outcome()) {
        case APPLIED -> InterceptResponse.text(200, "reloaded: " + r.message() + "\n");
        case REJECTED -> InterceptResponse.text(500, "reload rejected, the old configuration stays: " + r.message()
            + "\n");
        case UNSUPPORTED -> InterceptResponse.text(501, "reload not supported: " + r.message() + "\n");
      };
    }, reloads);
  }

  private static CompletionStage<InterceptResponse> done(InterceptResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  private static InterceptResponse notAllowed(String allow) {
    return new InterceptResponse(405, new HttpHeaders().add("Content-Type", "text/plain; charset=utf-8")
        .add("Allow", allow), ("405 Method Not Allowed: allowed here: " + allow + "\n")
        .getBytes(StandardCharsets.UTF_8), null);
  }

  /** Closes the listener, then every admin connection; a reload in progress is interrupted. Idempotent. */
  @Override
  public void close() {
    listener.close();
    proxy.close();
    reloads.shutdownNow();
  }
}
