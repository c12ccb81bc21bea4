package dev.vconn.domain.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The proxy header rules: which fields a message keeps when the proxy forwards it, the {@code Via} it adds, and the
 * framing and {@code Connection} fields it declares for the next hop, in both directions (docs/http.md, "Supported
 * HTTP" and "What the proxy normalises and rejects"). The HTTP session asks it for every head it sends; it holds no
 * state but the proxy's {@code Via} name.
 */
final class ProxyHeaderRules {
  /** The fields that belong to one connection and never travel past it (RFC 9110 §7.6.1). */
  static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te",
      "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization");
  /** The field a client asks for a protocol switch with, and a 101 names the new protocol in (RFC 9110 §7.8). */
  static final String UPGRADE = "Upgrade";
  /**
   * The fields that frame a message or name its target. A field named in {@code Connection} never removes them:
   * dropping {@code Content-Length} while forwarding the body would let the origin read the body as another request
   * (docs/http.md, "What the proxy normalises and rejects"). {@code Transfer-Encoding} is hop-by-hop anyway and is
   * re-declared for each hop from the framing the proxy decoded.
   */
  static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "host");

  /**
   * The fields that never travel in a forwarded trailer section (RFC 9110 §6.5.1): the hop-by-hop fields, and the
   * fields a recipient must see in the head because they frame the message, route it, modify or authenticate the
   * request, control the response or describe the content (docs/http.md, "Trailers").
   */
  static final Set<String> NOT_IN_TRAILERS = Set.of(
      // framing and routing
      "content-length", "transfer-encoding", "trailer", "host",
      // request modifiers: controls and conditionals
      "cache-control", "expect", "max-forwards", "pragma", "range", "te", "if-match", "if-none-match",
      "if-modified-since", "if-unmodified-since", "if-range",
      // authentication and cookies
      "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "authentication-info",
      "proxy-authentication-info", "cookie", "set-cookie",
      // response control data
      "age", "date", "expires", "location", "retry-after", "vary", "warning",
      // content processing
      "content-encoding", "content-type", "content-range",
      // connection management
      "connection", "keep-alive", "proxy-connection", "upgrade");

  /**
   * The fields of a response head for the client, and whether the connection stays open after it.
   *
   * @param headers the fields to send
   * @param keepAlive false if the connection closes after this response
   */
  record ClientResponseFields(HttpHeaders headers, boolean keepAlive) {}

  /** The forwarding fields (docs/http.md, "Forwarding"). */
  static final String X_FORWARDED_FOR = "X-Forwarded-For";
  static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  static final String FORWARDED = "Forwarded";
  /** The two X-Forwarded-Proto fields a replacing policy adds, shared: a field is immutable. */
  private static final HttpHeaders.Field PROTO_HTTP = new HttpHeaders.Field(X_FORWARDED_PROTO, "http");
  private static final HttpHeaders.Field PROTO_HTTPS = new HttpHeaders.Field(X_FORWARDED_PROTO, "https");

  /**
   * What the forwarding fields say about the client's hop.
   *
   * @param clientAddress the client's address as the proxy counts it (a PROXY protocol header's source, the
   *     socket's remote address, an in-process client's {@code clientAddress}); null or not an IP address when
   *     unknown
   * @param tls whether the client connected over TLS
   * @param requestedHost the host the client asked for (an absolute-form target's authority, else its
   *     {@code Host}), as received; null when it named none
   */
  record ClientHop(SocketAddress clientAddress, boolean tls, String requestedHost) {}

  /** This proxy's Via element towards an HTTP/1.0 and an HTTP/1.1 peer, made once rather than per message. */
  private final String via10;
  private final String via11;
  /** The Via field when the message had none (the usual case), shared: a field is immutable. */
  private final HttpHeaders.Field viaField10;
  private final HttpHeaders.Field viaField11;

  ProxyHeaderRules(String viaName) {
    this.via10 = "1.0 " + viaName;
    this.via11 = "1.1 " + viaName;
    this.viaField10 = new HttpHeaders.Field(VIA, via10);
    this.viaField11 = new HttpHeaders.Field(VIA, via11);
  }

  private static final String VIA = "Via";

  /**
   * The fields of a request as the proxy forwards it: the end-to-end fields, without {@code Expect} (the proxy
   * answers it itself), a chunked body re-declared as chunked (the proxy re-encodes it), {@code Upgrade} with
   * {@code Connection: upgrade} when the client asks for an upgrade ({@link #requestedUpgrade}), and this proxy's
   * {@code Via}. The caller sets {@code Host} for the origin.
   */
  HttpHeaders forwardedRequest(HttpHeaders in, HttpVersion clientVersion) {
    // Room for what is added on the way to the origin without growing: Via and the two default forwarding fields
    // (Host's new value replaces the client's).
    HttpHeaders out = endToEnd(in, 3);
    out.remove("Expect");
    if (in.isChunked()) {
      out.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
      out.remove(HttpHeaders.CONTENT_LENGTH);
    }
    List<String> upgrade = requestedUpgrade(in, clientVersion);
    if (!upgrade.isEmpty()) {
      out.set(UPGRADE, String.join(", ", upgrade));
      out.set(HttpHeaders.CONNECTION, "upgrade");
    }
    appendVia(out, clientVersion);
    return out;
  }

  /**
   * Adds the forwarding fields of {@code policy} to {@code out}, the fields of a request as the proxy forwards it
   * ({@link #forwardedRequest}), so that what the client's {@code Connection} removed stays removed and the proxy's
   * own values come last (docs/http.md, "Forwarding"). The values come from the connection and from fields the
   * parser checked, and {@link HttpHeaders} refuses any control character, so nothing a client sends can end a
   * line early.
   */
  static void addForwarding(HttpHeaders out, ForwardingPolicy policy, ClientHop hop) {
    addForwarding(out, policy, nodeAddress(hop.clientAddress()), hop.tls(), hop.requestedHost());
  }

  /**
   * {@link #addForwarding(HttpHeaders, ForwardingPolicy, ClientHop)} for a client whose address was already written
   * as {@link #nodeAddress} writes it ({@code address}, null when it is not an IP address): a connection's sessions
   * make that text once, not per request.
   */
  static void addForwarding(HttpHeaders out, ForwardingPolicy policy, String address, boolean tls,
      String requestedHost) {
    String proto = tls ? "https" : "http";
    apply(out, X_FORWARDED_FOR, policy.forwardedFor(), address == null ? "unknown" : address);
    if (policy.forwardedProto() == ForwardingPolicy.Mode.REPLACE) { // the default: one of two fields, made once
      out.remove(X_FORWARDED_PROTO);
      out.addField(tls ? PROTO_HTTPS : PROTO_HTTP);
    } else {
      apply(out, X_FORWARDED_PROTO, policy.forwardedProto(), proto);
    }
    apply(out, X_FORWARDED_HOST, policy.forwardedHost(), requestedHost);
    if (policy.forwarded() == ForwardingPolicy.Mode.APPEND) {
      for (String line : out.getAll(FORWARDED)) {
        if (!isForwardedList(line)) {
          // An unterminated quoted string would swallow the element appended after it (for="x, for=10.0.0.1 is
          // one value): a list that does not parse is dropped, and only this hop's element goes on.
          out.remove(FORWARDED);
          break;
        }
      }
    }
    if (policy.forwarded() != ForwardingPolicy.Mode.OFF) { // the element is built only when it goes out
      apply(out, FORWARDED, policy.forwarded(), forwardedElement(address, proto, requestedHost));
    }
  }

  private static void apply(HttpHeaders out, String name, ForwardingPolicy.Mode mode, String value) {
    switch (mode) {
      case OFF -> { }
      case REPLACE -> {
        out.remove(name);
        if (value != null) {
          out.add(name, value);
        }
      }
      case APPEND -> {
        List<String> lines = out.getAll(name);
        if (lines.isEmpty()) { // nothing to combine with: the common case, without a list and a join
          if (value != null) {
            out.add(name, value);
          }
          return;
        }
        List<String> values = new ArrayList<>();
        for (String line : lines) {
          if (!line.isEmpty()) {
            values.add(line); // the lines of a list field combine in order (RFC 9110 §5.3)
          }
        }
        if (value != null) {
          values.add(value);
        }
        out.remove(name);
        if (!values.isEmpty()) {
          out.add(name, String.join(", ", values));
        }
      }
    }
  }

  /**
   * This hop's RFC 7239 element: {@code for=} the client's node ({@code unknown} when the address is not known; an
   * IPv6 address in brackets, quoted), {@code proto=}, and {@code host=} when the client named one (quoted unless
   * it is a token). {@code by=} is not sent.
   */
  static String forwardedElement(String address, String proto, String host) {
    String node = address == null ? "unknown" : address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    StringBuilder e = new StringBuilder("for=").append(node).append(";proto=").append(proto);
    if (host != null && !host.isEmpty()) {
      e.append(";host=").append(HttpSyntax.isToken(host) ? host : quoted(host));
    }
    return e.toString();
  }

  /** {@code s} as an RFC 9110 quoted-string, with {@code "} and {@code \} escaped. */
  static String quoted(String s) {
    StringBuilder q = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        q.append('\\');
      }
      q.append(c);
    }
    return q.append('"').toString();
  }

  /**
   * Whether {@code value} is a list of RFC 7239 elements: {@code pair *( ";" pair )} with {@code pair = token "="
   * ( token / quoted-string )}, elements separated by commas with optional whitespace, empty elements allowed.
   * Obfuscated and {@code unknown} nodes are tokens or quoted strings like any value: they pass as they are.
   */
  static boolean isForwardedList(String value) {
    int i = 0;
    int n = value.length();
    while (true) {
      while (i < n && (HttpSyntax.isOws(value.charAt(i)) || value.charAt(i) == ',')) {
        i++;
      }
      if (i == n) {
        return true;
      }
      while (true) { // one element: pairs separated by ';'
        if (value.charAt(i) != ';') {
          int nameStart = i;
          while (i < n && HttpSyntax.isTchar(value.charAt(i))) {
            i++;
          }
          if (i == nameStart || i == n || value.charAt(i) != '=') {
            return false;
          }
          i++;
          if (i < n && value.charAt(i) == '"') {
            i = endOfQuoted(value, i);
            if (i < 0) {
              return false;
            }
          } else {
            int valueStart = i;
            while (i < n && HttpSyntax.isTchar(value.charAt(i))) {
              i++;
            }
            if (i == valueStart) {
              return false;
            }
          }
        }
        if (i < n && value.charAt(i) == ';') {
          i++;
          continue;
        }
        break;
      }
      while (i < n && HttpSyntax.isOws(value.charAt(i))) {
        i++;
      }
      if (i < n && value.charAt(i) != ',') {
        return false;
      }
    }
  }

  /** The index after the quoted-string starting at {@code start} (a {@code "}), or -1 if it does not end well. */
  private static int endOfQuoted(String s, int start) {
    for (int i = start + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        i++;
        if (i == s.length() || !HttpSyntax.isFieldValueChar(s.charAt(i))) {
          return -1;
        }
      } else if (!HttpSyntax.isFieldValueChar(c)) {
        return -1;
      }
    }
    return -1;
  }

  /**
   * The client's IP address as the forwarding fields write it, or null when it is not an IP address: IPv4 dotted,
   * IPv6 in the RFC 5952 text form (lower case, the longest run of zero groups as {@code ::}, no zone).
   */
  static String nodeAddress(SocketAddress address) {
    if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return null;
    }
    InetAddress ip = inet.getAddress();
    if (!(ip instanceof Inet6Address)) {
      return ip.getHostAddress();
    }
    byte[] b = ip.getAddress();
    int[] groups = new int[8];
    for (int g = 0; g < 8; g++) {
      groups[g] = (b[2 * g] & 0xff) << 8 | b[2 * g + 1] & 0xff;
    }
    int bestStart = -1;
    int bestLength = 1; // a single zero group is not shortened (RFC 5952 §4.2.2)
    for (int g = 0; g < 8; ) {
      if (groups[g] != 0) {
        g++;
        continue;
      }
      int start = g;
      while (g < 8 && groups[g] == 0) {
        g++;
      }
      if (g - start > bestLength) {
        bestStart = start;
        bestLength = g - start;
      }
    }
    StringBuilder out = new StringBuilder();
    for (int g = 0; g < 8; g++) {
      if (g == bestStart) {
        out.append("::");
        g += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[g]));
    }
    return out.toString();
  }

  /**
   * The fields of the origin's response as the client gets them: the end-to-end fields and this proxy's {@code Via};
   * a body of unknown length (chunked, close-delimited or transformed) is chunked for an HTTP/1.1 client and ends
   * with the connection for an HTTP/1.0 one; {@code Connection} says {@code close} when the connection will close
   * and {@code keep-alive} to an HTTP/1.0 client that keeps it.
   *
   * @param origin the origin's response head
   * @param clientVersion the version of the client's request
   * @param hasBody whether the response has a body
   * @param transformed whether the body goes through transforms (its length is then unknown)
   * @param keepAlive whether the client connection may stay open, as far as the request and the proxy are concerned
   */
  ClientResponseFields clientResponse(HttpResponseHead origin, HttpVersion clientVersion, boolean hasBody,
      boolean transformed, boolean keepAlive) {
    HttpHeaders headers = endToEnd(origin.headers());
    appendVia(headers, origin.version());
    boolean client11 = clientVersion == HttpVersion.HTTP_1_1;
    if (origin.status() == 204) {
      headers.remove(HttpHeaders.CONTENT_LENGTH);
    } else if (hasBody && (transformed || origin.headers().contentLengthOrNegative() < 0)) {
      headers.remove(HttpHeaders.CONTENT_LENGTH);
      if (client11) {
        headers.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
      } else {
        keepAlive = false; // HTTP/1.0 knows no chunking: the end of the body is the end of the connection
      }
    }
    if (!keepAlive) {
      headers.set(HttpHeaders.CONNECTION, "close");
    } else if (!client11) {
      headers.set(HttpHeaders.CONNECTION, "keep-alive");
    }
    return new ClientResponseFields(headers, keepAlive);
  }

  /**
   * The protocols a request asks to switch to, in its order, as sent; empty if it does not ask for an upgrade the
   * proxy passes on (docs/http.md, "Upgrades"). It asks when it is HTTP/1.1 (RFC 9110 §7.8: {@code Upgrade} in an
   * HTTP/1.0 request is ignored), names {@code upgrade} in {@code Connection} ({@code Upgrade} is hop-by-hop and
   * means nothing to the next hop without it), has no body (after a switch the bytes that follow the head belong
   * to the new protocol), and every member of its {@code Upgrade} fields is a protocol, {@code name[/version]} of
   * tokens.
   */
  static List<String> requestedUpgrade(HttpHeaders request, HttpVersion version) {
    if (version != HttpVersion.HTTP_1_1 || !request.connectionTokens().contains("upgrade")) {
      return List.of();
    }
    boolean body;
    try {
      body = request.contains(HttpHeaders.TRANSFER_ENCODING) || request.contentLengthOrNegative() > 0;
    } catch (IllegalStateException e) {
      body = true; // a bad Content-Length (set by a hook; the parser rejects them): no upgrade on top of it
    }
    return body ? List.of() : protocols(request);
  }

  /**
   * Whether an origin's {@code 101 Switching Protocols} may go to the client (docs/http.md, "Upgrades"): the client
   * asked for an upgrade and the request sent to the origin (or intercept) carried it, the response is HTTP/1.1 and
   * names in {@code Upgrade} at least one protocol and only protocols the client asked for (compared without regard
   * to case). Anything else is an answer the client cannot expect, and the proxy answers 502 instead.
   *
   * @param client the client's request (after the request hooks)
   * @param server the request as sent on
   * @param response the origin's 101
   */
  static boolean switchAccepted(HttpRequestHead client, HttpRequestHead server, HttpResponseHead response) {
    List<String> requested = requestedUpgrade(client.headers(), client.version());
    if (requested.isEmpty() || requestedUpgrade(server.headers(), server.version()).isEmpty()
        || response.status() != 101 || response.version() != HttpVersion.HTTP_1_1) {
      return false;
    }
    List<String> chosen = protocols(response.headers());
    if (chosen.isEmpty()) {
      return false;
    }
    for (String protocol : chosen) {
      if (requested.stream().noneMatch(protocol::equalsIgnoreCase)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The fields of an accepted {@code 101} as the client gets them: the end-to-end fields, the origin's
   * {@code Upgrade}, {@code Connection: upgrade} and this proxy's {@code Via}. Nothing frames a body: after the head
   * the connection carries the new protocol.
   */
  HttpHeaders switchingProtocolsResponse(HttpResponseHead origin) {
    HttpHeaders headers = endToEnd(origin.headers());
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    headers.set(UPGRADE, String.join(", ", protocols(origin.headers())));
    headers.set(HttpHeaders.CONNECTION, "upgrade");
    appendVia(headers, origin.version());
    return headers;
  }

  /** The members of the {@code Upgrade} fields, trimmed; empty if there are none or one is not a protocol. */
  private static List<String> protocols(HttpHeaders headers) {
    List<String> out = new ArrayList<>();
    for (String value : headers.getAll(UPGRADE)) {
      for (String member : value.split(",", -1)) {
        String protocol = HttpHeaders.trimOws(member);
        if (protocol.isEmpty()) {
          continue; // empty list elements are allowed and mean nothing (RFC 9110 §5.6.1)
        }
        int slash = protocol.indexOf('/');
        boolean valid = slash < 0 ? HttpSyntax.isToken(protocol)
            : HttpSyntax.isToken(protocol.substring(0, slash)) && HttpSyntax.isToken(protocol.substring(slash + 1));
        if (!valid) {
          return List.of();
        }
        out.add(protocol);
      }
    }
    return out;
  }

  /**
   * A copy of {@code in} without the hop-by-hop fields and the fields its {@code Connection} names, except that a
   * name in {@code Connection} never removes a {@linkplain #FRAMING framing} field.
   */
  static HttpHeaders endToEnd(HttpHeaders in) {
    return endToEnd(in, 2); // room for the fields the rules add to a response (Via, framing)
  }

  /** As {@link #endToEnd(HttpHeaders)}, with room for {@code extra} more fields before the copy grows. */
  static HttpHeaders endToEnd(HttpHeaders in, int extra) {
    // Read on the received bytes where the head has them: names compared in place, the Connection options scanned
    // in place, and the fields that stay shared with the received head rather than made into Strings.
    // Hop-by-hop and framing fields are told by the name code the map keeps per field (HttpHeaders.nameCode), and a
    // field is looked for in the Connection options only if some option has its name's length.
    int options = in.connectionOptionCount();
    long optionLengths = options > 0 ? in.connectionOptionLengths() : 0;
    // A long list is looked up by hash: a client's thousand-name Connection costs no more per field.
    Set<String> named = options > 8 ? in.connectionTokens() : null;
    HttpHeaders out = new HttpHeaders(in.size() + extra);
    int run = 0; // the kept entries [run, i) not copied yet: copied a run at a time
    for (int i = 0, n = in.size(); i < n; i++) {
      int code = in.codeAt(i);
      if (HttpHeaders.isHopByHopCode(code)
          || options > 0 && !HttpHeaders.isFramingCode(code) && in.nameLengthIn(optionLengths, i)
          && (named == null ? in.isNamedInConnection(i) : named.contains(in.nameAt(i).toLowerCase(Locale.ROOT)))) {
        out.addFrom(in, run, i); // dropped: an origin's "Connection: keep-alive" names one option on every response
        run = i + 1;
      }
    }
    out.addFrom(in, run, in.size());
    return out;
  }

  /** Whether {@code name} (any case) is in {@link #HOP_BY_HOP}, told by its name code. */
  static boolean isHopByHop(String name) {
    return HttpHeaders.isHopByHopCode(HttpHeaders.nameCode(name));
  }

  /**
   * The trailer fields as the proxy forwards them: those received, in order, without the ones that may not be
   * trailers ({@link #NOT_IN_TRAILERS}).
   */
  static HttpHeaders forwardedTrailers(HttpHeaders in) {
    HttpHeaders out = new HttpHeaders();
    for (HttpHeaders.Field f : in) {
      if (!NOT_IN_TRAILERS.contains(f.name().toLowerCase(Locale.ROOT))) {
        out.add(f.name(), f.value());
      }
    }
    return out;
  }

  /**
   * Whether a request's {@code TE} field says its client accepts trailer fields in a chunked response: it holds the
   * {@code trailers} member (RFC 9110 §10.1.4; names are case-insensitive).
   */
  static boolean acceptsTrailers(HttpHeaders request) {
    for (String value : request.getAll("TE")) {
      for (String member : value.split(",", -1)) {
        int semi = member.indexOf(';');
        String name = HttpHeaders.trimOws(semi < 0 ? member : member.substring(0, semi));
        if (name.equalsIgnoreCase("trailers")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Appends this proxy to {@code Via}, with the version of the hop the message came in on. */
  void appendVia(HttpHeaders headers, HttpVersion version) {
    boolean http10 = version == HttpVersion.HTTP_1_0;
    String via = headers.get(VIA);
    if (via == null) {
      headers.addField(http10 ? viaField10 : viaField11); // what set would add, without a new field per message
    } else {
      headers.set(VIA, via + ", " + (http10 ? via10 : via11));
    }
  }
}
