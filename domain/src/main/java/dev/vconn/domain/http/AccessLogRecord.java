package dev.vconn.domain.http;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.SocketAddress;

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
 */
public record AccessLogRecord(SocketAddress client, String method, String url, int status, long bytesIn,
    long bytesOut, long durationMillis, String origin, String pluginTag, long pluginId, boolean internal,
    TlsSessionInfo tls) {

  /** A record of a client without TLS. */
  public AccessLogRecord(SocketAddress client, String method, String url, int status, long bytesIn, long bytesOut,
      long durationMillis, String origin, String pluginTag, long pluginId, boolean internal) {
    this(client, method, url, status, bytesIn, bytesOut, durationMillis, origin, pluginTag, pluginId, internal, null);
  }

  /**
   * The log line: space-separated {@code key=value} fields in a fixed order, with Traffic Server's field names
   * for the in-process ones ({@code pitag}, {@code piid}, {@code cqint}); a TLS client's line ends with the
   * protocol and cipher suite ({@code tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256}), a plain-text client's has
   * neither field.
   *
   * @return the line, without a line end
   */
  public String toLogLine() {
    return "client=" + address(client) + " method=" + method + " url=" + url + " status=" + status + " in="
        + bytesIn + " out=" + bytesOut + " ms=" + durationMillis + " origin=" + origin + " pitag="
        + (pluginTag == null ? "-" : pluginTag) + " piid=" + pluginId + " cqint=" + (internal ? 1 : 0)
        + (tls == null ? "" : " tls=" + tls.protocol() + " cipher=" + tls.cipherSuite());
  }

  private static String address(SocketAddress a) {
    if (a == null) {
      return "-";
    }
    String s = a.toString();
    int slash = s.indexOf('/');
    // InetSocketAddress prints "hostname/1.2.3.4:5" or "/1.2.3.4:5": keep the literal part.
    return slash >= 0 ? s.substring(slash + 1) : s;
  }
}
