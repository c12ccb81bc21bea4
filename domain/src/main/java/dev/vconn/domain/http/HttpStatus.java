package dev.vconn.domain.http;

/** Reason phrases (RFC 9110 §15) for the statuses the proxy and its plugins answer with. */
public final class HttpStatus {
  private HttpStatus() {}

  /**
   * The reason phrase of a status.
   *
   * @param status a status code
   * @return its phrase; for a status not listed, {@code Client Error} (4xx), {@code Server Error} (5xx) or empty
   */
  public static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 201 -> "Created";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 417 -> "Expectation Failed";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      case 505 -> "HTTP Version Not Supported";
      default -> status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "";
    };
  }
}
