package dev.vconn.domain.http;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.BufferSizes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything an {@link HttpProxy} needs. Build one with {@link #builder(BlockPool)}.
 *
 * @param blockPool where session buffers come from (the transport's pool)
 * @param limits request and response head limits
 * @param timeouts the timeouts
 * @param remapRules remap rules, tried in order
 * @param accessControl who may connect
 * @param originConnector how to reach origins; null if the proxy only serves intercepts (remapped requests then get
 *     502)
 * @param hooks global plugin hooks
 * @param accessLog where access log records go
 * @param bufferIndex the size index of session buffers (0..14)
 * @param maxIdlePerOrigin how many idle keep-alive connections are kept per origin
 * @param maxConnectionsPerOrigin how many connections to one origin may be open at once; 0 for no limit (503 beyond)
 * @param maxRetries how many times an idempotent request is retried on a new connection when it failed before any
 *     byte of it was sent; the one retry of a request that failed on a reused keep-alive connection does not count
 *     (docs/http.md, Origins)
 * @param viaName the pseudonym in the {@code Via} headers this proxy adds
 * @param connectPorts the ports {@code CONNECT host:port} may reach; empty (the default) refuses every CONNECT with
 *     403 (docs/http.md, Tunnels)
 * @param clock the wall clock for the {@code Date} field of the responses the proxy writes itself (the system clock
 *     by default; tests pass a fixed one)
 * @param upstreamGroups the groups of origins that {@code upstream://NAME/} remap targets name (docs/http.md, "Upstream
 *     groups"); names are unique
 * @param healthCheckLoop the event loop whose timers run the groups' active health checks; needed only if a group has
 *     a check
 * @param forwarding the forwarding fields added to requests for origins and whether the client's {@code Host} is
 *     kept (docs/http.md, Forwarding)
 * @param originProxyProtocol the PROXY protocol header sent as the first octets of every new origin connection, naming
 *     the client; {@link OriginProxyProtocol#OFF} by default. A connection that announced one client is then reused
 *     only for client connections announcing the same, and https origins cannot be combined with it
 *     (docs/http.md, "PROXY protocol towards origins")
 */
public record HttpProxyConfig(BlockPool blockPool, HttpLimits limits, HttpTimeouts timeouts,
    List<RemapRule> remapRules, AccessControl accessControl, OriginConnector originConnector, HttpHooks hooks,
    AccessLog accessLog, int bufferIndex, int maxIdlePerOrigin, int maxConnectionsPerOrigin, int maxRetries,
    String viaName, Set<Integer> connectPorts, Clock clock, List<UpstreamGroup> upstreamGroups,
    EventLoop healthCheckLoop, ForwardingPolicy forwarding, OriginProxyProtocol originProxyProtocol) {

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException naming a value out of range
   */
  public HttpProxyConfig {
    Objects.requireNonNull(blockPool, "blockPool");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(timeouts, "timeouts");
    remapRules = List.copyOf(remapRules);
    Objects.requireNonNull(accessControl, "accessControl");
    Objects.requireNonNull(hooks, "hooks");
    Objects.requireNonNull(accessLog, "accessLog");
    Objects.requireNonNull(viaName, "viaName");
    connectPorts = Set.copyOf(connectPorts);
    Objects.requireNonNull(clock, "clock");
    upstreamGroups = List.copyOf(upstreamGroups);
    Set<String> names = new HashSet<>();
    for (UpstreamGroup g : upstreamGroups) {
      if (!names.add(g.name())) {
        throw new IllegalArgumentException("two upstream groups are named " + g.name());
      }
      if (g.check().isPresent() && (healthCheckLoop == null || originConnector == null)) {
        throw new IllegalArgumentException("upstream " + g.name()
            + " has a health check: it needs an origin connector and a health check loop");
      }
    }
    for (RemapRule r : remapRules) {
      if (r.upstream() != null && !names.contains(r.upstream())) {
        throw new IllegalArgumentException("remap rule " + r.host() + r.pathPrefix() + " names upstream "
            + r.upstream() + ", which is not defined (defined: " + String.join(", ", new java.util.TreeSet<>(names))
            + ")");
      }
    }
    Objects.requireNonNull(forwarding, "forwarding");
    Objects.requireNonNull(originProxyProtocol, "originProxyProtocol");
    if (originProxyProtocol != OriginProxyProtocol.OFF) {
      // The header would have to go below TLS, before the handshake, which the origin connector does not offer.
      for (RemapRule r : remapRules) {
        if (r.originTls()) {
          throw new IllegalArgumentException("the PROXY protocol towards origins (" + originProxyProtocol
              + ") cannot be sent to https origins; remap rule " + r.host() + r.pathPrefix() + " targets https://"
              + r.originHost() + ":" + r.originPort());
        }
      }
      for (UpstreamGroup g : upstreamGroups) {
        for (UpstreamGroup.Origin o : g.origins()) {
          if (o.tls()) {
            throw new IllegalArgumentException("the PROXY protocol towards origins (" + originProxyProtocol
                + ") cannot be sent to https origins; upstream " + g.name() + " has member https://" + o.host()
                + ":" + o.port());
          }
        }
      }
    }
    for (int port : connectPorts) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("connectPorts must be in 1..65535, was " + port);
      }
    }
    BufferSizes.checkIndex("bufferIndex", bufferIndex);
    if (maxIdlePerOrigin < 0) {
      throw new IllegalArgumentException("maxIdlePerOrigin must be >= 0, was " + maxIdlePerOrigin);
    }
    if (maxConnectionsPerOrigin < 0) {
      throw new IllegalArgumentException("maxConnectionsPerOrigin must be >= 0 (0 = no limit), was "
          + maxConnectionsPerOrigin);
    }
    if (maxRetries < 0 || maxRetries > 10) {
      throw new IllegalArgumentException("maxRetries must be in 0..10, was " + maxRetries);
    }
    if (!HttpSyntax.isToken(viaName)) {
      throw new IllegalArgumentException("viaName must be a token, was " + viaName);
    }
  }

  /**
   * The upstream group of that name.
   *
   * @param name the group's name
   * @return the group
   * @throws IllegalArgumentException if there is none (a remap rule cannot name one: the constructor checks)
   */
  public UpstreamGroup upstreamGroup(String name) {
    for (UpstreamGroup g : upstreamGroups) {
      if (g.name().equals(name)) {
        return g;
      }
    }
    throw new IllegalArgumentException("no upstream group named " + name);
  }

  /**
   * Starts a configuration with the defaults: default limits and timeouts, no remap rules, everybody allowed, no
   * origin connector, no hooks, the slf4j access log, 32 KiB buffers, 16 idle connections per origin, no
   * connection limit, one retry, Via name {@code vconn}, CONNECT refused (no ports), the system clock (UTC), no
   * upstream groups, the default forwarding policy ({@link ForwardingPolicy#defaults()}: append
   * {@code X-Forwarded-For}, set {@code X-Forwarded-Proto}, {@code Host} rewritten to the origin), no PROXY protocol
   * header towards origins.
   *
   * @param blockPool the transport's block pool
   * @return a builder
   */
  public static Builder builder(BlockPool blockPool) {
    return new Builder(blockPool);
  }

  /**
   * A builder initialised from this configuration.
   *
   * @return a builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(blockPool);
    b.limits = limits;
    b.timeouts = timeouts;
    b.remapRules.addAll(remapRules);
    b.accessControl = accessControl;
    b.originConnector = originConnector;
    b.hooks = hooks;
    b.accessLog = accessLog;
    b.bufferIndex = bufferIndex;
    b.maxIdlePerOrigin = maxIdlePerOrigin;
    b.maxConnectionsPerOrigin = maxConnectionsPerOrigin;
    b.maxRetries = maxRetries;
    b.viaName = viaName;
    b.connectPorts = connectPorts;
    b.clock = clock;
    b.upstreamGroups.addAll(upstreamGroups);
    b.healthCheckLoop = healthCheckLoop;
    b.forwarding = forwarding;
    b.originProxyProtocol = originProxyProtocol;
    return b;
  }

  /** Builds an {@link HttpProxyConfig}; every setter checks nothing, {@link #build()} checks everything. */
  public static final class Builder {
    private final BlockPool blockPool;
    private HttpLimits limits = HttpLimits.defaults();
    private HttpTimeouts timeouts = HttpTimeouts.defaults();
    private final List<RemapRule> remapRules = new ArrayList<>();
    private AccessControl accessControl = AccessControl.allowAll();
    private OriginConnector originConnector;
    private HttpHooks hooks = HttpHooks.none();
    private AccessLog accessLog = AccessLog.slf4j();
    private int bufferIndex = BufferSizes.DEFAULT_INDEX;
    private int maxIdlePerOrigin = 16;
    private int maxConnectionsPerOrigin;
    private int maxRetries = 1;
    private String viaName = "vconn";
    private Set<Integer> connectPorts = Set.of();
    private Clock clock = Clock.systemUTC();
    private final List<UpstreamGroup> upstreamGroups = new ArrayList<>();
    private EventLoop healthCheckLoop;
    private ForwardingPolicy forwarding = ForwardingPolicy.defaults();
    private OriginProxyProtocol originProxyProtocol = OriginProxyProtocol.OFF;

    private Builder(BlockPool blockPool) {
      this.blockPool = Objects.requireNonNull(blockPool, "blockPool");
    }

    /** @param v head limits @return this builder */
    public Builder limits(HttpLimits v) {
      limits = v;
      return this;
    }

    /** @param v timeouts @return this builder */
    public Builder timeouts(HttpTimeouts v) {
      timeouts = v;
      return this;
    }

    /** @param v a rule, tried after those already added @return this builder */
    public Builder remap(RemapRule v) {
      remapRules.add(Objects.requireNonNull(v, "remap rule"));
      return this;
    }

    /** @param v who may connect @return this builder */
    public Builder accessControl(AccessControl v) {
      accessControl = v;
      return this;
    }

    /** @param v how to reach origins @return this builder */
    public Builder originConnector(OriginConnector v) {
      originConnector = v;
      return this;
    }

    /** @param v global hooks @return this builder */
    public Builder hooks(HttpHooks v) {
      hooks = v;
      return this;
    }

    /** @param v the access log @return this builder */
    public Builder accessLog(AccessLog v) {
      accessLog = v;
      return this;
    }

    /** @param v session buffer size index, 0..14 @return this builder */
    public Builder bufferIndex(int v) {
      bufferIndex = v;
      return this;
    }

    /** @param v idle connections kept per origin @return this builder */
    public Builder maxIdlePerOrigin(int v) {
      maxIdlePerOrigin = v;
      return this;
    }

    /** @param v open connections allowed per origin, 0 for no limit @return this builder */
    public Builder maxConnectionsPerOrigin(int v) {
      maxConnectionsPerOrigin = v;
      return this;
    }

    /** @param v retries of idempotent requests that failed before sending a byte @return this builder */
    public Builder maxRetries(int v) {
      maxRetries = v;
      return this;
    }

    /** @param v the Via pseudonym @return this builder */
    public Builder viaName(String v) {
      viaName = v;
      return this;
    }

    /**
     * The ports {@code CONNECT} may reach (docs/http.md, Tunnels); empty refuses every CONNECT.
     *
     * @param v the allowed ports, each in 1..65535
     * @return this builder
     */
    public Builder connectPorts(Set<Integer> v) {
      connectPorts = v;
      return this;
    }

    /** @param v the wall clock for the {@code Date} of the proxy's own responses @return this builder */
    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    /** @param v an upstream group, named by {@code upstream://NAME/} remap targets @return this builder */
    public Builder upstream(UpstreamGroup v) {
      upstreamGroups.add(Objects.requireNonNull(v, "upstream group"));
      return this;
    }

    /** Removes the remap rules and upstream groups added so far (a reload replaces them). @return this builder */
    public Builder clearRouting() {
      remapRules.clear();
      upstreamGroups.clear();
      return this;
    }

    /** @param v the loop whose timers run the active health checks of upstream groups @return this builder */
    public Builder healthCheckLoop(EventLoop v) {
      healthCheckLoop = v;
      return this;
    }

    /**
     * The forwarding fields added to requests for origins, and whether the client's {@code Host} is kept
     * (docs/http.md, Forwarding).
     *
     * @param v the policy
     * @return this builder
     */
    public Builder forwarding(ForwardingPolicy v) {
      forwarding = v;
      return this;
    }

    /**
     * The PROXY protocol header sent as the first octets of every new origin connection (docs/http.md, "PROXY
     * protocol towards origins"); {@link OriginProxyProtocol#OFF} by default. Not with https origins.
     *
     * @param v off, version 1 or version 2
     * @return this builder
     */
    public Builder originProxyProtocol(OriginProxyProtocol v) {
      originProxyProtocol = v;
      return this;
    }

    /**
     * Checks and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming a value out of range
     */
    public HttpProxyConfig build() {
      return new HttpProxyConfig(blockPool, limits, timeouts, remapRules, accessControl, originConnector, hooks,
          accessLog, bufferIndex, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName,
          connectPorts, clock, upstreamGroups, healthCheckLoop, forwarding, originProxyProtocol);
    }
  }
}
