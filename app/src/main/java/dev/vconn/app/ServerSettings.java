package dev.vconn.app;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.domain.http.AccessControl;
import dev.vconn.domain.http.ForwardingPolicy;
import dev.vconn.domain.http.AccessLogFormat;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.http.UpstreamGroup;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything {@link VconnServer} is started with, checked and resolved: what the command line, the {@code VCONN_}
 * environment variables and the config file said, or the defaults. Made by {@link ServerCli#parse}.
 *
 * @param transport the transport's name ({@code nio} or {@code netty})
 * @param listen where to listen; port 0 picks a free one
 * @param eventLoops how many event loops the transport runs
 * @param shutdownTimeout how long a graceful stop waits for transactions in flight
 * @param accessLog whether transactions are logged (slf4j logger {@code vconn.access})
 * @param remapRules the remap rules, in order
 * @param accessControl who may connect
 * @param limits head limits
 * @param timeouts the state machine's timeouts
 * @param maxIdlePerOrigin idle keep-alive origin connections kept per origin
 * @param maxConnectionsPerOrigin open connections per origin, 0 for no limit
 * @param maxRetries retries of idempotent requests that failed before any byte was sent
 * @param viaName the pseudonym in Via fields
 * @param builtinRoutes whether {@code /}, {@code /echo}, {@code /bytes/{n}} and {@code /stream-bytes/{n}} (and
 *     {@code /_stats}, if {@link AdminSettings#statsRoute()}) are served
 * @param fanout whether {@code /fanout} is served
 * @param nullTransformPrefixes path prefixes whose responses go through the null transform
 * @param intercepts path prefixes spliced to an origin over an adopted socket
 * @param connectPorts the ports {@code CONNECT host:port} may reach; empty refuses every CONNECT (docs/http.md,
 *     Tunnels)
 * @param pluginPath the directory whose {@code *.jar} files are searched for plugins, or null for none
 * @param pluginProperties the config file's {@code plugin.NAME.KEY} lines by full key (docs/server.md, Plugins), sorted
 * @param tls the TLS listener (if any) and the TLS settings towards https origins (docs/tls.md)
 * @param admin the admin listener (if any) and whether the public port serves {@code /_stats} (docs/server.md,
 *     Operating vconn-server)
 * @param http2 whether the listeners speak HTTP/2 and the sessions' limits (docs/http2.md)
 * @param upstreams the upstream groups that {@code upstream://NAME/} remap targets name (docs/server.md, "Upstream
 *     groups"); each parse makes new groups, with fresh member state
 * @param forwarding the forwarding fields added to requests for origins and whether the client's Host is kept
 *     (docs/http.md, Forwarding)
 * @param proxyProtocol the PROXY protocol on the listeners (docs/server.md, PROXY protocol)
 * @param accessLogFormat the access log's line format (docs/server.md, "Access log formats")
 */
public record ServerSettings(String transport, InetSocketAddress listen, int eventLoops, Duration shutdownTimeout,
    boolean accessLog, List<RemapRule> remapRules, AccessControl accessControl, HttpLimits limits,
    HttpTimeouts timeouts, int maxIdlePerOrigin, int maxConnectionsPerOrigin, int maxRetries, String viaName,
    boolean builtinRoutes, boolean fanout, List<String> nullTransformPrefixes,
    List<AdoptedSocketIntercept.Route> intercepts, Set<Integer> connectPorts, Path pluginPath,
    Map<String, String> pluginProperties, TlsSettings tls, AdminSettings admin, Http2Settings http2,
    List<UpstreamGroup> upstreams, ForwardingPolicy forwarding, ProxyProtocolSettings proxyProtocol,
    AccessLogFormat accessLogFormat) {

  /**
   * What the operator sees of a running server besides its traffic.
   *
   * @param listen where the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}, {@code POST
   *     /reload}) listens, or null for none (the default)
   * @param statsRoute whether the public port serves {@code /_stats} (with the built-in routes; off by default)
   */
  public record AdminSettings(InetSocketAddress listen, boolean statsRoute) {
    /** No admin listener, no {@code /_stats}. */
    public static final AdminSettings NONE = new AdminSettings(null, false);
  }

  /**
   * Checks the components and copies the lists.
   *
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if a number is out of range
   */
  public ServerSettings {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    Objects.requireNonNull(accessControl, "accessControl");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(viaName, "viaName");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(http2, "http2");
    Objects.requireNonNull(forwarding, "forwarding");
    Objects.requireNonNull(proxyProtocol, "proxyProtocol");
    Objects.requireNonNull(accessLogFormat, "accessLogFormat");
    remapRules = List.copyOf(remapRules);
    upstreams = List.copyOf(upstreams);
    nullTransformPrefixes = List.copyOf(nullTransformPrefixes);
    intercepts = List.copyOf(intercepts);
    connectPorts = Set.copyOf(connectPorts);
    pluginProperties = Collections.unmodifiableMap(new TreeMap<>(pluginProperties));
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be >= 1, was " + eventLoops);
    }
  }

  /**
   * The embedded default: what {@code vconn-server} with no options runs.
   *
   * @return the defaults
   */
  public static ServerSettings defaults() {
    return ServerCli.settings();
  }

  /**
   * A copy listening elsewhere.
   *
   * @param address the listen address
   * @return the copy
   */
  public ServerSettings withListen(InetSocketAddress address) {
    return new ServerSettings(transport, address, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, pluginPath, pluginProperties, tls,
        admin, http2, upstreams, forwarding, proxyProtocol,
        accessLogFormat);
  }

  /**
   * A copy with other plugin settings.
   *
   * @param path the directory of plugin jars, or null
   * @param properties the {@code plugin.NAME.KEY} settings by full key
   * @return the copy
   */
  public ServerSettings withPlugins(Path path, Map<String, String> properties) {
    return new ServerSettings(transport, listen, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, path, properties, tls, admin,
        http2, upstreams, forwarding, proxyProtocol,
        accessLogFormat);
  }

  /**
   * A copy with another admin listener and {@code /_stats} choice.
   *
   * @param admin the admin settings
   * @return the copy
   */
  public ServerSettings withAdmin(AdminSettings admin) {
    return new ServerSettings(transport, listen, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, pluginPath, pluginProperties, tls,
        admin, http2, upstreams, forwarding, proxyProtocol,
        accessLogFormat);
  }

  /**
   * A copy with other HTTP/2 settings.
   *
   * @param settings whether HTTP/2 is offered and its limits
   * @return the copy
   */
  public ServerSettings withHttp2(Http2Settings settings) {
    return new ServerSettings(transport, listen, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, pluginPath, pluginProperties, tls,
        admin, settings, upstreams, forwarding, proxyProtocol,
        accessLogFormat);
  }

  /**
   * A copy with another forwarding policy and PROXY protocol settings.
   *
   * @param policy the forwarding fields and Host policy
   * @param proxy the PROXY protocol on the listeners
   * @return the copy
   */
  public ServerSettings withForwarding(ForwardingPolicy policy, ProxyProtocolSettings proxy) {
    return new ServerSettings(transport, listen, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, pluginPath, pluginProperties, tls,
        admin, http2, upstreams, policy, proxy, accessLogFormat);
  }

  /**
   * A copy whose TLS listener listens elsewhere.
   *
   * @param address the TLS listen address
   * @return the copy
   * @throws IllegalArgumentException if there is no TLS listener
   */
  public ServerSettings withTlsListen(InetSocketAddress address) {
    return new ServerSettings(transport, listen, eventLoops, shutdownTimeout, accessLog, remapRules,
        accessControl, limits, timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
        builtinRoutes, fanout, nullTransformPrefixes, intercepts, connectPorts, pluginPath, pluginProperties,
        tls.withListen(address), admin, http2, upstreams, forwarding, proxyProtocol,
        accessLogFormat);
  }
}
