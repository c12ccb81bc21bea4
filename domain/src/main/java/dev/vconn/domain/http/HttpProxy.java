package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.tls.TlsVConn;
import java.net.SocketAddress;
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
 */
public final class HttpProxy implements AutoCloseable {
  private final HttpProxyConfig config;
  private final HttpHeadParser parser;
  private final ProxyHeaderRules headerRules;
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
    this.parser = new HttpHeadParser(config.limits());
    this.headerRules = new ProxyHeaderRules(config.viaName());
    this.originPool = new OriginPool(config.maxIdlePerOrigin(), config.maxConnectionsPerOrigin(),
        config.timeouts());
    this.sessionAcceptor = new Continuation(this::onAccept);
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
   * The configuration.
   *
   * @return the configuration this proxy was created with
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
    closed = true;
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
