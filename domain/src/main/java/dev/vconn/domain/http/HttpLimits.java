package dev.vconn.domain.http;

/**
 * Size limits for parsing one HTTP message head.
 *
 * @param maxRequestLineBytes the longest request line (or response status line), without its line end, in bytes;
 *     a longer request line is rejected with 414
 * @param maxHeaderBytes the largest whole head in bytes: leading empty lines, start line, field lines and the
 *     terminating empty line, all with their line ends; a larger head is rejected with 431
 * @param maxHeaderCount the most header field lines; more are rejected with 431
 * @param maxInterimResponses the most interim (1xx) responses an origin may send before its final response to one
 *     request; one more, or interim heads larger than {@code maxHeaderBytes} together, is a 502
 */
public record HttpLimits(int maxRequestLineBytes, int maxHeaderBytes, int maxHeaderCount, int maxInterimResponses) {

  /** Default for {@link #maxRequestLineBytes()}. */
  public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = 8192;
  /** Default for {@link #maxHeaderBytes()}. */
  public static final int DEFAULT_MAX_HEADER_BYTES = 65536;
  /** Default for {@link #maxHeaderCount()}. */
  public static final int DEFAULT_MAX_HEADER_COUNT = 100;
  /**
   * Default for {@link #maxInterimResponses()}: a 100 Continue and a few 103 Early Hints fit; an origin that streams
   * interim responses without end does not make the proxy read them without end.
   */
  public static final int DEFAULT_MAX_INTERIM_RESPONSES = 10;

  private static final HttpLimits DEFAULTS = new HttpLimits(DEFAULT_MAX_REQUEST_LINE_BYTES, DEFAULT_MAX_HEADER_BYTES,
      DEFAULT_MAX_HEADER_COUNT, DEFAULT_MAX_INTERIM_RESPONSES);

  /**
   * Checks every limit.
   *
   * @throws IllegalArgumentException naming the field if a limit is not positive
   */
  public HttpLimits {
    requirePositive("maxRequestLineBytes", maxRequestLineBytes);
    requirePositive("maxHeaderBytes", maxHeaderBytes);
    requirePositive("maxHeaderCount", maxHeaderCount);
    requirePositive("maxInterimResponses", maxInterimResponses);
  }

  /**
   * Limits with the default {@link #maxInterimResponses()}.
   *
   * @param maxRequestLineBytes see {@link #maxRequestLineBytes()}
   * @param maxHeaderBytes see {@link #maxHeaderBytes()}
   * @param maxHeaderCount see {@link #maxHeaderCount()}
   * @throws IllegalArgumentException naming the field if a limit is not positive
   */
  public HttpLimits(int maxRequestLineBytes, int maxHeaderBytes, int maxHeaderCount) {
    this(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, DEFAULT_MAX_INTERIM_RESPONSES);
  }

  /**
   * The safe defaults: 8192-byte request line, 65536-byte head, 100 header fields, 10 interim responses.
   *
   * @return the default limits
   */
  public static HttpLimits defaults() {
    return DEFAULTS;
  }

  private static void requirePositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, was " + value);
    }
  }
}
