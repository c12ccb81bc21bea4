package dev.vconn.domain.http;

/** Character classes of RFC 9110 / 9112, over ISO-8859-1 chars (0..255). Package-private helpers. */
final class HttpSyntax {

  private HttpSyntax() {}

  /** The US-ASCII characters that are {@code tchar}, by code: every field name's every byte is looked up here. */
  private static final boolean[] TCHAR = new boolean[128];

  static {
    for (int c = 0; c < 128; c++) {
      TCHAR[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
  }

  /** {@code tchar}: the characters of a token (method, field name, coding). */
  static boolean isTchar(int c) {
    return c >= 0 && c < 128 && TCHAR[c];
  }

  /** Whether {@code s} is a non-empty token. */
  static boolean isToken(CharSequence s) {
    if (s.length() == 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!isTchar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** A character allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
  static boolean isFieldValueChar(int c) {
    return c == '\t' || c >= 0x20 && c != 0x7f && c <= 0xff;
  }

  /** Whether every char of {@code s} is {@link #isFieldValueChar}. */
  static boolean isFieldValue(CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      if (!isFieldValueChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** A visible US-ASCII character (no space, no control, no obs-text): what a request target may hold. */
  static boolean isVchar(int c) {
    return c > 0x20 && c < 0x7f;
  }

  static boolean isOws(int c) {
    return c == ' ' || c == '\t';
  }
}
