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

  // Name codes: the names the parser, the framing checks and the proxy header rules look for, one small int each, so
  // that a lookup or a hop-by-hop test compares two ints instead of the characters. A code stands for a name exactly
  // as String.equalsIgnoreCase would match it; every other name has code 0 and is compared character by character.
  static final int NAME_OTHER = 0;
  // The hop-by-hop fields (ProxyHeaderRules.HOP_BY_HOP) are 1 to 9: isHopByHopCode tests the range.
  static final int NAME_CONNECTION = 1;
  static final int NAME_KEEP_ALIVE = 2;
  static final int NAME_PROXY_CONNECTION = 3;
  static final int NAME_TE = 4;
  static final int NAME_TRAILER = 5;
  static final int NAME_TRANSFER_ENCODING = 6;
  static final int NAME_UPGRADE = 7;
  static final int NAME_PROXY_AUTHENTICATE = 8;
  static final int NAME_PROXY_AUTHORIZATION = 9;
  static final int NAME_CONTENT_LENGTH = 10;
  static final int NAME_HOST = 11;
  static final int NAME_VIA = 12;
  static final int NAME_EXPECT = 13;
  static final int NAME_X_FORWARDED_FOR = 14;
  static final int NAME_X_FORWARDED_PROTO = 15;
  static final int NAME_X_FORWARDED_HOST = 16;
  static final int NAME_FORWARDED = 17;
  /** The names of the codes, lower case, indexed by code (index 0 unused). */
  private static final String[] CODED_NAMES = {null, "connection", "keep-alive", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization", "content-length", "host", "via",
      "expect", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"};
  /** The usual spellings of the coded names, indexed by code: the constants callers pass, recognised by identity. */
  private static final String[] CODED_SPELLINGS = {null, CONNECTION, "Keep-Alive", "Proxy-Connection", "TE",
      "Trailer", TRANSFER_ENCODING, "Upgrade", "Proxy-Authenticate", "Proxy-Authorization", CONTENT_LENGTH, HOST,
      "Via", "Expect", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"};
  /** The codes by name length: the candidates a name of that length can be, at most two (empty: none). */
  private static final int[][] CODES_BY_LENGTH = new int[20][];

  static {
    for (int length = 0; length < CODES_BY_LENGTH.length; length++) {
      int[] codes = new int[0];
      for (int code = 1; code < CODED_NAMES.length; code++) {
        if (CODED_NAMES[code].length() == length) {
          codes = Arrays.copyOf(codes, codes.length + 1);
          codes[codes.length - 1] = code;
        }
      }
      CODES_BY_LENGTH[length] = codes;
    }
  }

  /** Whether {@code code} is one of the hop-by-hop fields (RFC 9110 §7.6.1). */
  static boolean isHopByHopCode(int code) {
    return code >= NAME_CONNECTION && code <= NAME_PROXY_AUTHORIZATION;
  }

  /** Whether {@code code} is a field that frames a message or names its target (ProxyHeaderRules.FRAMING). */
  static boolean isFramingCode(int code) {
    return code == NAME_CONTENT_LENGTH || code == NAME_TRANSFER_ENCODING || code == NAME_HOST;
  }

  /** The code of {@code name}: the coded name it equals as {@link String#equalsIgnoreCase} compares, else 0. */
  static int nameCode(String name) {
    if (name == null || name.length() >= CODES_BY_LENGTH.length || name.isEmpty()) {
      return NAME_OTHER;
    }
    int[] candidates = CODES_BY_LENGTH[name.length()];
    for (int code : candidates) {
      if (name == CODED_SPELLINGS[code]) { // a constant: most lookups pass one
        return code;
      }
    }
    char first = name.charAt(0);
    for (int code : candidates) {
      String lower = CODED_NAMES[code];
      // An ASCII first character decides at once; any other may still fold onto an ASCII letter (U+212A KELVIN SIGN
      // lower-cases to 'k'), and equalsIgnoreCase decides.
      if ((first >= 128 || (first | 0x20) == lower.charAt(0)) && lower.equalsIgnoreCase(name)) {
        return code;
      }
    }
    return NAME_OTHER;
  }

  /**
   * The code of the name at {@code buf[from, to)}, ASCII case ignored: a field line's name is a token, all ASCII,
   * where that is what {@link String#equalsIgnoreCase} does.
   */
  static int nameCode(byte[] buf, int from, int to) {
    int length = to - from;
    if (length == 0 || length >= CODES_BY_LENGTH.length) {
      return NAME_OTHER;
    }
    int first = buf[from] | 0x20;
    int last = buf[to - 1] | 0x20;
    for (int code : CODES_BY_LENGTH[length]) {
      byte[] lower = CODED_BYTES[code];
      // First and last byte first (letters in every coded name): they tell most names of one length apart at once.
      if (first == lower[0] && last == lower[length - 1] && equalsLowerAscii(buf, from, lower)) {
        return code;
      }
    }
    return NAME_OTHER;
  }

  /**
   * Whether {@code buf} from {@code from} holds {@code lower}, ASCII case ignored. {@code lower} holds only lower-case
   * letters and '-': a letter's byte is compared with the case bit (0x20) set, so either case matches, and '-' as it
   * is (CR, 0x0D, differs from it only in that bit).
   */
  private static boolean equalsLowerAscii(byte[] buf, int from, byte[] lower) {
    for (int k = 0, n = lower.length; k < n; k++) {
      int c = lower[k];
      if ((buf[from + k] | (c == '-' ? 0 : 0x20)) != c) {
        return false;
      }
    }
    return true;
  }

  /** {@link #CODED_NAMES} as bytes, for {@link #nameCode(byte[], int, int)}. */
  private static final byte[][] CODED_BYTES = new byte[CODED_NAMES.length][];

  static {
    for (int code = 1; code < CODED_NAMES.length; code++) {
      CODED_BYTES[code] = CODED_NAMES[code].getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  /** The name code of entry {@code i}. */
  int codeAt(int i) {
    return spans.length == 0 ? nameCode(fields[i].name()) : spans[SPAN * i + 3] >>> CODE_SHIFT;
  }

  /** Whether entry {@code i} has that name: by code when the name has one, else by its characters. */
  private boolean matches(int i, String name, int code) {
    return code != NAME_OTHER ? codeAt(i) == code : nameIs(i, name);
  }

  // Storage. Entry i is either a Field (fields[i] != null) or a field line of the head this map was parsed from,
  // left as bytes: its name is source[spans[4i], spans[4i+1]) and its value source[spans[4i+2], end), where end is
  // the low 24 bits of spans[4i+3] (OFFSETS; a longer head keeps its lines as Fields: see addLine). Names
  // are matched and framing fields read on the bytes, a name or value becomes a String only when a caller asks for it
  // (then cached in fields[i]), and a forwarded copy shares the bytes, which the head writes out with a copy. The
  // source array is never written after the parse, and an edit replaces or drops whole entries, so no entry can show
  // bytes older than the edit. The high 8 bits of spans[4i+3] are every entry's name code (NAME_*, 0 for a name the
  // rules do not single out), set when the entry is stored: lookups of those names compare codes, not characters. A
  // map of Fields only has no spans until a line comes, and codes its names when asked.
  private static final Field[] NO_FIELDS = new Field[0];
  private static final int[] NO_SPANS = new int[0];
  /** Ints per entry in {@link #spans}. */
  private static final int SPAN = 4;
  private static final int CODE_SHIFT = 24;
  /** The offsets a line's end may have in the source: the bits of spans[4i+3] below the name code. */
  private static final int OFFSETS = (1 << CODE_SHIFT) - 1;
  private Field[] fields = NO_FIELDS;
  private int[] spans = NO_SPANS; // NO_SPANS, or SPAN * fields.length long
  private byte[] source;
  private int size;
  private int modCount;
  // Framing facts, kept so that the several framing questions asked of one head (the parser's checks, the body
  // decoders, the proxy header rules, the session) read its fields once. present has bit c set exactly when some
  // entry has name code c (c > 0): a coded name that is absent is answered without a loop. The Content-Length and
  // chunked answers are cached until the next change; changed() drops them on every add, set and remove.
  private int present;
  private boolean contentLengthKnown;
  private long contentLength;
  private boolean chunkedKnown;
  private boolean chunked;

  /** Creates an empty header map. */
  public HttpHeaders() {}

  /** An empty map with room for {@code capacity} fields before it grows. */
  HttpHeaders(int capacity) {
    if (capacity > 0) {
      fields = new Field[capacity];
      spans = new int[SPAN * capacity];
    }
  }

  /** An empty map whose field lines will be read from {@code source} ({@link #addLine}), which nobody writes again. */
  HttpHeaders(byte[] source) {
    this(source, 0);
  }

  /** As {@link #HttpHeaders(byte[])}, with room for {@code lines} field lines before it grows. */
  HttpHeaders(byte[] source, int lines) {
    this(lines);
    this.source = Objects.requireNonNull(source, "source");
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
    h.spans = other.spans.length == 0 ? NO_SPANS : Arrays.copyOf(other.spans, SPAN * h.fields.length);
    h.source = other.source;
    h.size = other.size;
    h.present = other.present;
    return h;
  }

  /**
   * The first value of the named field.
   *
   * @param name the field name, any case
   * @return the first value, or null if there is no such field
   */
  public String get(String name) {
    int code = nameCode(name);
    if (!mayHave(code)) {
      return null;
    }
    for (int i = 0; i < size; i++) {
      if (matches(i, name, code)) {
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
    int code = nameCode(name);
    if (!mayHave(code)) {
      return List.of();
    }
    for (int i = 0; i < size; i++) {
      if (matches(i, name, code)) {
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
    return indexOf(name, nameCode(name)) >= 0;
  }

  /** Whether a field has the name of {@code code} (not {@link #NAME_OTHER}). */
  boolean containsCode(int code) {
    return indexOf(null, code) >= 0;
  }

  /** The first entry named {@code name}, whose code is {@code code}, or -1. */
  private int indexOf(String name, int code) {
    if (!mayHave(code)) {
      return -1;
    }
    for (int i = 0; i < size; i++) {
      if (matches(i, name, code)) {
        return i;
      }
    }
    return -1;
  }

  /** How many field lines have the name of {@code code} (not {@link #NAME_OTHER}). */
  int countCode(int code) {
    if (!mayHave(code)) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (codeAt(i) == code) {
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
    addLine(nameStart, nameEnd, valueStart, valueEnd, nameCode(source, nameStart, nameEnd));
  }

  private void addLine(int nameStart, int nameEnd, int valueStart, int valueEnd, int code) {
    if (valueEnd > OFFSETS) { // a head of 16 MiB and more (limits allow it): its lines are kept as Strings
      append(new Field(HttpHeadParser.knownName(source, nameStart, nameEnd),
          new String(source, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1)), code);
      return;
    }
    grow();
    if (spans.length == 0) { // the first line of a map of Fields: their codes go in too
      spans = new int[SPAN * fields.length];
      for (int k = 0; k < size; k++) {
        spans[SPAN * k + 3] = nameCode(fields[k].name()) << CODE_SHIFT;
      }
    }
    int at = SPAN * size;
    spans[at] = nameStart;
    spans[at + 1] = nameEnd;
    spans[at + 2] = valueStart;
    spans[at + 3] = valueEnd | code << CODE_SHIFT;
    fields[size++] = null;
    present |= 1 << code;
    changed();
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
    int at = SPAN * i;
    addLine(from.spans[at], from.spans[at + 1], from.spans[at + 2], from.spans[at + 3] & OFFSETS,
        from.spans[at + 3] >>> CODE_SHIFT);
  }

  /**
   * Appends entries {@code [start, end)} of {@code from}, as {@link #addFrom} would one by one: when this map holds no
   * line of another source, the entries themselves are copied (their shared Fields and line spans), in one go.
   */
  void addFrom(HttpHeaders from, int start, int end) {
    int n = end - start;
    if (n <= 0) {
      return;
    }
    if (from.spans.length == 0 || from.source != source && hasLine()) {
      for (int i = start; i < end; i++) {
        addFrom(from, i);
      }
      return;
    }
    if (size + n > fields.length) {
      fields = Arrays.copyOf(fields, Math.max(8, Math.max(2 * size, size + n)));
      if (spans.length != 0) {
        spans = Arrays.copyOf(spans, SPAN * fields.length);
      }
    }
    if (spans.length == 0) { // the first lines of a map of Fields: their codes go in too
      spans = new int[SPAN * fields.length];
      for (int k = 0; k < size; k++) {
        spans[SPAN * k + 3] = nameCode(fields[k].name()) << CODE_SHIFT;
      }
    }
    source = from.source;
    System.arraycopy(from.fields, start, fields, size, n);
    System.arraycopy(from.spans, SPAN * start, spans, SPAN * size, SPAN * n);
    int codes = present;
    for (int k = SPAN * size + 3, last = SPAN * (size + n); k < last; k += SPAN) {
      codes |= 1 << (spans[k] >>> CODE_SHIFT);
    }
    present = codes;
    size += n;
    changed();
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
    append(field, nameCode(field.name()));
  }

  private void append(Field field, int code) {
    grow();
    if (spans.length != 0) {
      spans[SPAN * size + 3] = code << CODE_SHIFT;
    }
    fields[size++] = field;
    present |= 1 << code;
    changed();
  }

  /** Counts a change for the iterators and drops the cached framing answers. */
  private void changed() {
    modCount++;
    contentLengthKnown = false;
    chunkedKnown = false;
  }

  /** Whether some entry may have the name of {@code code}: exact for a coded name, always true for NAME_OTHER. */
  private boolean mayHave(int code) {
    return code == NAME_OTHER || (present & 1 << code) != 0;
  }

  private void grow() {
    if (size == fields.length) {
      fields = Arrays.copyOf(fields, Math.max(8, 2 * size));
      if (spans.length != 0) {
        spans = Arrays.copyOf(spans, SPAN * fields.length);
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
    int code = nameCode(name);
    int at = indexOf(name, code);
    if (at < 0) {
      append(field, code);
      return this;
    }
    fields[at] = field;
    if (spans.length != 0) {
      spans[SPAN * at + 3] = code << CODE_SHIFT;
    }
    changed();
    removeFrom(at + 1, name, code);
    return this;
  }

  /**
   * Removes every field of that name.
   *
   * @param name the field name, any case
   * @return how many fields were removed
   */
  public int remove(String name) {
    return removeFrom(0, name, nameCode(name));
  }

  /** Removes every field of that name, whose code is {@code code}, from entry {@code from} on, keeping the order. */
  private int removeFrom(int from, String name, int code) {
    if (!mayHave(code)) {
      return 0;
    }
    int kept = from;
    for (int i = from; i < size; i++) {
      if (matches(i, name, code)) {
        continue;
      }
      if (kept != i) {
        fields[kept] = fields[i];
        if (spans.length != 0) {
          System.arraycopy(spans, SPAN * i, spans, SPAN * kept, SPAN);
        }
      }
      kept++;
    }
    int removed = size - kept;
    if (removed > 0) {
      Arrays.fill(fields, kept, size, null);
      size = kept;
      changed();
      int codes = 0;
      for (int i = 0; i < size; i++) {
        codes |= 1 << codeAt(i);
      }
      present = codes;
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
      int at = SPAN * i;
      String name = HttpHeadParser.knownName(source, spans[at], spans[at + 1]);
      f = new Field(name, new String(source, spans[at + 2], valueEnd(i) - spans[at + 2],
          StandardCharsets.ISO_8859_1));
      fields[i] = f;
    }
    return f;
  }

  /** Where the value of line entry {@code i} ends in the source. */
  private int valueEnd(int i) {
    return spans[SPAN * i + 3] & OFFSETS;
  }

  /** The name of entry {@code i}. */
  String nameAt(int i) {
    Field f = fields[i];
    return f != null ? f.name() : HttpHeadParser.knownName(source, spans[SPAN * i], spans[SPAN * i + 1]);
  }

  private int nameLength(int i) {
    Field f = fields[i];
    return f != null ? f.name().length() : spans[SPAN * i + 1] - spans[SPAN * i];
  }

  private char nameChar(int i, int k) {
    Field f = fields[i];
    return f != null ? f.name().charAt(k) : (char) (source[spans[SPAN * i] + k] & 0xff);
  }

  private int valueLength(int i) {
    Field f = fields[i];
    return f != null ? f.value().length() : valueEnd(i) - spans[SPAN * i + 2];
  }

  private char valueChar(int i, int k) {
    Field f = fields[i];
    return f != null ? f.value().charAt(k) : (char) (source[spans[SPAN * i + 2] + k] & 0xff);
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
    int from = spans[SPAN * i];
    int length = spans[SPAN * i + 1] - from;
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

  /**
   * Whether the name of entry {@code i} has a length in {@code lengths}, a set from {@link #connectionOptionLengths}:
   * a name whose length is not there is not named in Connection, so the values need not be read for it.
   */
  boolean nameLengthIn(long lengths, int i) {
    return (lengths & 1L << Math.min(nameLength(i), 63)) != 0;
  }

  /**
   * The lengths of the Connection options, read in place as {@link #isNamedInConnection} reads them, as a set of
   * bits: bit {@code min(length, 63)} for each option.
   */
  long connectionOptionLengths() {
    long lengths = 0;
    for (int c = 0; c < size; c++) {
      if (codeAt(c) != NAME_CONNECTION) {
        continue;
      }
      int n = valueLength(c);
      int start = 0;
      while (start <= n) {
        int end = indexIn(c, ',', start, n);
        int tokenEnd = indexIn(c, ';', start, end);
        int from = skipOws(c, start, tokenEnd);
        tokenEnd = trimOws(c, from, tokenEnd);
        if (tokenEnd > from) {
          lengths |= 1L << Math.min(tokenEnd - from, 63);
        }
        start = end + 1;
      }
    }
    return lengths;
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

  // The host of the first Host field, read in place for remap: the value without the characters up to U+0020 that
  // String.trim drops at either end, then up to a ":port", or up to and including the "]" of a bracketed IPv6
  // literal. The region (offsets into the value) is packed into a long: start in the high half, end in the low half.
  private static final long NO_HOST = -1;
  private static final long HOST_NOT_ASCII = -2;

  /**
   * The first Host entry's host region, packed as {@code start << 32 | end}; {@link #NO_HOST} without a Host field,
   * {@link #HOST_NOT_ASCII} when the host holds a character outside ASCII.
   */
  private long hostRegion() {
    int i = indexOf(null, NAME_HOST);
    if (i < 0) {
      return NO_HOST;
    }
    Field f = fields[i];
    if (f != null) {
      long region = hostRegion(f.value());
      for (int k = (int) (region >>> 32), to = (int) region; k < to; k++) {
        if (f.value().charAt(k) >= 0x80) {
          return HOST_NOT_ASCII;
        }
      }
      return region;
    }
    byte[] src = source;
    int base = spans[SPAN * i + 2];
    int from = base;
    int to = valueEnd(i);
    while (from < to && (src[from] & 0xff) <= ' ') {
      from++;
    }
    while (to > from && (src[to - 1] & 0xff) <= ' ') {
      to--;
    }
    boolean bracket = from < to && src[from] == '[';
    int end = to;
    for (int k = from; k < end; k++) {
      byte c = src[k];
      if (c < 0) {
        return HOST_NOT_ASCII; // a byte of 0x80 or more, before the host's end was found
      }
      if (bracket ? c == ']' : c == ':') {
        to = bracket ? k + 1 : k;
        break;
      }
    }
    return (long) (from - base) << 32 | (to - base);
  }

  /** The host region of a Host value held as a String, as {@link #hostRegion()} reads it, whatever its characters. */
  private static long hostRegion(String v) {
    int from = 0;
    int to = v.length();
    while (from < to && v.charAt(from) <= ' ') {
      from++;
    }
    while (to > from && v.charAt(to - 1) <= ' ') {
      to--;
    }
    if (from < to && v.charAt(from) == '[') {
      int close = v.indexOf(']', from);
      to = close >= 0 && close < to ? close + 1 : to;
    } else {
      int colon = v.indexOf(':', from);
      to = colon >= 0 && colon < to ? colon : to;
    }
    return (long) from << 32 | to;
  }

  /**
   * Whether the request names its host in a {@code Host} field that the remap rules can compare in place: there is
   * one, and its host (as {@link #hostIs} reads it) is all ASCII. A host with other characters is compared as a
   * lower-cased String instead.
   */
  boolean hostReadableInPlace() {
    return hostRegion() >= 0;
  }

  /**
   * Whether the host of the first {@code Host} field is {@code host}, compared as
   * {@code String.regionMatches(true, ...)} compares: the value without surrounding whitespace and without a
   * {@code :port} (a bracketed IPv6 literal keeps its brackets), read in place without a String. False without a
   * Host field, and for a host that holds a character outside ASCII ({@link #hostReadableInPlace}).
   *
   * @param host the host to compare with, without port
   * @return true if they match
   */
  boolean hostIs(String host) {
    long region = hostRegion();
    if (region < 0) {
      return false;
    }
    int from = (int) (region >>> 32);
    int length = (int) region - from;
    if (length != host.length()) {
      return false;
    }
    int i = indexOf(null, NAME_HOST);
    for (int k = 0; k < length; k++) {
      if (!sameIgnoringCase(valueChar(i, from + k), host.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The host of the first {@code Host} field as {@link #hostIs} reads it, lower-cased; null without one. For
   * messages: it makes a String.
   *
   * @return the host, or null
   */
  String hostLowerCase() {
    int i = indexOf(null, NAME_HOST);
    if (i < 0) {
      return null;
    }
    String value = field(i).value();
    long region = hostRegion(value);
    return value.substring((int) (region >>> 32), (int) region).toLowerCase(Locale.ROOT);
  }

  /**
   * Whether the name of entry {@code i} is one of the options of the Connection fields (comma-separated, parameters
   * after {@code ;} and surrounding whitespace dropped, ASCII case ignored), read from the values in place.
   */
  boolean isNamedInConnection(int i) {
    if (!mayHave(NAME_CONNECTION)) {
      return false;
    }
    for (int c = 0; c < size; c++) {
      if (codeAt(c) == NAME_CONNECTION && optionIn(c, null, i)) {
        return true;
      }
    }
    return false;
  }

  /** How many options the Connection fields hold, empty list elements not counted; read in place. */
  int connectionOptionCount() {
    if (!mayHave(NAME_CONNECTION)) {
      return 0;
    }
    int count = 0;
    for (int c = 0; c < size; c++) {
      if (codeAt(c) != NAME_CONNECTION) {
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
    long length = contentLengthOrNegative();
    return length < 0 ? OptionalLong.empty() : OptionalLong.of(length);
  }

  /**
   * {@link #contentLength()} as a plain {@code long} for the proxy's own per-message checks, which would otherwise make
   * an {@code OptionalLong} each time.
   *
   * @return the length, or -1 if there is no Content-Length field
   * @throws IllegalStateException as {@link #contentLength()}
   */
  long contentLengthOrNegative() {
    if (!mayHave(NAME_CONTENT_LENGTH)) {
      return -1;
    }
    if (contentLengthKnown) {
      return contentLength;
    }
    long length = readContentLength(); // throws for a bad value, which is then read (and refused) again next time
    contentLength = length;
    contentLengthKnown = true;
    return length;
  }

  /** {@link #contentLengthOrNegative()} read from the fields. */
  private long readContentLength() {
    long length = -1;
    for (int i = 0; i < size; i++) {
      if (codeAt(i) != NAME_CONTENT_LENGTH) {
        continue;
      }
      long digits = fields[i] == null ? digitsAt(i) : -1;
      if (digits >= 0) { // a received value of digits only, the usual case: read in one loop
        if (length >= 0 && digits != length) {
          throw new IllegalStateException("conflicting Content-Length values " + length + " and " + digits);
        }
        length = digits;
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
    return length;
  }

  /**
   * The number a received line's value spells when it is one to eighteen ASCII digits and nothing else, else -1 (the
   * general reading then decides, with its exceptions).
   */
  private long digitsAt(int i) {
    int from = spans[SPAN * i + 2];
    int to = valueEnd(i);
    if (from == to || to - from > 18) { // 18 digits always fit a long
      return -1;
    }
    long v = 0;
    for (int k = from; k < to; k++) {
      int d = source[k] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
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
    return List.copyOf(tokens(NAME_TRANSFER_ENCODING, false));
  }

  /**
   * Tells whether the body is chunked: a Transfer-Encoding field is present and its final coding is
   * {@code chunked} (case-insensitive).
   *
   * @return true if the final transfer coding is chunked
   */
  public boolean isChunked() {
    if (!mayHave(NAME_TRANSFER_ENCODING)) {
      return false;
    }
    if (!chunkedKnown) {
      chunked = readChunked();
      chunkedKnown = true;
    }
    return chunked;
  }

  /** {@link #isChunked()} read from the fields. */
  private boolean readChunked() {
    // The last non-empty element of the last Transfer-Encoding field that has one, read in place: nothing allocated.
    int lastEntry = -1;
    int lastFrom = 0;
    int lastTo = 0;
    for (int i = 0; i < size; i++) {
      if (codeAt(i) != NAME_TRANSFER_ENCODING) {
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
    if (!containsCode(NAME_CONNECTION)) {
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
    List<String> tokens = tokens(NAME_CONNECTION, true);
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
    if (!mayHave(NAME_CONNECTION)) {
      return false;
    }
    for (int c = 0; c < size; c++) {
      if (codeAt(c) == NAME_CONNECTION && optionIn(c, lower, -1)) {
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

  private List<String> tokens(int code, boolean stripParameters) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      if (codeAt(i) != code) {
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
    byte[] dst = new byte[headLength(startLineLength)];
    fillHead(dst, startLineLength);
    return dst;
  }

  /** The length of the wire form {@link #headBytes} makes: start line, fields, line ends and the empty line. */
  int headLength(int startLineLength) {
    int length = startLineLength + 2 + 2;
    for (int i = 0; i < size; i++) {
      length += nameLength(i) + valueLength(i) + 4;
    }
    return length;
  }

  /**
   * A byte array of at least {@code length} bytes to build a head in before it is copied into a buffer: one per
   * thread, reused, since a head is written per message and its bytes are copied out at once; a head too long for
   * it gets its own array. Its bytes beyond what the caller writes are stale: only {@code [0, length)} may be read.
   */
  static byte[] scratch(int length) {
    if (length > SCRATCH_BYTES) {
      return new byte[length];
    }
    return SCRATCH.get();
  }

  private static final int SCRATCH_BYTES = 4096;
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[SCRATCH_BYTES]);

  /**
   * Fills {@code dst} from {@code startLineLength} with what follows the start line: CRLF, the fields and the empty
   * line, {@link #headLength} bytes in all with the start line.
   */
  void fillHead(byte[] dst, int startLineLength) {
    int at = startLineLength;
    dst[at++] = '\r';
    dst[at++] = '\n';
    for (int i = 0; i < size; i++) {
      Field f = fields[i];
      int lineEnd = f == null ? wireLineEnd(i) : -1;
      if (lineEnd >= 0) { // received lines already in their wire form, one after the other: one copy for all
        int last = i;
        while (last + 1 < size && fields[last + 1] == null && spans[SPAN * (last + 1)] == lineEnd) {
          int next = wireLineEnd(last + 1);
          if (next < 0) {
            break;
          }
          last++;
          lineEnd = next;
        }
        at = copy(spans[SPAN * i], lineEnd, dst, at);
        i = last;
        continue;
      }
      if (f != null) {
        at = latin1(f.name(), dst, at);
      } else { // a received line: its name and value bytes as they came, with ": " between them
        at = copy(spans[SPAN * i], spans[SPAN * i + 1], dst, at);
      }
      dst[at++] = ':';
      dst[at++] = ' ';
      if (f != null) {
        at = latin1(f.value(), dst, at);
      } else {
        at = copy(spans[SPAN * i + 2], valueEnd(i), dst, at);
      }
      dst[at++] = '\r';
      dst[at++] = '\n';
    }
    dst[at++] = '\r';
    dst[at] = '\n';
  }

  /**
   * Where line entry {@code i} ends in the source, after its CRLF, when the source holds it exactly as the head writes
   * it ({@code name: value} and CRLF: one space after the colon, nothing after the value); else -1.
   */
  private int wireLineEnd(int i) {
    int at = SPAN * i;
    int nameEnd = spans[at + 1];
    int valueEnd = valueEnd(i);
    byte[] src = source;
    return spans[at + 2] == nameEnd + 2 && src[nameEnd] == ':' && src[nameEnd + 1] == ' ' && valueEnd + 1 < src.length
        && src[valueEnd] == '\r' && src[valueEnd + 1] == '\n' ? valueEnd + 2 : -1;
  }

  private int copy(int from, int to, byte[] dst, int at) {
    System.arraycopy(source, from, dst, at, to - from);
    return at + to - from;
  }

  /**
   * Copies {@code s}, whose characters are all ISO-8859-1 (0 to 255), into {@code dst} from {@code at}: each
   * character as its byte. Every part of a head is such a string (field names are tokens, values and reason phrases
   * are checked by {@link HttpSyntax#isFieldValue}, methods are tokens and targets visible US-ASCII), and for it
   * {@code String.getBytes(int, int, byte[], int)} copies the string's own bytes in one array copy; a character above
   * 255 would lose its high byte, which is why nothing else may be passed.
   *
   * @return the index after the last byte written
   */
  @SuppressWarnings("deprecation") // the one String method that copies ISO-8859-1 bytes into an array without a copy
  static int latin1(String s, byte[] dst, int at) {
    int n = s.length();
    s.getBytes(0, n, dst, at);
    return at + n;
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
