package dev.vconn.domain.spi;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared VIO core: every rule of docs/semantics.md, rules 3.1–3.7 implemented once, for every transport.
 *
 * <p>A transport (socket, Netty channel, in-process pair, in-memory socket) extends this class and supplies a
 * handful of primitives: {@link #transportRead} and {@link #transportWrite} move bytes, {@link #readInterest} and
 * {@link #writeInterest} say when the core waits for the transport, {@link #transportShutdown} and
 * {@link #transportClose} release it. The transport drives the core with inputs: {@link #onReadable()} (bytes
 * arrived), {@link #onWritable()} (space freed), {@link #onEndOfStream()}, {@link #onError},
 * {@link #onPeerClosed} and {@link #onPeerReadShutdown}. The core decides every event: READY, COMPLETE exactly
 * once, EOS only to reads with {@code ntodo > 0}, ERROR, timeouts, hard backpressure, and "no callback after
 * close".
 *
 * <p>Processing happens in <i>passes</i> on the VConn's loop. A pass takes the read and write continuations'
 * locks with {@code tryLock} (retrying after {@link #LOCK_RETRY} on a miss), then processes timeouts, the read
 * side and the write side. Public methods only record intent and schedule a pass, so they never call back
 * synchronously. A readiness report from the loop's own I/O dispatch runs the pass at once when no pass runs on the
 * loop ({@link #onIoReady()}; docs/threading.md, Passes).
 */
public abstract class AbstractVConn implements VConn {
    private static final Logger log = LoggerFactory.getLogger(AbstractVConn.class);

    /** How long a pass waits before retrying when a continuation's lock is held elsewhere. */
    public static final Duration LOCK_RETRY = ContinuationScheduler.LOCK_RETRY;
    /** Transfers per direction in one pass before yielding the loop to other VConns. */
    private static final int MAX_TRANSFERS_PER_PASS = 16;
    /**
     * The loop whose pass runs on this thread now (element 0; {@code null}: none). Per thread, because a readiness
     * report can reach a VConn synchronously from inside another VConn's pass on that thread (a flush that makes a
     * Netty channel writable again, a write into an in-memory pipe): such a report must not run a pass nested in it.
     * The loop is recorded so that a virtual loop driven by a thread that is running another loop's pass still counts
     * as idle.
     */
    private static final ThreadLocal<EventLoop[]> RUNNING_PASS = ThreadLocal.withInitial(() -> new EventLoop[1]);

    private final EventLoop loop;
    // The current operations and the pass flag are fields updated through VarHandles rather than atomic objects of
    // their own: every VConn is made per connection, and an in-process transaction makes two (its intercept's pair).
    private static final VarHandle READ_VIO;
    private static final VarHandle WRITE_VIO;
    private static final VarHandle PASS_SCHEDULED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            READ_VIO = lookup.findVarHandle(AbstractVConn.class, "readVio", CoreReadVio.class);
            WRITE_VIO = lookup.findVarHandle(AbstractVConn.class, "writeVio", CoreWriteVio.class);
            PASS_SCHEDULED = lookup.findVarHandle(AbstractVConn.class, "passScheduled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile CoreReadVio readVio;
    private volatile CoreWriteVio writeVio;
    private volatile boolean passScheduled;
    private final Runnable passTask = new Runnable() {
        @Override
        public void run() {
            runMarkedPass();
        }

        @Override
        public String toString() {
            return "pass of " + AbstractVConn.this; // names the VConn when a virtual loop reports it busy
        }
    };

    private volatile CloseState closeState = CloseState.OPEN;
    private volatile boolean readShut;
    private volatile boolean writeShut;
    private volatile VConnError error;

    // Loop-confined state.
    private boolean eos;
    private VConnError readError;
    private VConnError writeError;
    private boolean closeProcessed;
    /**
     * A pass of this VConn is delivering events on the loop now: a reenable or close made inside one of its callbacks
     * needs no pass or task of its own, because the pass applies it before it ends (docs/threading.md, Passes).
     */
    private boolean inPass;
    private ScheduledAction lockRetry;
    private long inactivityNanos;
    private long inactivityDeadline;
    private ScheduledAction inactivityTimer;
    /** When {@link #inactivityTimer} fires, on the loop's clock. */
    private long inactivityTimerAt;
    private boolean inactivityExpired;
    private ScheduledAction activeTimer;
    private boolean activeExpired;

    /** A VConn pinned to {@code loop}. */
    protected AbstractVConn(EventLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Public API (any thread)

    @Override
    public final ReadVio read(Continuation continuation, long nbytes, IOBuffer buffer) {
        checkNBytes(nbytes);
        checkOpen("read");
        if (readShut) {
            throw new IllegalStateException(
                    "read on a VConn whose read side is shut down (docs/semantics.md, rule 3.7)");
        }
        CoreReadVio vio = new CoreReadVio(this, continuation, nbytes, buffer);
        retire((CoreReadVio) READ_VIO.getAndSet(this, vio));
        schedulePass();
        return vio;
    }

    @Override
    public final WriteVio write(Continuation continuation, long nbytes, IOBufferReader reader) {
        checkNBytes(nbytes);
        checkOpen("write");
        if (writeShut) {
            throw new IllegalStateException(
                    "write on a VConn whose write side is shut down (docs/semantics.md, rule 3.7)");
        }
        CoreWriteVio vio = new CoreWriteVio(this, continuation, nbytes, reader);
        retire((CoreWriteVio) WRITE_VIO.getAndSet(this, vio));
        schedulePass();
        return vio;
    }

    @Override
    public final void close() {
        closeWith(CloseState.CLOSED, null);
    }

    @Override
    public final void abort(int errno, Throwable cause) {
        closeWith(CloseState.ABORTED, new VConnError(errno, "aborted by this side", cause));
    }

    @Override
    public final void shutdown(ShutdownHow how) {
        Objects.requireNonNull(how, "how");
        if (closeState != CloseState.OPEN) {
            return;
        }
        boolean read = false;
        boolean write = false;
        synchronized (this) {
            if (how.read() && !readShut) {
                readShut = true;
                read = true;
                retire((CoreReadVio) READ_VIO.getAndSet(this, null));
            }
            if (how.write() && !writeShut) {
                writeShut = true;
                write = true;
                retire((CoreWriteVio) WRITE_VIO.getAndSet(this, null));
            }
        }
        if (read || write) {
            boolean r = read;
            boolean w = write;
            loop.execute(() -> {
                if (!closeProcessed) {
                    // Only the direction shut stops waiting: a half-close must not strand the other side's
                    // operation (found by the simulation: a pair's held write after shutdown(READ)).
                    if (r) {
                        readInterest(false);
                    }
                    if (w) {
                        writeInterest(false);
                    }
                    transportShutdown(r, w);
                }
            });
        }
    }

    @Override
    public final CloseState closeState() {
        return closeState;
    }

    @Override
    public final boolean isReadShutdown() {
        return readShut;
    }

    @Override
    public final boolean isWriteShutdown() {
        return writeShut;
    }

    @Override
    public final VConnError error() {
        return error;
    }

    @Override
    public final ReadVio readVio() {
        return readVio;
    }

    @Override
    public final WriteVio writeVio() {
        return writeVio;
    }

    @Override
    public final EventLoop eventLoop() {
        return loop;
    }

    @Override
    public SocketAddress localAddress() {
        return null;
    }

    @Override
    public SocketAddress remoteAddress() {
        return null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Called on the VConn's loop (a proxy sets it several times per transaction) it takes effect at once, without
     * a task; and a timer already armed to fire before the new deadline is kept (when it fires early it re-arms for
     * the rest), so moving the deadline later costs no timer.
     */
    @Override
    public final void setInactivityTimeout(Duration timeout) {
        long nanos = positive(timeout, "inactivity timeout");
        if (loop.inEventLoop()) {
            applyInactivityTimeout(nanos);
        } else {
            loop.execute(() -> applyInactivityTimeout(nanos));
        }
    }

    private void applyInactivityTimeout(long nanos) {
        if (closeProcessed) {
            return;
        }
        inactivityNanos = nanos;
        inactivityDeadline = loop.nanoTime() + nanos;
        inactivityExpired = false;
        if (inactivityTimer != null && inactivityTimerAt > inactivityDeadline) {
            inactivityTimer.cancel(); // the new deadline is earlier than the armed timer
            inactivityTimer = null;
        }
        armInactivityTimer();
    }

    @Override
    public final void cancelInactivityTimeout() {
        if (loop.inEventLoop()) {
            clearInactivityTimeout();
        } else {
            loop.execute(this::clearInactivityTimeout);
        }
    }

    private void clearInactivityTimeout() {
        // The armed timer stays: when it fires with no timeout set it does nothing, and a timeout set again before
        // then reuses it (a proxy clears and sets the client's timeout once per request; docs/semantics.md, rule 3.6).
        inactivityNanos = 0;
        inactivityExpired = false;
    }

    @Override
    public final void setActiveTimeout(Duration timeout) {
        long nanos = positive(timeout, "active timeout");
        loop.execute(() -> {
            if (closeProcessed) {
                return;
            }
            if (activeTimer != null) {
                activeTimer.cancel();
            }
            activeExpired = false;
            activeTimer = loop.schedule(() -> {
                activeTimer = null;
                activeExpired = true;
                runMarkedPass();
            }, Duration.ofNanos(nanos));
        });
    }

    @Override
    public final void cancelActiveTimeout() {
        loop.execute(() -> {
            activeExpired = false;
            if (activeTimer != null) {
                activeTimer.cancel();
                activeTimer = null;
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transport SPI: primitives the transport implements (all called on the loop)

    /**
     * Moves up to {@code max} bytes from the transport into {@code dst} (never more).
     *
     * @return the number of bytes moved ({@code > 0}), {@code 0} if none are available now (the core then waits
     *     for {@link #onReadable()}), or {@code -1} at end of stream
     * @throws IOException if reading failed; ECONNRESET ends the read with EOS, anything else with ERROR
     */
    protected abstract long transportRead(IOBuffer dst, long max) throws IOException;

    /**
     * Moves up to {@code max} bytes from {@code src} into the transport, consuming from {@code src} exactly the
     * bytes taken.
     *
     * @return the number of bytes taken; {@code 0} if the transport has no room now (the core then waits for
     *     {@link #onWritable()})
     * @throws IOException if writing failed; the write VIO gets ERROR
     */
    protected abstract long transportWrite(IOBufferReader src, long max) throws IOException;

    /** Whether the core waits for {@link #onReadable()}; a socket transport maps this to read interest. */
    protected void readInterest(boolean wanted) {
    }

    /** Whether the core waits for {@link #onWritable()}; a socket transport maps this to write interest. */
    protected void writeInterest(boolean wanted) {
    }

    /** Ends one or both directions of the transport (a socket's {@code shutdownInput/Output}). */
    protected abstract void transportShutdown(boolean read, boolean write);

    /**
     * Releases the transport once, after the VConn was closed: closes the socket, or tells the peer.
     *
     * @param abortError the abort's code and cause, or {@code null} for a normal close
     */
    protected abstract void transportClose(VConnError abortError);

    /**
     * The water mark that stands in for a reader buffer's own when that is 0 (the default), in the read-ahead
     * bound of docs/semantics.md rule 3.5: at most {@code max(W, dst.blockSize())} unconsumed bytes are put into a
     * reader's buffer, {@code W} being {@code dst.waterMark()} if positive, else this. 0 (no default) unless the
     * connection has such an option, as the in-process pair has ({@code waterMark}).
     */
    protected long defaultReadWaterMark() {
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transport inputs (any thread)

    /** Input: bytes arrived, or the transport may have some; the core runs a pass. */
    protected final void onReadable() {
        schedulePass();
    }

    /** Input: the transport has room again; the core runs a pass. */
    protected final void onWritable() {
        schedulePass();
    }

    /**
     * Input from the loop's own I/O dispatch (a selector's ready key, a Netty channel handler): the transport became
     * readable and/or writable. On the loop, with no pass running on it and none of this VConn's queued, it runs the
     * pass at once instead of queueing a task for it, as Traffic Server's NetHandler calls the read and write handlers
     * from its ready list; anywhere else it is {@link #onReadable()} (docs/threading.md, Passes). Callers hold no lock
     * and run no user code: the pass delivers events.
     */
    protected final void onIoReady() {
        if (!passScheduled && loop.inEventLoop()) {
            EventLoop[] running = RUNNING_PASS.get();
            if (running[0] == null) {
                running[0] = loop;
                try {
                    runPass();
                } finally {
                    running[0] = null;
                }
                return;
            }
        }
        schedulePass();
    }

    /** Input: no more bytes will arrive; the read VIO gets EOS (if {@code ntodo > 0}). */
    protected final void onEndOfStream() {
        onLoop(() -> {
            eos = true;
            schedulePass();
        });
    }

    /** Input: the transport failed; the read and/or write VIO gets ERROR with this error. */
    protected final void onError(VConnError failure, boolean read, boolean write) {
        Objects.requireNonNull(failure, "failure");
        onLoop(() -> {
            error = failure;
            if (read && readError == null) {
                readError = failure;
            }
            if (write && writeError == null) {
                writeError = failure;
            }
            schedulePass();
        });
    }

    /**
     * Input: the peer closed (or aborted). The read VIO gets EOS and the write VIO ERROR with {@code reason},
     * which becomes this VConn's {@link #error()}.
     */
    protected final void onPeerClosed(VConnError reason) {
        Objects.requireNonNull(reason, "reason");
        if (loop.inEventLoop()) {
            peerClosed(reason); // the in-process pair's peer, on the same loop: no task and no lambda
        } else {
            loop.execute(() -> peerClosed(reason));
        }
    }

    private void peerClosed(VConnError reason) {
        eos = true;
        error = reason;
        if (writeError == null) {
            writeError = reason;
        }
        if (!closeProcessed) {
            schedulePass(); // a closed end has nothing left to deliver: its pass would only find it closed
        }
    }

    /** Input: the peer shut down its read side; the write VIO gets ERROR with {@code reason}. */
    protected final void onPeerReadShutdown(VConnError reason) {
        onError(reason, false, true);
    }

    /**
     * Input for push transports (the in-process pair): moves up to {@code max} bytes from {@code src} straight into
     * this VConn's read buffer, by block reference, within the read VIO's {@code ntodo} and the backpressure limit,
     * and consumes them from {@code src}. Must be called on the loop.
     *
     * @return the bytes moved; {@code 0} if this VConn has no room, no read posted, is shut or closed, or its read
     *     continuation's lock is busy (a pass is then scheduled, which pulls again)
     */
    protected final long acceptPushed(IOBufferReader src, long max) {
        CoreReadVio vio = readVio;
        if (vio == null || vio.retired || readShut || closeState != CloseState.OPEN || vio.complete || max <= 0) {
            return 0;
        }
        ReentrantLock lock = vio.continuation.lock();
        if (!lock.tryLock()) {
            schedulePass();
            return 0;
        }
        try {
            // Another thread may have closed this VConn or replaced the read while holding that lock: the bytes
            // must not land in a retired VIO's buffer, which its owner may already have freed.
            if (vio != readVio || vio.retired || closeState != CloseState.OPEN || readShut) {
                schedulePass();
                return 0;
            }
            long n = Math.min(max, readSpace(vio));
            if (n <= 0) {
                return 0;
            }
            vio.buffer().write(src, n);
            src.consume(n);
            vio.ndone += n;
            touchActivity();
            schedulePass();
            return n;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The pass

    /** Schedules one pass on the loop; passes are coalesced. Thread-safe. */
    protected final void schedulePass() {
        if (PASS_SCHEDULED.compareAndSet(this, false, true)) {
            loop.execute(passTask);
        }
    }

    /** Runs the pass with this thread marked as running a pass of this loop (see {@link #RUNNING_PASS}). */
    private void runMarkedPass() {
        EventLoop[] running = RUNNING_PASS.get();
        EventLoop outer = running[0];
        running[0] = loop;
        try {
            runPass();
        } finally {
            running[0] = outer;
        }
    }

    private void runPass() {
        passScheduled = false;
        if (closeState != CloseState.OPEN) {
            processClose();
            return;
        }
        CoreReadVio r = readVio;
        CoreWriteVio w = writeVio;
        ReentrantLock rl = r == null ? null : r.continuation.lock();
        ReentrantLock wl = w == null ? null : w.continuation.lock();
        if (wl == rl) {
            wl = null; // one continuation lock for both directions (a session's): taken once
        }
        if (rl != null && !rl.tryLock()) {
            retryLater();
            return;
        }
        if (wl != null && !wl.tryLock()) {
            if (rl != null) {
                rl.unlock();
            }
            retryLater();
            return;
        }
        if (closeState != CloseState.OPEN) {
            // Closed by a lock holder while we were taking the locks (the owner may already have freed the VIOs'
            // buffers): no I/O, just the close.
            if (wl != null) {
                wl.unlock();
            }
            if (rl != null) {
                rl.unlock();
            }
            processClose();
            return;
        }
        if (readVio != r || writeVio != w) {
            // Replaced while we were taking the locks: run again with the current VIOs and their locks.
            if (wl != null) {
                wl.unlock();
            }
            if (rl != null) {
                rl.unlock();
            }
            schedulePass();
            return;
        }
        inPass = true;
        try {
            processTimeouts(r, w);
            if (r != null) {
                r.applyReenable();
                processRead(r);
            }
            if (w != null) {
                w.applyReenable();
                processWrite(w);
            }
        } finally {
            inPass = false;
            if (wl != null) {
                wl.unlock();
            }
            if (rl != null) {
                rl.unlock();
            }
        }
        if (closeState != CloseState.OPEN) {
            processClose();
        } else if (readVio != r || writeVio != w) {
            schedulePass(); // a callback posted a new operation, perhaps under another lock
        } else if (r != null && r.reenableRequested || w != null && w.reenableRequested) {
            schedulePass(); // a reenable made inside a callback after this pass had applied that VIO's
        }
    }

    /**
     * A VIO of this VConn was reenabled (any thread). Inside one of this VConn's own callbacks on the loop no pass is
     * scheduled: the running pass applies the reenable if it has not yet reached that VIO, and otherwise schedules
     * the pass when it ends, so a reenable that would change nothing costs nothing.
     */
    final void reenabled() {
        if (loop.inEventLoop() && inPass) {
            return;
        }
        schedulePass();
    }

    private void retryLater() {
        if (lockRetry == null) {
            lockRetry = loop.schedule(() -> {
                lockRetry = null;
                runMarkedPass();
            }, LOCK_RETRY);
        }
    }

    private void processRead(CoreReadVio vio) {
        if (vio.retired || readShut || vio.nbytes == 0) {
            return; // docs/semantics.md, rule 3.2: nbytes == 0 produces no events
        }
        int transfers = 0;
        while (true) {
            if (vio.ndone >= vio.nbytes) {
                if (!vio.complete) {
                    vio.complete = true;
                    readInterest(false);
                    deliver(vio, Event.READ_COMPLETE);
                }
                return;
            }
            if (vio.ndone > vio.signalled) {
                vio.signalled = vio.ndone;
                if (!deliver(vio, Event.READ_READY)) {
                    return;
                }
                continue; // the callback may have consumed, changed nbytes or closed
            }
            if (vio.parked) {
                return;
            }
            if (readError != null) {
                vio.park();
                readInterest(false);
                deliver(vio, Event.ERROR);
                return;
            }
            if (eos) {
                vio.park(); // docs/semantics.md, rule 3.4: reported again after a reenable made after it
                readInterest(false);
                deliver(vio, Event.EOS);
                return;
            }
            long space = readSpace(vio);
            if (space <= 0) {
                readInterest(false); // docs/semantics.md, rule 3.5: stop silently until the reader consumes
                return;
            }
            if (++transfers > MAX_TRANSFERS_PER_PASS) {
                schedulePass();
                return;
            }
            long n;
            try {
                n = transportRead(vio.buffer(), space);
            } catch (IOException e) {
                VConnError failure = classify(e, Errno.EIO);
                error = failure;
                if (failure.errno() == Errno.ECONNRESET) {
                    eos = true; // Traffic Server statement 28 (docs/semantics.md): a reset reads as end of stream
                } else {
                    readError = failure;
                }
                continue;
            }
            if (n > 0) {
                if (n > space) {
                    throw new IllegalStateException(
                            "transport moved " + n + " bytes into a read allowed " + space
                                    + " (docs/semantics.md, rule 3.3)");
                }
                vio.ndone += n;
                touchActivity();
            } else if (n < 0) {
                eos = true;
            } else {
                // Nothing came: blocks without unread bytes go back to the pool, so a connection idling with a read
                // posted holds none (docs/semantics.md, "Block pool and what an idle connection holds").
                vio.buffer().trim();
                readInterest(true);
                return;
            }
        }
    }

    private void processWrite(CoreWriteVio vio) {
        if (vio.retired || writeShut || vio.nbytes == 0) {
            return;
        }
        int transfers = 0;
        boolean signalled = false;
        while (true) {
            if (vio.ndone >= vio.nbytes) {
                if (!vio.complete) {
                    vio.complete = true;
                    writeInterest(false);
                    deliver(vio, Event.WRITE_COMPLETE);
                }
                return;
            }
            if (vio.ndone > vio.signalled) {
                vio.signalled = vio.ndone;
                signalled = true;
                if (!deliver(vio, Event.WRITE_READY)) {
                    return;
                }
                continue;
            }
            if (vio.parked) {
                return;
            }
            if (writeError != null) {
                vio.park();
                writeInterest(false);
                deliver(vio, Event.ERROR);
                return;
            }
            long avail = Math.min(vio.ntodo(), vio.reader().readAvail());
            if (avail <= 0) {
                if (!signalled && !vio.askedForData) {
                    // One WRITE_READY asks for data; bytes added inside the callback go out in this same pass.
                    vio.askedForData = true;
                    signalled = true;
                    if (!deliver(vio, Event.WRITE_READY)) {
                        return;
                    }
                    continue;
                }
                // A WRITE_READY for progress that left the buffer empty already asked for data: no second event
                // until a reenable or more progress (unlike PluginVC's extra WRITE_READY, Traffic Server statement 18).
                vio.askedForData = true;
                writeInterest(false);
                return;
            }
            if (++transfers > MAX_TRANSFERS_PER_PASS) {
                schedulePass();
                return;
            }
            long n;
            try {
                n = transportWrite(vio.reader(), avail);
            } catch (IOException e) {
                VConnError failure = classify(e, Errno.EPIPE);
                error = failure;
                writeError = failure;
                continue;
            }
            if (n > 0) {
                if (n > avail) {
                    throw new IllegalStateException(
                            "transport took " + n + " bytes from a write allowed " + avail
                                    + " (docs/semantics.md, rule 3.3)");
                }
                vio.ndone += n;
                vio.askedForData = false;
                touchActivity();
            } else {
                writeInterest(true);
                return;
            }
        }
    }

    private long readSpace(CoreReadVio vio) {
        IOBuffer buffer = vio.buffer();
        return Math.min(vio.ntodo(), readAheadBound(buffer) - buffer.maxReadAvail());
    }

    /**
     * The most unconsumed bytes this VConn puts into {@code buffer} as a read buffer (docs/semantics.md, rule 3.5):
     * {@code max(W, buffer.blockSize())}, {@code W} the buffer's water mark, or {@link #defaultReadWaterMark()}
     * when that is 0. One rule for every transport.
     */
    private long readAheadBound(IOBuffer buffer) {
        long waterMark = buffer.waterMark() > 0 ? buffer.waterMark() : defaultReadWaterMark();
        return Math.max(waterMark, buffer.blockSize());
    }

    /**
     * Delivers an event to a VIO's continuation unless the VConn was closed or the VIO retired. The caller holds
     * the continuation's lock.
     *
     * @return whether the VIO is still current afterwards (the pass may go on with it)
     */
    private boolean deliver(VioState vio, Event event) {
        // Checked after the continuation's lock was taken: a thread that closes or retires while holding that lock
        // is therefore never followed by a callback (docs/semantics.md, rule 2.4).
        if (closeState != CloseState.OPEN || vio.retired) {
            return false;
        }
        try {
            vio.continuation.handler().handle(event, vio);
        } catch (RuntimeException e) {
            log.error("continuation {} threw on {} for {}; the VConn goes on", vio.continuation, event, vio, e);
        }
        return closeState == CloseState.OPEN && !vio.retired;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Timeouts (loop-confined)

    private void processTimeouts(CoreReadVio r, CoreWriteVio w) {
        if (inactivityExpired) {
            inactivityExpired = false;
            VioState target = timeoutTarget(r, w);
            if (target != null) {
                deliver(target, Event.INACTIVITY_TIMEOUT);
            }
        }
        if (activeExpired) {
            activeExpired = false;
            VioState target = timeoutTarget(r, w);
            if (target != null) {
                deliver(target, Event.ACTIVE_TIMEOUT);
            }
        }
    }

    /** docs/semantics.md, rule 3.6: the read operation if one is active, else the write operation, else nobody. */
    private VioState timeoutTarget(CoreReadVio r, CoreWriteVio w) {
        if (r != null && !r.retired && !readShut && !r.complete && r.nbytes > 0) {
            return r;
        }
        if (w != null && !w.retired && !writeShut && !w.complete && w.nbytes > 0) {
            return w;
        }
        return null;
    }

    private void touchActivity() {
        if (inactivityNanos > 0) {
            inactivityDeadline = loop.nanoTime() + inactivityNanos;
            armInactivityTimer(); // re-arms a timer that already fired
        }
    }

    private void armInactivityTimer() {
        if (inactivityTimer == null && inactivityNanos > 0 && !closeProcessed) {
            long now = loop.nanoTime();
            long delay = Math.max(0, inactivityDeadline - now);
            inactivityTimerAt = now + delay;
            inactivityTimer = loop.schedule(this::inactivityCheck, Duration.ofNanos(delay));
        }
    }

    private void inactivityCheck() {
        inactivityTimer = null;
        if (closeProcessed || inactivityNanos == 0) {
            return;
        }
        if (loop.nanoTime() < inactivityDeadline) {
            armInactivityTimer(); // something moved since the timer was set
            return;
        }
        inactivityExpired = true;
        runMarkedPass();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Close, retire

    private void closeWith(CloseState state, VConnError abortError) {
        synchronized (this) { // only orders concurrent close/abort/shutdown calls; never held during a callback
            if (closeState != CloseState.OPEN) {
                return;
            }
            if (abortError != null) {
                error = abortError;
            }
            closeState = state;
            retire((CoreReadVio) READ_VIO.getAndSet(this, null));
            retire((CoreWriteVio) WRITE_VIO.getAndSet(this, null));
        }
        if (loop.inEventLoop() && inPass) {
            return; // closed inside one of this VConn's callbacks: the pass processes the close when it ends
        }
        // Always a task of its own, never coalesced with a queued pass: a transport shutting down may drop queued
        // tasks, and the close must still run. The pass task, which processes a closed VConn's close, needs no lambda.
        loop.execute(passTask);
    }

    private void processClose() {
        if (closeProcessed) {
            return;
        }
        closeProcessed = true;
        readShut = true;
        writeShut = true;
        cancelTimer(lockRetry);
        cancelTimer(inactivityTimer);
        cancelTimer(activeTimer);
        lockRetry = null;
        inactivityTimer = null;
        activeTimer = null;
        try {
            transportClose(closeState == CloseState.ABORTED ? error : null);
        } catch (RuntimeException e) {
            log.warn("closing the transport of {} failed", this, e);
        }
    }

    private static void cancelTimer(ScheduledAction timer) {
        if (timer != null) {
            timer.cancel();
        }
    }

    /** Whether {@link #close()} or {@link #abort} was processed on the loop (the transport was released). */
    protected final boolean isCloseProcessed() {
        return closeProcessed;
    }

    final void cancel(VioState vio) {
        if (vio instanceof CoreReadVio r) {
            READ_VIO.compareAndSet(this, r, null);
        } else if (vio instanceof CoreWriteVio w) {
            WRITE_VIO.compareAndSet(this, w, null);
        }
        vio.retired = true;
        schedulePass();
    }

    private static void retire(VioState old) {
        if (old != null) {
            old.retired = true;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private void onLoop(Runnable action) {
        if (loop.inEventLoop()) {
            action.run();
        } else {
            loop.execute(action);
        }
    }

    private void checkOpen(String op) {
        if (closeState != CloseState.OPEN) {
            throw new IllegalStateException(op + " on a closed VConn (docs/semantics.md, rule 3.7)");
        }
    }

    private static void checkNBytes(long nbytes) {
        if (nbytes < 0) {
            throw new IllegalArgumentException("nbytes must be >= 0, was " + nbytes + " (docs/semantics.md, rule 3.7)");
        }
    }

    private static long positive(Duration timeout, String what) {
        Objects.requireNonNull(timeout, what);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + timeout);
        }
        return timeout.toNanos();
    }

    /**
     * Maps an I/O failure to an errno-like error. Transports that know the real errno override this; the default
     * is {@link VConnError#from}.
     */
    protected VConnError classify(IOException e, int fallbackErrno) {
        return VConnError.from(e, fallbackErrno);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + closeState + (readShut ? ", read shut" : "")
                + (writeShut ? ", write shut" : "") + "]";
    }
}
