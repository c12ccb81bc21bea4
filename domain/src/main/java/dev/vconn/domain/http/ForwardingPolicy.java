package dev.vconn.domain.http;

import java.util.Locale;
import java.util.Objects;

/**
 * Which forwarding fields the proxy writes into a request it sends to an origin, and whether the origin sees the
 * client's {@code Host} (docs/http.md, "Forwarding"). Each of {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} and RFC 7239 {@code Forwarded} has a {@link Mode}.
 *
 * @param forwardedFor {@code X-Forwarded-For}: the client's address
 * @param forwardedProto {@code X-Forwarded-Proto}: {@code http} or {@code https}, as the client connected
 * @param forwardedHost {@code X-Forwarded-Host}: the host the client asked for
 * @param forwarded RFC 7239 {@code Forwarded}: one element {@code for=...;proto=...;host=...}
 * @param preserveHost true to send the client's {@code Host} to the origin; false (the default) to rewrite it to the
 *     origin's host as remap chose it
 */
public record ForwardingPolicy(Mode forwardedFor, Mode forwardedProto, Mode forwardedHost, Mode forwarded,
    boolean preserveHost) {

  /** What the proxy does with one forwarding field. */
  public enum Mode {
    /**
     * Keeps the client's fields of that name, joined into one line in the order received, and adds this hop at the
     * end: {@code X-Forwarded-For: <client's list>, <client address>}.
     */
    APPEND,
    /** Drops whatever the client sent in that field and sends only this hop's value. */
    REPLACE,
    /** The proxy neither adds nor removes the field: the client's lines pass as they came. */
    OFF;

    /**
     * The mode of a configuration value.
     *
     * @param value {@code append}, {@code replace} or {@code off}, any case
     * @return the mode
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Mode parse(String value) {
      Objects.requireNonNull(value, "value");
      return switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "append" -> APPEND;
        case "replace" -> REPLACE;
        case "off" -> OFF;
        default -> throw new IllegalArgumentException("a forwarding mode is append, replace or off, was '"
            + value + "'");
      };
    }
  }

  /** Checks the components. */
  public ForwardingPolicy {
    Objects.requireNonNull(forwardedFor, "forwardedFor");
    Objects.requireNonNull(forwardedProto, "forwardedProto");
    Objects.requireNonNull(forwardedHost, "forwardedHost");
    Objects.requireNonNull(forwarded, "forwarded");
  }

  /**
   * The default: append to {@code X-Forwarded-For}, set {@code X-Forwarded-Proto} (replace), no
   * {@code X-Forwarded-Host} or {@code Forwarded} added, {@code Host} rewritten to the origin.
   *
   * @return the default policy
   */
  public static ForwardingPolicy defaults() {
    return new ForwardingPolicy(Mode.APPEND, Mode.REPLACE, Mode.OFF, Mode.OFF, false);
  }

  /**
   * A policy that adds and removes nothing and rewrites {@code Host} to the origin: requests reach the origin as
   * they did before forwarding fields existed.
   *
   * @return the policy with every field off
   */
  public static ForwardingPolicy none() {
    return new ForwardingPolicy(Mode.OFF, Mode.OFF, Mode.OFF, Mode.OFF, false);
  }
}
