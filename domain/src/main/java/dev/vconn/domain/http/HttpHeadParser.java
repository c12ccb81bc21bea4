package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBufferReader;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Parses HTTP/1.x message heads from an {@link IOBufferReader}, incrementally.
 *
 * <p>Each call looks at the reader's readable bytes without consuming them. While the head is incomplete it returns
 * {@link NeedMore} and consumes nothing; once the empty line that ends the head is present it consumes exactly the
 * head (leaving body bytes and pipelined messages in the buffer) and returns {@link Parsed}. Bad input gives
 * {@link Rejected} with the status to answer, and consumes nothing; the caller then closes the connection. The
 * parser never throws for any input.
 *
 * <p>Each line is checked as soon as it is complete, and the limits as soon as they are exceeded, even before the
 * head completes, so a slow or hostile client cannot make the server buffer more than
 * {@link HttpLimits#maxHeaderBytes()} bytes. A call looks at no more than {@code maxHeaderBytes + 1} bytes.
 *
 * <p>Rules (RFC 9112, docs/http.md). Lines end in CRLF or a bare LF; a bare CR elsewhere is a control character. Up to
 * {@value #MAX_LEADING_EMPTY_LINES} empty lines before the start line are skipped (and consumed with the head).
 * Requests are rejected with:
 * <ul>
 *   <li>400: malformed request line (not exactly {@code method SP target SP version}), method not a token, target
 *       empty or not visible US-ASCII, garbage version; header line without colon, with whitespace before the colon
 *       (a request smuggling vector), with an empty or invalid name, with a control character in the value, or
 *       starting with whitespace (obs-fold line folding); too many leading empty lines; HTTP/1.1 without Host, or
 *       more than one Host; Content-Length together with Transfer-Encoding; Content-Length empty, not all digits,
 *       overflowing {@code long} or conflicting (identical repetitions are allowed); {@code chunked} applied more
 *       than once.</li>
 *   <li>414: request line longer than {@link HttpLimits#maxRequestLineBytes()} (line end not counted).</li>
 *   <li>431: head longer than {@link HttpLimits#maxHeaderBytes()}, or more than {@link HttpLimits#maxHeaderCount()}
 *       field lines.</li>
 *   <li>501: a Transfer-Encoding naming any coding other than {@code chunked}. Only {@code chunked} alone is
 *       accepted: {@code gzip, chunked} is 501 too, since this server decodes no other transfer coding and would
 *       have to forward a coding it does not understand.</li>
 *   <li>505: a well-formed {@code HTTP/x.y} version other than 1.0 and 1.1.</li>
 * </ul>
 *
 * <p>Responses from an origin follow the same syntax, framing and limit rules (status line limited by
 * {@code maxRequestLineBytes}), except that Host is not required; any rejection of a response has status 502 (Bad
 * Gateway, what the proxy answers its client), with a reason naming the problem. The status line is
 * {@code version SP 3DIGIT [SP reason]} with a status of 100 to 599.
 *
 * <p>The parser holds no per-message state, so one instance may serve any number of readers and threads. Because it
 * re-scans the head on every call, the caller should call it once per arrival of new bytes; each call costs at most
 * {@code O(maxHeaderBytes)}.
 */
public final class HttpHeadParser {

  /** How many empty lines before a start line are skipped; one more is rejected with 400. */
  public static final int MAX_LEADING_EMPTY_LINES = 4;

  /**
   * The outcome of one parse call.
   *
   * @param <H> the head type, {@link HttpRequestHead} or {@link HttpResponseHead}
   */
  public sealed interface Result<H> permits NeedMore, Parsed, Rejected {}

  /**
   * The head is not complete yet and no limit is exceeded; nothing was consumed. Call again when more bytes arrive.
   *
   * @param <H> the head type
   */
  public record NeedMore<H>() implements Result<H> {}

  /**
   * A complete, valid head; exactly {@code headBytes} bytes were consumed from the reader.
   *
   * @param head the parsed head
   * @param headBytes how many bytes the head took, including leading empty lines and the final empty line
   * @param <H> the head type
   */
  public record Parsed<H>(H head, int headBytes) implements Result<H> {

    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code head} is null
     */
    public Parsed {
      Objects.requireNonNull(head, "head");
    }
  }

  /**
   * Bad input; nothing was consumed. The caller answers with {@code status} and closes the connection.
   *
   * @param status the HTTP status to answer with (400, 414, 431, 501, 505; 502 for responses)
   * @param reason what was wrong, for logs (never echoes the input)
   * @param <H> the head type
   */
  public record Rejected<H>(int status, String reason) implements Result<H> {}

  /** How many bytes a parse scans first; only a head that does not end within them makes it scan more. */
  static final int FIRST_SCAN_BYTES = 1024;

  private final HttpLimits limits;

  /** Creates a parser with {@link HttpLimits#defaults()}. */
  public HttpHeadParser() {
    this(HttpLimits.defaults());
  }

  /**
   * Creates a parser with the given limits.
   *
   * @param limits the limits to enforce
   */
  public HttpHeadParser(HttpLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * The limits this parser enforces.
   *
   * @return the limits
   */
  public HttpLimits limits() {
    return limits;
  }

  /**
   * Parses a request head from the front of {@code reader}.
   *
   * @param reader where the client's bytes are; consumed only on {@link Parsed}
   * @return {@link NeedMore}, {@link Parsed} or {@link Rejected}
   * @throws IllegalStateException if the reader is freed or its buffer closed (a caller bug, not bad input)
   */
  public Result<HttpRequestHead> parseRequest(IOBufferReader reader) {
    return parse(reader, true).map(h -> (HttpRequestHead) h);
  }

  /**
   * Parses a response head from the front of {@code reader}. Rejections have status 502.
   *
   * @param reader where the origin's bytes are; consumed only on {@link Parsed}
   * @return {@link NeedMore}, {@link Parsed} or {@link Rejected}
   * @throws IllegalStateException if the reader is freed or its buffer closed (a caller bug, not bad input)
   */
  public Result<HttpResponseHead> parseResponse(IOBufferReader reader) {
    return parse(reader, false).map(h -> (HttpResponseHead) h);
  }

  // ------------------------------------------------------------------------------------------------ internals

  /** Untyped outcome; {@code head} is set when parsed, {@code status} when rejected. */
  private record Raw(Object head, int headBytes, int status, String reason) {
    static final Raw NEED_MORE = new Raw(null, 0, 0, null);

    <H> Result<H> map(java.util.function.Function<Object, H> cast) {
      if (head != null) {
        return new Parsed<>(cast.apply(head), headBytes);
      }
      if (status != 0) {
        return new Rejected<>(status, reason);
      }
      return needMore();
    }
  }

  private static final NeedMore<?> NEED_MORE = new NeedMore<>();

  /** The one {@link NeedMore}: it carries nothing, so a parse that waits for bytes allocates nothing. */
  @SuppressWarnings("unchecked")
  private static <H> NeedMore<H> needMore() {
    return (NeedMore<H>) NEED_MORE;
  }

  /** Signals a rejection from deep inside the line parsers; never escapes this class. */
  private static final class Reject extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Reject(int status, String reason) {
      super(reason, null, false, false);
      this.status = status;
    }
  }

  private Raw parse(IOBufferReader reader, boolean request) {
    long avail = reader.readAvail();
    int window = (int) Math.min(avail, (long) limits.maxHeaderBytes() + 1);
    try {
      // Most heads fit the first bytes: scanning a short prefix first keeps a body that follows the head (up to the
      // head limit of it) from being copied on every parse. A prefix decides exactly as the whole window would: a
      // head that ends in it parses the same, a line it rejects is the same line, and only "need more" is undecided,
      // which scans a prefix eight times longer, up to the whole window (at most about 1.15 scans of it in all).
      // A head whose end is already readable is copied alone, without the body behind it: the same decision, as
      // that copy is a prefix the head ends in.
      int n = Math.min(window, FIRST_SCAN_BYTES);
      int headEnd = headEnd(reader, window);
      if (headEnd > 0) {
        n = headEnd;
      }
      Raw raw = scan(copy(reader, n), n, request, headEnd > 0);
      while (raw == Raw.NEED_MORE && n < window) {
        n = (int) Math.min(window, 8L * n);
        raw = scan(copy(reader, n), n, request, false);
      }
      if (raw.head != null) {
        reader.consume(raw.headBytes);
      }
      return raw;
    } catch (Reject r) {
      return new Raw(null, 0, request ? r.status : 502, r.getMessage());
    }
  }

  /**
   * The length up to and including the first line feed that ends an empty line ({@code LF LF} or {@code LF CR LF},
   * the forms the scan accepts) after the line breaks that may come before the start line, within the first
   * {@code window} readable bytes; 0 if there is none.
   */
  private static int headEnd(IOBufferReader reader, int window) {
    long from = 0;
    for (byte c; from < window && ((c = reader.byteAt(from)) == '\n' || c == '\r'); ) {
      from++;
    }
    long lf = reader.indexOfEmptyLine(from, window);
    return lf < 0 ? 0 : (int) lf + (reader.byteAt(lf + 1) == '\n' ? 2 : 3);
  }

  private static byte[] copy(IOBufferReader reader, int n) {
    byte[] buf = new byte[n];
    reader.copyTo(buf, 0, n, 0);
    return buf;
  }

  /** Scans {@code buf[0, n)}; {@code ends} says that it ends with the empty line that ends the head. */
  private Raw scan(byte[] buf, int n, boolean request, boolean ends) throws Reject {
    int pos = 0;
    int empties = 0;
    // Leading empty lines (RFC 9112 §2.2).
    while (true) {
      if (pos >= n) {
        return checkIncomplete(n);
      }
      if (buf[pos] == '\n') {
        pos++;
      } else if (buf[pos] == '\r') {
        if (pos + 1 >= n) {
          return checkIncomplete(n);
        }
        if (buf[pos + 1] != '\n') {
          throw new Reject(400, "bare CR before the start line");
        }
        pos += 2;
      } else {
        break;
      }
      if (++empties > MAX_LEADING_EMPTY_LINES) {
        throw new Reject(400, "too many empty lines before the start line");
      }
    }

    Object startLine = null;
    // The field lines stay in buf, which is not written again; counted first, so the map is made the right size.
    HttpHeaders headers = new HttpHeaders(buf, fieldLines(buf, pos, n, limits.maxHeaderCount(), ends));
    int lineStart = pos;
    while (true) {
      if (startLine != null && headers.size() < limits.maxHeaderCount()) {
        int next = plainField(buf, lineStart, n, headers, limits.maxHeaderBytes());
        if (next > 0) {
          lineStart = next;
          continue;
        }
      }
      int lf = indexOfLf(buf, lineStart, n);
      if (lf < 0) {
        if (startLine == null) {
          int content = n - lineStart - (n > lineStart && buf[n - 1] == '\r' ? 1 : 0);
          checkStartLineLength(content, request);
        }
        return checkIncomplete(n);
      }
      int end = lf > lineStart && buf[lf - 1] == '\r' ? lf - 1 : lf;
      if (startLine == null) {
        checkStartLineLength(end - lineStart, request);
      }
      if (lf + 1 > limits.maxHeaderBytes()) {
        throw new Reject(431, "head larger than " + limits.maxHeaderBytes() + " bytes");
      }
      if (startLine == null) {
        startLine = request ? parseRequestLine(buf, lineStart, end) : parseStatusLine(buf, lineStart, end);
      } else if (end == lineStart) {
        if (n - (lf + 1) > FIRST_SCAN_BYTES) {
          headers.keepSourcePrefix(lf + 1); // a long scan: the head keeps its own bytes, not the body behind them
        }
        Object head = finish(startLine, headers, request);
        return new Raw(head, lf + 1, 0, null);
      } else {
        if (headers.size() >= limits.maxHeaderCount()) {
          throw new Reject(431, "more than " + limits.maxHeaderCount() + " header fields");
        }
        parseField(buf, lineStart, end, headers);
      }
      lineStart = lf + 1;
    }
  }

  /**
   * Reads the field line at {@code from} in one pass when it is a plain one: a token, a colon, then field-value bytes
   * up to CRLF or LF, its LF within {@code maxHeaderBytes}; adds it and returns the index after its LF. Returns -1
   * for anything else (the empty line, an incomplete line, obs-fold, whitespace before the colon, a control byte, a
   * bare CR, a line past the limit): the general path then finds the line end and decides exactly as before, since
   * a plain line is one it accepts with the same name and value.
   */
  private static int plainField(byte[] buf, int from, int n, HttpHeaders headers, int maxHeaderBytes) {
    int colon = from;
    while (colon < n && HttpSyntax.isTchar(buf[colon])) {
      colon++;
    }
    if (colon == from || colon >= n || buf[colon] != ':') {
      return -1;
    }
    int end = valueEnd(buf, colon + 1, n);
    int lf;
    if (end >= n) {
      return -1;
    } else if (buf[end] == '\n') {
      lf = end;
    } else if (buf[end] == '\r' && end + 1 < n && buf[end + 1] == '\n') {
      lf = end + 1;
    } else {
      return -1;
    }
    if (lf + 1 > maxHeaderBytes) {
      return -1;
    }
    int valueStart = colon + 1;
    int valueEnd = end;
    while (valueStart < valueEnd && HttpSyntax.isOws(buf[valueStart])) {
      valueStart++;
    }
    while (valueEnd > valueStart && HttpSyntax.isOws(buf[valueEnd - 1])) {
      valueEnd--;
    }
    headers.addLine(from, colon, valueStart, valueEnd);
    return lf + 1;
  }

  /** How many bytes of {@code buf[from, to)} are line feeds. */
  static int lineFeeds(byte[] buf, int from, int to) {
    int count = 0;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long y = (long) LONGS.get(buf, i) ^ '\n' * ONES; // a zero byte where a line feed was
      // The high bit of each byte that is zero, and only of those: no carry crosses a byte.
      long zeros = ~((y & LOWS) + LOWS | y | LOWS);
      count += Long.bitCount(zeros);
    }
    for (; i < to; i++) {
      if (buf[i] == '\n') {
        count++;
      }
    }
    return count;
  }

  private static final long LOWS = 0x7F7F7F7F7F7F7F7FL;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /**
   * The index of the first byte from {@code from} that is not a field-value byte ({@link HttpSyntax#isFieldValueChar}),
   * or {@code n}. Eight bytes at a time while none of them is below 0x20 or 0x7F (a tab, allowed, is below 0x20 too:
   * such a word is read byte by byte).
   */
  static int valueEnd(byte[] buf, int from, int n) {
    int i = from;
    for (; i + 8 <= n; i += 8) {
      long x = (long) LONGS.get(buf, i);
      long del = x ^ 0x7F * ONES;
      // A high bit per byte below 0x20, and per byte equal to 0x7F: exact as to whether there is one (a false mark
      // can only follow a true one, through the borrow).
      long marks = ((x - 0x20 * ONES) & ~x | (del - ONES) & ~del) & HIGHS;
      if (marks != 0) {
        break;
      }
    }
    while (i < n && HttpSyntax.isFieldValueChar(buf[i] & 0xff)) {
      i++;
    }
    return i;
  }

  /**
   * How many field lines follow the start line at {@code from}, up to the empty line or {@code n}, at most
   * {@code max + 1}: the map's size. When {@code buf[0, n)} ends with the head's empty line, its line feeds are
   * counted eight bytes at a time: all but the start line's and the empty line's end a field line. (Only the map's
   * first capacity depends on this count.)
   */
  private static int fieldLines(byte[] buf, int from, int n, int max, boolean ends) {
    if (ends) {
      return Math.max(0, Math.min(lineFeeds(buf, from, n) - 2, max + 1));
    }
    int lines = 0;
    for (int i = from; i < n && lines <= max; i++) {
      if (buf[i] == '\n') {
        if (i + 1 < n && (buf[i + 1] == '\n' || buf[i + 1] == '\r' && i + 2 < n && buf[i + 2] == '\n')) {
          break;
        }
        lines++;
      }
    }
    return lines;
  }

  private Raw checkIncomplete(int n) throws Reject {
    if (n > limits.maxHeaderBytes()) {
      throw new Reject(431, "head larger than " + limits.maxHeaderBytes() + " bytes");
    }
    return Raw.NEED_MORE;
  }

  private void checkStartLineLength(int length, boolean request) throws Reject {
    if (length > limits.maxRequestLineBytes()) {
      throw new Reject(414, (request ? "request" : "status") + " line longer than "
          + limits.maxRequestLineBytes() + " bytes");
    }
  }

  private static int indexOfLf(byte[] buf, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** The parsed request line, before headers are known. */
  private record RequestLine(String method, String target, HttpVersion version) {}

  /** The parsed status line, before headers are known. */
  private record StatusLine(HttpVersion version, int status, String reason) {}

  // The start line is read from the bytes, not from a String of it: only the parts the head keeps become Strings,
  // and common methods, reason phrases and field names come from a table instead of a new String each.

  private static RequestLine parseRequestLine(byte[] buf, int from, int end) throws Reject {
    int sp1 = indexOf(buf, ' ', from, end);
    int sp2 = sp1 < 0 ? -1 : indexOf(buf, ' ', sp1 + 1, end);
    if (sp1 <= from || sp2 < 0 || indexOf(buf, ' ', sp2 + 1, end) >= 0) {
      throw new Reject(400, "malformed request line");
    }
    for (int i = from; i < sp1; i++) {
      if (!HttpSyntax.isTchar(buf[i] & 0xff)) {
        throw new Reject(400, "method is not a token");
      }
    }
    if (sp2 == sp1 + 1) {
      throw new Reject(400, "malformed request target");
    }
    for (int i = sp1 + 1; i < sp2; i++) {
      if (!HttpSyntax.isVchar(buf[i] & 0xff)) {
        throw new Reject(400, "malformed request target");
      }
    }
    HttpVersion version = parseVersion(buf, sp2 + 1, end);
    String method = known(KNOWN_METHODS, buf, from, sp1);
    return new RequestLine(method, latin1(buf, sp1 + 1, sp2), version);
  }

  private static StatusLine parseStatusLine(byte[] buf, int from, int end) throws Reject {
    int sp1 = indexOf(buf, ' ', from, end);
    if (sp1 < 0) {
      throw new Reject(400, "malformed status line");
    }
    HttpVersion version = parseVersion(buf, from, sp1);
    int rest = sp1 + 1;
    int restLength = end - rest;
    if (restLength < 3 || restLength > 3 && buf[rest + 3] != ' ') {
      throw new Reject(400, "malformed status code");
    }
    int status = 0;
    for (int i = rest; i < rest + 3; i++) {
      int c = buf[i] & 0xff;
      if (c < '0' || c > '9') {
        throw new Reject(400, "malformed status code");
      }
      status = status * 10 + (c - '0');
    }
    if (status < 100 || status > 599) {
      throw new Reject(400, "status code outside 100..599");
    }
    int reasonStart = Math.min(end, rest + 4);
    for (int i = reasonStart; i < end; i++) {
      if (!HttpSyntax.isFieldValueChar(buf[i] & 0xff)) {
        throw new Reject(400, "control character in reason phrase");
      }
    }
    return new StatusLine(version, status, known(KNOWN_REASONS, buf, reasonStart, end));
  }

  /** {@code HTTP/1.0} and {@code HTTP/1.1}; other well-formed {@code HTTP/d.d} is 505; anything else 400. */
  private static HttpVersion parseVersion(byte[] buf, int from, int end) throws Reject {
    if (end - from == 8 && startsWithHttpSlash(buf, from) && buf[from + 6] == '.') {
      int major = buf[from + 5];
      int minor = buf[from + 7];
      if (major == '1' && minor == '1') {
        return HttpVersion.HTTP_1_1;
      }
      if (major == '1' && minor == '0') {
        return HttpVersion.HTTP_1_0;
      }
      if (isDigit((char) (major & 0xff)) && isDigit((char) (minor & 0xff))) {
        throw new Reject(505, "HTTP version not supported");
      }
    }
    throw new Reject(400, "malformed HTTP version");
  }

  private static boolean startsWithHttpSlash(byte[] buf, int at) {
    return buf[at] == 'H' && buf[at + 1] == 'T' && buf[at + 2] == 'T' && buf[at + 3] == 'P' && buf[at + 4] == '/';
  }

  private static int indexOf(byte[] buf, char c, int from, int end) {
    for (int i = from; i < end; i++) {
      if (buf[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static String latin1(byte[] buf, int from, int end) {
    return new String(buf, from, end - from, StandardCharsets.ISO_8859_1);
  }

  /** The Strings of the common spellings, to hand out instead of a new String of the same bytes. */
  private static final String[] KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
      "CONNECT", "TRACE"};
  private static final String[] KNOWN_REASONS = {"", "OK", "No Content", "Not Modified", "Not Found", "Created",
      "Partial Content", "Moved Permanently", "Found", "Bad Request", "Forbidden", "Internal Server Error",
      "Bad Gateway", "Service Unavailable", "Gateway Timeout", "Switching Protocols", "Continue"};
  private static final String[] KNOWN_NAMES = {"Host", "Content-Length", "Content-Type", "Connection", "User-Agent",
      "Accept", "Accept-Encoding", "Accept-Language", "Accept-Ranges", "Date", "Server", "Transfer-Encoding",
      "Cache-Control", "Cookie", "Set-Cookie", "Last-Modified", "ETag", "Location", "Via", "Vary", "Expires",
      "Referer", "Authorization", "Keep-Alive", "Upgrade", "Range", "Content-Encoding", "If-Modified-Since",
      "If-None-Match", "Age", "Origin", "Pragma", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
      "Forwarded", "Expect", "TE", "Trailer", "host", "content-length", "content-type", "connection", "user-agent",
      "accept", "accept-encoding", "date", "server", "transfer-encoding", "cache-control", "cookie"};

  /** A field name as a String: a common spelling from a table, else a new String of the bytes {@code [from, end)}. */
  static String knownName(byte[] buf, int from, int end) {
    return known(KNOWN_NAMES, buf, from, end);
  }

  /** The entry of {@code table} spelled exactly as the bytes {@code [from, end)}, or a new String of them. */
  private static String known(String[] table, byte[] buf, int from, int end) {
    int length = end - from;
    for (String k : table) {
      if (k.length() == length && sameBytes(k, buf, from)) {
        return k;
      }
    }
    return latin1(buf, from, end);
  }

  private static boolean sameBytes(String s, byte[] buf, int from) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != (buf[from + i] & 0xff)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Parses one field line of a chunked body's trailer section with the same rules as a head's field lines.
   *
   * @param buf the line's bytes
   * @param from where the line starts
   * @param end where it ends, before its CR LF
   * @param headers where the field goes
   * @return null if the line is a valid field, else why not
   */
  static String parseTrailerField(byte[] buf, int from, int end, HttpHeaders headers) {
    try {
      parseField(buf, from, end, headers);
      return null;
    } catch (Reject e) {
      return e.getMessage();
    }
  }

  private static void parseField(byte[] buf, int from, int end, HttpHeaders headers) throws Reject {
    int first = buf[from] & 0xff;
    if (HttpSyntax.isOws(first)) {
      throw new Reject(400, "obsolete line folding or whitespace before a field name");
    }
    int i = from;
    while (i < end && HttpSyntax.isTchar(buf[i] & 0xff)) {
      i++;
    }
    if (i == end) {
      throw new Reject(400, "header field without colon");
    }
    int c = buf[i] & 0xff;
    if (c != ':') {
      if (HttpSyntax.isOws(c)) {
        for (int j = i; j < end; j++) {
          if (buf[j] == ':') {
            throw new Reject(400, "whitespace between field name and colon");
          }
        }
        throw new Reject(400, "header field without colon");
      }
      throw new Reject(400, "invalid character in field name");
    }
    if (i == from) {
      throw new Reject(400, "empty field name");
    }
    for (int j = i + 1; j < end; j++) {
      if (!HttpSyntax.isFieldValueChar(buf[j] & 0xff)) {
        throw new Reject(400, "control character in field value");
      }
    }
    // The value without its surrounding whitespace, cut from the bytes: one String, not one and a trimmed copy.
    int valueStart = i + 1;
    int valueEnd = end;
    while (valueStart < valueEnd && HttpSyntax.isOws(buf[valueStart] & 0xff)) {
      valueStart++;
    }
    while (valueEnd > valueStart && HttpSyntax.isOws(buf[valueEnd - 1] & 0xff)) {
      valueEnd--;
    }
    if (headers.readsFrom(buf)) { // a head's line: kept as bytes
      headers.addLine(from, i, valueStart, valueEnd);
    } else { // a trailer's line, from a buffer that is reused: copied out
      headers.add(known(KNOWN_NAMES, buf, from, i), latin1(buf, valueStart, valueEnd));
    }
  }

  private static Object finish(Object startLine, HttpHeaders headers, boolean request) throws Reject {
    checkFraming(headers);
    if (startLine instanceof RequestLine rl) {
      int hosts = headers.countCode(HttpHeaders.NAME_HOST);
      if (hosts > 1) {
        throw new Reject(400, "more than one Host field");
      }
      if (rl.version() == HttpVersion.HTTP_1_1 && hosts == 0) {
        throw new Reject(400, "HTTP/1.1 request without Host");
      }
      return new HttpRequestHead(rl.method(), rl.target(), rl.version(), headers);
    }
    StatusLine sl = (StatusLine) startLine;
    return new HttpResponseHead(sl.version(), sl.status(), sl.reason(), headers);
  }

  private static void checkFraming(HttpHeaders headers) throws Reject {
    boolean hasTe = headers.containsCode(HttpHeaders.NAME_TRANSFER_ENCODING);
    if (hasTe && headers.containsCode(HttpHeaders.NAME_CONTENT_LENGTH)) {
      throw new Reject(400, "Content-Length together with Transfer-Encoding");
    }
    try {
      headers.contentLengthOrNegative();
    } catch (IllegalStateException e) {
      throw new Reject(400, e.getMessage());
    }
    if (hasTe) {
      List<String> codings = headers.transferCodings();
      if (codings.isEmpty()) {
        throw new Reject(400, "empty Transfer-Encoding");
      }
      for (String coding : codings) {
        if (!coding.equals("chunked")) {
          throw new Reject(501, "transfer coding not implemented");
        }
      }
      if (codings.size() > 1) {
        throw new Reject(400, "chunked applied more than once");
      }
    }
  }
}
