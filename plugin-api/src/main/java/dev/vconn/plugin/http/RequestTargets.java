package dev.vconn.plugin.http;

/** Splits HTTP request targets (origin form {@code /p?q} or absolute form {@code http://host/p?q}). */
public final class RequestTargets {
  private RequestTargets() {}

  /**
   * The path without the query.
   *
   * @param target the request target
   * @return the path, {@code /} if an absolute-form target has none
   */
  public static String path(String target) {
    String t = stripAuthority(target);
    int q = t.indexOf('?');
    return q < 0 ? t : t.substring(0, q);
  }

  /**
   * The query, without the {@code ?}.
   *
   * @param target the request target
   * @return the query, or null if there is none
   */
  public static String query(String target) {
    String t = stripAuthority(target);
    int q = t.indexOf('?');
    return q < 0 ? null : t.substring(q + 1);
  }

  private static String stripAuthority(String target) {
    int scheme = target.indexOf("://");
    if (scheme < 0 || target.startsWith("/")) {
      return target;
    }
    int slash = target.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : target.substring(slash);
  }
}
