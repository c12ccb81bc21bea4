package dev.vconn.domain.http;

import java.util.Optional;

/** The HTTP versions this server speaks. */
public enum HttpVersion {
  /** HTTP/1.0. */
  HTTP_1_0("HTTP/1.0"),
  /** HTTP/1.1. */
  HTTP_1_1("HTTP/1.1");

  private final String text;

  HttpVersion(String text) {
    this.text = text;
  }

  /**
   * The version as written on the wire.
   *
   * @return {@code "HTTP/1.0"} or {@code "HTTP/1.1"}
   */
  public String text() {
    return text;
  }

  /**
   * Finds the version written exactly (case-sensitively, as RFC 9112 requires) as {@code text}.
   *
   * @param text the protocol version as received
   * @return the version, or empty if {@code text} is not {@code HTTP/1.0} or {@code HTTP/1.1}
   */
  public static Optional<HttpVersion> fromText(String text) {
    for (HttpVersion v : values()) {
      if (v.text.equals(text)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns {@link #text()}.
   *
   * @return the wire form
   */
  @Override
  public String toString() {
    return text;
  }
}
