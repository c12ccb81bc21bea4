package dev.vconn.domain.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An ordered multimap of header fields with case-insensitive names. Each field keeps its name as received (or as
 * added), which is what {@link #writeTo(StringBuilder)} writes; lookups ignore ASCII case.
 *
 * <p>Mutable and not thread-safe. {@link #add} and {@link #set} refuse names that are not tokens and values that
 * hold CR, LF or other control characters, so a header can never inject lines into the output.
 */
public final class HttpHeaders implements Iterable<HttpHeaders.Field> {

  /** Name of the Content-Length field. */
  public static final String CONTENT_LENGTH = "Content-Length";
  /** Name of the Transfer-Encoding field. */
  public static final String TRANSFER_ENCODING = "Transfer-Encoding";
  /** Name of the Connection field. */
  public static final String CONNECTION = "Connection";
  /** Name of the Host field. */
  public static final String HOST = "Host";

  /**
   * One header field line.
   *
   * @param name the field name, a token, as received
   * @param value the field value without leading or trailing whitespace
   */
  public record Field(String name, String value) {

    /**
     * Checks the name and value.
     *
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if the name is not a token or the value holds a control character
     */
    public Field {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (!HttpSyntax.isToken(name)) {
        throw new IllegalArgumentException("header name is not a token: " + name);
      }
      if (!HttpSyntax.isFieldValue(value)) {
        throw new IllegalArgumentException("header value of " + name + " holds a control character");
      }
    }

    /**
     * Tells whether this field has the given name, ignoring ASCII case.
     *
     * @param other a field name
     * @return true if the names match
     */
    public boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  private final List<Field> fields = new ArrayList<>();

  /** Creates an empty header map. */
  public HttpHeaders() {}

  /**
   * Copies another header map.
   *
   * @param other the fields to copy, in order
   * @return a new, independent map
   */
  public static HttpHeaders copyOf(HttpHeaders other) {
    HttpHeaders h = new HttpHeaders();
    h.fields.addAll(other.fields);
    return h;
  }

  /**
   * The first value of the named field.
   *
   * @param name the field name, any case
   * @return the first value, or null if there is no such field
   */
  public String get(String name) {
    for (int i = 0, n = fields.size(); i < n; i++) { // indexed: lookups run many times per transaction
      Field f = fields.get(i);
      if (f.is(name)) {
        return f.value();
      }
    }
    return null;
  }

  /**
   * Every value of the named field, in order.
   *
   * @param name the field name, any case
   * @return an unmodifiable list, empty if there is no such field
   */
  public List<String> getAll(String name) {
    List<String> out = null;
    for (int i = 0, n = fields.size(); i < n; i++) {
      Field f = fields.get(i);
      if (f.is(name)) {
        if (out == null) {
          out = new ArrayList<>(2);
        }
        out.add(f.value());
      }
    }
    return out == null ? List.of() : Collections.unmodifiableList(out); // absent, the common case: nothing allocated
  }

  /**
   * Tells whether the named field is present.
   *
   * @param name the field name, any case
   * @return true if at least one field has that name
   */
  public boolean contains(String name) {
    return get(name) != null;
  }

  /**
   * Appends a field after all others, keeping any with the same name.
   *
   * @param name the field name, a token
   * @param value the value; leading and trailing spaces and tabs are removed
   * @return this map
   * @throws IllegalArgumentException if the name is not a token or the value holds a control character
   */
  public HttpHeaders add(String name, String value) {
    fields.add(new Field(name, trimOws(Objects.requireNonNull(value, "value"))));
    return this;
  }

  /** Appends {@code field} itself after all others (a field is immutable and was checked when it was made). */
  void addField(Field field) {
    fields.add(Objects.requireNonNull(field, "field"));
  }

  /**
   * Replaces every field of that name by one field: it takes the place of the first one, or goes last if there was
   * none.
   *
   * @param name the field name, a token
   * @param value the value; leading and trailing spaces and tabs are removed
   * @return this map
   * @throws IllegalArgumentException if the name is not a token or the value holds a control character
   */
  public HttpHeaders set(String name, String value) {
    Field field = new Field(name, trimOws(Objects.requireNonNull(value, "value")));
    int at = -1;
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).is(name)) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      fields.add(field);
      return this;
    }
    fields.set(at, field);
    for (int i = fields.size() - 1; i > at; i--) {
      if (fields.get(i).is(name)) {
        fields.remove(i);
      }
    }
    return this;
  }

  /**
   * Removes every field of that name.
   *
   * @param name the field name, any case
   * @return how many fields were removed
   */
  public int remove(String name) {
    int before = fields.size();
    fields.removeIf(f -> f.is(name));
    return before - fields.size();
  }

  /**
   * The number of field lines (a name added twice counts twice).
   *
   * @return the number of fields
   */
  public int size() {
    return fields.size();
  }

  /**
   * Tells whether there are no fields.
   *
   * @return true if {@link #size()} is 0
   */
  public boolean isEmpty() {
    return fields.isEmpty();
  }

  /**
   * Iterates the fields in order. The iterator does not support removal.
   *
   * @return an iterator over the fields
   */
  @Override
  public Iterator<Field> iterator() {
    return Collections.unmodifiableList(fields).iterator();
  }

  /**
   * The fields in order.
   *
   * @return an unmodifiable snapshot
   */
  public List<Field> fields() {
    return List.copyOf(fields);
  }

  /**
   * The message body length announced by Content-Length (RFC 9110 §8.6, RFC 9112 §6.3). Every Content-Length field
   * and every comma-separated element of them must be one or more ASCII digits that fit a {@code long}; several
   * fields or elements are allowed only if they all give the same number.
   *
   * @return the length, or empty if there is no Content-Length field
   * @throws IllegalStateException if a value is empty, is not all digits (such as a negative number), overflows, or
   *     if the values conflict; the message says which
   */
  public OptionalLong contentLength() {
    long length = -1;
    for (int i = 0, n = fields.size(); i < n; i++) {
      Field f = fields.get(i);
      if (!f.is(CONTENT_LENGTH)) {
        continue;
      }
      if (f.value().indexOf(',') < 0) { // one element, the common case: no split
        long v = parseLength(trimOws(f.value()));
        if (length >= 0 && v != length) {
          throw new IllegalStateException("conflicting Content-Length values " + length + " and " + v);
        }
        length = v;
        continue;
      }
      for (String element : f.value().split(",", -1)) {
        long v = parseLength(trimOws(element));
        if (length >= 0 && v != length) {
          throw new IllegalStateException("conflicting Content-Length values " + length + " and " + v);
        }
        length = v;
      }
    }
    return length < 0 ? OptionalLong.empty() : OptionalLong.of(length);
  }

  private static long parseLength(String s) {
    if (s.isEmpty()) {
      throw new IllegalStateException("empty Content-Length value");
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalStateException("invalid Content-Length value");
      }
      if (v > (Long.MAX_VALUE - (c - '0')) / 10) {
        throw new IllegalStateException("Content-Length value overflows");
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * The transfer codings of all Transfer-Encoding fields, in order, lower-cased, with empty list elements dropped.
   *
   * @return the codings; empty if there is no Transfer-Encoding field
   */
  public List<String> transferCodings() {
    return List.copyOf(tokens(TRANSFER_ENCODING, false));
  }

  /**
   * Tells whether the body is chunked: a Transfer-Encoding field is present and its final coding is
   * {@code chunked} (case-insensitive).
   *
   * @return true if the final transfer coding is chunked
   */
  public boolean isChunked() {
    if (get(TRANSFER_ENCODING) == null) {
      return false; // the common case, asked several times per transaction: nothing to allocate
    }
    List<String> codings = tokens(TRANSFER_ENCODING, false);
    return !codings.isEmpty() && codings.get(codings.size() - 1).equals("chunked");
  }

  /**
   * The connection options of all Connection fields (such as {@code close} or {@code keep-alive}), lower-cased,
   * without duplicates, in order of first appearance.
   *
   * @return an unmodifiable set, empty if there is no Connection field
   */
  public Set<String> connectionTokens() {
    if (get(CONNECTION) == null) {
      return Set.of(); // the common case, asked several times per transaction: nothing to allocate
    }
    return Collections.unmodifiableSet(new LinkedHashSet<>(tokens(CONNECTION, true)));
  }

  private List<String> tokens(String name, boolean stripParameters) {
    List<String> out = new ArrayList<>();
    for (int i = 0, n = fields.size(); i < n; i++) {
      Field f = fields.get(i);
      if (!f.is(name)) {
        continue;
      }
      for (String element : f.value().split(",", -1)) {
        String t = trimOws(element);
        if (stripParameters) {
          int semi = t.indexOf(';');
          if (semi >= 0) {
            t = trimOws(t.substring(0, semi));
          }
        }
        if (!t.isEmpty()) {
          out.add(t.toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }

  /**
   * Appends every field as {@code name: value} followed by CRLF, without the final empty line.
   *
   * @param out where to write
   * @return {@code out}
   */
  public StringBuilder writeTo(StringBuilder out) {
    for (int i = 0, n = fields.size(); i < n; i++) {
      Field f = fields.get(i);
      out.append(f.name()).append(": ").append(f.value()).append("\r\n");
    }
    return out;
  }

  /**
   * A message head's wire form with room for its start line: {@code startLineLength} bytes left for the caller to
   * fill, then CRLF, every field as {@code name: value} and CRLF (ISO-8859-1, the bytes {@link
   * #writeTo(StringBuilder)} encodes to), and the final empty line. Sized once and filled in place: a head is written
   * per message, so no builder and no intermediate string.
   *
   * @param startLineLength the length of the start line, without its CRLF
   * @return the head's bytes, the start line still zero
   */
  byte[] headBytes(int startLineLength) {
    int length = startLineLength + 2 + 2;
    for (Field f : fields) {
      length += f.name().length() + f.value().length() + 4;
    }
    byte[] dst = new byte[length];
    int at = startLineLength;
    dst[at++] = '\r';
    dst[at++] = '\n';
    for (Field f : fields) {
      at = latin1(f.name(), dst, at);
      dst[at++] = ':';
      dst[at++] = ' ';
      at = latin1(f.value(), dst, at);
      dst[at++] = '\r';
      dst[at++] = '\n';
    }
    dst[at++] = '\r';
    dst[at] = '\n';
    return dst;
  }

  /**
   * Copies {@code s} into {@code dst} from {@code at} as ISO-8859-1: what {@code String.getBytes} makes of it, so a
   * character beyond that charset becomes {@code '?'}.
   *
   * @return the index after the last byte written
   */
  static int latin1(String s, byte[] dst, int at) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      dst[at++] = c <= 0xFF ? (byte) c : (byte) '?';
    }
    return at;
  }

  static String trimOws(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && HttpSyntax.isOws(s.charAt(from))) {
      from++;
    }
    while (to > from && HttpSyntax.isOws(s.charAt(to - 1))) {
      to--;
    }
    return s.substring(from, to);
  }

  /**
   * Two header maps are equal if they hold the same names (exact case) and values in the same order.
   *
   * @param o another object
   * @return true if equal
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof HttpHeaders h && fields.equals(h.fields);
  }

  /**
   * A hash consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return fields.hashCode();
  }

  /**
   * The fields for debugging.
   *
   * @return a readable form
   */
  @Override
  public String toString() {
    return "HttpHeaders" + fields;
  }
}
