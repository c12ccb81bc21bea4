package dev.vconn.ports.contract;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpRequestHead;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A small HTTP/1.1 server written against VConns only, used by the kit as an origin (accepted by the transport's
 * {@code NetAcceptor}) and as a server intercept (the continuation given to {@code HttpTxn.intercept}): both
 * deliver NET_ACCEPT with a VConn to {@link #acceptor()}.
 *
 * <p>Per connection it reads requests one at a time (head through the domain's parser, body by Content-Length or
 * chunked, decoded), asks the responder for a {@link Reply}, writes it, and only then reads the next request, so
 * pipelined requests are answered in order. Bodies are streamed out with a bounded write buffer ({@link #MAX_BUFFERED})
 * refilled on WRITE_READY. A connection closes when the peer closes it (EOS or ERROR), after a reply that closes,
 * or by {@link #closeAll()}; each closes its own buffers. A broken rule (a bad request from the proxy, an event
 * for a foreign VIO) is recorded as {@link #failure()} rather than thrown into the transport's loop.
 */
public final class HttpKitServer {
    /** The most response bytes waiting in a connection's write buffer while a body streams. */
    public static final int MAX_BUFFERED = 64 * 1024;

    /**
     * One request as the server received it.
     *
     * @param head       the request head
     * @param body       the decoded body
     * @param connection which connection of this server it came on (0, 1, ... in accept order)
     * @param index      its position on that connection (0 for the first request)
     */
    public record Request(HttpRequestHead head, byte[] body, int connection, int index) {
        /** The body as ISO-8859-1 text. */
        public String bodyText() {
            return HttpWire.text(body);
        }
    }

    /** What to answer. Build with {@link #ok(String)}, {@link #ok(byte[])} or {@link #stream(BytePattern, long)}. */
    public static final class Reply {
        private int status = 200;
        private String reason = "OK";
        private final List<String[]> headers = new ArrayList<>();
        private byte[] body = new byte[0];
        private BytePattern pattern;
        private long length;
        private int chunkSize;
        private boolean noLength;
        private boolean close;

        private Reply() {
        }

        /** 200 with {@code body}, framed by Content-Length. */
        public static Reply ok(String body) {
            return ok(HttpWire.bytes(body));
        }

        /** 200 with {@code body}, framed by Content-Length. */
        public static Reply ok(byte[] body) {
            Reply r = new Reply();
            r.body = body.clone();
            r.length = body.length;
            return r;
        }

        /** 200 with {@code length} bytes of {@code pattern}, streamed with a bounded buffer. */
        public static Reply stream(BytePattern pattern, long length) {
            Reply r = new Reply();
            r.pattern = pattern;
            r.length = length;
            return r;
        }

        /** Sets the status line. */
        public Reply status(int code, String phrase) {
            status = code;
            reason = phrase;
            return this;
        }

        /** Adds a header field. */
        public Reply header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        /** Frames the body with the chunked coding, in chunks of {@code size} bytes. */
        public Reply chunked(int size) {
            chunkSize = size;
            return this;
        }

        /** Frames the body by closing: no length, {@code Connection: close}, write side shut after it. */
        public Reply untilClose() {
            noLength = true;
            close = true;
            return this;
        }

        /** Says {@code Connection: close} and shuts the write side down after the reply. */
        public Reply close() {
            close = true;
            return this;
        }

        byte[] head() {
            StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
            for (String[] h : headers) {
                sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (chunkSize > 0) {
                sb.append("Transfer-Encoding: chunked\r\n");
            } else if (!noLength) {
                sb.append("Content-Length: ").append(length).append("\r\n");
            }
            if (close) {
                sb.append("Connection: close\r\n");
            }
            return HttpWire.bytes(sb.append("\r\n").toString());
        }
    }

    private final BlockPool pool;
    private final Function<Request, Reply> responder;
    private final Continuation acceptor = new Continuation(this::onAccept);
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    /**
     * Twice the proxy's default head limits: the proxy forwards any head it accepted, plus its own fields (Via,
     * Host), and the server must be able to read all of them.
     */
    private static final HttpLimits LIMITS = new HttpLimits(2 * HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES,
            2 * HttpLimits.DEFAULT_MAX_HEADER_BYTES, 2 * HttpLimits.DEFAULT_MAX_HEADER_COUNT);
    private final HttpHeadParser parser = new HttpHeadParser(LIMITS);
    private volatile String failure;

    /**
     * A server.
     *
     * @param pool      where its buffers come from (the transport's pool)
     * @param responder the reply to each request; null leaves the request unanswered (the connection stays open)
     */
    public HttpKitServer(BlockPool pool, Function<Request, Reply> responder) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.responder = Objects.requireNonNull(responder, "responder");
    }

    /** Receives NET_ACCEPT with a VConn, which the server then owns. */
    public Continuation acceptor() {
        return acceptor;
    }

    /** Every request received so far, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** How many connections were accepted. */
    public int accepted() {
        return accepted.get();
    }

    /** How many connections are open. */
    public int open() {
        return (int) conns.stream().filter(c -> !c.closed).count();
    }

    /** The first broken rule, or null. */
    public String failure() {
        return failure;
    }

    /** Closes every connection (each under its lock, so no callback of it is running). */
    public void closeAll() {
        for (Conn c : conns) {
            c.lock.lock();
            try {
                c.close();
            } finally {
                c.lock.unlock();
            }
        }
    }

    private void fail(String what) {
        if (failure == null) {
            failure = "kit server: " + what;
        }
    }

    private void onAccept(Event event, Object data) {
        if (event != Event.NET_ACCEPT || !(data instanceof VConn vconn)) {
            fail("unexpected " + event + " at the acceptor");
            return;
        }
        Conn c = new Conn(vconn, accepted.getAndIncrement());
        conns.add(c);
        c.start();
    }

    /** One connection; everything runs under its lock. */
    private final class Conn {
        final VConn vconn;
        final int number;
        final ReentrantLock lock = new ReentrantLock();
        final Continuation continuation = new Continuation(this::handle, lock);
        final IOBuffer in = new IOBuffer(pool);
        final IOBufferReader inReader = in.allocReader();
        final IOBuffer out = new IOBuffer(pool);
        final IOBufferReader outReader = out.allocReader();
        ReadVio read;
        WriteVio write;
        HttpRequestHead head;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final ChunkedDecoder chunks = new ChunkedDecoder();
        long bodyLeft;
        boolean chunkedBody;
        int served;
        Reply reply;
        boolean headOnly;
        long streamed;
        boolean replyQueued;
        boolean busy;
        boolean closed;

        Conn(VConn vconn, int number) {
            this.vconn = vconn;
            this.number = number;
            // A head bigger than one block must fit whole before it parses (docs/semantics.md, rule 3.5 read-ahead).
            in.setWaterMark(LIMITS.maxHeaderBytes() + 1L);
        }

        void start() {
            lock.lock();
            try {
                read = vconn.read(continuation, Long.MAX_VALUE, in);
            } catch (RuntimeException e) {
                fail("posting the first read failed: " + e);
                close();
            } finally {
                lock.unlock();
            }
        }

        private void handle(Event event, Object data) {
            if (closed) {
                return;
            }
            try {
                if (!(data instanceof VIO vio) || (vio != read && vio != write)) {
                    fail(event + " for a VIO that is not this connection's: " + data);
                    return;
                }
                switch (event) {
                    case READ_READY, READ_COMPLETE -> process();
                    case WRITE_READY -> refill();
                    case WRITE_COMPLETE -> replied();
                    case EOS, ERROR, INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> close();
                    default -> fail("unexpected event " + event);
                }
            } catch (RuntimeException | AssertionError e) {
                fail(event + ": " + e);
                close();
            }
        }

        /** Reads requests while none is being answered. */
        private void process() {
            while (!busy && !closed) {
                if (head == null) {
                    HttpHeadParser.Result<HttpRequestHead> r = parser.parseRequest(inReader);
                    if (r instanceof HttpHeadParser.Rejected<HttpRequestHead> rejected) {
                        fail("the proxy sent a request the server's parser rejects: " + rejected);
                        close();
                        return;
                    }
                    if (!(r instanceof HttpHeadParser.Parsed<HttpRequestHead> parsed)) {
                        break;
                    }
                    head = parsed.head();
                    body.reset();
                    HttpHeaders h = head.headers();
                    chunkedBody = h.isChunked();
                    chunks.reset();
                    bodyLeft = chunkedBody ? 0 : h.contentLength().orElse(0);
                }
                if (!readBody()) {
                    break;
                }
                Request req = new Request(head, body.toByteArray(), number, served++);
                head = null;
                requests.add(req);
                Reply answer = responder.apply(req);
                busy = true;
                if (answer != null) {
                    startReply(answer, isHead(req));
                }
            }
            if (!closed && read != null) {
                read.reenable();
            }
        }

        /** Moves body bytes out of the read buffer; true once the body is complete. */
        private boolean readBody() {
            if (chunkedBody) {
                String bad = chunks.decode(inReader, body);
                if (bad != null) {
                    fail("the proxy sent a bad chunked body: " + bad);
                    close();
                    return false;
                }
                return chunks.done();
            }
            long n = Math.min(bodyLeft, inReader.readAvail());
            if (n > 0) {
                byte[] b = new byte[(int) n];
                inReader.read(b, 0, b.length);
                body.write(b, 0, b.length);
                bodyLeft -= n;
            }
            return bodyLeft == 0;
        }

        private boolean isHead(Request req) {
            return req.head().method().equals("HEAD");
        }

        /** Starts a reply; to a HEAD request only its head goes out (its length fields still describe the body). */
        private void startReply(Reply r, boolean headOnly) {
            reply = r;
            this.headOnly = headOnly;
            streamed = headOnly ? r.length : 0;
            replyQueued = false;
            out.write(r.head());
            if (write == null || write.isComplete() || write.isRetired()) {
                write = vconn.write(continuation, Long.MAX_VALUE, outReader);
            }
            refill();
        }

        /** Appends body bytes while the buffer has room; once the reply is whole, fixes the write's nbytes. */
        private void refill() {
            Reply r = reply;
            if (r == null || replyQueued) {
                return;
            }
            while (streamed < r.length && outReader.readAvail() < MAX_BUFFERED) {
                int n = (int) Math.min(r.length - streamed,
                        r.chunkSize > 0 ? r.chunkSize : Math.min(16 * 1024, MAX_BUFFERED));
                if (r.chunkSize > 0) {
                    out.write(HttpWire.bytes(Integer.toHexString(n) + "\r\n"));
                }
                if (r.pattern != null) {
                    r.pattern.write(out, streamed, n);
                } else {
                    out.write(r.body, (int) streamed, n);
                }
                if (r.chunkSize > 0) {
                    out.write(HttpWire.bytes("\r\n"));
                }
                streamed += n;
            }
            if (streamed == r.length) {
                if (r.chunkSize > 0 && !headOnly) {
                    out.write(HttpWire.bytes("0\r\n\r\n"));
                }
                replyQueued = true;
                write.setNBytes(write.ndone() + outReader.readAvail());
            }
            write.reenable();
        }

        /** The reply went out whole. */
        private void replied() {
            Reply r = reply;
            reply = null;
            busy = false;
            if (r != null && r.close) {
                vconn.shutdown(ShutdownHow.WRITE); // the proxy sees the end; we close on its EOS
                return;
            }
            process();
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            vconn.close();
            in.close();
            out.close();
        }
    }

    /** Decodes a chunked body from a reader into a byte stream, strictly. */
    static final class ChunkedDecoder {
        private enum State { SIZE, DATA, DATA_CR, DATA_LF, TRAILER, DONE }

        private State state = State.SIZE;
        private final StringBuilder line = new StringBuilder();
        private long left;

        void reset() {
            state = State.SIZE;
            line.setLength(0);
            left = 0;
        }

        boolean done() {
            return state == State.DONE;
        }

        /** Decodes what is readable; returns null, or what is wrong. */
        String decode(IOBufferReader r, ByteArrayOutputStream to) {
            while (state != State.DONE && r.readAvail() > 0) {
                if (state == State.DATA) {
                    int n = (int) Math.min(left, Math.min(r.readAvail(), 64 * 1024));
                    byte[] b = new byte[n];
                    r.read(b, 0, n);
                    to.write(b, 0, n);
                    left -= n;
                    if (left == 0) {
                        state = State.DATA_CR;
                    }
                    continue;
                }
                byte c = r.byteAt(0);
                r.consume(1);
                switch (state) {
                    case DATA_CR -> {
                        if (c != '\r') {
                            return "chunk data not followed by CR";
                        }
                        state = State.DATA_LF;
                    }
                    case DATA_LF -> {
                        if (c != '\n') {
                            return "chunk data not followed by CRLF";
                        }
                        state = State.SIZE;
                    }
                    case SIZE, TRAILER -> {
                        if (c != '\n') {
                            line.append((char) (c & 0xff));
                            if (line.length() > 4096) {
                                return "a chunk line longer than 4096 bytes";
                            }
                            continue;
                        }
                        if (line.length() == 0 || line.charAt(line.length() - 1) != '\r') {
                            return "a chunk line not ended by CRLF";
                        }
                        String l = line.substring(0, line.length() - 1);
                        line.setLength(0);
                        if (state == State.TRAILER) {
                            if (l.isEmpty()) {
                                state = State.DONE;
                            }
                            continue;
                        }
                        int semi = l.indexOf(';');
                        String size = semi < 0 ? l : l.substring(0, semi);
                        if (size.isEmpty() || size.length() > 15
                                || !size.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                            return "a bad chunk size line: " + l;
                        }
                        left = Long.parseLong(size, 16);
                        state = left == 0 ? State.TRAILER : State.DATA;
                    }
                    default -> throw new IllegalStateException(state.name());
                }
            }
            return null;
        }
    }
}
