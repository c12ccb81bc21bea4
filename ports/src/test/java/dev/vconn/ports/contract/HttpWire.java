package dev.vconn.ports.contract;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * HTTP/1.1 on the wire, as the kit's clients and the fuzz oracle see it: a strict, incremental parser of the response
 * stream a client reads from the proxy, and small helpers to write requests and chunked bodies.
 *
 * <p>The parser is deliberately independent of the state machine's own parser: it is the oracle that checks what
 * the proxy writes, so it is strict where the proxy has no excuse (CRLF line ends, one framing per message, a
 * Content-Length that matches the body, a well-formed chunked encoding) and records the first violation instead of
 * throwing. Not thread-safe: feed it from one place (the client's callbacks, under its lock); the list of finished
 * responses may be read from any thread.
 */
public final class HttpWire {
    /** The longest response head the parser accepts; the proxy's own heads are far smaller. */
    public static final int MAX_HEAD = 64 * 1024;

    private HttpWire() {
    }

    /** ISO-8859-1 bytes of {@code text}. */
    public static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** ISO-8859-1 text of {@code bytes}. */
    public static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** {@code body} in chunks of at most {@code chunk} bytes, with the last chunk and an empty trailer section. */
    public static byte[] chunked(byte[] body, int chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + body.length / Math.max(1, chunk) * 8 + 8);
        for (int at = 0; at < body.length; at += chunk) {
            int n = Math.min(chunk, body.length - at);
            out.writeBytes(bytes(Integer.toHexString(n) + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(bytes("\r\n"));
        }
        out.writeBytes(bytes("0\r\n\r\n"));
        return out.toByteArray();
    }

    /** Concatenates byte arrays. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * One response as read from the wire.
     *
     * @param version       {@code HTTP/1.1} or {@code HTTP/1.0}
     * @param status        the status code
     * @param reason        the reason phrase (possibly empty)
     * @param headers       the fields in order, as {name, value}
     * @param body          the body bytes, or null if they were checked against a pattern instead of kept
     * @param bodyLength    the body length (decoded, for chunked bodies)
     * @param framing       {@code none}, {@code length}, {@code chunked} or {@code close}
     */
    public record Response(String version, int status, String reason, List<String[]> headers, byte[] body,
            long bodyLength, String framing) {
        /** The first value of a field, case-insensitively, or null. */
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        /** How many fields have this name. */
        public int count(String name) {
            return (int) headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).count();
        }

        /** Whether the {@code Connection} field has the token {@code close}. */
        public boolean closes() {
            String c = header("Connection");
            if (c == null) {
                return false;
            }
            for (String token : c.split(",")) {
                if (token.trim().equalsIgnoreCase("close")) {
                    return true;
                }
            }
            return false;
        }

        /** Whether this is an interim (1xx) response. */
        public boolean interim() {
            return status >= 100 && status < 200;
        }

        /** The body as ISO-8859-1 text (empty if it was not kept). */
        public String bodyText() {
            return body == null ? "" : text(body);
        }

        @Override
        public String toString() {
            return version + " " + status + " " + reason + " (" + framing + ", " + bodyLength + " body bytes)";
        }
    }

    /**
     * Parses the byte stream of responses a client receives, incrementally. Bodies are kept, or, with a
     * {@link BytePattern}, the bodies of 200 responses are checked byte by byte against it (from offset 0 in each
     * body) and dropped, so that responses of any size cost no memory (other bodies, such as the proxy's error
     * texts, are kept). Tell it which requests were {@code HEAD} with {@link #expectHead} in
     * request order; their responses have no body whatever their framing fields say.
     */
    public static final class ResponseParser {
        private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILER, UNTIL_CLOSE, DONE, BROKEN }

        private final BytePattern pattern;
        private final boolean keepBodies;
        private final List<Response> responses = new CopyOnWriteArrayList<>();
        private final Deque<Boolean> headRequests = new ArrayDeque<>();
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private State state = State.HEAD;
        private int headBytes;
        private String version;
        private int status;
        private String reason;
        private List<String[]> headers = new ArrayList<>();
        private String framing;
        private ByteArrayOutputStream body;
        private long bodyLength;
        private long remaining;
        private int chunkLineBytes;
        private boolean sawStatusLine;
        private volatile String violation;
        private long received;
        private long bytesInMessage;

        /** A parser that keeps every body. */
        public ResponseParser() {
            this(null);
        }

        /** A parser that checks every body against {@code pattern} (null: keep bodies). */
        public ResponseParser(BytePattern pattern) {
            this(pattern, true);
        }

        /**
         * A parser that checks bodies against {@code pattern} (if not null) and keeps those it does not check only if
         * {@code keepBodies} (a parser that only counts responses keeps none).
         */
        public ResponseParser(BytePattern pattern, boolean keepBodies) {
            this.pattern = pattern;
            this.keepBodies = keepBodies;
        }

        /** The next response answers a HEAD request (or not); call once per request, in order. */
        public void expectHead(boolean head) {
            headRequests.addLast(head);
        }

        /** The complete responses so far (interim ones included), in order. */
        public List<Response> responses() {
            return List.copyOf(responses);
        }

        /** The final (non-1xx) responses so far. */
        public List<Response> finalResponses() {
            return responses.stream().filter(r -> !r.interim()).toList();
        }

        /** The first violation of HTTP the proxy committed, or null. */
        public String violation() {
            return violation;
        }

        /** Whether the stream stands between two responses (nothing of a next one seen yet). */
        public boolean atBoundary() {
            return state == State.HEAD && headBytes == 0 || state == State.DONE;
        }

        /** Bytes of the response being read (0 at a boundary). */
        public long partialBytes() {
            return atBoundary() ? 0 : bytesInMessage;
        }

        /** Bytes fed so far. */
        public long received() {
            return received;
        }

        /** Feeds received bytes. */
        public void feed(byte[] b, int off, int len) {
            int end = off + len;
            int i = off;
            received += len;
            while (i < end) {
                switch (state) {
                    case HEAD, CHUNK_SIZE, CHUNK_CRLF, TRAILER -> {
                        byte c = b[i++];
                        bytesInMessage++;
                        lineByte(c);
                    }
                    case FIXED, CHUNK_DATA -> {
                        int n = (int) Math.min(remaining, end - i);
                        bodyBytes(b, i, n);
                        i += n;
                        bytesInMessage += n;
                        remaining -= n;
                        if (remaining == 0) {
                            if (state == State.FIXED) {
                                finish();
                            } else {
                                state = State.CHUNK_CRLF;
                            }
                        }
                    }
                    case UNTIL_CLOSE -> {
                        bodyBytes(b, i, end - i);
                        bytesInMessage += end - i;
                        i = end;
                    }
                    case DONE -> {
                        broken("bytes after a response that ended the connection: "
                                + preview(b, i, end - i));
                        return;
                    }
                    case BROKEN -> {
                        return;
                    }
                    default -> throw new IllegalStateException(state.name());
                }
            }
        }

        /** The connection ended: a close-delimited body is complete, any other partial response is truncated. */
        public void endOfStream() {
            if (state == State.UNTIL_CLOSE) {
                finish();
                state = State.DONE;
            }
        }

        /** Whether the stream ended in the middle of a response (call after {@link #endOfStream()}). */
        public boolean truncated() {
            return !(state == State.DONE || state == State.BROKEN || state == State.HEAD && headBytes == 0);
        }

        private void broken(String what) {
            if (violation == null) {
                violation = what + " (after " + responses.size() + " responses, at byte " + received + ")";
            }
            state = State.BROKEN;
        }

        private void bodyBytes(byte[] b, int off, int n) {
            if (n <= 0) {
                return;
            }
            if (pattern != null && status == 200) {
                try {
                    pattern.check(b, off, n, bodyLength);
                } catch (AssertionError e) {
                    broken("body bytes differ from the pattern: " + e.getMessage());
                }
            } else if (keepBodies) {
                body.write(b, off, n);
            }
            bodyLength += n;
        }

        private void lineByte(byte c) {
            if (state == State.HEAD && ++headBytes > MAX_HEAD) {
                broken("a response head longer than " + MAX_HEAD + " bytes");
                return;
            }
            if (state != State.HEAD && ++chunkLineBytes > 4096) {
                broken("a chunk framing line longer than 4096 bytes");
                return;
            }
            if (c != '\n') {
                line.write(c);
                return;
            }
            byte[] raw = line.toByteArray();
            line.reset();
            if (raw.length == 0 || raw[raw.length - 1] != '\r') {
                broken("a line not ended by CRLF: " + preview(raw, 0, raw.length));
                return;
            }
            String l = new String(raw, 0, raw.length - 1, StandardCharsets.ISO_8859_1);
            chunkLineBytes = 0;
            switch (state) {
                case HEAD -> headLine(l);
                case CHUNK_SIZE -> chunkSizeLine(l);
                case CHUNK_CRLF -> {
                    if (!l.isEmpty()) {
                        broken("chunk data not followed by CRLF");
                    } else {
                        state = State.CHUNK_SIZE;
                    }
                }
                case TRAILER -> {
                    if (l.isEmpty()) {
                        finish();
                    } else if (l.indexOf(':') <= 0) {
                        broken("a malformed trailer field: " + l);
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }

        private void headLine(String l) {
            if (!sawStatusLine) {
                statusLine(l);
                return;
            }
            if (!l.isEmpty()) {
                int colon = l.indexOf(':');
                if (colon <= 0 || !isToken(l.substring(0, colon))) {
                    broken("a malformed header field: " + l);
                    return;
                }
                String value = l.substring(colon + 1).trim();
                for (int k = 0; k < value.length(); k++) {
                    char ch = value.charAt(k);
                    if (ch < 0x20 && ch != '\t' || ch == 0x7f) {
                        broken("a control character in header field " + l.substring(0, colon));
                        return;
                    }
                }
                headers.add(new String[] {l.substring(0, colon), value});
                return;
            }
            headEnded();
        }

        private void statusLine(String l) {
            // HTTP-version SP 3DIGIT SP [reason]; the proxy always writes a reason-phrase separator.
            if (l.length() < 12 || !(l.startsWith("HTTP/1.1 ") || l.startsWith("HTTP/1.0 "))
                    || l.length() > 12 && l.charAt(12) != ' ') {
                broken("a malformed status line: " + l);
                return;
            }
            String code = l.substring(9, 12);
            if (!code.chars().allMatch(Character::isDigit) || code.charAt(0) < '1' || code.charAt(0) > '5') {
                broken("a malformed status code: " + l);
                return;
            }
            version = l.substring(0, 8);
            status = Integer.parseInt(code);
            reason = l.length() > 13 ? l.substring(13) : "";
            sawStatusLine = true;
        }

        private void headEnded() {
            boolean head = status >= 200 && !headRequests.isEmpty() && headRequests.peekFirst();
            String te = null;
            List<String> lengths = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase("Transfer-Encoding")) {
                    if (te != null) {
                        broken("Transfer-Encoding twice");
                        return;
                    }
                    te = h[1];
                } else if (h[0].equalsIgnoreCase("Content-Length")) {
                    lengths.add(h[1]);
                }
            }
            if (te != null && !lengths.isEmpty()) {
                broken("both Content-Length and Transfer-Encoding");
                return;
            }
            if (te != null && !te.equalsIgnoreCase("chunked")) {
                broken("a transfer coding other than chunked: " + te);
                return;
            }
            long length = -1;
            for (String v : lengths) {
                if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) {
                    broken("a malformed Content-Length: " + v);
                    return;
                }
                long n = Long.parseLong(v);
                if (length >= 0 && n != length) {
                    broken("conflicting Content-Length fields");
                    return;
                }
                length = n;
            }
            if ((status < 200 || status == 204) && (te != null || length > 0)) {
                broken("a " + status + " response with a body framing field");
                return;
            }
            body = new ByteArrayOutputStream();
            bodyLength = 0;
            if (status < 200 || status == 204 || status == 304 || head) {
                framing = "none";
                finish();
            } else if (te != null) {
                framing = "chunked";
                state = State.CHUNK_SIZE;
            } else if (length >= 0) {
                framing = "length";
                remaining = length;
                state = State.FIXED;
                if (length == 0) {
                    finish();
                }
            } else {
                framing = "close";
                state = State.UNTIL_CLOSE;
            }
        }

        private void chunkSizeLine(String l) {
            int semi = l.indexOf(';');
            String size = (semi < 0 ? l : l.substring(0, semi)).trim();
            if (size.isEmpty() || size.length() > 15 || !size.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                broken("a malformed chunk size line: " + l);
                return;
            }
            long n = Long.parseLong(size, 16);
            if (n == 0) {
                state = State.TRAILER;
            } else {
                remaining = n;
                state = State.CHUNK_DATA;
            }
        }

        private void finish() {
            boolean interim = status < 200;
            Response r = new Response(version, status, reason, List.copyOf(headers),
                    pattern == null || status != 200 ? body.toByteArray() : null, bodyLength, framing);
            responses.add(r);
            if (!interim && !headRequests.isEmpty()) {
                headRequests.removeFirst();
            }
            sawStatusLine = false;
            headers = new ArrayList<>();
            headBytes = 0;
            bytesInMessage = 0;
            body = null;
            // A close-delimited body or Connection: close ends the connection: nothing may follow it.
            state = "close".equals(framing) || !interim && r.closes() ? State.DONE : State.HEAD;
        }
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static String preview(byte[] b, int off, int len) {
        String s = new String(b, off, Math.min(len, 60), StandardCharsets.ISO_8859_1);
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format(Locale.ROOT, "\\x%02x", (int) c));
        }
        return out.append(len > 60 ? "...\"" : "\"").toString();
    }
}
