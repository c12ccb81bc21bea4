package dev.vconn.domain.http;

/** Bad framing found while streaming a body; the transaction ends with {@link #status()} or an abort. */
final class BadMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  BadMessageException(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
