package dev.vconn.plugin.http;

import dev.vconn.domain.http.HttpRequestHead;
import java.net.SocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A whole request as an intercept plugin receives it from the proxy: the head as forwarded (HTTP/1.1, hop-by-hop
 * fields removed, {@code Via} added) and the decoded body.
 *
 * @param head the forwarded request head
 * @param body the decoded body, empty if none
 * @param client the client's address as the proxy saw it (for in-process clients: their connect options' address)
 */
public record InterceptRequest(HttpRequestHead head, byte[] body, SocketAddress client) {

  /**
   * The path of the target, without the query; for an absolute-form target ({@code http://host/p}) its path.
   *
   * @return the path, starting with {@code /} (or {@code *} for {@code OPTIONS *})
   */
  public String path() {
    return RequestTargets.path(head.target());
  }

  /**
   * The first value of a query parameter, URL-decoded.
   *
   * @param name the parameter name
   * @return the value, empty if absent
   */
  public Optional<String> queryParameter(String name) {
    String query = RequestTargets.query(head.target());
    if (query == null) {
      return Optional.empty();
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (decode(key).equals(name)) {
        return Optional.of(eq < 0 ? "" : decode(pair.substring(eq + 1)));
      }
    }
    return Optional.empty();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a stray % is taken literally
    }
  }
}
