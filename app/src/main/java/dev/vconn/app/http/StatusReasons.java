package dev.vconn.app.http;

/** Reason phrases for the statuses plugins answer with. */
public final class StatusReasons {
  private StatusReasons() {}

  /**
   * The reason phrase of a status.
   *
   * @param status an HTTP status
   * @return its RFC 9110 reason phrase, or an empty string for one this table does not know
   */
  public static String of(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "";
    };
  }
}
