package dev.vconn.domain.http;

import java.util.Locale;
import java.util.Objects;

/**
 * Whether a listener expects a PROXY protocol header before the client's first octet, and which versions
 * (docs/server.md, "PROXY protocol").
 */
public enum ProxyProtocolMode {
  /** No header: the connection's own remote address counts. */
  OFF,
  /**
   * A version 1 or 2 header is read if the connection starts with one, else the octets go on as the client's. Any
   * client can then claim any address: only for listeners that trusted balancers and nobody else reach while moving
   * to the header. Plain-text listeners only.
   */
  OPTIONAL,
  /** A version 1 line is required. */
  V1,
  /** A version 2 header is required. */
  V2,
  /** A version 1 or 2 header is required. */
  ANY;

  /**
   * Whether a connection without a valid header is closed.
   *
   * @return true for {@link #V1}, {@link #V2} and {@link #ANY}
   */
  public boolean required() {
    return this == V1 || this == V2 || this == ANY;
  }

  /**
   * The mode of a configuration value.
   *
   * @param value {@code off}, {@code optional}, {@code v1}, {@code v2} or {@code any}, any case
   * @return the mode
   * @throws IllegalArgumentException naming the accepted values
   */
  public static ProxyProtocolMode parse(String value) {
    Objects.requireNonNull(value, "value");
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "off" -> OFF;
      case "optional" -> OPTIONAL;
      case "v1" -> V1;
      case "v2" -> V2;
      case "any" -> ANY;
      default -> throw new IllegalArgumentException("a PROXY protocol mode is off, optional, v1, v2 or any, was '"
          + value + "'");
    };
  }
}
