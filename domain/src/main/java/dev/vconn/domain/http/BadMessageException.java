package dev.vconn.domain.http;

/**
 * Bad framing found while decoding a message body ({@link BodyDecoder}), with the status a server or proxy answers
 * it with. Cheap to throw: it records no stack trace (it reports bad input, not a program error).
 */
public final class BadMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  /**
   * Creates the exception.
   *
   * @param status the status to answer with (400 for a bad request, 502 for a bad response)
   * @param reason what was wrong (never echoes the input)
   */
  public BadMessageException(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  /**
   * The status to answer with.
   *
   * @return 400 or 502
   */
  public int status() {
    return status;
  }
}
