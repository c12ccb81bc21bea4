package dev.vconn.app;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.app.plugins.BuiltinRoutes;
import dev.vconn.app.plugins.FanoutPlugin;
import dev.vconn.app.plugins.InterceptRouter;
import dev.vconn.app.plugins.NullTransformPlugin;
import dev.vconn.domain.http.AccessLog;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.plugin.Interceptor;
import dev.vconn.plugin.Plugin;
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
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: a transport, an {@link HttpProxy} with the plugins' hooks, a listener for network clients and
 * an {@link HttpConnector} for in-process ones. {@link #start} brings it up; {@link #stop()} takes it down
 * gracefully (what SIGTERM and SIGINT do through {@link Main}'s shutdown hook).
 *
 * <p>Plugins ({@link Plugin}) are found with {@link java.util.ServiceLoader} on the class path (the bundled ones) and
 * in the jars of {@link ServerSettings#pluginPath()}; those switched on with {@code plugin.NAME.enabled = true} (or
 * the bundled plugins' options) run, configured by their {@code plugin.NAME.KEY} settings. Startup: every plugin
 * found is constructed and logged; the enabled ones are initialized in order; the proxy is built with their hooks;
 * they are started; then the listener opens. Stop: listener closed, drain, proxy closed, plugins closed in reverse
 * order, transport closed (docs/server.md, Plugins).
 *
 * <pre>{@code
 * try (VconnServer server = VconnServer.start(ServerSettings.defaults())) {
 *   System.out.println(server.describe()); // vconn-server listening on http://127.0.0.1:8080/ ...
 * }
 * }</pre>
 */
public final class VconnServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VconnServer.class);
  private static final String ENABLED = "enabled";

  private final ServerSettings settings;
  private final Transport transport;
  private final List<Plugin> plugins;
  private final PluginLoader pluginLoader;
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
    PluginLoader found = null;
    List<Plugin> initialized = new ArrayList<>();
    try {
      found = PluginLoader.load(settings.pluginPath(), VconnServer.class.getClassLoader());
      this.pluginLoader = found;
      // The proxy is built after the plugins' init (its hooks are part of its config): the contexts reach it and
      // its in-process connector through these references, filled in before any plugin's start().
      AtomicReference<HttpProxy> proxyRef = new AtomicReference<>();
      AtomicReference<HttpConnector> connectorRef = new AtomicReference<>();
      List<Candidate> enabled = enabledPlugins(settings, found.found(), extraPlugins);
      List<Plugin> on = new ArrayList<>(enabled.stream().map(Candidate::plugin).toList());
      if (settings.builtinRoutes()) {
        List<Plugin> all = on; // the index page lists every plugin, itself included
        BuiltinRoutes routes = new BuiltinRoutes(transport.blockPool(), settings.limits(), transport.name(),
            proxyRef::get, () -> index(all, settings));
        on.add(routes);
        enabled.add(new Candidate(routes, "vconn-server", Map.of()));
      }
      this.plugins = List.copyOf(on);
      HttpHooks.Builder hooks = HttpHooks.builder();
      List<Interceptor> interceptors = new ArrayList<>();
      List<ServerPluginContext.Hook> pluginHooks = new ArrayList<>();
      for (Candidate c : enabled) {
        ServerPluginContext context = new ServerPluginContext(transport, settings, c.plugin().name(), c.settings(),
            proxyRef::get, connectorRef::get);
        initialized.add(c.plugin());
        try {
          c.plugin().init(context);
        } catch (Exception e) {
          throw new PluginLoadException("plugin " + c.plugin().name() + " (" + c.source() + "): init failed: "
              + PluginLoader.describe(e), e);
        }
        context.seal();
        Set<String> unread = context.settings().unreadKeys();
        if (!unread.isEmpty()) {
          throw new PluginLoadException("config key '" + context.settings().qualified(unread.iterator().next())
              + "' is not a setting of plugin " + c.plugin().name() + " (" + c.source() + "; it reads "
              + readKeys(context) + ")");
        }
        interceptors.addAll(context.interceptors());
        pluginHooks.addAll(context.hooks());
      }
      hooks.add(HttpHookId.READ_REQUEST_HDR, InterceptRouter.hook(interceptors));
      pluginHooks.forEach(h -> hooks.add(h.id(), h.continuation()));
      AccessLog log = settings.accessLog() ? AccessLog.slf4j(settings.accessLogFormat()) : r -> { };
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
      for (Candidate c : enabled) {
        try {
          c.plugin().start();
        } catch (Exception e) {
          throw new PluginLoadException("plugin " + c.plugin().name() + " (" + c.source() + "): start failed: "
              + PluginLoader.describe(e), e);
        }
      }
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
      closeInReverse(initialized);
      transport.close();
      if (found != null) {
        found.close();
      }
      throw e;
    }
  }

  /** A plugin that runs, where it came from, and its settings. */
  private record Candidate(Plugin plugin, String source, Map<String, String> settings) {}

  /**
   * The plugins that run, in order (class path, plugin jars, the embedder's), each with its {@code plugin.NAME.*}
   * settings; logs every plugin found and whether it runs.
   *
   * @throws PluginLoadException for a key of a plugin that is not there or a bad {@code enabled} value
   */
  private static List<Candidate> enabledPlugins(ServerSettings s, List<PluginLoader.Found> found, List<Plugin> extra) {
    Map<String, Map<String, String>> byPlugin = new TreeMap<>();
    for (Map.Entry<String, String> e : pluginProperties(s).entrySet()) {
      String rest = e.getKey().substring(ServerCli.PLUGIN_PREFIX.length());
      int dot = rest.indexOf('.');
      byPlugin.computeIfAbsent(rest.substring(0, dot), k -> new TreeMap<>()).put(rest.substring(dot + 1), e.getValue());
    }
    List<PluginLoader.Found> all = new ArrayList<>(found);
    extra.forEach(p -> all.add(new PluginLoader.Found(p, "embedder", null)));
    List<String> names = all.stream().map(f -> f.plugin().name()).toList();
    for (Plugin p : extra) {
      if (names.indexOf(p.name()) != names.lastIndexOf(p.name())) {
        throw new PluginLoadException("two plugins are named '" + p.name() + "': " + p.getClass().getName()
            + " (embedder) and one found on the class path or plugin path");
      }
    }
    for (String name : byPlugin.keySet()) {
      if (!names.contains(name)) {
        throw new PluginLoadException("config key '" + ServerCli.PLUGIN_PREFIX + name + "."
            + byPlugin.get(name).keySet().iterator().next() + "': no plugin named '" + name + "' was found (found: "
            + String.join(", ", names) + ")");
      }
    }
    List<Candidate> enabled = new ArrayList<>();
    for (PluginLoader.Found f : all) {
      String name = f.plugin().name();
      Map<String, String> values = new TreeMap<>(byPlugin.getOrDefault(name, Map.of()));
      String flag = values.remove(ENABLED);
      boolean on;
      if (extra.contains(f.plugin())) {
        on = true; // the embedder passed it in to run it
      } else if (flag == null || flag.equalsIgnoreCase("false")) {
        on = false;
      } else if (flag.equalsIgnoreCase("true")) {
        on = true;
      } else {
        throw new PluginLoadException("config key '" + ServerCli.PLUGIN_PREFIX + name + "." + ENABLED
            + "' must be true or false, was '" + flag + "'");
      }
      LOG.info("plugin {}{} from {}: {}", name, f.version() == null ? "" : " " + f.version(), f.source(),
          on ? "on" : "off");
      if (on) {
        enabled.add(new Candidate(f.plugin(), f.source(), values));
      }
    }
    return enabled;
  }

  /**
   * The config file's {@code plugin.*} keys with the bundled plugins' options mapped onto them: {@code --fanout}
   * is {@code plugin.fanout.enabled}; {@code --null-transform} and {@code --intercept}, when given, switch their
   * plugin on and replace its {@code prefixes} or {@code routes}.
   */
  private static Map<String, String> pluginProperties(ServerSettings s) {
    Map<String, String> p = new TreeMap<>(s.pluginProperties());
    p.put("plugin." + FanoutPlugin.NAME + "." + ENABLED, Boolean.toString(s.fanout()));
    if (!s.nullTransformPrefixes().isEmpty()) {
      p.put("plugin." + NullTransformPlugin.NAME + "." + ENABLED, "true");
      p.put("plugin." + NullTransformPlugin.NAME + ".prefixes", String.join(",", s.nullTransformPrefixes()));
    }
    if (!s.intercepts().isEmpty()) {
      p.put("plugin." + AdoptedSocketIntercept.NAME + "." + ENABLED, "true");
      p.put("plugin." + AdoptedSocketIntercept.NAME + ".routes",
          String.join(",", s.intercepts().stream().map(AdoptedSocketIntercept.Route::toString).toList()));
    }
    return p;
  }

  private static String readKeys(ServerPluginContext context) {
    Set<String> read = context.settings().askedKeys();
    return read.isEmpty() ? "no settings" : String.join(", ", read);
  }

  private static void closeInReverse(List<Plugin> plugins) {
    for (int i = plugins.size() - 1; i >= 0; i--) {
      Plugin p = plugins.get(i);
      try {
        p.close();
      } catch (RuntimeException e) {
        LOG.warn("plugin {} failed to close", p.getClass().getName(), e);
      }
    }
  }

  /**
   * Starts a server.
   *
   * @param settings what to run
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   * @throws IllegalArgumentException if the transport is unknown
   * @throws PluginLoadException if a plugin cannot be loaded, configured, initialized or started
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
   * Starts a server with plugins of the embedder's besides those it finds: they always run, get their
   * {@code plugin.NAME.*} settings like the others, go through the same lifecycle ({@link Plugin}), and come after
   * the found plugins and before the built-in routes (their interceptors are asked in that order, their hooks run in
   * that order). The server closes them when it stops.
   *
   * @param settings what to run
   * @param extraLog another access log, or null
   * @param extraPlugins more plugins
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   * @throws PluginLoadException if a plugin cannot be loaded, configured, initialized or started (the message names
   *     the jar or plugin and the config key at fault)
   */
  public static VconnServer start(ServerSettings settings, AccessLog extraLog, List<Plugin> extraPlugins)
      throws IOException {
    VconnServer server = new VconnServer(Objects.requireNonNull(settings, "settings"), extraLog,
        List.copyOf(extraPlugins));
    LOG.debug("started: {}", server.describe());
    return server;
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
      closeInReverse(plugins);
      transport.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      pluginLoader.close(); // the plugins' classes are not needed once the loops stopped
      LOG.info("stopped{}", drained ? "" : " (some transactions were cut off)");
    } catch (RuntimeException | Error e) {
      stopped.completeExceptionally(e);
      throw e;
    }
    stopped.complete(drained);
  }
}
