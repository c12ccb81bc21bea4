package dev.vconn.domain.http;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one {@link HttpProxy}, updated as connections and transactions end; safe to read from any thread. */
public final class HttpStats {

  /**
   * A consistent-enough copy of the counters (each read once).
   *
   * @param connections client connections accepted (network and in-process)
   * @param activeConnections client connections open now
   * @param inProcessConnections in-process client connections accepted
   * @param networkConnections network client connections accepted
   * @param deniedConnections connections refused by access control
   * @param transactions transactions ended
   * @param inProcessTransactions transactions of in-process clients
   * @param networkTransactions transactions of network clients
   * @param errorResponses responses the proxy generated with a 4xx or 5xx status
   * @param bytesIn bytes read from clients
   * @param bytesOut bytes written to clients
   * @param internalErrors sessions closed because handling an event threw (a bug: logged as "HTTP session ...
   *     failed"); 0 in a healthy proxy
   */
  public record Snapshot(long connections, long activeConnections, long inProcessConnections,
      long networkConnections, long deniedConnections, long transactions, long inProcessTransactions,
      long networkTransactions, long errorResponses, long bytesIn, long bytesOut, long internalErrors) {}

  final LongAdder connections = new LongAdder();
  final LongAdder activeConnections = new LongAdder();
  final LongAdder inProcessConnections = new LongAdder();
  final LongAdder deniedConnections = new LongAdder();
  final LongAdder transactions = new LongAdder();
  final LongAdder inProcessTransactions = new LongAdder();
  final LongAdder errorResponses = new LongAdder();
  final LongAdder bytesIn = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder internalErrors = new LongAdder();
  private final Map<String, LongAdder> tlsConnections = new ConcurrentHashMap<>();

  HttpStats() {}

  /** Counts a client connection whose TLS handshake finished. */
  void tlsHandshake(TlsSessionInfo info) {
    tlsConnections.computeIfAbsent(info.protocol() + " " + info.cipherSuite(), k -> new LongAdder()).increment();
  }

  /**
   * Client connections whose TLS handshake finished, by protocol and cipher suite.
   *
   * @return counts keyed {@code "TLSv1.3 TLS_AES_128_GCM_SHA256"}, sorted by key; empty without TLS clients
   */
  public Map<String, Long> tlsConnections() {
    Map<String, Long> counts = new TreeMap<>();
    tlsConnections.forEach((k, v) -> counts.put(k, v.sum()));
    return counts;
  }

  /**
   * Reads the counters.
   *
   * @return a snapshot
   */
  public Snapshot snapshot() {
    long c = connections.sum();
    long ic = inProcessConnections.sum();
    long t = transactions.sum();
    long it = inProcessTransactions.sum();
    return new Snapshot(c, activeConnections.sum(), ic, c - ic, deniedConnections.sum(), t, it, t - it,
        errorResponses.sum(), bytesIn.sum(), bytesOut.sum(), internalErrors.sum());
  }
}
