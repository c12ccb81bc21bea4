package dev.vconn.inmemory;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulation's oracle: fed every observation of a scenario as it happens (VIOs posted, events delivered with
 * their context, bytes consumed, reenables, shutdowns, closes, timeouts, connects) and, at the end, the final
 * counters and resource counts, it records every violated invariant. It also folds every observation, with its
 * virtual timestamp, into a hash of the run, which proves determinism.
 *
 * <p>The checker works on observations only, never on live objects, so a test can feed it a made-up trace and see
 * it fail ({@code SimulationTest.OracleCanFail}).
 *
 * <p>Invariants (stream {@code d} is written by endpoint {@code d} and read by endpoint {@code 1 - d}):
 * <ul>
 *   <li>every event runs on the loop thread, under its continuation's lock, with its own VIO as data; none after
 *       {@code close()} returned on that endpoint, none for a retired VIO, none for a VIO posted with nbytes 0;</li>
 *   <li>ndone never goes back and never exceeds nbytes; READ_READY only with progress and {@code ntodo > 0}, never
 *       after COMPLETE, EOS or ERROR; a WRITE_READY without progress only with an empty buffer and only once per
 *       reenable; COMPLETE at most once and only with {@code ndone == nbytes};</li>
 *   <li>a reader's unconsumed bytes never exceed {@code max(waterMark, read-ahead limit)} (hard backpressure);</li>
 *   <li>EOS only to reads with {@code ntodo > 0}, only with a cause (the writer's side shut down or closed, or an
 *       injected EOF or reset at exactly that offset), repeated only after a reenable; a writer never gets EOS;
 *       a read ERROR only with an injected I/O error at exactly that offset (EIO); a write ERROR only with a cause
 *       (the reader's side closed or shut down, or an injected reset at exactly that offset) and the matching
 *       errno;</li>
 *   <li>timeouts only when set, not before their time, to the read VIO if it is active else to the write VIO;</li>
 *   <li>every consumed byte equals the sender's pattern byte at that offset (no corruption, duplicate, gap or
 *       reordering); bytes consumed equal the read VIOs' ndone; counters freeze on retire and close;</li>
 *   <li>the end of each stream matches the scenario: READ_COMPLETE with all nbytes; EOS with exactly the bytes
 *       written (or exactly N at an injected EOF or reset at N) unless the writer aborted; WRITE_COMPLETE with all
 *       bytes; an operation that never ended only if its own endpoint closed first;</li>
 *   <li>connect, accept and pair hand-over events exactly as the scenario's connection kind says;</li>
 *   <li>the loop goes idle, every endpoint closes by itself, and then the block pool is back to zero, the transport
 *       has no open resource and the network no open channel.</li>
 * </ul>
 */
final class SimulationChecker {
    /** The errno this simulation aborts with. */
    static final int ABORT_ERRNO = Errno.ECONNABORTED;
    private static final int TRACE_TAIL = 60;

    /** Paths a run went through, counted so that a test can show the scenarios reach them. */
    enum Cov {
        READ_COMPLETE, WRITE_COMPLETE, READER_AT_BOUND, WRITE_READY_ASKS_FOR_DATA,
        EOS_AFTER_SHUTDOWN, EOS_AFTER_PEER_CLOSE, EOS_AFTER_PEER_ABORT, EOS_INJECTED_EOF, EOS_INJECTED_RESET,
        EOS_REPEATED_AFTER_REENABLE, READ_ERROR_INJECTED, WRITE_ERROR_PEER_CLOSE, WRITE_ERROR_PEER_SHUT_READ,
        WRITE_ERROR_PEER_ABORT, WRITE_ERROR_INJECTED_RESET, ERROR_REPEATED_AFTER_REENABLE, INACTIVITY_TIMEOUT,
        ACTIVE_TIMEOUT, TIMEOUT_TO_WRITER, LOCK_WINDOW, REPOST_READ, REPOST_WRITE, NBYTES_LOWERED, ABORT,
        CLOSE_WITH_OPERATION_PENDING, FOREIGN_THREAD_CLOSE, CONNECT_REFUSED, CONNECT_TIMED_OUT, CONNECT_CANCELLED,
        TLS_EOS_EXACT, TLS_READ_ERROR, TLS_WRITE_ERROR;

        /** Whether only TLS scenarios take this path. */
        boolean tlsOnly() {
            return TLS_PATHS.contains(this);
        }
    }

    /** The paths the TLS scenarios must reach (besides what they share with plain ones). */
    static final java.util.Set<Cov> TLS_PATHS = java.util.EnumSet.of(Cov.TLS_EOS_EXACT, Cov.TLS_READ_ERROR,
            Cov.TLS_WRITE_ERROR);

    /** {@code TlsVConn.EPROTO}: the errno of every TLS failure. */
    static final int TLS_EPROTO = Errno.EPROTO;

    /** What the checker knows about one VIO. */
    static final class Vio {
        final int side;
        final boolean read;
        final int dir;
        final int seq;
        final long postedNbytes;
        long nbytes;
        long lastNdone;
        long lastReadyNdone;
        int readies;
        boolean reenabledSinceReady;
        int completes;
        Event terminal;
        int terminals;
        int reenablesSinceTerminal;
        boolean retired;
        boolean loweredToZero;
        boolean lowered;
        long frozenNdone = -1;
        long finalNdone = -1;
        int events;

        Vio(int side, boolean read, int dir, int seq, long nbytes) {
            this.side = side;
            this.read = read;
            this.dir = dir;
            this.seq = seq;
            this.postedNbytes = nbytes;
            this.nbytes = nbytes;
        }

        String name() {
            return (side == 0 ? "A" : "B") + "." + (read ? "read" : "write") + "#" + seq;
        }
    }

    /**
     * What an event handler saw when its event arrived.
     *
     * @param onLoop      the handler ran on the loop thread
     * @param locked      the handler's thread held the continuation's lock
     * @param dataIsVio   the event's data was the VIO the continuation was posted with
     * @param bufferAvail for a read, the unconsumed bytes in its buffer; for a write, the bytes left in its reader
     * @param readLimit   for a read, {@code max(waterMark, read-ahead limit)} of its buffer
     * @param readActive  the VConn had an active read VIO (posted, not complete, nbytes &gt; 0, not shut)
     * @param errno       the errno of the VConn's {@code error()}, or -1
     */
    record Ctx(boolean onLoop, boolean locked, boolean dataIsVio, long bufferAvail, long readLimit,
            boolean readActive, int errno) {
    }

    private final SimulationScenario sc;
    private final boolean verbose;
    private final List<String> violations = new ArrayList<>();
    private final List<String> fullTrace = new ArrayList<>();
    private final Object[] tail = new Object[TRACE_TAIL];
    private int tailCount;
    private long hash = 0xcbf29ce484222325L;
    private long observations;
    private final List<Vio> vios = new ArrayList<>();
    private int nextSeq;
    private final long[] coverage = new long[Cov.values().length];

    private final boolean[] started = new boolean[2];
    private final boolean[] closed = new boolean[2];
    private final boolean[] aborted = new boolean[2];
    private final boolean[] shutRead = new boolean[2];
    private final boolean[] shutWrite = new boolean[2];
    private final long[] inactivity = new long[2];
    private final long[] inactivitySetAt = new long[2];
    private final long[] inactivityCancelAt = {-1, -1};
    private final long[] active = new long[2];
    private final long[] activeSetAt = new long[2];
    private final long[] activeCancelAt = {-1, -1};
    private final int[] activeFired = new int[2];
    private final boolean[] lockWindows = new boolean[2];
    private final long[] consumed = new long[2];
    private final long[] readBase = new long[2];
    private final long[] writeBase = new long[2];
    private int netConnect;
    private int netConnectFailed;
    private int netAccept;
    private int connectErrno = -1;
    private long connectFailedAt = -1;
    private boolean cancelResult;

    SimulationChecker(SimulationScenario scenario, boolean verbose) {
        this.sc = scenario;
        this.verbose = verbose;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Results

    List<String> violations() {
        return violations;
    }

    String firstViolation() {
        return violations.isEmpty() ? null : violations.get(0);
    }

    long hash() {
        return hash;
    }

    long observations() {
        return observations;
    }

    /** How often each {@link Cov} path was taken. */
    long[] coverage() {
        return coverage.clone();
    }

    void cover(Cov c) {
        coverage[c.ordinal()]++;
    }

    List<String> fullTrace() {
        return fullTrace;
    }

    /** The last observations before the end, oldest first. */
    String traceTail() {
        StringBuilder sb = new StringBuilder();
        int n = Math.min(tailCount, TRACE_TAIL);
        for (int i = tailCount - n; i < tailCount; i++) {
            Object o = tail[i % TRACE_TAIL];
            sb.append("    ").append(o instanceof java.util.function.Supplier<?> sup ? sup.get() : o).append('\n');
        }
        return sb.toString();
    }

    void violation(String message) {
        violations.add(message);
        trace("VIOLATION " + message);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Observations

    private void fold(long... values) {
        long h = hash;
        for (long v : values) {
            h ^= v;
            h *= 0x100000001b3L;
            h ^= h >>> 29;
        }
        hash = h;
        observations++;
    }

    private void trace(String line) {
        tail[tailCount % TRACE_TAIL] = line;
        tailCount++;
        if (verbose) {
            fullTrace.add(line);
        }
    }

    /** Traces a line built only if it is ever shown. */
    private void trace(java.util.function.Supplier<String> line) {
        if (verbose) {
            trace(line.get());
        } else {
            tail[tailCount % TRACE_TAIL] = line;
            tailCount++;
        }
    }

    private static String side(int s) {
        return s == 0 ? "A" : "B";
    }

    void started(int side, long now) {
        started[side] = true;
        fold(1, side, now);
        trace("t=" + now + " " + side(side) + " started");
    }

    Vio posted(int side, boolean read, long nbytes, long now) {
        int dir = read ? 1 - side : side;
        Vio v = new Vio(side, read, dir, nextSeq++, nbytes);
        vios.add(v);
        fold(2, side, read ? 1 : 0, nbytes, now);
        trace("t=" + now + " " + v.name() + " posted nbytes=" + nbytes(nbytes));
        if (closed[side]) {
            violation(v.name() + " posted after close() returned");
        }
        return v;
    }

    void retired(Vio v, long ndone, long now) {
        fold(3, v.seq, ndone, now);
        trace("t=" + now + " " + v.name() + " retired by this side at ndone=" + ndone);
        v.retired = true;
        v.frozenNdone = ndone;
        cover(v.read ? Cov.REPOST_READ : Cov.REPOST_WRITE);
        if (v.read) {
            readBase[v.dir] += ndone;
        } else {
            writeBase[v.dir] += ndone;
        }
    }

    void reenabled(Vio v, long now) {
        fold(4, v.seq, now);
        v.reenablesSinceTerminal++;
        v.reenabledSinceReady = true;
    }

    void nbytesLowered(Vio v, long nbytes, long now) {
        fold(5, v.seq, nbytes, now);
        trace("t=" + now + " " + v.name() + " nbytes lowered to " + nbytes);
        v.nbytes = nbytes;
        v.lowered = true;
        cover(Cov.NBYTES_LOWERED);
        if (nbytes == 0) {
            v.loweredToZero = true;
        }
    }

    /**
     * {@code shutdown(how)} returned on endpoint {@code side}; the VIO of each direction it shut (if any) was retired
     * with the given ndone.
     */
    void shutdown(int side, ShutdownHow how, long now, Vio vio, long ndone) {
        fold(6, side, how.ordinal(), now);
        trace("t=" + now + " " + side(side) + " shutdown(" + how + ")");
        if (how.read()) {
            shutRead[side] = true;
        }
        if (how.write()) {
            shutWrite[side] = true;
        }
        if (vio != null && !vio.retired) {
            vio.retired = true;
            vio.frozenNdone = ndone;
        }
    }

    /** {@code close()} or {@code abort()} returned on endpoint {@code side}; current VIOs froze at these values. */
    void closeReturned(int side, boolean abort, long now, Vio read, long readNdone, Vio write, long writeNdone) {
        fold(7, side, abort ? 1 : 0, now);
        trace("t=" + now + " " + side(side) + (abort ? " abort" : " close") + " returned");
        closed[side] = true;
        aborted[side] = abort;
        if (abort) {
            cover(Cov.ABORT);
        }
        if (read != null && read.completes == 0 && read.terminal == null && read.postedNbytes > 0
                || write != null && write.completes == 0 && write.terminal == null && write.postedNbytes > 0) {
            cover(Cov.CLOSE_WITH_OPERATION_PENDING);
        }
        if (read != null && read.frozenNdone < 0) {
            read.frozenNdone = readNdone;
        }
        if (write != null && write.frozenNdone < 0) {
            write.frozenNdone = writeNdone;
        }
    }

    void timeoutSet(int side, boolean isActive, long nanos, long now) {
        fold(8, side, isActive ? 1 : 0, nanos, now);
        if (isActive) {
            active[side] = nanos;
            activeSetAt[side] = now;
        } else {
            inactivity[side] = nanos;
            inactivitySetAt[side] = now;
        }
    }

    void timeoutCancelled(int side, boolean isActive, long now) {
        fold(9, side, isActive ? 1 : 0, now);
        trace("t=" + now + " " + side(side) + " cancel " + (isActive ? "active" : "inactivity") + " timeout");
        if (isActive) {
            activeCancelAt[side] = now;
        } else {
            inactivityCancelAt[side] = now;
        }
    }

    void lockWindow(int side, boolean held, long now) {
        fold(10, side, held ? 1 : 0, now);
        lockWindows[side] = true;
        if (held) {
            cover(Cov.LOCK_WINDOW);
        }
    }

    void connectCancelled(boolean result) {
        cancelResult = result;
        cover(Cov.CONNECT_CANCELLED);
        fold(11, result ? 1 : 0);
    }

    /** NET_CONNECT, NET_CONNECT_FAILED or NET_ACCEPT for the connection itself. */
    void netEvent(Event e, int errno, long now, boolean onLoop, boolean locked) {
        fold(12, e.code(), errno, now);
        trace("t=" + now + " " + e + (errno >= 0 ? " errno=" + Errno.name(errno) : ""));
        if (!onLoop) {
            violation(e + " delivered off the loop thread");
        }
        if (!locked) {
            violation(e + " delivered without the continuation's lock");
        }
        switch (e) {
            case NET_CONNECT -> netConnect++;
            case NET_CONNECT_FAILED -> {
                netConnectFailed++;
                connectErrno = errno;
                connectFailedAt = now;
                cover(errno == Errno.ETIMEDOUT ? Cov.CONNECT_TIMED_OUT : Cov.CONNECT_REFUSED);
            }
            case NET_ACCEPT -> netAccept++;
            default -> violation("unexpected connection event " + e);
        }
    }

    /** A scheduled task of the simulation itself ran (not a VConn event). */
    void task(int side, boolean onLoop, boolean locked) {
        if (!onLoop) {
            violation("a scheduled continuation event of " + side(side) + " ran off the loop thread");
        }
        if (!locked) {
            violation("a scheduled continuation event of " + side(side) + " ran without its lock");
        }
    }

    /** Bytes consumed from the reader of stream {@code dir}, at stream offset {@code offset}. */
    void bytes(int dir, long offset, byte[] data, int off, int len) {
        fold(13, dir, offset, len);
        if (offset != consumed[dir]) {
            violation("stream " + dirName(dir) + ": bytes consumed at offset " + offset + " but " + consumed[dir]
                    + " were consumed so far (gap or overlap)");
        }
        long bad = mismatch(patternKey(sc.seed(), dir), offset, data, off, len);
        if (bad >= 0) {
            byte expected = patternAt(patternKey(sc.seed(), dir), bad);
            violation("stream " + dirName(dir) + ": byte at offset " + bad + " is " + data[off + (int) (bad - offset)]
                    + ", the sender wrote " + expected + " (corrupted, duplicated, lost or reordered bytes)");
        }
        consumed[dir] = offset + len;
    }

    private static String dirName(int dir) {
        return dir == 0 ? "A->B" : "B->A";
    }

    private static String nbytes(long n) {
        return n == Long.MAX_VALUE ? "MAX" : Long.toString(n);
    }

    /** An event delivered to the continuation of VIO {@code v}, with ndone and nbytes read in the callback. */
    void event(Vio v, Event e, long ndone, long nbytes, long now, Ctx ctx) {
        fold(14, v.seq, e.code(), ndone, now);
        trace(() -> "t=" + now + " " + v.name() + " " + e.name() + " ndone=" + ndone + " nbytes=" + nbytes(nbytes)
                + " avail=" + ctx.bufferAvail() + (ctx.errno() >= 0 ? " errno=" + Errno.name(ctx.errno()) : ""));
        What what = new What(v, e, ndone);
        v.events++;
        if (!ctx.onLoop()) {
            violation(what + " off the loop thread (docs/semantics.md, rule 2.1)");
        }
        if (!ctx.locked()) {
            violation(what + " without its continuation's lock held (docs/semantics.md, rule 2.1)");
        }
        if (!ctx.dataIsVio()) {
            violation(what + " with data that is not its own VIO");
        }
        if (closed[v.side]) {
            violation(what + " after close() returned on " + side(v.side) + " (docs/semantics.md, rule 2.4)");
        }
        if (v.retired) {
            violation(what + " after the VIO was retired (docs/semantics.md, rule 3.1)");
        }
        if (!(v.postedNbytes != 0)) {
            violation(what + " although it was posted with nbytes == 0 (docs/semantics.md, rule 3.2)");
        }
        if (!(nbytes == v.nbytes)) {
            violation(what + ": nbytes reads " + nbytes + " but was set to " + v.nbytes);
        }
        if (!(ndone >= v.lastNdone)) {
            violation(what + ": ndone went back from " + v.lastNdone);
        }
        if (!(ndone <= nbytes)) {
            violation(what + ": ndone exceeds nbytes " + nbytes + " (docs/semantics.md, rule 3.3)");
        }
        v.lastNdone = Math.max(v.lastNdone, ndone);
        boolean terminalSeen = v.terminal != null;
        switch (e) {
            case READ_READY, WRITE_READY -> {
                if (!(v.read == (e == Event.READ_READY))) {
                    violation(what + ": wrong direction for this VIO");
                }
                if (!(v.completes == 0)) {
                    violation(what + " after its COMPLETE");
                }
                if (terminalSeen) {
                    violation(what + " after " + v.terminal + " (no data after the end)");
                }
                if (!(ndone < nbytes)) {
                    violation(what + " although ndone == nbytes (COMPLETE was due)");
                }
                boolean progress = ndone > v.lastReadyNdone || v.readies == 0 && ndone > 0;
                if (v.read) {
                    if (!progress) {
                        violation(what + " without progress since the previous READ_READY at "
                            + v.lastReadyNdone);
                    }
                    if (!(ctx.bufferAvail() <= ctx.readLimit())) {
                        violation(what + ": " + ctx.bufferAvail()
                            + " unconsumed bytes in the reader's buffer, more than the bound " + ctx.readLimit()
                            + " (docs/semantics.md, rule 3.5)");
                    } else if (ctx.bufferAvail() == ctx.readLimit()) {
                        cover(Cov.READER_AT_BOUND);
                    }
                } else if (!progress) {
                    cover(Cov.WRITE_READY_ASKS_FOR_DATA);
                    if (!(ctx.bufferAvail() == 0)) {
                        violation(what + " without progress although the buffer holds "
                            + ctx.bufferAvail() + " bytes");
                    }
                    if (!(v.readies == 0 || v.reenabledSinceReady)) {
                        violation(what
                            + ": a second WRITE_READY without progress and without a reenable");
                    }
                }
                v.readies++;
                v.lastReadyNdone = ndone;
                v.reenabledSinceReady = false;
            }
            case READ_COMPLETE, WRITE_COMPLETE -> {
                if (!(v.read == (e == Event.READ_COMPLETE))) {
                    violation(what + ": wrong direction for this VIO");
                }
                v.completes++;
                cover(v.read ? Cov.READ_COMPLETE : Cov.WRITE_COMPLETE);
                if (!(v.completes == 1)) {
                    violation(what + ": COMPLETE delivered " + v.completes + " times (docs/semantics.md, rule 3.3)");
                }
                if (!(ndone == nbytes)) {
                    violation(what + " but nbytes is " + nbytes(nbytes) + " (docs/semantics.md, rule 3.3)");
                }
                if (terminalSeen) {
                    violation(what + " after " + v.terminal);
                }
                if (v.read) {
                    if (!(ctx.bufferAvail() <= ctx.readLimit())) {
                        violation(what + ": " + ctx.bufferAvail()
                            + " unconsumed bytes, more than the bound " + ctx.readLimit() + " (semantics.md rule 3.5)");
                    }
                }
            }
            case EOS -> {
                if (!v.read) {
                    violation(what + ": a writer never gets EOS (docs/semantics.md, rule 3.4)");
                }
                if (!(ndone < nbytes)) {
                    violation(what + " with ntodo == 0 (docs/semantics.md, rule 3.4)");
                }
                if (!(v.completes == 0)) {
                    violation(what + " after READ_COMPLETE");
                }
                if (!(!terminalSeen || v.terminal == Event.EOS)) {
                    violation(what + " after " + v.terminal);
                }
                if (!(!terminalSeen || v.reenablesSinceTerminal > 0)) {
                    violation(what + ": EOS repeated without a reenable");
                }
                if (v.read) {
                    long total = readBase[v.dir] + ndone;
                    int w = v.dir;
                    FaultInfo f = fault(v.dir);
                    boolean byFault = (f.kind == FaultKind.EOF || f.kind == FaultKind.RESET) && total == f.at;
                    if (tls()) {
                        // Only a close_notify ends a TLS stream: the writer's shutdown or close (not its abort),
                        // or with TLS 1.2 the answer to the reader's own. A fault on the records never gives EOS.
                        if (!(shutWrite[w] || closed[w] && !aborted[w] || tls12() && shutWrite[1 - w])) {
                            violation(what + " without a close_notify: " + side(w) + " neither shut down its write "
                                    + "side nor closed" + (tls12() ? ", and " + side(1 - w) + " sent none" : "")
                                    + " (" + f + "); a truncated TLS stream must end with ERROR");
                        }
                        byFault = false;
                    } else if (!(shutWrite[w] || closed[w] || byFault)) {
                        violation(what + " without a cause: " + side(w)
                            + " neither shut down its write side nor closed, and no EOF or reset was injected at "
                            + total + " (" + f + ")");
                    }
                    cover(terminalSeen ? Cov.EOS_REPEATED_AFTER_REENABLE : byFault
                            ? (f.kind == FaultKind.EOF ? Cov.EOS_INJECTED_EOF : Cov.EOS_INJECTED_RESET)
                            : aborted[w] ? Cov.EOS_AFTER_PEER_ABORT : closed[w] ? Cov.EOS_AFTER_PEER_CLOSE
                            : Cov.EOS_AFTER_SHUTDOWN);
                }
                v.terminal = Event.EOS;
                v.terminals++;
                v.reenablesSinceTerminal = 0;
            }
            case ERROR -> {
                if (!(v.completes == 0)) {
                    violation(what + " after COMPLETE");
                }
                if (!(ndone < nbytes)) {
                    violation(what + " with ntodo == 0");
                }
                if (!(!terminalSeen || v.terminal == Event.ERROR)) {
                    violation(what + " after " + v.terminal);
                }
                if (!(!terminalSeen || v.reenablesSinceTerminal > 0)) {
                    violation(what + ": ERROR repeated without a reenable");
                }
                FaultInfo f = fault(v.dir);
                if (tls()) {
                    tlsError(v, what, terminalSeen, ctx.errno());
                } else if (v.read) {
                    long total = readBase[v.dir] + ndone;
                    if (!(f.kind == FaultKind.ERROR && total == f.at)) {
                        violation(what + " at stream offset " + total
                            + " but no I/O error was injected there (" + f + ")");
                    }
                    cover(terminalSeen ? Cov.ERROR_REPEATED_AFTER_REENABLE : Cov.READ_ERROR_INJECTED);
                    // error() is the VConn's last error: only the first report of this VIO's ERROR must show its own.
                    if (!terminalSeen && ctx.errno() != Errno.EIO) {
                        violation(what + " with errno " + errnoName(ctx.errno())
                            + ", the injected I/O error is EIO");
                    }
                } else {
                    long total = writeBase[v.dir] + ndone;
                    int r = 1 - v.dir;
                    boolean byReset = f.kind == FaultKind.RESET && total == f.at;
                    if (!(closed[r] || shutRead[r] || byReset)) {
                        violation(what + " (stream offset " + total
                            + ") without a cause: " + side(r) + " neither closed nor shut down its read side, and no "
                            + "reset was injected there (" + f + ")");
                    }
                    cover(terminalSeen ? Cov.ERROR_REPEATED_AFTER_REENABLE : aborted[r] ? Cov.WRITE_ERROR_PEER_ABORT
                            : closed[r] ? Cov.WRITE_ERROR_PEER_CLOSE : shutRead[r] ? Cov.WRITE_ERROR_PEER_SHUT_READ
                            : Cov.WRITE_ERROR_INJECTED_RESET);
                    boolean ok = false;
                    if (closed[r] && !aborted[r] || shutRead[r]) {
                        ok |= ctx.errno() == Errno.EPIPE;
                    }
                    if (closed[r] && sc.sockets()) {
                        // Linux: a close that leaves received bytes unread is a reset (docs/inmemory-adapter.md).
                        ok |= ctx.errno() == Errno.ECONNRESET;
                    }
                    if (aborted[r]) {
                        ok |= ctx.errno() == (sc.sockets() ? Errno.ECONNRESET : ABORT_ERRNO);
                        // Linux: a reset after the peer's FIN (this writer in CLOSE_WAIT) is reported as EPIPE.
                        ok |= sc.sockets() && shutWrite[r] && ctx.errno() == Errno.EPIPE;
                    }
                    if (byReset) {
                        ok |= ctx.errno() == Errno.ECONNRESET;
                    }
                    if (!ok && !terminalSeen) {
                        violation(what + " with errno " + errnoName(ctx.errno()) + ", which does not match its cause ("
                            + side(r) + (aborted[r] ? " aborted" : closed[r] ? " closed" : "")
                            + (shutRead[r] ? " shut down its read side" : "") + (byReset ? " injected reset" : "")
                            + ")");
                    }
                }
                v.terminal = Event.ERROR;
                v.terminals++;
                v.reenablesSinceTerminal = 0;
            }
            case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
                boolean isActive = e == Event.ACTIVE_TIMEOUT;
                cover(isActive ? Cov.ACTIVE_TIMEOUT : Cov.INACTIVITY_TIMEOUT);
                if (!v.read) {
                    cover(Cov.TIMEOUT_TO_WRITER);
                }
                int s = v.side;
                long t = isActive ? active[s] : inactivity[s];
                long setAt = isActive ? activeSetAt[s] : inactivitySetAt[s];
                long cancelAt = isActive ? activeCancelAt[s] : inactivityCancelAt[s];
                if (!(t > 0)) {
                    violation(what + " but no such timeout was set");
                }
                if (!(now >= setAt + t)) {
                    violation(what + " at t=" + now + ", before its time " + (setAt + t));
                }
                if (!(cancelAt < 0 || now <= cancelAt || lockWindows[s])) {
                    violation(what + " after it was cancelled at t="
                        + cancelAt);
                }
                if (isActive) {
                    activeFired[s]++;
                    if (!(activeFired[s] == 1)) {
                        violation(what + ": the one-shot active timeout fired " + activeFired[s]
                            + " times");
                    }
                }
                if (v.read) {
                    if (!(v.completes == 0)) {
                        violation(what + " although the read is complete (docs/semantics.md, rule 3.6)");
                    }
                } else {
                    if (!(!ctx.readActive())) {
                        violation(what + " although a read is active: it goes to the read (semantics.md rule 3.6)");
                    }
                }
            }
            default -> violation(what + ": not an I/O event");
        }
    }

    /**
     * An ERROR under TLS: either direction of an endpoint fails when its TLS session fails (docs/tls.md,
     * "Failures"), so a reader's ERROR may come from the records of either stream and a writer's from its own
     * endpoint's reading. Allowed causes: a byte fault planned on either stream (its offset counts records, not
     * plaintext), the peer closing (close_notify is best effort) or aborting, and for a writer also the plain
     * causes (the peer shut its read side down) and, with TLS 1.2, the peer's close_notify answering this side's.
     */
    private void tlsError(Vio v, What what, boolean terminalSeen, int errno) {
        int self = v.side;
        int peer = 1 - self;
        boolean faulted = fault(0).kind != FaultKind.NONE || fault(1).kind != FaultKind.NONE;
        boolean cause = faulted || closed[peer] || aborted[peer];
        if (!v.read) {
            cause |= shutRead[peer] || tls12() && (shutWrite[peer] || shutWrite[self]);
        }
        if (!cause) {
            violation(what + " under TLS without a cause: no byte fault planned, " + side(peer)
                    + " neither closed, aborted" + (v.read ? "" : " nor shut a side down"));
        }
        cover(v.read ? Cov.TLS_READ_ERROR : Cov.TLS_WRITE_ERROR);
        boolean known = errno == TLS_EPROTO || errno == Errno.EIO || errno == Errno.ECONNRESET
                || errno == Errno.EPIPE || errno == ABORT_ERRNO || errno == Errno.ETIMEDOUT;
        if (!terminalSeen && !known) {
            violation(what + " under TLS with errno " + errnoName(errno)
                    + ": expected EPROTO (TLS failure), ETIMEDOUT (handshake timeout) or the transport's EIO, "
                    + "ECONNRESET, EPIPE, ECONNABORTED");
        }
    }

    private boolean tls() {
        return sc.tls() != SimulationScenario.Tls.NONE;
    }

    private boolean tls12() {
        return sc.tls() == SimulationScenario.Tls.TLS12;
    }

    /** Names an event in a violation message; built only when one is reported. */
    private record What(Vio v, Event e, long ndone) {
        @Override
        public String toString() {
            return v.name() + " got " + e.name() + " at ndone=" + ndone;
        }
    }

    private static String errnoName(int errno) {
        return errno < 0 ? "none" : Errno.name(errno);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Faults

    enum FaultKind { NONE, RESET, ERROR, EOF }

    record FaultInfo(FaultKind kind, long at) {
        @Override
        public String toString() {
            return kind == FaultKind.NONE ? "no byte fault" : kind + " at " + at;
        }
    }

    /** The byte fault that happens first on stream {@code dir}, as the pipe orders them. */
    FaultInfo fault(int dir) {
        if (!sc.sockets()) {
            return new FaultInfo(FaultKind.NONE, -1);
        }
        FaultPlan p = sc.dir(dir).faults();
        long at = Long.MAX_VALUE;
        FaultKind kind = FaultKind.NONE;
        if (p.eofAtByte() >= 0) {
            at = p.eofAtByte();
            kind = FaultKind.EOF;
        }
        if (p.errorAtByte() >= 0 && p.errorAtByte() <= at) {
            at = p.errorAtByte();
            kind = FaultKind.ERROR;
        }
        if (p.resetAtByte() >= 0 && p.resetAtByte() <= at) {
            at = p.resetAtByte();
            kind = FaultKind.RESET;
        }
        return new FaultInfo(kind, kind == FaultKind.NONE ? -1 : at);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The end

    /** The loop went idle ({@code quiescent}) or not within the limit. */
    void quiescence(boolean quiescent, long now) {
        fold(15, quiescent ? 1 : 0, now);
        trace("t=" + now + (quiescent ? " loop idle" : " loop NOT idle"));
        if (!quiescent) {
            violation("the loop did not go idle within the virtual time limit (t=" + now + ")");
        }
    }

    /** Endpoint {@code side} was still open when the loop went idle. */
    void stalled(int side, String state) {
        violation("stalled: " + side(side) + " is still open although the loop is idle: " + state);
    }

    /**
     * Checks the end state. Call after every VIO's {@link Vio#finalNdone} was set and every byte left in the
     * readers' buffers was fed to {@link #bytes}.
     */
    void finish(long poolOutstanding, int openResources, String openResourcesDescription, int openSockets) {
        fold(16, poolOutstanding, openResources, openSockets);
        if (!(poolOutstanding == 0)) {
            violation("block pool not back to zero: " + poolOutstanding + " blocks outstanding");
        }
        if (!(openResources == 0)) {
            violation("the transport still has open resources: " + openResourcesDescription);
        }
        if (!(openSockets == 0)) {
            violation("the network still has " + openSockets + " open channels");
        }
        checkConnection();
        for (Vio v : vios) {
            if (!(v.frozenNdone < 0 || v.finalNdone == v.frozenNdone)) {
                violation(v.name() + ": ndone changed from "
                    + v.frozenNdone + " to " + v.finalNdone + " after it was retired or its VConn closed "
                    + "(counters freeze, docs/semantics.md, rule 3.1)");
            }
        }
        for (int d = 0; d < 2; d++) {
            checkStream(d);
        }
    }

    private void checkConnection() {
        switch (sc.kind()) {
            case ADOPTED -> {
                if (netConnect + netConnectFailed + netAccept != 0) {
                    violation("connection events for adopted channels");
                }
            }
            case PAIR -> {
                if (!(netAccept == 1)) {
                    violation("the session acceptor got NET_ACCEPT " + netAccept + " times, expected once");
                }
                if (!(netConnect + netConnectFailed == 0)) {
                    violation("NET_CONNECT events for an in-process pair");
                }
            }
            case NET -> {
                switch (sc.netOutcome()) {
                    case CONNECTED -> {
                        if (!(netConnect == 1)) {
                            violation("NET_CONNECT " + netConnect + " times, expected once");
                        }
                        if (!(netAccept == 1)) {
                            violation("NET_ACCEPT " + netAccept + " times, expected once");
                        }
                        if (!(netConnectFailed == 0)) {
                            violation("NET_CONNECT_FAILED for a listening address");
                        }
                    }
                    case REFUSED -> {
                        if (!(netConnectFailed == 1 && netConnect == 0 && netAccept == 0)) {
                            violation("a refused connect must give exactly one NET_CONNECT_FAILED, got connect="
                                        + netConnect + " failed=" + netConnectFailed + " accept=" + netAccept);
                        }
                        if (!(connectErrno == Errno.ECONNREFUSED)) {
                            violation("a refused connect failed with "
                                + errnoName(connectErrno));
                        }
                    }
                    case TIMED_OUT -> {
                        if (!(netConnectFailed == 1 && netConnect == 0 && netAccept == 0)) {
                            violation("a blackholed connect must give exactly one NET_CONNECT_FAILED, got connect="
                                        + netConnect + " failed=" + netConnectFailed + " accept=" + netAccept);
                        }
                        if (!(connectErrno == Errno.ETIMEDOUT)) {
                            violation("a blackholed connect failed with "
                                + errnoName(connectErrno));
                        }
                        if (!(connectFailedAt == sc.connectTimeout())) {
                            violation("a blackholed connect failed at t="
                                + connectFailedAt + ", its timeout is " + sc.connectTimeout());
                        }
                    }
                    case CANCELLED -> {
                        if (!cancelResult) {
                            violation("cancel() of a connect that had not started returned false");
                        }
                        if (!(netConnect + netConnectFailed + netAccept == 0)) {
                            violation("events after a successful cancel() of the connect");
                        }
                    }
                }
            }
        }
    }

    private void checkStream(int d) {
        int w = d;
        int r = 1 - d;
        SimulationScenario.Dir dir = sc.dir(d);
        String name = "stream " + dirName(d) + ": ";
        long written = 0;
        long read = 0;
        Vio lastWrite = null;
        Vio lastRead = null;
        for (Vio v : vios) {
            if (v.dir != d) {
                continue;
            }
            if (v.read) {
                read += v.finalNdone;
                lastRead = v;
            } else {
                written += v.finalNdone;
                lastWrite = v;
            }
        }
        if (!(consumed[d] == read)) {
            violation(name + "the reader consumed " + consumed[d] + " bytes but its read VIOs' ndone add "
                + "up to " + read);
        }
        if (!(written <= dir.size())) {
            violation(name + "the writer's ndone adds up to " + written + ", more than the "
                + dir.size() + " bytes it provided");
        }
        if (!(read <= written)) {
            violation(name + "the reader got " + read + " bytes, more than the " + written + " written");
        }
        if (!sc.sockets() && !tls()) {
            if (!(read == written)) {
                violation(name + "the pair accepted " + written + " bytes from the writer but the reader "
                    + "got " + read);
            }
        }
        FaultInfo f = fault(d);
        boolean fired = f.kind != FaultKind.NONE && written >= f.at;
        // The reader's end.
        Event rEnd = lastRead == null ? null : lastRead.completes > 0 ? Event.READ_COMPLETE : lastRead.terminal;
        if (rEnd == Event.READ_COMPLETE && lastRead.lowered) {
            if (lastRead.finalNdone != lastRead.nbytes) {
                violation(name + "READ_COMPLETE at ndone " + lastRead.finalNdone + " after nbytes was lowered to "
                        + lastRead.nbytes);
            }
        } else if (rEnd == Event.READ_COMPLETE) {
            if (!(read == dir.readNbytes())) {
                violation(name + "READ_COMPLETE after " + read + " bytes, the reader asked for "
                    + nbytes(dir.readNbytes()));
            }
        } else if (rEnd == Event.EOS && tls()) {
            // close_notify follows every record the writer's ndone counts: EOS means nothing was lost.
            if (!(read == written)) {
                violation(name + "EOS after " + read + " bytes although " + written + " were written: a TLS "
                        + "stream that lost bytes must end with ERROR, not EOS (" + f + ")");
            }
            cover(Cov.TLS_EOS_EXACT);
        } else if (rEnd == Event.EOS) {
            if (aborted[w]) {
                if (!(read <= (fired ? Math.min(written, f.at) : written))) {
                    violation(name + "EOS after " + read
                        + " bytes after an abort");
                }
            } else if (fired) {
                if (!(f.kind != FaultKind.ERROR)) {
                    violation(name + "EOS although the injected I/O error at " + f.at
                        + " was reached (" + written + " written): expected ERROR");
                }
                if (!(read == f.at)) {
                    violation(name + "EOS after " + read + " bytes, the injected " + f + " should end it at "
                        + "exactly " + f.at);
                }
            } else {
                if (!(read == written)) {
                    violation(name + "EOS after " + read + " bytes although " + written + " were written "
                        + "and " + side(w) + " closed normally: bytes lost");
                }
            }
        } else if (rEnd == Event.ERROR && tls()) {
            // Checked when it came (tlsError): with no byte fault planned, only a peer that had closed or aborted
            // by then may cut a TLS stream short (close_notify is best effort, docs/tls.md).
            cover(Cov.TLS_READ_ERROR);
        } else if (rEnd == Event.ERROR) {
            if (!(fired && f.kind == FaultKind.ERROR && read == f.at)) {
                violation(name + "read ERROR after " + read
                    + " bytes (" + f + ", " + written + " written)");
            }
        } else if (dir.readNbytes() > 0 && started[r] && (lastRead == null || lastRead.nbytes > 0)) {
            if (!(closed[r] || shutRead[r])) {
                violation(name + "the reader never ended and " + side(r) + " never closed");
            }
            if (lastRead != null && lastRead.finalNdone == lastRead.nbytes && lastRead.nbytes > 0
                    && lastRead.frozenNdone < 0) {
                violation(name + lastRead.name() + " reached ndone == nbytes without READ_COMPLETE");
            }
        }
        // The writer's end.
        Event wEnd = lastWrite == null ? null : lastWrite.completes > 0 ? Event.WRITE_COMPLETE : lastWrite.terminal;
        if (wEnd == Event.WRITE_COMPLETE) {
            if (!(written == dir.size())) {
                violation(name + "WRITE_COMPLETE after " + written + " of " + dir.size() + " bytes");
            }
        } else if (wEnd == null && dir.size() > 0 && started[w] && lastWrite != null && !lastWrite.loweredToZero) {
            if (!(closed[w] || shutWrite[w])) {
                violation(name + "the writer never ended and " + side(w) + " never closed");
            }
            if (lastWrite.finalNdone == lastWrite.nbytes && lastWrite.frozenNdone < 0) {
                violation(name + lastWrite.name() + " reached ndone == nbytes without WRITE_COMPLETE");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The byte pattern

    /** The key of stream {@code dir}'s pattern in the scenario of {@code seed}. */
    static long patternKey(long seed, int dir) {
        return mix(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L * (dir + 1));
    }

    /** The sender's byte at stream offset {@code offset}. */
    static byte patternAt(long key, long offset) {
        return (byte) (mix(key + (offset >>> 3)) >>> ((offset & 7) << 3));
    }

    /** Fills {@code dst[off..off+len)} with the pattern from stream offset {@code offset}. */
    static void fill(long key, long offset, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len) {
            long pos = offset + i;
            long word = mix(key + (pos >>> 3));
            for (int b = (int) (pos & 7); b < 8 && i < len; b++, i++) {
                dst[off + i] = (byte) (word >>> (b << 3));
            }
        }
    }

    /** The first stream offset where {@code data} differs from the pattern, or -1. */
    static long mismatch(long key, long offset, byte[] data, int off, int len) {
        int i = 0;
        while (i < len) {
            long pos = offset + i;
            long word = mix(key + (pos >>> 3));
            for (int b = (int) (pos & 7); b < 8 && i < len; b++, i++) {
                if (data[off + i] != (byte) (word >>> (b << 3))) {
                    return offset + i;
                }
            }
        }
        return -1;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
