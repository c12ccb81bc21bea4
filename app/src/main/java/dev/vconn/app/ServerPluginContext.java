package dev.vconn.app;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpStats;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.plugin.Interceptor;
import dev.vconn.plugin.PluginContext;
import dev.vconn.plugin.PluginSettings;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One plugin's {@link PluginContext} in {@link VconnServer}: it collects the plugin's hooks and interceptors during
 * {@code init} (the proxy is built from them afterwards), and reaches the proxy and its in-process connector, which
 * exist only from {@code start} on, through suppliers the server fills in.
 */
final class ServerPluginContext implements PluginContext {
  /** A hook a plugin added. */
  record Hook(HttpHookId id, Continuation continuation) {}

  private final Transport transport;
  private final ServerSettings server;
  private final PluginSettings settings;
  private final Supplier<HttpProxy> proxy;
  private final HttpConnector connector;
  private final List<Hook> hooks = new ArrayList<>();
  private final List<Interceptor> interceptors = new ArrayList<>();
  private boolean sealed;

  ServerPluginContext(Transport transport, ServerSettings server, String plugin, Map<String, String> values,
      Supplier<HttpProxy> proxy, Supplier<HttpConnector> connector) {
    this.transport = transport;
    this.server = server;
    this.settings = new PluginSettings(plugin, values);
    this.proxy = proxy;
    this.connector = options -> {
      HttpConnector c = connector.get();
      if (c == null) {
        throw new IllegalStateException("the in-process connector works from Plugin.start() on, not during init");
      }
      return c.connect(options);
    };
  }

  @Override
  public String transportName() {
    return transport.name();
  }

  @Override
  public BlockPool blockPool() {
    return transport.blockPool();
  }

  @Override
  public HttpConnector httpConnector() {
    return connector;
  }

  @Override
  public SocketAdopter socketAdopter() {
    return transport.socketAdopter();
  }

  @Override
  public HttpStats stats() {
    HttpProxy p = proxy.get();
    if (p == null) {
      throw new IllegalStateException("the proxy's stats exist from Plugin.start() on, not during init");
    }
    return p.stats();
  }

  @Override
  public HttpLimits limits() {
    return server.limits();
  }

  @Override
  public HttpTimeouts timeouts() {
    return server.timeouts();
  }

  @Override
  public PluginSettings settings() {
    return settings;
  }

  @Override
  public synchronized void addHook(HttpHookId id, Continuation hook) {
    checkOpen();
    hooks.add(new Hook(Objects.requireNonNull(id, "id"), Objects.requireNonNull(hook, "hook")));
  }

  @Override
  public synchronized void addInterceptor(Interceptor interceptor) {
    checkOpen();
    interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
  }

  private void checkOpen() {
    if (sealed) {
      throw new IllegalStateException("plugin " + settings.pluginName() + ": hooks and interceptors can only be "
          + "added in Plugin.init (the proxy is built from them)");
    }
  }

  /** Ends registration (init returned). */
  synchronized void seal() {
    sealed = true;
  }

  synchronized List<Hook> hooks() {
    return List.copyOf(hooks);
  }

  synchronized List<Interceptor> interceptors() {
    return List.copyOf(interceptors);
  }
}
