package dev.vconn.app;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.app.plugins.BuiltinRoutes;
import dev.vconn.app.plugins.FanoutPlugin;
import dev.vconn.app.plugins.InterceptRouter;
import dev.vconn.app.plugins.NullTransformPlugin;
import dev.vconn.app.plugins.Plugin;
import dev.vconn.domain.http.AccessLog;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TlsOptions;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: a transport, an {@link HttpProxy} with the plugins' hooks, a listener for network clients and
 * an {@link HttpConnector} for in-process ones. {@link #start} brings it up; {@link #stop()} takes it down
 * gracefully (what SIGTERM and SIGINT do through {@link Main}'s shutdown hook).
 *
 * <pre>{@code
 * try (VconnServer server = VconnServer.start(ServerSettings.defaults())) {
 *   System.out.println(server.describe()); // vconn-server listening on http://127.0.0.1:8080/ ...
 * }
 * }</pre>
 */
public final class VconnServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VconnServer.class);

  private final ServerSettings settings;
  private final Transport transport;
  private final List<Plugin> plugins;
  private final HttpProxy proxy;
  private final HttpConnector connector;
  private final NetAcceptor.Listener listener;
  private final InetSocketAddress address;
  private final NetAcceptor.Listener tlsListener;
  private final InetSocketAddress tlsAddress;
  private final CompletableFuture<Boolean> stopped = new CompletableFuture<>();
  private final AtomicReference<Thread> stopper = new AtomicReference<>();

  private VconnServer(ServerSettings settings, AccessLog extraLog, List<Plugin> extraPlugins) throws IOException {
    this.settings = settings;
    TransportConfig tc = TransportConfig.defaults().withEventLoops(settings.eventLoops());
    this.transport = Transports.load(settings.transport(), tc);
    List<Plugin> made = List.of();
    try {
      // Plugins are made before the proxy (its hooks are part of its config) but some need the proxy or its
      // in-process connector at request time: they get them through these references.
      AtomicReference<HttpProxy> proxyRef = new AtomicReference<>();
      AtomicReference<HttpConnector> connectorRef = new AtomicReference<>();
      made = plugins(settings, transport, proxyRef::get, connectorRef::get, extraPlugins);
      this.plugins = made;
      HttpHooks.Builder hooks = HttpHooks.builder();
      hooks.add(HttpHookId.READ_REQUEST_HDR, InterceptRouter.hook(plugins));
      plugins.forEach(p -> p.register(hooks));
      AccessLog log = settings.accessLog() ? AccessLog.slf4j() : r -> { };
      if (extraLog != null) {
        log = log.andThen(extraLog);
      }
      HttpProxyConfig.Builder config = HttpProxyConfig.builder(transport.blockPool())
          .originConnector(OriginConnectors.of(transport.netConnector(), settings.tls().originContext(),
              transport.blockPool()))
          .limits(settings.limits())
          .timeouts(settings.timeouts())
          .accessControl(settings.accessControl())
          .hooks(hooks.build())
          .accessLog(log)
          .maxIdlePerOrigin(settings.maxIdlePerOrigin())
          .maxConnectionsPerOrigin(settings.maxConnectionsPerOrigin())
          .maxRetries(settings.maxRetries())
          .viaName(settings.viaName())
          .connectPorts(settings.connectPorts());
      settings.remapRules().forEach(config::remap);
      this.proxy = new HttpProxy(config.build());
      proxyRef.set(proxy);
      this.connector = transport.httpConnector(proxy.sessionAcceptor());
      connectorRef.set(connector);
      this.listener = transport.netAcceptor().listen(settings.listen(), proxy.sessionAcceptor());
      this.address = (InetSocketAddress) listener.localAddress();
      TlsSettings tls = settings.tls();
      if (tls.listen() != null) {
        try {
          this.tlsListener = transport.netAcceptor().listen(tls.listen(), proxy.sessionAcceptor(),
              TlsOptions.server(tls.listenerContext(), transport.blockPool()));
        } catch (IOException | RuntimeException e) {
          listener.close();
          throw e;
        }
        this.tlsAddress = (InetSocketAddress) tlsListener.localAddress();
      } else {
        this.tlsListener = null;
        this.tlsAddress = null;
      }
    } catch (IOException | RuntimeException e) {
      made.forEach(Plugin::close);
      transport.close();
      throw e;
    }
  }

  /**
   * Starts a server.
   *
   * @param settings what to run
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   * @throws IllegalArgumentException if the transport is unknown
   */
  public static VconnServer start(ServerSettings settings) throws IOException {
    return start(settings, null);
  }

  /**
   * Starts a server that also sends every access log record to {@code extraLog} (tests and embedders use it to see
   * transactions).
   *
   * @param settings what to run
   * @param extraLog another access log, or null
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   */
  public static VconnServer start(ServerSettings settings, AccessLog extraLog) throws IOException {
    return start(settings, extraLog, List.of());
  }

  /**
   * Starts a server with plugins of the embedder's besides the configured ones: they are asked to serve requests
   * after the configured intercepts and before the built-in routes, and add their hooks after them. The server
   * closes them when it stops.
   *
   * @param settings what to run
   * @param extraLog another access log, or null
   * @param extraPlugins more plugins
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   */
  public static VconnServer start(ServerSettings settings, AccessLog extraLog, List<Plugin> extraPlugins)
      throws IOException {
    VconnServer server = new VconnServer(Objects.requireNonNull(settings, "settings"), extraLog,
        List.copyOf(extraPlugins));
    LOG.debug("started: {}", server.describe());
    return server;
  }

  private static List<Plugin> plugins(ServerSettings s, Transport transport, Supplier<HttpProxy> proxy,
      Supplier<HttpConnector> connector, List<Plugin> extra) {
    List<Plugin> plugins = new ArrayList<>();
    // Explicitly configured intercepts first, so they can claim paths a built-in route would serve.
    if (!s.intercepts().isEmpty()) {
      plugins.add(new AdoptedSocketIntercept(s.intercepts(), transport.socketAdopter(), transport.blockPool(),
          s.timeouts().connect(), s.timeouts().inactivity()));
    }
    if (s.fanout()) {
      plugins.add(new FanoutPlugin(connector, transport.blockPool(), s.limits(), s.timeouts().inactivity()));
    }
    if (!s.nullTransformPrefixes().isEmpty()) {
      plugins.add(new NullTransformPlugin(s.nullTransformPrefixes()));
    }
    plugins.addAll(extra);
    if (s.builtinRoutes()) {
      List<Plugin> all = plugins; // the index page lists every plugin, itself included
      plugins.add(new BuiltinRoutes(transport.blockPool(), s.limits(), transport.name(), proxy,
          () -> index(all, s)));
    }
    return List.copyOf(plugins);
  }

  private static List<String> index(List<Plugin> plugins, ServerSettings s) {
    List<String> lines = new ArrayList<>();
    // The built-in routes first, then the optional plugins, then the remap rules.
    plugins.stream().filter(BuiltinRoutes.class::isInstance).forEach(p -> lines.addAll(p.describe()));
    plugins.stream().filter(p -> !(p instanceof BuiltinRoutes)).forEach(p -> lines.addAll(p.describe()));
    for (RemapRule r : s.remapRules()) {
      lines.add(String.format("%-22s remapped to %s://%s%s", "http://" + r.host() + r.pathPrefix() + "*",
          r.originTls() ? "https" : "http", r.originAuthority(), r.originPathPrefix()));
    }
    return lines;
  }

  /**
   * The address the server listens on (with the real port when port 0 was asked for).
   *
   * @return the bound address
   */
  public InetSocketAddress address() {
    return address;
  }

  /**
   * The transport it runs on.
   *
   * @return the transport
   */
  public Transport transport() {
    return transport;
  }

  /**
   * The HTTP state machine.
   *
   * @return the proxy
   */
  public HttpProxy proxy() {
    return proxy;
  }

  /**
   * The in-process connector into the proxy ({@code TSHttpConnect}).
   *
   * @return the connector
   */
  public HttpConnector httpConnector() {
    return connector;
  }

  /**
   * The settings it was started with.
   *
   * @return the settings
   */
  public ServerSettings settings() {
    return settings;
  }

  /**
   * The plugins that are on, in the order they are asked.
   *
   * @return the plugins
   */
  public List<Plugin> plugins() {
    return plugins;
  }

  /**
   * The startup line: where it listens and on which transport.
   *
   * @return one line
   */
  public String describe() {
    return "vconn-server listening on " + url("http", address)
        + (tlsAddress == null ? "" : " and " + url("https", tlsAddress)) + " (transport " + transport.name() + ", "
        + settings.eventLoops() + " event loops)";
  }

  private static String url(String scheme, InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return scheme + "://" + host + ":" + a.getPort() + "/";
  }

  /**
   * The address the TLS listener listens on, if {@code --tls-listen} was given.
   *
   * @return the bound address, or empty
   */
  public Optional<InetSocketAddress> tlsAddress() {
    return Optional.ofNullable(tlsAddress);
  }

  /**
   * Starts a graceful stop and returns at once: the listener is closed before this returns (new connections are
   * refused from then on); transactions in flight get up to the shutdown timeout to finish (responses say
   * {@code Connection: close}, idle keep-alive connections close now); then everything left is closed, the plugins
   * and the transport too. The shutdown timeout bounds the whole stop: the transport's close gets what the drain
   * left of it, so the stop completes within the timeout plus a fraction of a second. Idempotent.
   *
   * @return completes with true if every transaction finished in time, false if some had to be cut off
   */
  public CompletableFuture<Boolean> stopAsync() {
    Thread t = new Thread(this::shutdown, "vconn-server-stop");
    if (stopper.compareAndSet(null, t)) {
      listener.close(); // synchronous: nothing new is accepted once this returns
      if (tlsListener != null) {
        tlsListener.close();
      }
      t.start();
    }
    return stopped;
  }

  /**
   * Stops gracefully (see {@link #stopAsync()}) and waits until everything is closed.
   *
   * @return true if every transaction finished within the shutdown timeout
   */
  public boolean stop() {
    return stopAsync().join();
  }

  /**
   * Waits for the server to stop (after {@link #stop()} from elsewhere).
   *
   * @return what {@link #stop()} returned
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitStopped() throws InterruptedException {
    try {
      return stopped.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("stop failed", e.getCause());
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  private void shutdown() {
    boolean drained = false;
    // The shutdown timeout bounds the whole stop: the transport gets only what the drain left of it.
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    try {
      LOG.info("stopping: {} open connections get up to {} ms to finish", proxy.openSessions(),
          settings.shutdownTimeout().toMillis());
      try {
        proxy.drain().get(settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        drained = true;
      } catch (TimeoutException e) {
        LOG.warn("{} connections still busy after {} ms: closing them", proxy.openSessions(),
            settings.shutdownTimeout().toMillis());
      } catch (ExecutionException e) {
        LOG.warn("drain failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      proxy.close();
      for (Plugin p : plugins) {
        try {
          p.close();
        } catch (RuntimeException e) {
          LOG.warn("plugin {} failed to close", p.getClass().getSimpleName(), e);
        }
      }
      transport.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      LOG.info("stopped{}", drained ? "" : " (some transactions were cut off)");
    } catch (RuntimeException | Error e) {
      stopped.completeExceptionally(e);
      throw e;
    }
    stopped.complete(drained);
  }
}
