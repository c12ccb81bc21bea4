package dev.vconn.app.admin;

import dev.vconn.app.admin.MetricFamily.Sample;
import dev.vconn.app.admin.MetricFamily.Type;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The metric families of vconn-server's {@code /metrics}, read from the proxy's {@link HttpStats}, its origin pool
 * and the transport's block pool at each scrape. {@link #families()} is the one place that lists them (and
 * docs/server.md, Metrics, the one place that documents them): a new family goes there, in both.
 */
public final class ServerMetrics {
  private static final String[] CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

  private final HttpProxy proxy;
  private final String transport;
  private final BlockPool pool;
  private final BooleanSupplier ready;

  /**
   * Creates the metrics of a server.
   *
   * @param proxy the proxy whose counters they show
   * @param transport the transport's name (the {@code transport} label)
   * @param pool the transport's block pool
   * @param ready whether the server is ready (the {@code vconn_ready} gauge)
   */
  public ServerMetrics(HttpProxy proxy, String transport, BlockPool pool, BooleanSupplier ready) {
    this.proxy = Objects.requireNonNull(proxy, "proxy");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.ready = Objects.requireNonNull(ready, "ready");
  }

  /**
   * The families, read now, in the order {@code /metrics} lists them.
   *
   * @return the families
   */
  public List<MetricFamily> families() {
    HttpStats stats = proxy.stats();
    HttpStats.Snapshot s = stats.snapshot();
    HttpStats.OriginCounts origins = stats.origins();
    long inProcessOpen = stats.activeInProcessConnections();
    // Read apart from the total, so a connection opening or closing meanwhile may skew it by one: never below 0.
    long networkOpen = Math.max(0, s.activeConnections() - inProcessOpen);
    List<MetricFamily> f = new ArrayList<>();

    f.add(gauge("vconn_ready", "1 while the server takes new connections, 0 while it drains",
        ready.getAsBoolean() ? 1 : 0));
    f.add(new MetricFamily("vconn_connections_total", Type.COUNTER,
        "Client connections accepted, by transport and kind (network or in_process)", List.of(
            byKind("network", s.networkConnections()), byKind("in_process", s.inProcessConnections()))));
    f.add(new MetricFamily("vconn_connections_open", Type.GAUGE,
        "Client connections open now, by transport and kind (network or in_process)", List.of(
            byKind("network", networkOpen), byKind("in_process", inProcessOpen))));
    f.add(MetricFamily.counter("vconn_connections_denied_total",
        "Connections and CONNECT requests refused by access control or the connect ports", s.deniedConnections()));

    List<Sample> byClass = new ArrayList<>();
    for (boolean inProcess : new boolean[] {false, true}) {
      for (int c = 0; c < CLASSES.length; c++) {
        byClass.add(Sample.of(labels("kind", inProcess ? "in_process" : "network", "class", CLASSES[c]),
            stats.transactions(inProcess, c)));
      }
    }
    f.add(new MetricFamily("vconn_transactions_total", Type.COUNTER,
        "Transactions ended, by client kind and the status class of the response sent (none: no response)",
        byClass));
    List<Sample> byTag = new ArrayList<>();
    stats.inProcessTransactionsByTag().forEach((tag, n) -> byTag.add(Sample.of(labels("pitag", tag), n)));
    f.add(new MetricFamily("vconn_in_process_transactions_total", Type.COUNTER,
        "Transactions of in-process clients ended, by plugin tag (pitag; - for none)", byTag));
    f.add(MetricFamily.counter("vconn_error_responses_total",
        "Responses the proxy generated itself with a 4xx or 5xx status", s.errorResponses()));
    f.add(MetricFamily.counter("vconn_internal_errors_total",
        "Client connections closed because handling an event failed (a bug; 0 in a healthy proxy)",
        s.internalErrors()));
    f.add(MetricFamily.counter("vconn_client_received_bytes_total", "Bytes read from clients", s.bytesIn()));
    f.add(MetricFamily.counter("vconn_client_sent_bytes_total", "Bytes written to clients", s.bytesOut()));
    f.add(MetricFamily.histogram("vconn_transaction_duration_seconds",
        "Time from the first byte of the request head to the end of the transaction", stats.transactionDuration()));
    f.add(MetricFamily.histogram("vconn_origin_first_byte_seconds",
        "Time from the first byte of the request head until the origin's response head was read",
        stats.originFirstByte()));

    f.add(gauge("vconn_origin_connections_open", "Connections to origins open now (in use or idle)",
        proxy.openOriginConnections()));
    f.add(gauge("vconn_origin_connections_idle", "Idle keep-alive connections to origins in the pool",
        proxy.idleOriginConnections()));
    f.add(MetricFamily.counter("vconn_origin_connects_total", "New connections made to origins",
        origins.connects()));
    f.add(MetricFamily.counter("vconn_origin_connect_failures_total",
        "Connection attempts to origins that failed or timed out", origins.connectFailures()));
    f.add(MetricFamily.counter("vconn_origin_reuses_total", "Requests sent on a pooled keep-alive origin connection",
        origins.reuses()));
    f.add(MetricFamily.counter("vconn_origin_retries_total",
        "Requests sent again on a new origin connection after a failed attempt", origins.retries()));
    f.add(MetricFamily.counter("vconn_origin_failures_total",
        "Transactions that got no sound response from their origin after their retries (502, 504 or cut off)",
        origins.responseFailures()));

    f.add(new MetricFamily("vconn_tunnels_total", Type.COUNTER,
        "Blind tunnels started, by kind (connect: CONNECT; upgrade: 101 Switching Protocols)", List.of(
            Sample.of(labels("kind", "connect"), stats.tunnels(false)),
            Sample.of(labels("kind", "upgrade"), stats.tunnels(true)))));
    f.add(gauge("vconn_tunnels_open", "Blind tunnels open now", stats.openTunnels()));

    List<Sample> tls = new ArrayList<>();
    stats.tlsConnections().forEach((key, n) -> {
      int space = key.indexOf(' ');
      tls.add(Sample.of(labels("protocol", key.substring(0, space), "cipher", key.substring(space + 1)), n));
    });
    f.add(new MetricFamily("vconn_tls_handshakes_total", Type.COUNTER,
        "Client TLS handshakes that finished, by protocol and cipher suite", tls));
    f.add(MetricFamily.counter("vconn_tls_handshake_failures_total",
        "Client TLS handshakes that failed or were cut off before they finished", stats.tlsHandshakeFailures()));

    f.add(gauge("vconn_block_pool_outstanding_bytes", "Bytes of IOBuffer blocks in use", pool.outstandingBytes()));
    f.add(gauge("vconn_block_pool_cached_bytes", "Bytes of free IOBuffer blocks cached for reuse",
        pool.cachedBytes()));
    return f;
  }

  private Sample byKind(String kind, long value) {
    return Sample.of(labels("transport", transport, "kind", kind), value);
  }

  private static MetricFamily gauge(String name, String help, double value) {
    return MetricFamily.gauge(name, help, value);
  }

  private static Map<String, String> labels(String... namesAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return m;
  }
}
