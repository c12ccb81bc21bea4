package dev.vconn.domain.http;

import java.util.ArrayList;
import java.util.List;

/**
 * Normalises the path of a request target before the proxy routes it, so that remap prefixes, hooks, intercepts
 * and the origin all see one spelling of the path (docs/http.md, "What the proxy normalises and rejects"):
 *
 * <ol>
 *   <li>percent-encoded unreserved characters ({@code ALPHA DIGIT - . _ ~}) are decoded and the hex digits of every
 *       other percent-encoding are upper-cased (RFC 3986 §6.2.2.1, §6.2.2.2);</li>
 *   <li>dot segments are removed (RFC 3986 §5.2.4), after that decoding, so {@code %2e%2e} is {@code ..};</li>
 *   <li>a path whose dot segments would climb above the root is rejected, as are a raw {@code \}, a raw {@code #},
 *       a {@code %} not followed by two hex digits, and a dot segment hidden behind an encoded {@code /} or
 *       {@code \} ({@code ..%2F}) or carrying parameters ({@code ..;x}), which some origins resolve as a dot
 *       segment.</li>
 * </ol>
 *
 * <p>{@code %2F} and {@code %5C} are never decoded: they cannot form segments. The query is left as it is.
 * Targets that are neither origin-form ({@code /path}) nor absolute-form with {@code http://} (such as {@code *})
 * are returned unchanged: no remap rule matches them.
 */
public final class RequestPaths {
  private static final String HTTP = "http://";

  private RequestPaths() {}

  /**
   * Normalises the path of a request target, origin-form or absolute-form; the query is kept as it is.
   *
   * @param target the request target as received
   * @return the target with its path normalised; {@code target} itself if nothing changed
   * @throws BadMessageException (400) if the path is malformed or climbs above the root
   */
  public static String normalizeTarget(String target) throws BadMessageException {
    int pathStart;
    if (target.startsWith("/")) {
      pathStart = 0;
    } else if (target.regionMatches(true, 0, HTTP, 0, HTTP.length())) {
      int end = target.length();
      for (int i = HTTP.length(); i < target.length(); i++) {
        char c = target.charAt(i);
        if (c == '/' || c == '?') {
          end = i;
          break;
        }
        if (c == '#' || c == '\\') {
          throw bad("a backslash or fragment in the authority");
        }
      }
      if (end == target.length() || target.charAt(end) == '?') {
        return target; // no path: the authority alone, perhaps with a query
      }
      pathStart = end;
    } else {
      return target;
    }
    int query = target.indexOf('?', pathStart);
    int pathEnd = query < 0 ? target.length() : query;
    String path = target.substring(pathStart, pathEnd);
    String normal = normalizePath(path);
    if (normal.equals(path)) {
      return target;
    }
    return target.substring(0, pathStart) + normal + target.substring(pathEnd);
  }

  /**
   * Normalises an absolute path (no query).
   *
   * @param path the path, starting with {@code /}
   * @return the normalised path
   * @throws BadMessageException (400) if the path is malformed or climbs above the root
   * @throws IllegalArgumentException if {@code path} does not start with {@code /}
   */
  public static String normalizePath(String path) throws BadMessageException {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("an absolute path starts with /, was " + path);
    }
    String decoded = decodeUnreserved(path);
    if (withoutDotSegments(decoded)) {
      return decoded; // the common case: nothing to remove or reject, and no list of segments to build
    }
    List<String> out = new ArrayList<>();
    boolean trailingSlash = false;
    int start = 1;
    while (start <= decoded.length()) {
      int slash = decoded.indexOf('/', start);
      int end = slash < 0 ? decoded.length() : slash;
      String segment = decoded.substring(start, end);
      boolean last = slash < 0;
      if (segment.equals(".")) {
        trailingSlash = last;
      } else if (segment.equals("..")) {
        if (out.isEmpty()) {
          throw bad("the path climbs above the root");
        }
        out.remove(out.size() - 1);
        trailingSlash = last;
      } else {
        checkHiddenDotSegment(segment);
        out.add(segment);
        trailingSlash = false;
      }
      start = end + 1;
    }
    StringBuilder sb = new StringBuilder(decoded.length());
    for (String s : out) {
      sb.append('/').append(s);
    }
    if (sb.length() == 0 || trailingSlash) {
      sb.append('/');
    }
    String normal = sb.toString();
    return normal.equals(path) ? path : normal;
  }

  /**
   * Whether no segment of {@code path} is a dot segment or could hide one (a dot with a {@code %} or {@code ;} in the
   * same segment): then the path is already normal and nothing in it is rejected.
   */
  private static boolean withoutDotSegments(String path) {
    int start = 1;
    while (start <= path.length()) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      boolean dot = false;
      boolean special = false;
      for (int i = start; i < end; i++) {
        char c = path.charAt(i);
        dot |= c == '.';
        special |= c == '%' || c == ';';
      }
      int length = end - start;
      boolean dotSegment = length == 1 || length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.';
      if (dot && (special || dotSegment)) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }

  /** Decodes percent-encoded unreserved characters and upper-cases the hex of the other percent-encodings. */
  private static String decodeUnreserved(String path) throws BadMessageException {
    StringBuilder sb = null;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\\') {
        throw bad("a backslash in the path"); // some origins read it as a slash
      }
      if (c == '#') {
        throw bad("a fragment in the request target");
      }
      if (c != '%') {
        if (sb != null) {
          sb.append(c);
        }
        continue;
      }
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
          || Character.digit(path.charAt(i + 2), 16) < 0) {
        throw bad("a % not followed by two hex digits");
      }
      if (sb == null) {
        sb = new StringBuilder(path.length()).append(path, 0, i);
      }
      char decoded = (char) (Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16));
      if (isUnreserved(decoded)) {
        sb.append(decoded);
      } else {
        sb.append('%').append(Character.toUpperCase(path.charAt(i + 1)))
            .append(Character.toUpperCase(path.charAt(i + 2)));
      }
      i += 2;
    }
    return sb == null ? path : sb.toString();
  }

  /**
   * Rejects a segment that is a dot segment to an origin that splits on an encoded slash or backslash, or that
   * drops path parameters before resolving dot segments.
   */
  private static void checkHiddenDotSegment(String segment) throws BadMessageException {
    if (segment.indexOf('.') < 0) {
      return;
    }
    String split = segment.replace("%2F", "/").replace("%5C", "/");
    for (String piece : split.split("/", -1)) {
      int semi = piece.indexOf(';');
      String name = semi < 0 ? piece : piece.substring(0, semi);
      if (name.equals(".") || name.equals("..")) { // the segment itself is not one: it was split or has params
        throw bad("a dot segment behind an encoded slash or with parameters");
      }
    }
  }

  private static boolean isUnreserved(char c) {
    return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
        || c == '~';
  }

  private static BadMessageException bad(String reason) {
    return new BadMessageException(400, "bad request target: " + reason);
  }
}
