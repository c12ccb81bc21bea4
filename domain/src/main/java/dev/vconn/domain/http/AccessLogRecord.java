package dev.vconn.domain.http;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;

/**
 * One transaction as the access log sees it.
 *
 * @param client the client's address ({@code clientAddress} of the connect options for in-process clients)
 * @param method the request method, {@code -} if the request head was rejected before it was parsed
 * @param url the request target as the client sent it, {@code -} if unknown
 * @param status the status sent to the client, 0 if none was sent (the client went away first)
 * @param bytesIn bytes read from the client for this transaction (head and body)
 * @param bytesOut bytes written to the client for this transaction (head and body)
 * @param durationMillis from the first byte of the request head to the end of the transaction
 * @param origin {@code host:port} of the origin, {@code intercept} for a server intercept, {@code -} for none
 * @param pluginTag the tag of an in-process client ({@code pitag}), null for network clients
 * @param pluginId the id of an in-process client ({@code piid}), 0 if unset
 * @param internal whether the client is in-process ({@code cqint=1})
 * @param tls what the client connection's TLS handshake negotiated ({@code tls=TLSv1.3 cipher=...}), null for a
 *     plain-text or in-process client or a handshake that did not finish
 * @param originTls what the origin connection's TLS handshake negotiated ({@code otls=TLSv1.3 ocipher=...}), null
 *     unless an {@code https} origin answered
 * @param protocol the request's HTTP version as sent ({@code HTTP/1.1}), {@code -} if the request head was rejected
 * @param userAgent the request's {@code User-Agent}, null if it had none
 * @param referer the request's {@code Referer}, null if it had none
 * @param time when the transaction started (the first byte of the request head), by the wall clock
 * @param originMillis from the start of the transaction to the origin's response head, -1 if no origin answered
 */
public record AccessLogRecord(SocketAddress client, String method, String url, int status, long bytesIn,
    long bytesOut, long durationMillis, String origin, String pluginTag, long pluginId, boolean internal,
    TlsSessionInfo tls, TlsSessionInfo originTls, String protocol, String userAgent, String referer, Instant time,
    long originMillis) {

  /** A record of a client without TLS. */
  public AccessLogRecord(SocketAddress client, String method, String url, int status, long bytesIn, long bytesOut,
      long durationMillis, String origin, String pluginTag, long pluginId, boolean internal) {
    this(client, method, url, status, bytesIn, bytesOut, durationMillis, origin, pluginTag, pluginId, internal, null);
  }

  /** A record without the request's protocol, agent and referer, origin TLS and timings: they read as unknown. */
  public AccessLogRecord(SocketAddress client, String method, String url, int status, long bytesIn, long bytesOut,
      long durationMillis, String origin, String pluginTag, long pluginId, boolean internal, TlsSessionInfo tls) {
    this(client, method, url, status, bytesIn, bytesOut, durationMillis, origin, pluginTag, pluginId, internal, tls,
        null, "-", null, null, Instant.EPOCH, -1);
  }

  /**
   * The line in {@code format}.
   *
   * @param format the access log format
   * @return the line, without a line end
   */
  public String toLogLine(AccessLogFormat format) {
    return format.render(this);
  }

  /**
   * The log line: space-separated {@code key=value} fields in a fixed order, with Traffic Server's field names
   * for the in-process ones ({@code pitag}, {@code piid}, {@code cqint}); a TLS client's line goes on with the
   * protocol and cipher suite ({@code tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256}), a plain-text client's has
   * neither field; an {@code https} origin's line ends with the origin connection's protocol and cipher suite
   * ({@code otls=TLSv1.3 ocipher=TLS_AES_128_GCM_SHA256}). The {@link AccessLogFormat#KV} format.
   *
   * @return the line, without a line end
   */
  public String toLogLine() {
    return "client=" + address(client) + " method=" + method + " url=" + url + " status=" + status + " in="
        + bytesIn + " out=" + bytesOut + " ms=" + durationMillis + " origin=" + origin + " pitag="
        + (pluginTag == null ? "-" : pluginTag) + " piid=" + pluginId + " cqint=" + (internal ? 1 : 0)
        + (tls == null ? "" : " tls=" + tls.protocol() + " cipher=" + tls.cipherSuite())
        + (originTls == null ? "" : " otls=" + originTls.protocol() + " ocipher=" + originTls.cipherSuite());
  }

  /** The client's address as the logs print it: {@code 1.2.3.4:5} (or {@code [::1]:5}), {@code -} if unknown. */
  static String address(SocketAddress a) {
    if (a == null) {
      return "-";
    }
    String s = a.toString();
    int slash = s.indexOf('/');
    // InetSocketAddress prints "hostname/1.2.3.4:5" or "/1.2.3.4:5": keep the literal part.
    return slash >= 0 ? s.substring(slash + 1) : s;
  }

  /** The client's host alone (the Common Log Format's first field): the IP literal, {@code -} if unknown. */
  static String host(SocketAddress a) {
    if (a instanceof InetSocketAddress inet) {
      return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
    }
    return a == null ? "-" : address(a);
  }
}
