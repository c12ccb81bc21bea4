package dev.vconn.domain.http2.hpack;

import java.util.Objects;

/**
 * One header field of an HTTP/2 header list. Name and value are octet strings (each char is one octet, ISO-8859-1).
 *
 * @param name the field name (lower case in HTTP/2; pseudo-header names start with {@code ':'})
 * @param value the field value
 * @param sensitive whether the field must never be put into a compression table, here or by any intermediary
 *     (RFC 7541, section 6.2.3): set by the decoder for never-indexed literals; honoured by the encoder
 */
public record HeaderField(String name, String value, boolean sensitive) {

  /** Per-entry overhead counted in table and header list sizes (RFC 7541, section 4.1). */
  static final int ENTRY_OVERHEAD = 32;

  /**
   * Checks the components.
   *
   * @throws NullPointerException if name or value is null
   * @throws IllegalArgumentException if name or value has a char above 0xFF (not an octet)
   */
  public HeaderField {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    requireOctets(name, "name");
    requireOctets(value, "value");
  }

  /**
   * A field that may be indexed.
   *
   * @param name the field name
   * @param value the field value
   */
  public HeaderField(String name, String value) {
    this(name, value, false);
  }

  /**
   * The field's size as RFC 7541 section 4.1 counts it: octets of name and value plus 32.
   *
   * @return the size in octets
   */
  public int size() {
    return name.length() + value.length() + ENTRY_OVERHEAD;
  }

  private static void requireOctets(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xFF) {
        throw new IllegalArgumentException("header " + what + " must be octets (chars 0-255), got U+"
            + Integer.toHexString(s.charAt(i)) + " at " + i);
      }
    }
  }
}
