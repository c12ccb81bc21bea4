package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.tls.TlsVConn;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP/1.1 proxy state machine (docs/http.md): give its {@link #sessionAcceptor()} to a {@code NetAcceptor} for
 * network clients and to a transport's {@code httpConnector(...)} for in-process clients; both get the same
 * sessions and transactions.
 *
 * <pre>{@code
 * HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(transport.blockPool())
 *     .originConnector(OriginConnectors.of(transport.netConnector()))
 *     .remap(RemapRule.parse("http://example.test/", "http://127.0.0.1:8081/"))
 *     .build());
 * transport.netAcceptor().listen(address, proxy.sessionAcceptor());
 * HttpConnector connector = transport.httpConnector(proxy.sessionAcceptor());
 * }</pre>
 *
 * <p>Each accepted VConn becomes a session that serves transactions until the client closes, keep-alive ends, or
 * an error response was sent. What is supported, the limits, the hooks and the status for each kind of bad input
 * are listed in {@code docs/http.md}.
 *
 * <p>{@link #reconfigure} replaces the configuration while the proxy runs (a reload): each transaction reads the one
 * configuration that was current when it started, from start to end, and each connection the access control that
 * was current when it was accepted, so nothing in flight sees a mix or fails.
 */
public final class HttpProxy implements AutoCloseable {
  /** The current configuration: one immutable snapshot, replaced whole by {@link #reconfigure}. */
  private volatile HttpProxyConfig config;
  /** What remap needs per rule of {@link #config}, made once per configuration rather than per request. */
  private volatile RemapTargets remapTargets;
  private final HttpHeadParser parser;
  private volatile ProxyHeaderRules headerRules;
  /** The running active health checks of the current configuration's upstream groups; guarded by this. */
  private List<UpstreamHealthChecks> healthChecks = List.of();
  private final OriginPool originPool;
  private final Continuation sessionAcceptor;
  private final Set<Http1ClientSession> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicLong transactionIds = new AtomicLong();
  private final AtomicLong sessionIds = new AtomicLong();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean draining;
  private volatile boolean closed;
  final HttpStats stats = new HttpStats();

  /**
   * Creates a proxy.
   *
   * @param config what it serves and how
   */
  public HttpProxy(HttpProxyConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.remapTargets = new RemapTargets(config.remapRules());
    this.parser = new HttpHeadParser(config.limits());
    this.headerRules = new ProxyHeaderRules(config.viaName());
    this.originPool = new OriginPool(config.maxIdlePerOrigin(), config.maxConnectionsPerOrigin(),
        config.timeouts());
    this.sessionAcceptor = new Continuation(this::onAccept);
    this.healthChecks = startHealthChecks(config);
  }

  /**
   * Replaces the configuration for what starts from now on (a reload): transactions that start later use
   * {@code next} (remap rules, upstream groups, access control of new connections, hooks, access log, retries, Via
   * name, CONNECT ports); transactions in flight finish with the configuration they started with, and no connection
   * is closed. The health checks of the old upstream groups stop and those of the new ones start. What the proxy
   * built its parts from cannot change here: the block pool, limits, timeouts, origin connector, buffer size, origin
   * pool sizes, clock and health-check loop must be the same ({@link HttpProxyConfig#toBuilder()} of the current
   * configuration keeps them).
   *
   * @param next the new configuration
   * @throws IllegalArgumentException naming a part that would need a new proxy; the current configuration stays
   */
  public void reconfigure(HttpProxyConfig next) {
    Objects.requireNonNull(next, "next");
    synchronized (this) {
      HttpProxyConfig now = config;
      List<String> fixed = new ArrayList<>();
      same(fixed, "blockPool", now.blockPool() == next.blockPool());
      same(fixed, "limits", now.limits().equals(next.limits()));
      same(fixed, "timeouts", now.timeouts().equals(next.timeouts()));
      same(fixed, "originConnector", now.originConnector() == next.originConnector());
      same(fixed, "bufferIndex", now.bufferIndex() == next.bufferIndex());
      same(fixed, "maxIdlePerOrigin", now.maxIdlePerOrigin() == next.maxIdlePerOrigin());
      same(fixed, "maxConnectionsPerOrigin", now.maxConnectionsPerOrigin() == next.maxConnectionsPerOrigin());
      same(fixed, "clock", now.clock() == next.clock());
      same(fixed, "healthCheckLoop", now.healthCheckLoop() == next.healthCheckLoop());
      if (!fixed.isEmpty()) {
        throw new IllegalArgumentException("cannot change " + String.join(", ", fixed)
            + " of a running proxy (they need a new proxy)");
      }
      if (closed) {
        return;
      }
      ProxyHeaderRules rules = new ProxyHeaderRules(next.viaName());
      List<UpstreamHealthChecks> old = healthChecks;
      healthChecks = startHealthChecks(next);
      headerRules = rules;
      remapTargets = new RemapTargets(next.remapRules());
      config = next; // the snapshot new transactions read (HttpSM and Http1ClientSession read it once)
      old.forEach(UpstreamHealthChecks::stop);
    }
  }

  private static void same(List<String> differing, String name, boolean same) {
    if (!same) {
      differing.add(name);
    }
  }

  private static List<UpstreamHealthChecks> startHealthChecks(HttpProxyConfig c) {
    List<UpstreamHealthChecks> started = new ArrayList<>();
    for (UpstreamGroup g : c.upstreamGroups()) {
      if (g.check().isPresent()) {
        UpstreamHealthChecks checks = new UpstreamHealthChecks(g, c.healthCheckLoop(), c.originConnector(),
            c.blockPool(), c.limits(), c.timeouts().connect());
        checks.start();
        started.add(checks);
      }
    }
    return List.copyOf(started);
  }

  /**
   * The continuation that turns NET_ACCEPT (data: the client VConn, which the proxy then owns) into an HTTP
   * session. Other events are ignored.
   *
   * @return the session acceptor
   */
  public Continuation sessionAcceptor() {
    return sessionAcceptor;
  }

  /**
   * The origin authority ({@code host:port}) and origin pool key of each remap rule of one configuration, in the
   * rules' order: made once per configuration, so remapping a request makes no string.
   */
  static final class RemapTargets {
    private final List<RemapRule> rules;
    private final String[] authorities;
    private final String[] poolKeys;

    RemapTargets(List<RemapRule> rules) {
      this.rules = rules;
      this.authorities = new String[rules.size()];
      this.poolKeys = new String[rules.size()];
      for (int i = 0; i < authorities.length; i++) {
        RemapRule r = rules.get(i);
        authorities[i] = r.originAuthority();
        // The pool key of a single origin (HttpSM, ORIGIN_CONNECT); an upstream group's members have their own.
        poolKeys[i] = r.upstream() != null ? null : r.originTls() ? "https://" + authorities[i] : authorities[i];
      }
    }

    /** {@link RemapRule#originAuthority()} of rule {@code i}. */
    String authority(int i) {
      return authorities[i];
    }

    /** The origin pool key of rule {@code i}; null for a rule to an upstream group. */
    String poolKey(int i) {
      return poolKeys[i];
    }
  }

  /**
   * The remap targets of {@code c}'s rules: the ones made when {@code c} became current, or (for a configuration
   * replaced meanwhile) new ones.
   */
  RemapTargets remapTargets(HttpProxyConfig c) {
    RemapTargets r = remapTargets;
    return r.rules == c.remapRules() ? r : new RemapTargets(c.remapRules());
  }

  /**
   * The current configuration.
   *
   * @return the configuration this proxy was created with, or the last one {@link #reconfigure} applied
   */
  public HttpProxyConfig config() {
    return config;
  }

  /**
   * The counters.
   *
   * @return live counters
   */
  public HttpStats stats() {
    return stats;
  }

  /**
   * How many client connections are open.
   *
   * @return the number of open sessions
   */
  public int openSessions() {
    return sessions.size();
  }

  /**
   * How many idle keep-alive connections to origins are pooled.
   *
   * @return the number of idle origin connections
   */
  public int idleOriginConnections() {
    return originPool.idleCount();
  }

  /**
   * How many connections to origins are open (in use or idle in the pool; intercepts not included).
   *
   * @return the number of open origin connections
   */
  public int openOriginConnections() {
    return originPool.openCount();
  }

  /**
   * Starts a graceful shutdown: sessions finish the transaction they are in and then close (responses say
   * {@code Connection: close}), idle sessions close now, and new connections are refused. Stop the acceptor
   * first. Idempotent.
   *
   * @return completes once every session is closed
   */
  public CompletableFuture<Void> drain() {
    draining = true;
    for (Http1ClientSession s : List.copyOf(sessions)) {
      s.control(false);
    }
    checkDrained();
    return drained;
  }

  /**
   * Closes every session and pooled origin connection now; transactions in flight are aborted. Idempotent.
   */
  @Override
  public void close() {
    List<UpstreamHealthChecks> checks;
    synchronized (this) {
      closed = true;
      checks = healthChecks;
      healthChecks = List.of();
    }
    checks.forEach(UpstreamHealthChecks::stop);
    draining = true;
    for (Http1ClientSession s : List.copyOf(sessions)) {
      s.control(true);
    }
    originPool.close();
    checkDrained();
  }

  private void onAccept(Event event, Object data) {
    if (event != Event.NET_ACCEPT || !(data instanceof VConn vconn)) {
      return;
    }
    accept(vconn, null, null);
  }

  /**
   * Serves an HTTP/1 client connection that a front stage (a PROXY protocol header reader, HTTP/2 preface detection,
   * a protocol chosen by ALPN) has already started reading. The proxy owns {@code client} from now on, and the
   * buffer of {@code alreadyRead}: its readable octets are parsed as the start of the client's stream, as if just
   * read, and that buffer is closed. Call it on the client's event loop, as the acceptor is called.
   *
   * @param client the client connection
   * @param alreadyRead octets read from the client so far, or null for none
   * @param clientAddress the address access control, the access log and forwarding headers see (the one a PROXY
   *     protocol header carried), or null for the connection's remote address; in-process clients always use
   *     the {@code clientAddress} of their connect options
   */
  public void accept(VConn client, IOBufferReader alreadyRead, SocketAddress clientAddress) {
    Objects.requireNonNull(client, "client");
    if (draining) {
      if (alreadyRead != null) {
        alreadyRead.buffer().close();
      }
      client.close(); // shutting down: refuse, like a closed listener
      return;
    }
    new Http1ClientSession(this, client, alreadyRead, clientAddress).start();
  }

  void sessionOpened(Http1ClientSession s) {
    sessions.add(s);
    stats.connections.increment();
    stats.activeConnections.increment();
    if (s.clientVConn() instanceof TlsVConn tls) {
      tls.handshake().whenComplete((info, failure) -> {
        if (failure == null) {
          stats.tlsHandshake(info);
        } else {
          stats.tlsHandshakeFailures.increment();
        }
      });
    }
    if (s.isInternal()) {
      stats.inProcessConnections.increment();
      stats.activeInProcessConnections.increment();
    }
  }

  void sessionClosed(Http1ClientSession s) {
    if (sessions.remove(s)) {
      stats.activeConnections.decrement();
      if (s.isInternal()) {
        stats.activeInProcessConnections.decrement();
      }
    }
    checkDrained();
  }

  private void checkDrained() {
    if (draining && sessions.isEmpty()) {
      drained.complete(null);
    }
  }

  HttpHeadParser parser() {
    return parser;
  }

  ProxyHeaderRules headerRules() {
    return headerRules;
  }

  OriginPool originPool() {
    return originPool;
  }

  long nextTransactionId() {
    return transactionIds.incrementAndGet();
  }

  long nextSessionId() {
    return sessionIds.incrementAndGet();
  }

  boolean isClosed() {
    return closed;
  }
}
