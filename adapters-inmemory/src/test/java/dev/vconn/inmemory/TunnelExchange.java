package dev.vconn.inmemory;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.ports.contract.BytePattern;
import dev.vconn.ports.contract.HttpWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * CONNECT and upgrade exchanges through the proxy, for the HTTP fuzz ({@link HttpFuzzRound}) and the tunnel
 * simulation ({@link SimulationTunnelTest}): a {@link Plan} (a pure function of a seed) says what the client asks for,
 * what crosses the tunnel each way, in which writes and with which gaps, and who ends it how; a {@link Client} and a
 * {@link Target} (the CONNECT target, or the upgrade origin behind the remap of {@code /u/}) play it on the in-memory
 * transport; {@link #judge} says whether the proxy kept the rules of docs/http.md, "Tunnels" and "Upgrades".
 *
 * <p>The client's stream through the tunnel starts with a line {@code TUNNEL <id>} so that the CONNECT target, which
 * the proxy connects to blindly, knows which plan it plays (the upgrade origin knows it from the request path).
 * Either peer records every event it gets and reports any that breaks docs/semantics.md: an event after its own
 * {@code close()} returned, off the loop thread, without its lock, or for a VIO that is not its current one.
 */
final class TunnelExchange {
    /** The port the target listens on (in the proxy's CONNECT allow-list). */
    static final int TARGET_PORT = 20443;
    /** A port something listens on that is not in the allow-list: it must never get a connection. */
    static final int FORBIDDEN_PORT = 20025;
    /** A port in the allow-list where nothing listens: 502. */
    static final int UNREACHABLE_PORT = 20444;
    /** The port of the origin that answers upgrade requests ({@code /u/} is remapped to it). */
    static final int ORIGIN_PORT = 20080;
    /** The bytes of the client's stream after the preamble line. */
    static final BytePattern UP = new BytePattern(0x7E11);
    /** The bytes the target sends when it does not echo. */
    static final BytePattern DOWN = new BytePattern(0x7E22);
    static final String PREAMBLE = "TUNNEL ";
    /** Marks a request the proxy must never answer or forward (a request pipelined after a refused CONNECT). */
    static final String NEVER_ANSWERED = "?" + HttpFuzzCase.SMUGGLED;

    private static final String[] BAD_TARGETS = {"/path", "http://127.0.0.1:" + TARGET_PORT + "/", "127.0.0.1",
        "127.0.0.1:", ":" + TARGET_PORT, "127.0.0.1:" + TARGET_PORT + "x", "127.0.0.1:99999", "127.0.0.1:0",
        "user@127.0.0.1:" + TARGET_PORT, "127.0.0.1:+" + TARGET_PORT, "[::1:" + TARGET_PORT, "*"};

    /** What the client asks for. */
    enum Kind {
        /** An allowed port where the target listens: 200, then the tunnel. */
        OPEN,
        /** A port not in the allow-list: 403, the forbidden listener gets nothing. */
        REFUSED_PORT,
        /** A target that is not {@code host:port}: 400. */
        BAD_TARGET,
        /** An allowed port where nothing listens: 502. */
        UNREACHABLE,
        /** A GET asking for {@code Upgrade: websocket}; the origin answers 101, then the tunnel. */
        UPGRADE,
        /**
         * A GET asking for an upgrade that the origin answers 200 instead: no tunnel, the connection stays HTTP and
         * a second GET on it is answered.
         */
        UPGRADE_DECLINED,
        /** A 101 the client did not ask for (no upgrade asked, or another protocol than asked): 502. */
        UPGRADE_UNASKED;

        /** Whether the exchange should end in a tunnel. */
        boolean tunnels() {
            return this == OPEN || this == UPGRADE;
        }
    }

    /** Who ends an open tunnel, and how. */
    enum Ending {
        /** The client half-closes once it sent everything; the target closes once it sent everything and saw EOS. */
        CLIENT_HALF_CLOSE,
        /** The client closes once it sent and received everything; the target closes at EOS. */
        CLIENT_CLOSE,
        /** The target half-closes once it sent everything; the client closes once it sent everything and saw EOS. */
        TARGET_HALF_CLOSE,
        /** The target closes once it sent and received everything; the client closes at EOS. */
        TARGET_CLOSE,
        /** The client resets the connection after {@code upStop} bytes of its stream. */
        CLIENT_ABORT,
        /** The target resets its connection after {@code downStop} bytes of its stream. */
        TARGET_ABORT,
        /**
         * Both stop sending (client after {@code upStop}, target after {@code downStop}) and wait: the tunnel's
         * inactivity timeout must end it.
         */
        STALL;

        boolean clean() {
            return this != CLIENT_ABORT && this != TARGET_ABORT;
        }
    }

    /** One write of a stream: {@code length} bytes after {@code delay}. */
    record Step(int length, Duration delay) {
    }

    /** Bounds of a plan: the largest stream, the longest gap between two writes. */
    record Limits(int maxStream, Duration maxGap, boolean priors) {
    }

    /** One exchange, a pure function of its id and random source. */
    static final class Plan {
        final long id;
        final Kind kind;
        final Ending ending;
        final boolean echo;
        final boolean lookalike;
        /** The CONNECT's authority, or the upgrade request's target (what the access log's url shows). */
        final String target;
        final int status;
        /** For {@link Kind#UPGRADE_UNASKED}: the client asked for websocket and the origin switches to h2c. */
        final boolean otherProtocol;
        /** For {@link Kind#UPGRADE}: bytes of {@link #down} the origin sends in the same write as its 101. */
        final int originAhead;
        /** For {@link Kind#UPGRADE_DECLINED}: the body length of the origin's 200. */
        final int declinedLength;
        /** For {@link Kind#UPGRADE}: the client sends nothing at all through the tunnel. */
        final boolean silent;
        /** GET requests on the same connection before the CONNECT (the client waits for each response). */
        final List<byte[]> priors = new ArrayList<>();
        final List<Integer> priorLengths = new ArrayList<>();
        /** The CONNECT or upgrade request head; null for {@link Kind#UPGRADE_DECLINED} (its requests are priors). */
        final byte[] head;
        /** A tunnel's client stream to the target; otherwise the bytes pipelined after the head. */
        final byte[] up;
        final int preambleLength;
        /** Bytes of {@link #up} written together with the head. */
        final int pipelined;
        final List<Step> upSteps = new ArrayList<>();
        /** What the client must receive after the 200 head. */
        final byte[] down;
        final List<Step> downSteps = new ArrayList<>();
        final int upStop;
        final int downStop;
        final long pauseAfter;
        final Duration pauseFor;

        Plan(long id, SplittableRandom r, Limits limits) {
            this.id = id;
            int k = r.nextInt(100);
            kind = k < 45 ? Kind.OPEN : k < 52 ? Kind.REFUSED_PORT : k < 59 ? Kind.BAD_TARGET : k < 65
                    ? Kind.UNREACHABLE : k < 85 ? Kind.UPGRADE : k < 93 ? Kind.UPGRADE_DECLINED : Kind.UPGRADE_UNASKED;
            int e = r.nextInt(100);
            ending = e < 15 ? Ending.CLIENT_HALF_CLOSE : e < 30 ? Ending.CLIENT_CLOSE : e < 45
                    ? Ending.TARGET_HALF_CLOSE : e < 60 ? Ending.TARGET_CLOSE : e < 72 ? Ending.CLIENT_ABORT
                    : e < 84 ? Ending.TARGET_ABORT : Ending.STALL;
            echo = kind.tunnels() && r.nextInt(10) < 3;
            otherProtocol = kind == Kind.UPGRADE_UNASKED && r.nextBoolean();
            declinedLength = kind == Kind.UPGRADE_DECLINED ? r.nextInt(3000) : 0;
            // After a plain GET's 502 the connection stays, so a pipelined request there is answered as it should be.
            lookalike = r.nextInt(4) == 0 && !(kind == Kind.UPGRADE_UNASKED && !otherProtocol);
            target = switch (kind) {
                case OPEN -> "127.0.0.1:" + TARGET_PORT;
                case REFUSED_PORT -> "127.0.0.1:" + FORBIDDEN_PORT;
                case BAD_TARGET -> BAD_TARGETS[r.nextInt(BAD_TARGETS.length)];
                case UNREACHABLE -> "127.0.0.1:" + UNREACHABLE_PORT;
                case UPGRADE -> "/u/" + id + "/101";
                case UPGRADE_DECLINED -> "/u/" + id + "/declined";
                case UPGRADE_UNASKED -> "/u/" + id + "/unasked";
            };
            status = switch (kind) {
                case OPEN, UPGRADE_DECLINED -> 200;
                case REFUSED_PORT -> 403;
                case BAD_TARGET -> 400;
                case UNREACHABLE, UPGRADE_UNASKED -> 502;
                case UPGRADE -> 101;
            };
            if (limits.priors() && r.nextInt(4) == 0) {
                int n = 1 + r.nextInt(2);
                for (int i = 0; i < n; i++) {
                    int len = r.nextInt(3000);
                    priors.add(HttpWire.bytes("GET /" + (r.nextBoolean() ? "i" : "o") + "/len/" + len
                            + " HTTP/1.1\r\nHost: fuzz.test\r\n" + HttpFuzzCase.ID_FIELD + ": " + id + "." + i
                            + ".0\r\n\r\n"));
                    priorLengths.add(len);
                }
            }
            String asks = (r.nextBoolean() ? "Upgrade: websocket\r\n" : "upgrade: WebSocket, foo/2\r\n")
                    + (r.nextBoolean() ? "Connection: Upgrade\r\n" : "Connection: keep-alive, upgrade\r\n")
                    + "Sec-WebSocket-Version: 13\r\n";
            String get = "GET " + target + " HTTP/1.1\r\nHost: fuzz.test\r\n";
            head = switch (kind) {
                case UPGRADE -> HttpWire.bytes(get + asks + "\r\n");
                case UPGRADE_UNASKED -> HttpWire.bytes(get + (otherProtocol ? asks : "") + "\r\n");
                case UPGRADE_DECLINED -> null;
                default -> HttpWire.bytes("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
                        + (r.nextInt(5) == 0 ? "Proxy-Connection: keep-alive\r\n" : "") + "\r\n");
            };
            if (kind == Kind.UPGRADE_DECLINED) {
                // Then a plain GET on the same connection: keep-alive goes on after an upgrade the origin declined.
                int len = r.nextInt(3000);
                priors.add(HttpWire.bytes(get + asks + "\r\n"));
                priorLengths.add(declinedLength);
                priors.add(HttpWire.bytes("GET /u/" + id + "/len/" + len + " HTTP/1.1\r\nHost: fuzz.test\r\n\r\n"));
                priorLengths.add(len);
            }
            String never = "GET /i/len/7" + NEVER_ANSWERED + id + " HTTP/1.1\r\nHost: fuzz.test\r\n\r\n";
            // A silent client sends nothing through its upgraded connection (the origin knows the plan without a
            // preamble): an empty stream's end must still be passed on.
            silent = kind == Kind.UPGRADE && r.nextInt(10) == 0;
            if (kind.tunnels()) {
                byte[] preamble = HttpWire.bytes(silent ? "" : PREAMBLE + id + "\n");
                preambleLength = preamble.length;
                byte[] body = UP.bytes(0, silent ? 0 : size(r, limits.maxStream()));
                up = lookalike && !silent ? HttpWire.concat(preamble, HttpWire.bytes(never), body)
                        : HttpWire.concat(preamble, body);
                pipelined = r.nextInt(10) < 3 && up.length > 0 ? 1 + r.nextInt(Math.min(up.length, 5000)) : 0;
                down = echo ? java.util.Arrays.copyOfRange(up, preambleLength, up.length)
                        : DOWN.bytes(0, size(r, limits.maxStream()));
            } else {
                preambleLength = 0;
                up = lookalike && head != null ? HttpWire.bytes(never) : new byte[0];
                pipelined = up.length;
                down = new byte[0];
            }
            steps(r, up.length - pipelined, upSteps, limits.maxGap());
            steps(r, down.length, downSteps, limits.maxGap());
            // The client always sends its preamble before it stops, so the target knows the plan.
            upStop = ending == Ending.STALL || ending == Ending.CLIENT_ABORT
                    ? Math.max(ending == Ending.STALL ? pipelined : 0,
                            preambleLength + r.nextInt(up.length - preambleLength + 1)) : up.length;
            // An echoing target echoes all it gets: a stall is the client's.
            downStop = ending == Ending.STALL && !echo || ending == Ending.TARGET_ABORT
                    ? r.nextInt(down.length + 1) : down.length;
            originAhead = kind == Kind.UPGRADE && !echo && r.nextInt(10) < 3
                    ? r.nextInt(Math.min(downStop, 3000) + 1) : 0;
            if (r.nextInt(5) == 0) {
                pauseAfter = r.nextInt(down.length + 1);
                pauseFor = Duration.ofNanos(1 + r.nextLong(Math.max(2, limits.maxGap().toNanos())));
            } else {
                pauseAfter = -1;
                pauseFor = Duration.ZERO;
            }
        }

        private static int size(SplittableRandom r, int max) {
            int s = r.nextInt(100);
            return s < 10 ? 0 : s < 40 ? 1 + r.nextInt(200) : s < 80 ? 200 + r.nextInt(8000)
                    : 1 + r.nextInt(max);
        }

        private static void steps(SplittableRandom r, int total, List<Step> into, Duration maxGap) {
            int pieces = r.nextInt(3) == 0 ? 1 : 1 + r.nextInt(8);
            int left = total;
            for (int p = 0; p < pieces && left > 0; p++) {
                int n = p == pieces - 1 ? left : 1 + r.nextInt(Math.max(1, left / (pieces - p) * 2));
                n = Math.min(n, left);
                int g = r.nextInt(100);
                Duration gap = g < 50 ? Duration.ZERO : g < 85 ? Duration.ofMillis(1 + r.nextInt(3))
                        : Duration.ofNanos(1 + r.nextLong(Math.max(2, maxGap.toNanos())));
                into.add(new Step(n, gap));
                left -= n;
            }
        }

        /** Bytes the client's first write carries after the priors: the head and the pipelined bytes. */
        byte[] firstWrite() {
            return HttpWire.concat(head, java.util.Arrays.copyOf(up, pipelined));
        }

        /** How many bytes of its stream the client writes in all. */
        int upLimit() {
            return kind.tunnels() ? upStop : up.length;
        }

        /** The status that opens the tunnel: 200 to a CONNECT, 101 to an upgrade. */
        int tunnelStatus() {
            return kind == Kind.UPGRADE ? 101 : 200;
        }

        /** How many bytes the target writes in all (for an echo: of what it received). */
        int downLimit() {
            return downStop;
        }

        String describe() {
            StringBuilder sb = new StringBuilder("tunnel ").append(kind).append(' ').append(target).append(" -> ")
                    .append(status);
            if (originAhead > 0) {
                sb.append(", the origin's first ").append(originAhead).append(" bytes with its 101");
            }
            if (otherProtocol) {
                sb.append(", the origin switches to another protocol than asked");
            }
            if (kind.tunnels()) {
                sb.append(", ").append(ending).append(echo ? ", echo" : "").append(", up ").append(up.length)
                        .append(" bytes in ").append(upSteps.size()).append(" writes (").append(pipelined)
                        .append(" pipelined, stop at ").append(upStop).append("), down ").append(down.length)
                        .append(" in ").append(downSteps.size()).append(" writes (stop at ").append(downStop)
                        .append(')');
                if (lookalike && !silent) {
                    sb.append(", an HTTP request inside the tunnel");
                }
                if (silent) {
                    sb.append(", a silent client");
                }
                if (pauseAfter >= 0) {
                    sb.append(", the client pauses reading after ").append(pauseAfter).append(" for ")
                            .append(pauseFor);
                }
            } else if (lookalike) {
                sb.append(", a request pipelined after the head");
            }
            if (!priors.isEmpty()) {
                sb.append(", after ").append(priors.size()).append(" GET(s) on the connection");
            }
            return sb.toString();
        }
    }

    private TunnelExchange() {
    }

    // ------------------------------------------------------------------------------------------------ peers

    /**
     * What both peers share: one VConn, one lock, one read of everything, one write at a time, strict event checks.
     * Everything runs under the lock on the loop; nothing throws into the loop.
     */
    abstract static class Peer {
        private static final Object SEND = "send";
        private static final Object RESUME = "resume";
        final String name;
        final BlockPool pool;
        final ReentrantLock lock = new ReentrantLock();
        final Continuation cont = new Continuation(this::handle, lock);
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<String> trace;
        final List<String> failures = new ArrayList<>();
        VConn vc;
        IOBuffer out;
        IOBufferReader outReader;
        IOBuffer in;
        IOBufferReader inReader;
        ReadVio read;
        WriteVio write;
        boolean writing;
        boolean eos;
        boolean readError;
        boolean writeError;
        boolean closed;
        boolean aborted;
        boolean shutWrite;
        boolean paused;
        boolean sendScheduled;
        long readLimit = Long.MAX_VALUE;
        long lastIo = -1;
        long endedAt = -1;
        private final byte[] chunk = new byte[16 * 1024];

        Peer(String name, BlockPool pool, boolean traced) {
            this.name = name;
            this.pool = pool;
            this.trace = traced ? new ArrayList<>() : null;
        }

        final void start(VConn v) {
            vc = v;
            out = new IOBuffer(pool);
            outReader = out.allocReader();
            in = new IOBuffer(pool);
            inReader = in.allocReader();
            lastIo = now();
            note("connected");
            read = vc.read(cont, Long.MAX_VALUE, in);
            started();
        }

        final long now() {
            return vc == null ? 0 : vc.eventLoop().nanoTime();
        }

        boolean ended() {
            return eos || readError || writeError;
        }

        /** Writes {@code n} bytes of {@code b} from {@code off} as one write VIO (none may be in flight). */
        final void write(byte[] b, int off, int n) {
            out.write(b, off, n);
            writing = true;
            write = vc.write(cont, n, outReader);
            note("write " + n);
        }

        final void sendLater(Duration delay) {
            if (!sendScheduled && !closed) {
                sendScheduled = true;
                ContinuationScheduler.schedule(vc.eventLoop(), cont, Event.IMMEDIATE, SEND, delay);
            }
        }

        final void handle(Event event, Object data) {
            try {
                if (event == Event.IMMEDIATE) {
                    if (closed) {
                        return;
                    }
                    if (data == RESUME) {
                        note("resume reading");
                        paused = false;
                        drain();
                    } else {
                        sendScheduled = false;
                        send();
                    }
                    progress();
                    return;
                }
                if (event == Event.NET_CONNECT) {
                    start((VConn) data);
                    return;
                }
                if (event == Event.NET_CONNECT_FAILED) {
                    fail("connecting failed: " + data);
                    return;
                }
                if (closed) {
                    fail(event + " after close() returned (docs/semantics.md: no event after close)");
                    return;
                }
                if (!vc.eventLoop().inEventLoop()) {
                    fail(event + " off the loop thread");
                }
                if (!lock.isHeldByCurrentThread()) {
                    fail(event + " without the continuation's lock");
                }
                if (!(data instanceof VIO vio) || vio != read && vio != write) {
                    fail(event + " for " + data + ", which is neither the current read nor the current write");
                    return;
                }
                switch (event) {
                    case READ_READY, READ_COMPLETE -> drain();
                    case EOS -> {
                        if (eos) {
                            fail("EOS twice without a reenable");
                        }
                        eos = true;
                        endedAt = now();
                        note("EOS");
                        drain();
                    }
                    case ERROR -> {
                        endedAt = endedAt < 0 ? now() : endedAt;
                        if (data == read) {
                            readError = true;
                        } else {
                            writeError = true;
                        }
                        note((data == read ? "read" : "write") + " ERROR " + vc.error());
                    }
                    case WRITE_COMPLETE -> {
                        writing = false;
                        lastIo = now();
                        wrote((int) write.ndone());
                        send();
                    }
                    case WRITE_READY -> lastIo = now();
                    default -> fail("unexpected " + event);
                }
                progress();
            } catch (RuntimeException e) {
                fail(event + " threw " + e);
            }
        }

        /** Consumes what arrived, unless paused; pauses once {@link #readLimit} bytes were read. */
        final void drain() {
            if (paused) {
                return;
            }
            long n;
            while ((n = Math.min(inReader.readAvail(), readLimit - received.size())) > 0) {
                int k = inReader.read(chunk, 0, (int) Math.min(n, chunk.length));
                received.write(chunk, 0, k);
                lastIo = now();
                note("read " + k);
                got(chunk, k);
            }
            if (received.size() >= readLimit && inReader.readAvail() > 0) {
                note("pause reading");
                paused = true;
                readLimit = Long.MAX_VALUE;
                ContinuationScheduler.schedule(vc.eventLoop(), cont, Event.IMMEDIATE, RESUME, pauseFor());
                return;
            }
            if (!eos && !closed) {
                read.reenable();
            }
        }

        final void note(String what) {
            if (trace != null) {
                trace.add(String.format(Locale.ROOT, "t=%.3f ms %s %s", now() / 1e6, name, what));
            }
        }

        final void fail(String what) {
            failures.add(name + ": " + what);
            note("FAILURE " + what);
        }

        /** Closes (after consuming what already arrived, paused or not). */
        final void close() {
            if (closed) {
                return;
            }
            if (vc != null) {
                paused = false;
                readLimit = Long.MAX_VALUE;
                drain();
                note("close");
                vc.close();
            }
            closed = true;
            if (endedAt < 0 && vc != null) {
                endedAt = now();
            }
        }

        final void abort() {
            note("abort");
            aborted = true;
            vc.abort(Errno.ECONNRESET, new IOException("the tunnel test resets"));
            closed = true;
        }

        final void shutdownWrite() {
            if (!shutWrite && !closed) {
                note("shutdown write");
                shutWrite = true;
                vc.shutdown(ShutdownHow.WRITE);
            }
        }

        /** Frees the buffers (after the loop went idle; takes the lock). */
        final void release() {
            lock.lock();
            try {
                close();
                if (out != null) {
                    out.close();
                    in.close();
                    out = null;
                }
            } finally {
                lock.unlock();
            }
        }

        abstract void started();

        abstract void got(byte[] b, int n);

        abstract void wrote(int n);

        abstract void send();

        abstract void progress();

        abstract Duration pauseFor();
    }

    /** The client: priors, then the CONNECT head, then its stream per the plan. */
    static final class Client extends Peer {
        final Plan plan;
        final boolean faulted;
        private final HttpWire.ResponseParser priorParser = new HttpWire.ResponseParser(HttpFuzzCase.PATTERN);
        private int priorsSent;
        int priorEnd = -1;
        private boolean firstWritten;
        private boolean firstDone;
        /** Offset in {@link #received} where the tunnel's bytes start (after the CONNECT response head), or -1. */
        int tunnelStart = -1;
        int connectStatus = -1;
        private int upSent;
        private int step;
        private int scheduled = -1;

        Client(Plan plan, BlockPool pool, boolean faulted, boolean traced) {
            super("client", pool, traced);
            this.plan = plan;
            this.faulted = faulted;
            for (int i = 0; i < plan.priors.size(); i++) {
                priorParser.expectHead(false);
            }
        }

        @Override
        void started() {
            if (plan.priors.isEmpty()) {
                priorEnd = 0;
            }
            send();
        }

        @Override
        Duration pauseFor() {
            return plan.pauseFor;
        }

        @Override
        void got(byte[] b, int n) {
            if (priorEnd < 0) {
                priorParser.feed(b, 0, n);
                if (priorParser.finalResponses().size() == priorsSent && priorParser.atBoundary()) {
                    if (priorsSent == plan.priors.size()) {
                        priorEnd = received.size();
                    }
                    send();
                }
                return;
            }
            if (tunnelStart < 0) {
                byte[] all = received.toByteArray();
                int end = HttpWire.text(all).indexOf("\r\n\r\n", priorEnd);
                if (end >= 0) {
                    tunnelStart = end + 4;
                    String line = HttpWire.text(all).substring(priorEnd, Math.min(all.length, priorEnd + 12));
                    if (line.startsWith("HTTP/1.1 ") && line.length() >= 12) {
                        try {
                            connectStatus = Integer.parseInt(line.substring(9, 12));
                        } catch (NumberFormatException e) {
                            connectStatus = 0;
                        }
                    } else {
                        connectStatus = 0;
                    }
                    note("CONNECT answered " + connectStatus);
                    if (plan.pauseAfter >= 0 && connectStatus == plan.tunnelStatus()) {
                        readLimit = tunnelStart + plan.pauseAfter;
                    }
                    send();
                }
            }
        }

        int downReceived() {
            return tunnelStart < 0 ? 0 : received.size() - tunnelStart;
        }

        @Override
        void wrote(int n) {
            if (firstWritten && !firstDone && priorsSent == plan.priors.size()) {
                firstDone = true;
                upSent = plan.pipelined;
            } else if (firstDone) {
                upSent += n;
            }
        }

        @Override
        void send() {
            if (closed || writing || sendScheduled || writeError || shutWrite) {
                return;
            }
            if (priorsSent < plan.priors.size()) {
                if (priorParser.finalResponses().size() == priorsSent && priorParser.atBoundary()) {
                    byte[] p = plan.priors.get(priorsSent++);
                    write(p, 0, p.length);
                }
                return;
            }
            if (priorEnd < 0) {
                return; // the last prior response is still coming
            }
            if (!firstWritten) {
                if (plan.head == null) {
                    close(); // its requests were all answered on a connection that stayed open
                    return;
                }
                firstWritten = true;
                byte[] first = plan.firstWrite();
                write(first, 0, first.length);
                return;
            }
            if (firstDone && plan.kind.tunnels() && plan.ending == Ending.CLIENT_ABORT
                    && plan.upStop <= plan.pipelined) {
                abort(); // gone before the 200, maybe while the proxy connects
                return;
            }
            if (!firstDone || !plan.kind.tunnels() || connectStatus != plan.tunnelStatus()) {
                return;
            }
            int limit = plan.upLimit();
            if (upSent < limit) {
                if (step < plan.upSteps.size()) {
                    Step s = plan.upSteps.get(step);
                    if (s.delay().isZero() || scheduled == step) {
                        step++;
                        write(plan.up, upSent, Math.min(s.length(), limit - upSent));
                    } else {
                        scheduled = step;
                        sendLater(s.delay());
                    }
                }
                return;
            }
            switch (plan.ending) {
                case CLIENT_ABORT -> abort();
                case CLIENT_HALF_CLOSE -> shutdownWrite();
                default -> { }
            }
        }

        @Override
        void progress() {
            if (closed) {
                return;
            }
            if (readError || writeError) {
                close();
                return;
            }
            if (!plan.kind.tunnels() || connectStatus >= 0 && connectStatus != plan.tunnelStatus()) {
                if (eos) {
                    close();
                }
                return;
            }
            boolean allSent = firstDone && upSent >= plan.upLimit();
            if (plan.ending == Ending.CLIENT_CLOSE && allSent && tunnelStart >= 0
                    && downReceived() >= plan.down.length) {
                close();
            } else if (eos && (allSent || faulted || plan.ending != Ending.TARGET_HALF_CLOSE)) {
                close();
            }
        }
    }

    /**
     * The CONNECT target's and the upgrade origin's acceptors: one {@link TargetConn} per connection the proxy makes.
     */
    static final class Target {
        final Map<Long, Plan> plans = new HashMap<>();
        final List<TargetConn> connections = new ArrayList<>();
        final BlockPool pool;
        final long traced;
        /** For the CONNECT target: the connection carries a tunnel from its first byte. */
        final Continuation acceptor;
        /** For the upgrade origin: the connection carries HTTP requests until the origin answers 101. */
        final Continuation originAcceptor;

        Target(BlockPool pool, long traced) {
            this.pool = pool;
            this.traced = traced;
            this.acceptor = acceptor(false);
            this.originAcceptor = acceptor(true);
        }

        private Continuation acceptor(boolean http) {
            return new Continuation((event, data) -> {
                if (event == Event.NET_ACCEPT && data instanceof VConn v) {
                    TargetConn c = new TargetConn(this);
                    c.http = http;
                    connections.add(c);
                    c.lock.lock();
                    try {
                        c.start(v);
                    } finally {
                        c.lock.unlock();
                    }
                }
            }, new ReentrantLock());
        }

        /** The connections that carried plan {@code id}'s tunnel. */
        List<TargetConn> of(long id) {
            return connections.stream().filter(c -> c.plan != null && c.plan.id == id).toList();
        }

        void releaseAll() {
            connections.forEach(Peer::release);
        }
    }

    /**
     * One connection from the proxy: a tunnel's target side. As the upgrade origin it first reads request heads
     * ({@code GET /u/<id>/<what>}) and answers them, on a connection the proxy may keep alive and reuse, until it
     * answers a 101: then it plays plan {@code id}'s target side.
     */
    static final class TargetConn extends Peer {
        private final Target owner;
        Plan plan;
        boolean http;
        String badPreamble;
        private int downSent;
        private int step;
        private int scheduled = -1;
        /** Responses waiting for the write in flight. */
        private final List<Pending> responses = new ArrayList<>();
        /** Bytes of the write in flight that are not the tunnel's (a response head, a whole response). */
        private int notDown;

        TargetConn(Target owner) {
            super("target", owner.pool, owner.traced != -1);
            this.owner = owner;
        }

        @Override
        void started() {
        }

        @Override
        Duration pauseFor() {
            return Duration.ZERO;
        }

        @Override
        void got(byte[] b, int n) {
            if (http) {
                requests();
                return;
            }
            if (plan == null && badPreamble == null) {
                String s = HttpWire.text(received.toByteArray());
                int nl = s.indexOf('\n');
                if (!PREAMBLE.startsWith(s.substring(0, Math.min(s.length(), PREAMBLE.length())))) {
                    badPreamble = s.substring(0, Math.min(80, s.length()));
                    fail("the proxy connected a stream that is not a tunnel's: " + badPreamble);
                } else if (nl > 0) {
                    try {
                        plan = owner.plans.get(Long.parseLong(s.substring(PREAMBLE.length(), nl)));
                    } catch (NumberFormatException e) {
                        plan = null;
                    }
                    if (plan == null) {
                        badPreamble = s.substring(0, nl);
                        fail("no plan for " + badPreamble);
                    } else {
                        note("plays " + plan.describe());
                    }
                }
            }
            if (plan != null) {
                send(); // the first bytes once the plan is known; an echo's next bytes
            }
        }

        /** As the upgrade origin: answers every complete request head in {@link #received}. */
        private void requests() {
            while (http && !closed) {
                byte[] all = received.toByteArray();
                String text = HttpWire.text(all);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                String line = text.substring(0, text.indexOf("\r\n"));
                received.reset();
                received.write(all, end + 4, all.length - end - 4); // after a 101: the tunnel's first bytes
                String[] parts = line.split(" ");
                String[] path = parts.length == 3 ? parts[1].split("/") : new String[0];
                Plan p = null;
                if (path.length >= 4 && path[1].equals("u")) {
                    try {
                        p = owner.plans.get(Long.parseLong(path[2]));
                    } catch (NumberFormatException e) {
                        p = null;
                    }
                }
                if (p == null) {
                    fail("the upgrade origin got a request it cannot tell apart: " + line);
                    close();
                    return;
                }
                note("origin answers " + line);
                switch (path[3]) {
                    case "101" -> {
                        http = false;
                        plan = p;
                        byte[] head = HttpWire.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                + "Connection: Upgrade\r\n\r\n");
                        respond(HttpWire.concat(head, java.util.Arrays.copyOf(p.down, p.originAhead)), head.length);
                        got(null, 0); // bytes already here are the tunnel's
                        return;
                    }
                    case "unasked" -> {
                        http = false; // the proxy must close this connection: nothing more is read as HTTP
                        respond(HttpWire.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
                                + (p.otherProtocol ? "h2c" : "websocket") + "\r\nConnection: Upgrade\r\n\r\n"), -1);
                        return;
                    }
                    case "declined" -> respond(ok(p.declinedLength), -1);
                    case "len" -> respond(ok(Integer.parseInt(path[4])), -1);
                    default -> {
                        fail("the upgrade origin got an unknown request: " + line);
                        close();
                        return;
                    }
                }
            }
        }

        private static byte[] ok(int length) {
            return HttpWire.concat(HttpWire.bytes("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n"),
                    HttpFuzzCase.PATTERN.bytes(0, length));
        }

        /** A response to write, of which the first {@code notDown} bytes are not the tunnel's. */
        private record Pending(byte[] bytes, int notDown) {
        }

        /** Writes a response (queued behind the write in flight); {@code head} of it is not the tunnel's (-1: all). */
        private void respond(byte[] response, int head) {
            responses.add(new Pending(response, head < 0 ? response.length : head));
            flush();
        }

        /** Writes the next queued response if nothing is in flight; whether any was queued. */
        private boolean flush() {
            if (responses.isEmpty()) {
                return false;
            }
            if (!writing && !closed && !writeError) {
                Pending r = responses.remove(0);
                notDown = r.notDown();
                write(r.bytes(), 0, r.bytes().length);
            }
            return true;
        }

        @Override
        void wrote(int n) {
            downSent += n - notDown;
            notDown = 0;
        }

        int upReceived() {
            return received.size();
        }

        /** How many bytes it sends in all: an echo sends what arrived (all of it once the stream ended). */
        private int sendable() {
            if (!plan.echo) {
                return plan.downLimit();
            }
            int arrived = Math.max(0, upReceived() - plan.preambleLength);
            return Math.min(plan.downLimit(), arrived);
        }

        private boolean allSent() {
            return downSent >= plan.downLimit() || plan.echo && eos && downSent >= sendable();
        }

        @Override
        void send() {
            if (flush() || closed || writing || sendScheduled || writeError || shutWrite || plan == null) {
                return;
            }
            int limit = sendable();
            if (plan.echo) {
                int n = limit - downSent;
                if (n > 0) {
                    // What it received, which the oracle checks against the plan: the plan's bytes are the same.
                    write(plan.up, plan.preambleLength + downSent, n);
                    return;
                }
            } else if (downSent < limit && step < plan.downSteps.size()) {
                Step s = plan.downSteps.get(step);
                if (s.delay().isZero() || scheduled == step) {
                    step++;
                    write(plan.down, downSent, Math.min(s.length(), limit - downSent));
                } else {
                    scheduled = step;
                    sendLater(s.delay());
                }
                return;
            }
            if (!allSent()) {
                return;
            }
            switch (plan.ending) {
                case TARGET_ABORT -> abort();
                case TARGET_HALF_CLOSE -> shutdownWrite();
                default -> { }
            }
        }

        @Override
        void progress() {
            if (closed) {
                return;
            }
            if (readError || writeError || plan == null && eos) {
                close();
                return;
            }
            if (plan == null || !responses.isEmpty() || writing && notDown > 0) {
                return; // its 101 (and the bytes with it) must be out before it may close
            }
            boolean allSent = allSent();
            if (plan.ending == Ending.TARGET_CLOSE && allSent && upReceived() >= plan.up.length) {
                close();
            } else if (eos && (allSent || plan.ending == Ending.CLIENT_ABORT || plan.ending == Ending.STALL
                    || plan.ending == Ending.TARGET_CLOSE)) {
                close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ oracle

    /**
     * Judges one exchange once the loop went idle.
     *
     * @param p         the plan
     * @param c         its client
     * @param conns     the target connections that played it
     * @param faulted   whether a byte fault (reset, EOF or error at byte N) was on one of its connections
     * @param inactivity the proxy's inactivity timeout
     * @param slack     how far the end of a stalled tunnel may be from the inactivity timeout
     * @param log       its access log record, or null if it cannot be told apart
     * @return what the proxy did wrong; empty if nothing
     */
    static List<String> judge(Plan p, Client c, List<TargetConn> conns, boolean faulted, Duration inactivity,
            Duration slack, AccessLogRecord log) {
        List<String> v = new ArrayList<>(c.failures);
        conns.forEach(t -> v.addAll(t.failures));
        byte[] got = c.received.toByteArray();
        boolean closesFirst = p.kind.tunnels() && p.ending == Ending.CLIENT_CLOSE
                && c.connectStatus == p.tunnelStatus() || p.kind == Kind.UPGRADE_DECLINED;
        if (!c.ended() && !c.aborted && !closesFirst) {
            v.add("the client's connection never ended (no EOS or ERROR once the loop went idle)");
        }
        if (!c.closed) {
            v.add("the client never closed (it closes on its ending's terms)");
        }
        for (TargetConn t : conns) {
            if (!t.closed) {
                v.add("the target connection never closed (it closes on its ending's terms)");
            }
            if (!t.ended() && !t.aborted && p.ending != Ending.TARGET_CLOSE) {
                v.add("the target connection never ended (no EOS or ERROR once the loop went idle)");
            }
        }
        int priorEnd = c.priorEnd;
        if (!p.priors.isEmpty()) {
            if (priorEnd < 0) {
                if (!faulted) {
                    v.add("the GETs before the tunnel request were not all answered: "
                            + c.priorParser.finalResponses());
                }
                return v;
            }
            List<HttpWire.Response> rs = c.priorParser.finalResponses();
            for (int i = 0; i < rs.size(); i++) {
                HttpWire.Response r = rs.get(i);
                if (r.status() != 200 || r.bodyLength() != p.priorLengths.get(i) || r.closes()) {
                    v.add("GET " + i + " on the connection got " + r + (r.closes() ? " with Connection: close" : ""));
                }
                if (r.header("Upgrade") != null) {
                    v.add("GET " + i + " on the connection got a 200 with Upgrade: " + r.header("Upgrade"));
                }
            }
            if (c.priorParser.violation() != null) {
                v.add("GET responses on the connection: " + c.priorParser.violation());
            }
        }
        if (p.kind == Kind.UPGRADE_DECLINED) {
            // Both requests answered on one connection (checked above), nothing else, no tunnel.
            if (!conns.isEmpty()) {
                v.add("a declined upgrade was spliced to the origin");
            }
            if (got.length != priorEnd) {
                v.add((got.length - priorEnd) + " bytes after the answers to a declined upgrade and a GET");
            }
            if (!faulted && (c.eos || c.readError)) {
                v.add("the proxy ended the connection after a declined upgrade: keep-alive must go on");
            }
            return v;
        }
        if (!p.kind.tunnels()) {
            if (!conns.isEmpty()) {
                v.add("a refused " + p.kind + " exchange was spliced to the target");
            }
            HttpWire.ResponseParser rp = new HttpWire.ResponseParser();
            rp.feed(got, priorEnd, got.length - priorEnd);
            if (c.eos || c.readError) {
                rp.endOfStream();
            }
            List<HttpWire.Response> rs = rp.finalResponses();
            if (rp.violation() != null) {
                v.add("malformed answer to " + p.target + ": " + rp.violation());
            }
            if (faulted) {
                return v;
            }
            // A refused CONNECT and a failed upgrade close (what follows their heads may not be HTTP); the 502 to a
            // plain GET the origin switched keeps the connection, as the GET was fully read (docs/http.md, Bad input).
            boolean keepsConnection = p.kind == Kind.UPGRADE_UNASKED && !p.otherProtocol;
            if (rs.size() != 1 || rs.get(0).status() != p.status || rs.get(0).closes() == keepsConnection) {
                v.add(p.kind + " " + p.target + " must get exactly one " + p.status
                        + (keepsConnection ? " without" : " with") + " Connection: close, got " + rs);
            }
            if (!keepsConnection && !c.eos) {
                v.add("the connection must end with EOS after the " + p.status);
            }
            if (log != null && log.status() != p.status) {
                v.add("access log status " + log.status() + ", expected " + p.status);
            }
            return v;
        }
        if (conns.size() > 1) {
            v.add(conns.size() + " target connections for one tunnel");
        }
        int start = c.tunnelStart;
        if (start < 0) {
            if (!faulted && !(p.ending == Ending.CLIENT_ABORT && p.upStop <= p.pipelined)) {
                v.add("no complete answer to " + p.target + ": " + HttpWire.text(got).substring(priorEnd));
            }
            String partial = HttpWire.text(got).substring(priorEnd);
            if (!partial.isEmpty() && !"HTTP/1.1 ".startsWith(partial.substring(0, Math.min(9, partial.length())))) {
                v.add("the answer to " + p.target + " does not start with a status line: " + partial);
            }
            return v;
        }
        String head = HttpWire.text(got).substring(priorEnd, start);
        if (c.connectStatus != p.tunnelStatus()) {
            if (!faulted) {
                v.add(p.kind + " " + p.target + " got " + head.lines().findFirst().orElse(head));
            } else if (!HttpFuzzOracle.ALLOWED.contains(c.connectStatus)) {
                v.add("status " + c.connectStatus + " is not one the proxy may answer");
            }
            return v;
        }
        boolean upgrade = false;
        boolean connectionUpgrade = false;
        for (String field : head.toLowerCase(Locale.ROOT).split("\r\n")) {
            if (field.startsWith("content-length:") || field.startsWith("transfer-encoding:")) {
                v.add("a " + p.tunnelStatus() + " that opens a tunnel must not carry " + field
                        + " (RFC 9110, 9.3.6 and 15.2.2)");
            }
            upgrade |= field.replace(" ", "").equals("upgrade:websocket");
            connectionUpgrade |= field.startsWith("connection:") && field.contains("upgrade");
        }
        if (p.kind == Kind.UPGRADE && !(upgrade && connectionUpgrade)) {
            v.add("the 101 must name the protocol in Upgrade and carry Connection: upgrade: " + head);
        }
        byte[] tunnelled = java.util.Arrays.copyOfRange(got, start, got.length);
        byte[] atTarget = conns.isEmpty() ? new byte[0] : conns.get(0).received.toByteArray();
        if (conns.isEmpty() && p.ending != Ending.CLIENT_ABORT && !faulted) {
            v.add("the client got a " + p.tunnelStatus() + " but the target never got a tunnel");
        }
        prefix("client", tunnelled, p.down, v);
        prefix("target", atTarget, p.up, v);
        boolean exact = !faulted && p.ending.clean();
        if (exact) {
            int down = p.ending == Ending.STALL ? p.downStop : p.down.length;
            int up = p.ending == Ending.STALL ? p.upStop : p.up.length;
            if (p.echo && p.ending == Ending.STALL) {
                down = Math.max(0, p.upStop - p.preambleLength);
            }
            if (tunnelled.length != down) {
                v.add("the client received " + tunnelled.length + " tunnelled bytes, the target sent " + down);
            }
            if (atTarget.length != up) {
                v.add("the target received " + atTarget.length + " bytes, the client sent " + up);
            }
            if (!c.eos && !closesFirst) {
                v.add("the client's read must end with EOS (the tunnel ended cleanly on its side)");
            }
            if (!conns.isEmpty() && !conns.get(0).eos && p.ending != Ending.TARGET_CLOSE) {
                v.add("the target's read must end with EOS");
            }
            if (p.ending != Ending.STALL && !conns.isEmpty()) {
                // Every gap of a plan is far shorter than the inactivity timeout: a clean end comes soon after the
                // last transfer, not when a timer gives up on a tunnel that hung.
                TargetConn t = conns.get(0);
                long idle = Math.max(c.endedAt, t.endedAt) - Math.max(c.lastIo, t.lastIo);
                if (idle >= inactivity.toNanos() / 2) {
                    v.add(String.format(Locale.ROOT, "the exchange ended %.3f ms after its last transfer: it hung "
                            + "until a timeout (inactivity %s)", idle / 1e6, inactivity));
                }
            }
            if (p.ending == Ending.STALL) {
                // The first side whose last transfer is older than the timeout ends it. A peer sees the proxy's
                // transfers on its connection up to a latency late, and the proxy may still be taking bytes a
                // peer's completed write left in the socket: between its peers' last transfers, then.
                long tl = conns.isEmpty() ? c.lastIo : conns.get(0).lastIo;
                long earliest = Math.min(c.lastIo, tl) + inactivity.toNanos() - slack.toNanos();
                long latest = Math.max(c.lastIo, tl) + inactivity.toNanos() + slack.toNanos();
                if (c.endedAt < earliest || c.endedAt > latest) {
                    v.add(String.format(Locale.ROOT, "a stalled tunnel must end at the inactivity timeout (%s +- %s "
                            + "after the peers' last transfers at %.3f and %.3f ms); it ended at %.3f ms",
                            inactivity, slack, c.lastIo / 1e6, tl / 1e6, c.endedAt / 1e6));
                }
            }
            if (log != null) {
                if (log.status() != p.tunnelStatus()) {
                    v.add("access log status " + log.status() + " for a tunnel opened with " + p.tunnelStatus());
                }
                long in = p.head.length + up;
                if (log.bytesIn() != in || log.bytesOut() != start - priorEnd + down) {
                    v.add("access log counts in=" + log.bytesIn() + " out=" + log.bytesOut() + ", expected in=" + in
                            + " out=" + (start - priorEnd + down));
                }
            }
        }
        return v;
    }

    /** Whether {@code got} is a prefix of {@code want}: nothing invented, nothing reordered. */
    private static void prefix(String who, byte[] got, byte[] want, List<String> v) {
        int n = Math.min(got.length, want.length);
        for (int i = 0; i < n; i++) {
            if (got[i] != want[i]) {
                v.add("the " + who + " received a wrong byte at tunnel offset " + i + " (of " + got.length + ")");
                return;
            }
        }
        if (got.length > want.length) {
            v.add("the " + who + " received " + (got.length - want.length) + " bytes more than were sent: "
                    + HttpFuzzCase.Printable.show(java.util.Arrays.copyOfRange(got, want.length, got.length)));
        }
    }
}
