package dev.vconn.domain.http;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One remap rule (Traffic Server's {@code map http://from/ http://to/}): requests for {@code host} whose path starts
 * with {@code pathPrefix} go to the origin {@code originHost:originPort}, with the prefix replaced by
 * {@code originPathPrefix}. The host {@code *} matches any host. Rules are tried in order; the first match wins.
 * An {@code https://} target ({@code originTls}) is reached over TLS: SNI is the origin host and its certificate
 * must name it unless the origin connector's TLS settings say otherwise (docs/http.md, "HTTPS origins"). An
 * {@code upstream://NAME/} target ({@code upstream}) sends the request to a member of the {@link UpstreamGroup} named
 * {@code NAME}, chosen per attempt; {@code originHost} is then the group's name (the {@code Host} the members get),
 * with port 80 (docs/http.md, "Upstream groups").
 *
 * @param host the request host to match, lower case, without port; {@code *} for any
 * @param pathPrefix the path prefix to match, starting with {@code /}; kept normalised as request paths are
 *     ({@link RequestPaths#normalizePath}), so {@code /%7Euser/} is stored as {@code /~user/}
 * @param originHost the origin's host name or address literal
 * @param originPort the origin's port, 1..65535
 * @param originPathPrefix what replaces {@code pathPrefix}, starting with {@code /}
 * @param originTls whether the origin is reached over TLS (an {@code https://} target)
 * @param upstream the name of the upstream group the target names ({@code upstream://NAME/}), or null for one origin
 */
public record RemapRule(String host, String pathPrefix, String originHost, int originPort, String originPathPrefix,
    boolean originTls, String upstream) {

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException naming the component that is empty or out of range
   */
  public RemapRule {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(pathPrefix, "pathPrefix");
    Objects.requireNonNull(originHost, "originHost");
    Objects.requireNonNull(originPathPrefix, "originPathPrefix");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("remap rule host must not be empty (use * for any host)");
    }
    host = host.toLowerCase(Locale.ROOT);
    if (!pathPrefix.startsWith("/")) {
      throw new IllegalArgumentException("remap rule pathPrefix must start with /, was " + pathPrefix);
    }
    // Requests are matched after RequestPaths normalised them, so the prefix is spelled the same way: a rule
    // written as /%7Euser/ matches the request /%7euser/x, which arrives here as /~user/x.
    try {
      pathPrefix = RequestPaths.normalizePath(pathPrefix);
    } catch (BadMessageException e) {
      throw new IllegalArgumentException("remap rule pathPrefix " + pathPrefix + " is not a valid path: "
          + e.getMessage());
    }
    if (originHost.isEmpty()) {
      throw new IllegalArgumentException("remap rule originHost must not be empty");
    }
    if (originPort < 1 || originPort > 65535) {
      throw new IllegalArgumentException("remap rule originPort must be in 1..65535, was " + originPort);
    }
    if (!originPathPrefix.startsWith("/")) {
      throw new IllegalArgumentException("remap rule originPathPrefix must start with /, was " + originPathPrefix);
    }
    if (upstream != null && (!upstream.equals(originHost) || originPort != 80 || originTls)) {
      throw new IllegalArgumentException("a remap rule to upstream " + upstream
          + " has the group's name as originHost, port 80 and no TLS (the members say how they are reached)");
    }
  }

  /** A rule to one origin, plain HTTP or TLS. */
  public RemapRule(String host, String pathPrefix, String originHost, int originPort, String originPathPrefix,
      boolean originTls) {
    this(host, pathPrefix, originHost, originPort, originPathPrefix, originTls, null);
  }

  /** A rule to a plain-HTTP origin. */
  public RemapRule(String host, String pathPrefix, String originHost, int originPort, String originPathPrefix) {
    this(host, pathPrefix, originHost, originPort, originPathPrefix, false);
  }

  /**
   * Parses a rule from two URLs, as in Traffic Server's {@code remap.config}: {@code http://host/prefix} (host
   * {@code *} for any; {@code https://} matches the same requests) and {@code http://origin[:port]/prefix} or
   * {@code https://origin[:port]/prefix} (default port 80 or 443; https is reached over TLS).
   *
   * @param from the request URL prefix
   * @param to the origin URL prefix
   * @return the rule
   * @throws IllegalArgumentException if a URL is not {@code http[s]://host[:port]/path}, naming it
   */
  public static RemapRule parse(String from, String to) {
    String[] f = split(from, "from");
    if (to != null && to.regionMatches(true, 0, UPSTREAM, 0, UPSTREAM.length())) {
      String rest = to.substring(UPSTREAM.length());
      int slash = rest.indexOf('/');
      String name = slash < 0 ? rest : rest.substring(0, slash);
      if (name.isEmpty() || name.contains(":")) {
        throw new IllegalArgumentException("remap target must be upstream://NAME/path (no port), was " + to);
      }
      return new RemapRule(f[0], f[2], name, 80, slash < 0 ? "/" : rest.substring(slash), false, name);
    }
    String[] t = split(to, "to");
    boolean tls = t[3] != null;
    int port;
    try {
      port = t[1] == null ? (tls ? 443 : 80) : Integer.parseInt(t[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("remap target has a bad port: " + to);
    }
    return new RemapRule(f[0], f[2], t[0], port, t[2], tls);
  }

  private static final String UPSTREAM = "upstream://";

  /** Splits {@code http[s]://host[:port]/path} into host, port (or null), path and a non-null marker for https. */
  private static String[] split(String url, String what) {
    Objects.requireNonNull(url, what);
    String prefix = "http://";
    String https = null;
    if (url.regionMatches(true, 0, "https://", 0, 8)) {
      prefix = "https://";
      https = "https";
    } else if (!url.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new IllegalArgumentException("remap " + what + " must be an http:// or https:// URL"
          + (what.equals("to") ? " or upstream://NAME/" : "") + ", was " + url);
    }
    String rest = url.substring(prefix.length());
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "/" : rest.substring(slash);
    int colon = authority.lastIndexOf(':');
    String host = colon < 0 ? authority : authority.substring(0, colon);
    String port = colon < 0 ? null : authority.substring(colon + 1);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("remap " + what + " has no host: " + url);
    }
    return new String[] {host, port, path, https};
  }

  /**
   * Applies this rule to a request.
   *
   * @param requestHost the request's host (from an absolute URL or Host), without port, any case; may be null
   * @param path the request's path and query
   * @return the origin path and query if the rule matches
   */
  public Optional<String> map(String requestHost, String path) {
    return Optional.ofNullable(requestHost == null ? mapPath(null, 0, 0, path)
        : mapPath(requestHost, 0, requestHost.length(), path));
  }

  /**
   * {@link #map} without its allocations, for the proxy's remap step: the request host is the region
   * {@code [hostStart, hostEnd)} of {@code hostText} (null for none), compared ignoring case; a path this rule leaves
   * as it is comes back as the same String.
   *
   * @return the origin path and query, or null if the rule does not match
   */
  String mapPath(String hostText, int hostStart, int hostEnd, String path) {
    if (!host.equals("*") && (hostText == null || hostEnd - hostStart != host.length()
        || !hostText.regionMatches(true, hostStart, host, 0, host.length()))) {
      return null;
    }
    return mapMatchedPath(path);
  }

  /**
   * {@link #mapPath(String, int, int, String)} for a request whose host is its {@code Host} field, compared where it
   * lies ({@link HttpHeaders#hostIs}) instead of as a String: the same answer for a host the fields can read in
   * place ({@link HttpHeaders#hostReadableInPlace}).
   *
   * @return the origin path and query, or null if the rule does not match
   */
  String mapPath(HttpHeaders requestFields, String path) {
    if (!host.equals("*") && !requestFields.hostIs(host)) {
      return null;
    }
    return mapMatchedPath(path);
  }

  /** The origin path and query for a request whose host matched, or null if the path does not. */
  private String mapMatchedPath(String path) {
    if (!path.startsWith(pathPrefix)) {
      return null;
    }
    int cut = pathPrefix.length();
    boolean restEmpty = cut == path.length();
    if (originPathPrefix.endsWith("/") && !restEmpty && path.charAt(cut) == '/') {
      return originPathPrefix + path.substring(cut + 1);
    }
    if (!originPathPrefix.endsWith("/") && !restEmpty && path.charAt(cut) != '/' && path.charAt(cut) != '?') {
      return originPathPrefix + "/" + path.substring(cut);
    }
    if (originPathPrefix.equals(pathPrefix)) {
      return path; // the prefix is replaced by itself, the usual "/" to "/" rule
    }
    return originPathPrefix + path.substring(cut);
  }

  /**
   * The origin authority, as written in a Host header and the access log.
   *
   * @return {@code originHost:originPort}
   */
  public String originAuthority() {
    return originHost + ":" + originPort;
  }

  /**
   * The Host header sent to the origin: the host alone on the scheme's default port (80, or 443 for https).
   *
   * @return {@code originHost} or {@code originHost:originPort}
   */
  public String originHostHeader() {
    return originPort == (originTls ? 443 : 80) ? originHost : originAuthority();
  }
}
