package dev.vconn.domain.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An ordered multimap of header fields with case-insensitive names. Each field keeps its name as received (or as
 * added), which is what {@link #writeTo(StringBuilder)} writes; lookups ignore ASCII case.
 *
 * <p>Mutable and not thread-safe. {@link #add} and {@link #set} refuse names that are not tokens and values that
 * hold CR, LF or other control characters, so a header can never inject lines into the output.
 *
 * <p>A map made by {@link HttpHeadParser} keeps the received field lines as bytes: names are matched and the framing
 * fields read on them, and a name or value becomes a {@code String} only when asked for. What a caller sees is the
 * same either way: an edited field is a new field, and a head is always written from the fields as they are now.
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

  // Storage. Entry i is either a Field (fields[i] != null) or a field line of the head this map was parsed from,
  // left as bytes: its name is source[spans[4i], spans[4i+1]) and its value source[spans[4i+2], spans[4i+3]). Names
  // are matched and framing fields read on the bytes, a name or value becomes a String only when a caller asks for it
  // (then cached in fields[i]), and a forwarded copy shares the bytes, which the head writes out with a copy. The
  // source array is never written after the parse, and an edit replaces or drops whole entries, so no entry can show
  // bytes older than the edit.
  private static final Field[] NO_FIELDS = new Field[0];
  private Field[] fields = NO_FIELDS;
  private int[] spans; // null until an entry comes from bytes
  private byte[] source;
  private int size;
  private int modCount;

  /** Creates an empty header map. */
  public HttpHeaders() {}

  /** An empty map with room for {@code capacity} fields before it grows. */
  HttpHeaders(int capacity) {
    fields = capacity > 0 ? new Field[capacity] : NO_FIELDS;
  }

  /** An empty map whose field lines will be read from {@code source} ({@link #addLine}), which nobody writes again. */
  HttpHeaders(byte[] source) {
    this(source, 0);
  }

  /** As {@link #HttpHeaders(byte[])}, with room for {@code lines} field lines before it grows. */
  HttpHeaders(byte[] source, int lines) {
    this(lines);
    this.source = Objects.requireNonNull(source, "source");
    if (lines > 0) {
      spans = new int[4 * lines];
    }
  }

  /**
   * Copies another header map.
   *
   * @param other the fields to copy, in order
   * @return a new, independent map
   */
  public static HttpHeaders copyOf(HttpHeaders other) {
    HttpHeaders h = new HttpHeaders();
    h.fields = Arrays.copyOf(other.fields, Math.max(other.size, 4));
    h.spans = other.spans == null ? null : Arrays.copyOf(other.spans, 4 * h.fields.length);
    h.source = other.source;
    h.size = other.size;
    return h;
  }

  /**
   * The first value of the named field.
   *
   * @param name the field name, any case
   * @return the first value, or null if there is no such field
   */
  public String get(String name) {
    for (int i = 0; i < size; i++) {
      if (nameIs(i, name)) {
        return field(i).value();
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
    for (int i = 0; i < size; i++) {
      if (nameIs(i, name)) {
        if (out == null) {
          out = new ArrayList<>(2);
        }
        out.add(field(i).value());
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
    for (int i = 0; i < size; i++) {
      if (nameIs(i, name)) {
        return true;
      }
    }
    return false;
  }

  /** How many field lines have that name (any case), read without making a String. */
  int count(String name) {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (nameIs(i, name)) {
        n++;
      }
    }
    return n;
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
    append(new Field(name, trimOws(Objects.requireNonNull(value, "value"))));
    return this;
  }

  /** Appends {@code field} itself after all others (a field is immutable and was checked when it was made). */
  void addField(Field field) {
    append(Objects.requireNonNull(field, "field"));
  }

  /**
   * Appends the field line of the source bytes with its name at {@code [nameStart, nameEnd)} and its value, already
   * checked and without surrounding whitespace, at {@code [valueStart, valueEnd)}.
   */
  void addLine(int nameStart, int nameEnd, int valueStart, int valueEnd) {
    if (source == null) {
      throw new IllegalStateException("a field line needs the map's source bytes");
    }
    grow();
    if (spans == null) {
      spans = new int[4 * fields.length];
    }
    int at = 4 * size;
    spans[at] = nameStart;
    spans[at + 1] = nameEnd;
    spans[at + 2] = valueStart;
    spans[at + 3] = valueEnd;
    fields[size++] = null;
    modCount++;
  }

  /** Keeps only the first {@code length} bytes of the source, where every line of this map lies. */
  void keepSourcePrefix(int length) {
    source = Arrays.copyOf(source, length);
  }

  /** How many bytes this map keeps for its received field lines (the parse's copy of the head); 0 for none. */
  int sourceBytes() {
    return source == null ? 0 : source.length;
  }

  /** Whether the field lines of this map may point into {@code buf}. */
  boolean readsFrom(byte[] buf) {
    return source == buf;
  }

  /** Appends entry {@code i} of {@code from}, sharing its bytes when both read the same source. */
  void addFrom(HttpHeaders from, int i) {
    Field f = from.fields[i];
    if (f != null || from.source != source && hasLine()) { // one source per map: a line of another becomes a Field
      append(f != null ? f : from.field(i));
      return;
    }
    source = from.source;
    addLine(from.spans[4 * i], from.spans[4 * i + 1], from.spans[4 * i + 2], from.spans[4 * i + 3]);
  }

  private boolean hasLine() {
    for (int i = 0; i < size; i++) {
      if (fields[i] == null) {
        return true;
      }
    }
    return false;
  }

  private void append(Field field) {
    grow();
    fields[size++] = field;
    modCount++;
  }

  private void grow() {
    if (size == fields.length) {
      fields = Arrays.copyOf(fields, Math.max(8, 2 * size));
      if (spans != null) {
        spans = Arrays.copyOf(spans, 4 * fields.length);
      }
    }
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
    for (int i = 0; i < size; i++) {
      if (nameIs(i, name)) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      append(field);
      return this;
    }
    fields[at] = field;
    modCount++;
    removeFrom(at + 1, name);
    return this;
  }

  /**
   * Removes every field of that name.
   *
   * @param name the field name, any case
   * @return how many fields were removed
   */
  public int remove(String name) {
    return removeFrom(0, name);
  }

  /** Removes every field of that name from entry {@code from} on, keeping the order of the others. */
  private int removeFrom(int from, String name) {
    int kept = from;
    for (int i = from; i < size; i++) {
      if (nameIs(i, name)) {
        continue;
      }
      if (kept != i) {
        fields[kept] = fields[i];
        if (spans != null) {
          System.arraycopy(spans, 4 * i, spans, 4 * kept, 4);
        }
      }
      kept++;
    }
    int removed = size - kept;
    if (removed > 0) {
      Arrays.fill(fields, kept, size, null);
      size = kept;
      modCount++;
    }
    return removed;
  }

  /**
   * The number of field lines (a name added twice counts twice).
   *
   * @return the number of fields
   */
  public int size() {
    return size;
  }

  /**
   * Tells whether there are no fields.
   *
   * @return true if {@link #size()} is 0
   */
  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * Iterates the fields in order. The iterator does not support removal, and fails with {@link
   * ConcurrentModificationException} if the map is changed while it runs.
   *
   * @return an iterator over the fields
   */
  @Override
  public Iterator<Field> iterator() {
    return new Iterator<>() {
      private final int expected = modCount;
      private int next;

      @Override
      public boolean hasNext() {
        return next < size;
      }

      @Override
      public Field next() {
        if (modCount != expected) {
          throw new ConcurrentModificationException();
        }
        if (next >= size) {
          throw new NoSuchElementException();
        }
        return field(next++);
      }
    };
  }

  /**
   * The fields in order.
   *
   * @return an unmodifiable snapshot
   */
  public List<Field> fields() {
    Field[] out = new Field[size];
    for (int i = 0; i < size; i++) {
      out[i] = field(i);
    }
    return List.of(out);
  }

  // ---------------------------------------------------------------------------- entries, read without Strings

  /**
   * Entry {@code i} as a Field, made from its bytes on first use and kept. Reading a map from several threads at
   * once stays safe: a Field is immutable, so two threads that both make one store equal objects.
   */
  Field field(int i) {
    Field f = fields[i];
    if (f == null) {
      int at = 4 * i;
      String name = HttpHeadParser.knownName(source, spans[at], spans[at + 1]);
      f = new Field(name, new String(source, spans[at + 2], spans[at + 3] - spans[at + 2],
          StandardCharsets.ISO_8859_1));
      fields[i] = f;
    }
    return f;
  }

  /** The name of entry {@code i}. */
  String nameAt(int i) {
    Field f = fields[i];
    return f != null ? f.name() : HttpHeadParser.knownName(source, spans[4 * i], spans[4 * i + 1]);
  }

  private int nameLength(int i) {
    Field f = fields[i];
    return f != null ? f.name().length() : spans[4 * i + 1] - spans[4 * i];
  }

  private char nameChar(int i, int k) {
    Field f = fields[i];
    return f != null ? f.name().charAt(k) : (char) (source[spans[4 * i] + k] & 0xff);
  }

  private int valueLength(int i) {
    Field f = fields[i];
    return f != null ? f.value().length() : spans[4 * i + 3] - spans[4 * i + 2];
  }

  private char valueChar(int i, int k) {
    Field f = fields[i];
    return f != null ? f.value().charAt(k) : (char) (source[spans[4 * i + 2] + k] & 0xff);
  }

  /** The first index in {@code [from, to)} of entry {@code i}'s value holding {@code c}, or {@code to}. */
  private int indexIn(int i, char c, int from, int to) {
    while (from < to && valueChar(i, from) != c) {
      from++;
    }
    return from;
  }

  /** The first index in {@code [from, to)} of entry {@code i}'s value that is not whitespace, or {@code to}. */
  private int skipOws(int i, int from, int to) {
    while (from < to && HttpSyntax.isOws(valueChar(i, from))) {
      from++;
    }
    return from;
  }

  /** {@code to} moved back over the whitespace that ends entry {@code i}'s value range {@code [from, to)}. */
  private int trimOws(int i, int from, int to) {
    while (to > from && HttpSyntax.isOws(valueChar(i, to - 1))) {
      to--;
    }
    return to;
  }

  /** Whether entry {@code i} has that name, compared as {@link String#equalsIgnoreCase} would. */
  boolean nameIs(int i, String name) {
    Field f = fields[i];
    if (f != null) {
      return f.name().equalsIgnoreCase(name);
    }
    int from = spans[4 * i];
    int length = spans[4 * i + 1] - from;
    if (name == null || length != name.length()) { // null matches no name, as equalsIgnoreCase answers
      return false;
    }
    for (int k = 0; k < length; k++) {
      if (!sameIgnoringCase((char) (source[from + k] & 0xff), name.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  /** Whether entry {@code i}'s name is one of {@code lowerNames} (lower-case tokens), ignoring case. */
  boolean nameIsOneOf(int i, String[] lowerNames) {
    int length = nameLength(i);
    for (String n : lowerNames) {
      if (n.length() == length && nameIs(i, n)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Two characters equal as {@link String#equalsIgnoreCase} compares them; ASCII letters without a table lookup.
   * Names are tokens and values ISO-8859-1, where no character outside ASCII folds to an ASCII one.
   */
  private static boolean sameIgnoringCase(char a, char b) {
    if (a == b) {
      return true;
    }
    if (a < 128 && b < 128) {
      int la = a | 0x20;
      return la == (b | 0x20) && la >= 'a' && la <= 'z';
    }
    char ua = Character.toUpperCase(a);
    char ub = Character.toUpperCase(b);
    return ua == ub || Character.toLowerCase(ua) == Character.toLowerCase(ub);
  }

  /**
   * Whether the name of entry {@code i} is one of the options of the Connection fields (comma-separated, parameters
   * after {@code ;} and surrounding whitespace dropped, ASCII case ignored), read from the values in place.
   */
  boolean isNamedInConnection(int i) {
    for (int c = 0; c < size; c++) {
      if (nameIs(c, CONNECTION) && optionIn(c, null, i)) {
        return true;
      }
    }
    return false;
  }

  /** How many options the Connection fields hold, empty list elements not counted; read in place. */
  int connectionOptionCount() {
    int count = 0;
    for (int c = 0; c < size; c++) {
      if (!nameIs(c, CONNECTION)) {
        continue;
      }
      int n = valueLength(c);
      boolean content = false;
      boolean inParameters = false;
      for (int k = 0; k <= n; k++) {
        char ch = k < n ? valueChar(c, k) : ',';
        if (ch == ',') {
          count += content ? 1 : 0;
          content = false;
          inParameters = false;
        } else if (ch == ';') {
          inParameters = true;
        } else if (!inParameters && !HttpSyntax.isOws(ch)) {
          content = true;
        }
      }
    }
    return count;
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
    for (int i = 0; i < size; i++) {
      if (!nameIs(i, CONTENT_LENGTH)) {
        continue;
      }
      // Read in place, element by element: the value's bytes, no String and no split.
      int n = valueLength(i);
      int start = 0;
      while (start <= n) {
        int end = indexIn(i, ',', start, n);
        long v = parseLength(i, start, end);
        if (length >= 0 && v != length) {
          throw new IllegalStateException("conflicting Content-Length values " + length + " and " + v);
        }
        length = v;
        start = end + 1;
      }
    }
    return length < 0 ? OptionalLong.empty() : OptionalLong.of(length);
  }

  /** The number in entry {@code i}'s value at {@code [from, to)}, surrounding whitespace ignored. */
  private long parseLength(int i, int from, int to) {
    from = skipOws(i, from, to);
    to = trimOws(i, from, to);
    if (from == to) {
      throw new IllegalStateException("empty Content-Length value");
    }
    long v = 0;
    for (int k = from; k < to; k++) {
      char c = valueChar(i, k);
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
    // The last non-empty element of the last Transfer-Encoding field that has one, read in place: nothing allocated.
    int lastEntry = -1;
    int lastFrom = 0;
    int lastTo = 0;
    for (int i = 0; i < size; i++) {
      if (!nameIs(i, TRANSFER_ENCODING)) {
        continue;
      }
      int n = valueLength(i);
      int start = 0;
      while (start <= n) {
        int end = indexIn(i, ',', start, n);
        int from = skipOws(i, start, end);
        int to = trimOws(i, from, end);
        if (to > from) {
          lastEntry = i;
          lastFrom = from;
          lastTo = to;
        }
        start = end + 1;
      }
    }
    if (lastEntry < 0 || lastTo - lastFrom != CHUNKED.length()) {
      return false;
    }
    for (int k = 0; k < CHUNKED.length(); k++) {
      if (!sameIgnoringCase(valueChar(lastEntry, lastFrom + k), CHUNKED.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  private static final String CHUNKED = "chunked";

  /**
   * The connection options of all Connection fields (such as {@code close} or {@code keep-alive}), lower-cased,
   * without duplicates, in order of first appearance.
   *
   * @return an unmodifiable set, empty if there is no Connection field
   */
  public Set<String> connectionTokens() {
    if (!contains(CONNECTION)) {
      return Set.of(); // the common case, asked several times per transaction: nothing to allocate
    }
    if (connectionOptionCount() == 1) { // one option, most often close or keep-alive: read in place
      for (Set<String> common : COMMON_CONNECTION_OPTIONS) {
        String option = common.iterator().next();
        if (connectionOptionIs(option)) {
          return common;
        }
      }
    }
    List<String> tokens = tokens(CONNECTION, true);
    if (tokens.size() == 1) {
      return Set.of(tokens.get(0)); // one option (keep-alive, close), the usual case: no ordered set needed
    }
    return Collections.unmodifiableSet(new LinkedHashSet<>(tokens));
  }

  private static final List<Set<String>> COMMON_CONNECTION_OPTIONS = List.of(Set.of("keep-alive"), Set.of("close"),
      Set.of("upgrade"));

  /**
   * Whether {@code lower}, a lower-case token, is one of the options of the Connection fields, compared as the
   * lower-cased options of {@link #connectionTokens()} are. Nothing is allocated.
   *
   * @param lower the option, lower case
   */
  boolean connectionOptionIs(String lower) {
    for (int c = 0; c < size; c++) {
      if (nameIs(c, CONNECTION) && optionIn(c, lower, -1)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the Connection field at entry {@code c} names an option equal, ignoring case, to {@code lower} (when
   * {@code nameEntry} is negative) or to the name of entry {@code nameEntry}: comma-separated elements, parameters
   * after {@code ;} and surrounding whitespace dropped.
   */
  private boolean optionIn(int c, String lower, int nameEntry) {
    int length = nameEntry < 0 ? lower.length() : nameLength(nameEntry);
    int n = valueLength(c);
    int start = 0;
    while (start <= n) {
      int end = indexIn(c, ',', start, n);
      int tokenEnd = indexIn(c, ';', start, end);
      int from = skipOws(c, start, tokenEnd);
      tokenEnd = trimOws(c, from, tokenEnd);
      if (tokenEnd - from == length && regionMatches(c, from, lower, nameEntry)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  private boolean regionMatches(int valueEntry, int from, String lower, int nameEntry) {
    for (int k = 0, n = nameEntry < 0 ? lower.length() : nameLength(nameEntry); k < n; k++) {
      char expected = nameEntry < 0 ? lower.charAt(k) : nameChar(nameEntry, k);
      if (!sameIgnoringCase(valueChar(valueEntry, from + k), expected)) {
        return false;
      }
    }
    return true;
  }

  private List<String> tokens(String name, boolean stripParameters) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      if (!nameIs(i, name)) {
        continue;
      }
      for (String element : field(i).value().split(",", -1)) {
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
    for (int i = 0; i < size; i++) {
      Field f = field(i);
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
    for (int i = 0; i < size; i++) {
      length += nameLength(i) + valueLength(i) + 4;
    }
    byte[] dst = new byte[length];
    int at = startLineLength;
    dst[at++] = '\r';
    dst[at++] = '\n';
    for (int i = 0; i < size; i++) {
      Field f = fields[i];
      if (f != null) {
        at = latin1(f.name(), dst, at);
      } else { // a received line: its name and value bytes as they came, with ": " between them
        at = copy(spans[4 * i], spans[4 * i + 1], dst, at);
      }
      dst[at++] = ':';
      dst[at++] = ' ';
      if (f != null) {
        at = latin1(f.value(), dst, at);
      } else {
        at = copy(spans[4 * i + 2], spans[4 * i + 3], dst, at);
      }
      dst[at++] = '\r';
      dst[at++] = '\n';
    }
    dst[at++] = '\r';
    dst[at] = '\n';
    return dst;
  }

  private int copy(int from, int to, byte[] dst, int at) {
    System.arraycopy(source, from, dst, at, to - from);
    return at + to - from;
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
    return o instanceof HttpHeaders h && fields().equals(h.fields());
  }

  /**
   * A hash consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return fields().hashCode();
  }

  /**
   * The fields for debugging.
   *
   * @return a readable form
   */
  @Override
  public String toString() {
    return "HttpHeaders" + fields();
  }
}
