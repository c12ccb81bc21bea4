package dev.vconn.app;

import dev.vconn.app.admin.AdminServer;
import dev.vconn.app.admin.PrometheusText;
import dev.vconn.app.admin.ReloadAction;
import dev.vconn.app.admin.ServerMetrics;
import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.app.plugins.BuiltinRoutes;
import dev.vconn.app.plugins.FanoutPlugin;
import dev.vconn.app.plugins.InterceptRouter;
import dev.vconn.app.plugins.NullTransformPlugin;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.http.AccessLog;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.ProxyProtocolMode;
import dev.vconn.domain.http.ProxyProtocolStage;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.http2.Http2Front;
import dev.vconn.domain.http.UpstreamGroup;
import dev.vconn.plugin.Interceptor;
import dev.vconn.plugin.Plugin;
import dev.vconn.ports.HttpConnectOptions;
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
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
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
 * <p>{@link #reload()} (SIGHUP through {@link Main}, and the admin port) reads the configuration again and applies
 * what can change while it runs to the transactions that start afterwards (docs/server.md, "Reload").
 *
 * <p>With {@link ServerSettings.AdminSettings#listen()} set, an {@link AdminServer} opens last and closes after the
 * drain: {@code /metrics} ({@link #metrics()}), {@code /healthz}, {@code /readyz} ({@link #ready()}) and
 * {@code POST /reload} (docs/server.md, Operating vconn-server).
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
  /**
   * The least the transport's close gets after a drain that used the whole shutdown timeout: the aborts
   * {@code proxy.close()} just queued on the loops need moments to run, and a transport close with nothing left of
   * the timeout would force-close those connections while their aborts still wait in the queue (docs/server.md,
   * Shutdown).
   */
  static final Duration TRANSPORT_CLOSE_FLOOR = Duration.ofMillis(500);

  private final ServerSettings settings;
  /** The settings the running configuration came from: those started with, then each applied reload's. */
  private volatile ServerSettings current;
  private final SettingsSource source;
  private final AccessLog extraLog;
  private final Transport transport;
  private final List<Plugin> extraPlugins;
  /** The plugins in force; a reload that changed plugin settings replaces it. Guarded by this for writes. */
  private volatile Generation generation;
  /** Generations a reload replaced: closed when the server stops (transactions that began before may use them). */
  private final List<Generation> retired = new ArrayList<>();
  private final HttpProxy proxy;
  private final HttpConnector connector;
  private final Http2Front http2Front;
  private final NetAcceptor.Listener listener;
  private final InetSocketAddress address;
  private final NetAcceptor.Listener tlsListener;
  private final InetSocketAddress tlsAddress;
  private final ServerMetrics metrics;
  private final AdminServer admin;
  /** The PROXY protocol stage of the plain-text listener (it hands connections on at once when off). */
  private final ProxyProtocolStage proxyProtocolStage;
  /** The PROXY protocol stage of the TLS listener, null without one. */
  private final ProxyProtocolStage tlsProxyProtocolStage;
  private final CompletableFuture<Boolean> stopped = new CompletableFuture<>();
  private final AtomicReference<Thread> stopper = new AtomicReference<>();

  private VconnServer(ServerSettings settings, AccessLog extraLog, List<Plugin> extraPlugins, SettingsSource source)
      throws IOException {
    this.settings = settings;
    this.current = settings;
    this.source = source;
    this.extraLog = extraLog;
    TransportConfig tc = TransportConfig.defaults().withEventLoops(settings.eventLoops());
    this.transport = Transports.load(settings.transport(), tc);
    this.extraPlugins = extraPlugins;
    Generation first = null;
    try {
      // The proxy is built after the plugins' init (its hooks are part of its config): the contexts reach it and
      // its in-process connector through these references, filled in before any plugin's start().
      AtomicReference<HttpProxy> proxyRef = new AtomicReference<>();
      AtomicReference<HttpConnector> connectorRef = new AtomicReference<>();
      first = plugins(settings, null, proxyRef::get, connectorRef::get);
      this.generation = first;
      HttpProxyConfig.Builder config = HttpProxyConfig.builder(transport.blockPool())
          .originConnector(OriginConnectors.of(transport.netConnector(), settings.tls().originContext(),
              transport.blockPool()))
          .limits(settings.limits())
          .timeouts(settings.timeouts())
          .accessControl(settings.accessControl())
          .hooks(first.hooks())
          .accessLog(accessLog(settings))
          .healthCheckLoop(transport.nextEventLoop())
          .maxIdlePerOrigin(settings.maxIdlePerOrigin())
          .maxConnectionsPerOrigin(settings.maxConnectionsPerOrigin())
          .maxRetries(settings.maxRetries())
          .viaName(settings.viaName())
          .connectPorts(settings.connectPorts())
          .forwarding(settings.forwarding())
          .originProxyProtocol(settings.proxyProtocol().origin());
      settings.remapRules().forEach(config::remap);
      settings.upstreams().forEach(config::upstream);
      this.proxy = new HttpProxy(config.build());
      proxyRef.set(proxy);
      this.connector = transport.httpConnector(proxy.sessionAcceptor());
      connectorRef.set(connector);
      // With HTTP/2 the listeners hand connections to the front, which tells the protocols apart; each HTTP/2
      // stream is an in-process connection into the same proxy (tag h2, id = the client connection's number).
      this.http2Front = settings.http2().enabled()
          ? new Http2Front(proxy, (id, address) -> connector.connect(HttpConnectOptions.builder()
              .tag(Http2Front.ALPN_H2).id(id).clientAddress(address).build()), settings.http2().config())
          : null;
      Continuation networkAcceptor = http2Front != null ? http2Front.sessionAcceptor() : proxy.sessionAcceptor();
      // The front stages chain: a PROXY protocol header first, then (with HTTP/2) the protocol, then the session.
      ProxyProtocolStage.Next afterHeader = http2Front != null ? http2Front::accept : proxy::accept;
      first.start();
      ProxyProtocolSettings pp = settings.proxyProtocol();
      this.proxyProtocolStage = new ProxyProtocolStage(pp.listener(), pp.headerTimeout(), transport.blockPool(),
          afterHeader);
      this.listener = transport.netAcceptor().listen(settings.listen(), pp.listener() == ProxyProtocolMode.OFF
          ? networkAcceptor : proxyProtocolStage.acceptor());
      this.address = (InetSocketAddress) listener.localAddress();
      TlsSettings tls = settings.tls();
      if (tls.listen() != null) {
        TlsOptions tlsOptions = TlsOptions.server(tls.listenerContext(settings.http2().alpn()), transport.blockPool());
        // The header comes in plain text before the handshake: the stage reads it off the TCP connection and the
        // TLS VConn is made after it, over the same connection, which the stage left on the octet after the
        // header (a required mode reads nothing past it, so there is never an alreadyRead here).
        this.tlsProxyProtocolStage = new ProxyProtocolStage(pp.tlsListener(), pp.headerTimeout(),
            transport.blockPool(), (vconn, alreadyRead, clientAddress) ->
                afterHeader.accept(tlsOptions.wrap(vconn), alreadyRead, clientAddress));
        try {
          this.tlsListener = pp.tlsListener() == ProxyProtocolMode.OFF
              ? transport.netAcceptor().listen(tls.listen(), networkAcceptor, tlsOptions)
              : transport.netAcceptor().listen(tls.listen(), tlsProxyProtocolStage.acceptor());
        } catch (IOException | RuntimeException e) {
          listener.close();
          throw e;
        }
        this.tlsAddress = (InetSocketAddress) tlsListener.localAddress();
      } else {
        this.tlsListener = null;
        this.tlsAddress = null;
        this.tlsProxyProtocolStage = null;
      }
      this.metrics = new ServerMetrics(proxy, transport.name(), transport.blockPool(), this::ready);
      InetSocketAddress adminListen = settings.admin().listen();
      if (adminListen != null) {
        try {
          this.admin = new AdminServer(transport, adminListen, settings.limits(),
              () -> PrometheusText.write(metrics.families()), this::ready, reloadAction());
        } catch (IOException | RuntimeException e) {
          listener.close();
          if (tlsListener != null) {
            tlsListener.close();
          }
          throw e;
        }
      } else {
        this.admin = null;
      }
    } catch (IOException | RuntimeException e) {
      if (first != null) {
        first.close();
        first.closeLoader();
      }
      transport.close();
      throw e;
    }
  }

  private AccessLog accessLog(ServerSettings s) {
    AccessLog log = s.accessLog() ? AccessLog.slf4j(s.accessLogFormat()) : AccessLog.NONE;
    return extraLog == null ? log : log.andThen(extraLog);
  }

  /**
   * Where {@link #reload()} reads the settings from: for {@code vconn-server}, its command line, environment and
   * config file, read again ({@link ServerCli#source}).
   */
  @FunctionalInterface
  public interface SettingsSource {
    /**
     * Reads the settings.
     *
     * @return the settings
     * @throws IllegalArgumentException if they cannot be read or are invalid, with a message that says why
     */
    ServerSettings read();
  }

  /**
   * What {@code POST /reload} on the admin listener runs: {@link #reload()}, or 501 for a server started without a
   * {@link SettingsSource}.
   */
  private ReloadAction reloadAction() {
    if (source == null) {
      return ReloadAction.unsupported("this server was started from settings, not from a command line and config "
          + "file: restart it to apply changes");
    }
    return () -> {
      ReloadResult r = reload();
      return r.applied() ? ReloadAction.Result.applied(r.message()) : ReloadAction.Result.rejected(r.message());
    };
  }

  /** A plugin that runs, where it came from, and its settings. */
  private record Candidate(Plugin plugin, String source, Map<String, String> settings) {}

  /** A plugin after its init: what it registered. */
  private record Wired(Candidate candidate, List<Interceptor> interceptors, List<ServerPluginContext.Hook> hooks) {}

  /**
   * The plugins of one configuration and the hooks they make: built at startup, and again by a reload that changed
   * plugin settings (then with new instances: a plugin is initialized once). The embedder's plugins are the same
   * instances in every generation, initialized once, with the hooks of their first init.
   *
   * @param loader where its plugins came from
   * @param plugins the plugins that are on, in order (the index page lists them)
   * @param wired every plugin that is on with what it registered, in order
   * @param owned the plugins this generation initialized, which it closes
   * @param hooks the proxy's hooks: the interceptors' router, then the plugins' hooks
   */
  private record Generation(PluginLoader loader, List<Plugin> plugins, List<Wired> wired, List<Plugin> owned,
      HttpHooks hooks) {
    /** Starts the plugins this generation initialized, in order. */
    void start() {
      for (Wired w : wired) {
        Candidate c = w.candidate();
        if (owned.contains(c.plugin())) {
          try {
            c.plugin().start();
          } catch (Exception e) {
            throw new PluginLoadException("plugin " + c.plugin().name() + " (" + c.source() + "): start failed: "
                + PluginLoader.describe(e), e);
          }
        }
      }
    }

    /** Closes the plugins it initialized, in reverse order. */
    void close() {
      closeInReverse(owned);
    }

    /** Closes the plugins' class loaders (once the loops stopped: their classes are not needed any more). */
    void closeLoader() {
      loader.close();
    }
  }

  /**
   * Finds, constructs and initializes the plugins {@code s} switches on, and builds their hooks; the embedder's
   * plugins already initialized in {@code previous} keep what they registered. Cleans up after itself if it throws.
   *
   * @throws PluginLoadException if a plugin cannot be loaded, configured or initialized
   */
  private Generation plugins(ServerSettings s, Generation previous, java.util.function.Supplier<HttpProxy> proxyRef,
      java.util.function.Supplier<HttpConnector> connectorRef) {
    PluginLoader found = PluginLoader.load(s.pluginPath(), VconnServer.class.getClassLoader());
    List<Plugin> initialized = new ArrayList<>();
    try {
      List<Candidate> enabled = enabledPlugins(s, found.found(), extraPlugins);
      List<Plugin> on = new ArrayList<>(enabled.stream().map(Candidate::plugin).toList());
      if (s.builtinRoutes()) {
        List<Plugin> all = on; // the index page lists every plugin, itself included
        BuiltinRoutes routes = new BuiltinRoutes(transport.blockPool(), s.limits(), transport.name(),
            proxyRef, () -> index(all, current), s.admin().statsRoute(),
            () -> http2Front == null ? null : http2Front.stats());
        on.add(routes);
        enabled.add(new Candidate(routes, "vconn-server", Map.of()));
      }
      List<Wired> wired = new ArrayList<>();
      for (Candidate c : enabled) {
        Wired before = previous == null ? null : previous.wired().stream()
            .filter(w -> w.candidate().plugin() == c.plugin()).findFirst().orElse(null);
        if (before != null) {
          wired.add(before); // an embedder's plugin: initialized once
          continue;
        }
        ServerPluginContext context = new ServerPluginContext(transport, s, c.plugin().name(), c.settings(),
            proxyRef, connectorRef);
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
        wired.add(new Wired(c, context.interceptors(), context.hooks()));
      }
      HttpHooks.Builder hooks = HttpHooks.builder();
      List<Interceptor> interceptors = new ArrayList<>();
      wired.forEach(w -> interceptors.addAll(w.interceptors()));
      if (!interceptors.isEmpty()) {
        // No router without interceptors: it would ask nobody, yet cost every request a hook call (a loop task, the
        // plugin lock, a reenable) at READ_REQUEST_HDR (docs/server.md).
        hooks.add(HttpHookId.READ_REQUEST_HDR, InterceptRouter.hook(interceptors));
      }
      wired.forEach(w -> w.hooks().forEach(h -> hooks.add(h.id(), h.continuation())));
      return new Generation(found, List.copyOf(on), List.copyOf(wired), List.copyOf(initialized), hooks.build());
    } catch (RuntimeException e) {
      closeInReverse(initialized);
      found.close();
      throw e;
    }
  }

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
    return start(settings, extraLog, extraPlugins, null);
  }

  /**
   * Starts a server that {@link #reload()} reconfigures from {@code source}.
   *
   * @param settings what to run
   * @param extraLog another access log, or null
   * @param extraPlugins more plugins
   * @param source where a reload reads the settings, or null if the server cannot be reloaded
   * @return the running server
   * @throws IOException if the listen address cannot be bound
   * @throws PluginLoadException if a plugin cannot be loaded, configured, initialized or started
   */
  public static VconnServer start(ServerSettings settings, AccessLog extraLog, List<Plugin> extraPlugins,
      SettingsSource source) throws IOException {
    VconnServer server = new VconnServer(Objects.requireNonNull(settings, "settings"), extraLog,
        List.copyOf(extraPlugins), source);
    LOG.debug("started: {}", server.describe());
    return server;
  }

  private static List<String> index(List<Plugin> plugins, ServerSettings s) {
    List<String> lines = new ArrayList<>();
    // The built-in routes first, then the optional plugins, then the remap rules.
    plugins.stream().filter(BuiltinRoutes.class::isInstance).forEach(p -> lines.addAll(p.describe()));
    plugins.stream().filter(p -> !(p instanceof BuiltinRoutes)).forEach(p -> lines.addAll(p.describe()));
    for (RemapRule r : s.remapRules()) {
      String to = r.upstream() != null ? "upstream://" + r.upstream()
          : (r.originTls() ? "https" : "http") + "://" + r.originAuthority();
      lines.add(String.format("%-22s remapped to %s%s", "http://" + r.host() + r.pathPrefix() + "*", to,
          r.originPathPrefix()));
    }
    for (UpstreamGroup g : s.upstreams()) {
      lines.add(String.format("%-22s %s", "upstream://" + g.name(), g.origins().stream()
          .map(o -> (o.tls() ? "https://" : "http://") + o.authority()).collect(Collectors.joining(" "))));
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
   * The settings of the configuration in force: those it was started with, or those of the last reload that was
   * applied (whose keys that need a restart were not applied: {@link ReloadResult#notApplied()}).
   *
   * @return the settings
   */
  public ServerSettings currentSettings() {
    return current;
  }

  /**
   * The upstream groups of the configuration in force, with their members' live state
   * ({@link UpstreamGroup#members()}): what the admin port's metrics export.
   *
   * @return the groups, in config order
   */
  public List<UpstreamGroup> upstreamGroups() {
    return proxy.config().upstreamGroups();
  }

  /**
   * Reads the configuration again (the command line and environment it was started with, the config file as it is
   * now) and applies what can change while the server runs to the transactions that start from now on: remap rules,
   * upstream groups (new groups, their members up with zero counts, their health checks restarted), access control
   * (for connections accepted from now on), the access log switch, {@code max-retries}, {@code via-name},
   * {@code connect-ports}, and the plugins and their settings ({@code plugin.*}, {@code plugin-path},
   * {@code builtin-routes}, {@code fanout}, {@code null-transform}, {@code intercept}): when those changed, new
   * plugin instances are initialized and started, and the plugins they replace are closed when the server stops
   * (transactions that started before may still run their hooks). Transactions in flight finish with the
   * configuration they started with; no connection is closed. Keys that need a restart (listener addresses,
   * transport, event loops, TLS, limits, timeouts, origin pool sizes, the shutdown timeout, the settings of the
   * embedder's plugins) keep their running values; the result names those that changed, and a warning is logged. A file that does not parse or fails validation changes nothing: the result
   * and an error log line say why. SIGHUP calls it ({@link Main}); so does the admin port. Thread-safe; reloads run
   * one at a time.
   *
   * @return what was applied, or why nothing was
   */
  public synchronized ReloadResult reload() {
    if (source == null) {
      return ReloadResult.rejected("this server was started from settings, not from a command line and config file: "
          + "there is nothing to read again");
    }
    if (stopper.get() != null) {
      return ReloadResult.rejected("the server is stopping");
    }
    ServerSettings next;
    HttpProxyConfig config;
    Generation fresh = null;
    try {
      next = source.read();
      HttpProxyConfig.Builder b = proxy.config().toBuilder().clearRouting()
          .accessControl(next.accessControl())
          .accessLog(accessLog(next))
          .maxRetries(next.maxRetries())
          .viaName(next.viaName())
          .connectPorts(next.connectPorts())
          .forwarding(next.forwarding())
          .originProxyProtocol(next.proxyProtocol().origin());
      next.remapRules().forEach(b::remap);
      next.upstreams().forEach(b::upstream);
      b.build(); // validated before any plugin is built
      if (pluginsDiffer(current, next)) {
        fresh = plugins(next, generation, () -> proxy, () -> connector);
        fresh.start();
        b.hooks(fresh.hooks());
      }
      config = b.build();
      proxy.reconfigure(config);
    } catch (IllegalArgumentException | PluginLoadException e) {
      if (fresh != null) {
        fresh.close();
        fresh.closeLoader();
      }
      LOG.error("reload failed, the configuration in force stays: {}", e.getMessage());
      return ReloadResult.rejected(e.getMessage());
    }
    if (fresh != null) {
      retired.add(generation);
      generation = fresh;
    }
    List<String> notApplied = restartOnly(current, next, extraPlugins);
    current = next;
    String message = config.remapRules().size() + " remap rule(s), " + config.upstreamGroups().size()
        + " upstream group(s)" + (notApplied.isEmpty() ? "" : "; not applied until a restart: "
        + String.join(", ", notApplied));
    if (notApplied.isEmpty()) {
      LOG.info("reloaded: {}", message);
    } else {
      LOG.warn("reloaded: {}", message);
    }
    return new ReloadResult(true, message, notApplied);
  }

  /** Whether the plugins {@code b} asks for differ from {@code a}'s: then a reload builds them anew. */
  private static boolean pluginsDiffer(ServerSettings a, ServerSettings b) {
    return a.builtinRoutes() != b.builtinRoutes() || a.fanout() != b.fanout()
        || !a.nullTransformPrefixes().equals(b.nullTransformPrefixes()) || !a.intercepts().equals(b.intercepts())
        || !Objects.equals(a.pluginPath(), b.pluginPath()) || !a.pluginProperties().equals(b.pluginProperties());
  }

  /**
   * The config keys that differ between {@code a} and {@code b} and that a reload does not apply: those that need a
   * restart, and the settings of the embedder's plugins (initialized once).
   */
  private static List<String> restartOnly(ServerSettings a, ServerSettings b, List<Plugin> extraPlugins) {
    List<String> keys = new ArrayList<>();
    differs(keys, "transport", a.transport(), b.transport());
    differs(keys, "listen", a.listen(), b.listen());
    differs(keys, "event-loops", a.eventLoops(), b.eventLoops());
    differs(keys, "shutdown-timeout", a.shutdownTimeout(), b.shutdownTimeout());
    Set<String> pluginKeys = new TreeSet<>(a.pluginProperties().keySet());
    pluginKeys.addAll(b.pluginProperties().keySet());
    for (String key : pluginKeys) {
      if (extraPlugins.stream().anyMatch(p -> key.startsWith(ServerCli.PLUGIN_PREFIX + p.name() + "."))) {
        differs(keys, key, a.pluginProperties().get(key), b.pluginProperties().get(key));
      }
    }
    differs(keys, "max-request-line", a.limits().maxRequestLineBytes(), b.limits().maxRequestLineBytes());
    differs(keys, "max-header-bytes", a.limits().maxHeaderBytes(), b.limits().maxHeaderBytes());
    differs(keys, "max-header-count", a.limits().maxHeaderCount(), b.limits().maxHeaderCount());
    differs(keys, "max-connections-per-origin", a.maxConnectionsPerOrigin(), b.maxConnectionsPerOrigin());
    differs(keys, "max-idle-per-origin", a.maxIdlePerOrigin(), b.maxIdlePerOrigin());
    differs(keys, "header-timeout", a.timeouts().header(), b.timeouts().header());
    differs(keys, "keep-alive-timeout", a.timeouts().keepAliveIdle(), b.timeouts().keepAliveIdle());
    differs(keys, "connect-timeout", a.timeouts().connect(), b.timeouts().connect());
    differs(keys, "response-timeout", a.timeouts().response(), b.timeouts().response());
    differs(keys, "inactivity-timeout", a.timeouts().inactivity(), b.timeouts().inactivity());
    differs(keys, "origin-idle-timeout", a.timeouts().originIdle(), b.timeouts().originIdle());
    differs(keys, "linger-timeout", a.timeouts().linger(), b.timeouts().linger());
    TlsSettings x = a.tls();
    TlsSettings y = b.tls();
    differs(keys, "tls-listen", x.listen(), y.listen());
    differs(keys, "tls-cert", x.certificates(), y.certificates());
    differs(keys, "tls-key", x.keys(), y.keys());
    differs(keys, "tls-client-auth", x.clientAuth(), y.clientAuth());
    differs(keys, "tls-trust", x.trust(), y.trust());
    differs(keys, "tls-handshake-timeout", x.handshakeTimeout(), y.handshakeTimeout());
    differs(keys, "origin-trust", x.originTrust(), y.originTrust());
    differs(keys, "origin-verify-hostname", x.originVerifyHostname(), y.originVerifyHostname());
    if (!java.util.Arrays.deepEquals(x.keyPasswords().toArray(), y.keyPasswords().toArray())) {
      keys.add("tls-key-password-file");
    }
    differs(keys, "tls-delegated-tasks", x.delegatedTasks(), y.delegatedTasks());
    differs(keys, "tls-engine", x.engine(), y.engine());
    differs(keys, "http2", a.http2().enabled(), b.http2().enabled());
    differs(keys, "http2-*", a.http2().config(), b.http2().config());
    differs(keys, "proxy-protocol", a.proxyProtocol().listener(), b.proxyProtocol().listener());
    differs(keys, "tls-proxy-protocol", a.proxyProtocol().tlsListener(), b.proxyProtocol().tlsListener());
    differs(keys, "proxy-protocol-timeout", a.proxyProtocol().headerTimeout(), b.proxyProtocol().headerTimeout());
    differs(keys, "admin-listen", a.admin().listen(), b.admin().listen());
    return keys;
  }

  private static void differs(List<String> keys, String key, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      keys.add(key);
    }
  }

  /**
   * The plugins that are on, in the order they are asked.
   *
   * @return the plugins
   */
  public List<Plugin> plugins() {
    return generation.plugins();
  }

  /**
   * The startup line: where it listens and on which transport.
   *
   * @return one line
   */
  public String describe() {
    return "vconn-server listening on " + url("http", address)
        + (tlsAddress == null ? "" : " and " + url("https", tlsAddress)) + " (transport " + transport.name() + ", "
        + settings.eventLoops() + " event loops)"
        + (admin == null ? "" : ", admin on " + url("http", admin.address()));
  }

  private static String url(String scheme, InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return scheme + "://" + host + ":" + a.getPort() + "/";
  }

  /**
   * The address the admin listener listens on, if {@code --admin-listen} was given.
   *
   * @return the bound address, or empty
   */
  public Optional<InetSocketAddress> adminAddress() {
    return admin == null ? Optional.empty() : Optional.of(admin.address());
  }

  /**
   * Whether the server is ready: it takes new connections (true from start until a stop begins; {@code /readyz}).
   *
   * @return true until {@link #stopAsync()} is called
   */
  public boolean ready() {
    return stopper.get() == null;
  }

  /**
   * The metric families {@code /metrics} on the admin listener shows, read now (docs/server.md, Metrics).
   *
   * @return the metrics
   */
  public ServerMetrics metrics() {
    return metrics;
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
   * The PROXY protocol stage of a listener, for its counters (docs/server.md, PROXY protocol): connections handed
   * on with a header, rejected (missing, invalid, truncated or late header, closed without a response), passed
   * without one in the optional mode.
   *
   * @param tls the TLS listener's stage rather than the plain-text one's
   * @return the stage; empty for a TLS listener that is not there
   */
  public Optional<ProxyProtocolStage> proxyProtocol(boolean tls) {
    return Optional.ofNullable(tls ? tlsProxyProtocolStage : proxyProtocolStage);
  }

  /**
   * Starts a graceful stop and returns at once: the listener is closed before this returns (new connections are
   * refused from then on, and {@link #ready()} is false: the admin listener's {@code /readyz} answers 503 until the
   * drain ends and it closes too); transactions in flight get up to the shutdown timeout to finish (responses say
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
      // Connections still sending their PROXY protocol header are not sessions yet: the drain would not see them.
      proxyProtocolStage.close();
      if (tlsProxyProtocolStage != null) {
        tlsProxyProtocolStage.close();
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

  /** Client connections open: HTTP/1 sessions (the in-process ones of HTTP/2 streams included) and HTTP/2 ones. */
  private int openConnections() {
    return proxy.openSessions() + (http2Front == null ? 0 : http2Front.openSessions());
  }

  /**
   * The HTTP/2 front in front of the listeners, if {@code --http2} is on.
   *
   * @return the front, or empty
   */
  public Optional<Http2Front> http2Front() {
    return Optional.ofNullable(http2Front);
  }

  private void shutdown() {
    boolean drained = false;
    // The shutdown timeout bounds the whole stop: the transport gets only what the drain left of it.
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    try {
      LOG.info("stopping: {} open connections get up to {} ms to finish", openConnections(),
          settings.shutdownTimeout().toMillis());
      try {
        // HTTP/2 clients get GOAWAY first, so they open no more streams while the proxy drains the streams' own
        // in-process sessions.
        CompletableFuture<Void> drain = http2Front == null ? proxy.drain()
            : CompletableFuture.allOf(http2Front.drain(), proxy.drain());
        drain.get(settings.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        drained = true;
      } catch (TimeoutException e) {
        LOG.warn("{} connections still busy after {} ms: closing them", openConnections(),
            settings.shutdownTimeout().toMillis());
      } catch (ExecutionException e) {
        LOG.warn("drain failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (http2Front != null) {
        http2Front.close();
      }
      proxy.close();
      if (admin != null) {
        admin.close(); // after the drain: /readyz answers 503 while it lasts
      }
      List<Generation> all;
      synchronized (this) {
        all = new ArrayList<>(retired);
        all.add(generation);
      }
      for (int i = all.size() - 1; i >= 0; i--) {
        all.get(i).close(); // the newest first, each in reverse order
      }
      transport.close(Duration.ofNanos(Math.max(TRANSPORT_CLOSE_FLOOR.toNanos(), deadline - System.nanoTime())));
      all.forEach(Generation::closeLoader); // the plugins' classes are not needed once the loops stopped
      LOG.info("stopped{}", drained ? "" : " (some transactions were cut off)");
    } catch (RuntimeException | Error e) {
      stopped.completeExceptionally(e);
      throw e;
    }
    stopped.complete(drained);
  }
}
