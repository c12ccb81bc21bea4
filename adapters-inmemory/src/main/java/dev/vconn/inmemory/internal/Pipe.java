package dev.vconn.inmemory.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of an in-memory connection: a bounded byte stream from one channel's writes to its peer's reads,
 * with the faults of one fault plan applied (see {@code dev.vconn.inmemory.FaultPlan} for what each knob means).
 *
 * <p>Bytes are kept in a ring that grows up to the writer's capacity (its {@code SO_SNDBUF}); a write that finds no
 * room takes nothing. Timing faults (latency, bandwidth) run on the given loop's clock: bytes not yet "arrived" are
 * invisible to the reader, and a timer on the loop makes them visible and wakes the reader.
 *
 * <p>Thread-safe: one lock guards the state and one condition wakes blocked readers and writers. The wake-up
 * callbacks ({@link #setReaderWakeup}, {@link #setWriterWakeup}) run after the lock is released, on the thread that
 * changed the state (a writer, a reader, a closer, or the loop for a latency timer).
 */
public final class Pipe {
    private static final Logger log = LoggerFactory.getLogger(Pipe.class);
    private static final byte[] EMPTY = new byte[0];
    private static final int MIN_RING = 4096;
    private static final Runnable NOTHING = () -> { };

    /** The message of a reset, which the VIO core maps to ECONNRESET. */
    public static final String RESET_MESSAGE = "Connection reset by peer";
    /** The message of a write after the connection was reset or the peer had closed, mapped to EPIPE. */
    public static final String BROKEN_PIPE_MESSAGE = "Broken pipe";

    /**
     * The faults of one direction, as numbers.
     *
     * @param seed           seeds the random choices
     * @param fragmentation  whether reads and writes are cut at random sizes
     * @param latencyNanos   one-way delay
     * @param bytesPerSecond bandwidth, 0 = unlimited
     * @param resetAt        offset of a reset, or -1
     * @param eofAt          offset of an early end of stream, or -1
     * @param errorAt        offset of an I/O error, or -1
     */
    public record Faults(long seed, boolean fragmentation, long latencyNanos, long bytesPerSecond, long resetAt,
            long eofAt, long errorAt) {
        /** No fault. */
        public static final Faults NONE = new Faults(0, false, 0, 0, -1, -1, -1);
    }

    private enum Fault { NONE, RESET, ERROR, EOF }

    private final EventLoop clock;
    private final IntSupplier capacity;
    private final String name;
    private final Faults faults;
    private final SplittableRandom readRandom;
    private final SplittableRandom writeRandom;
    private final long faultAt;
    private final Fault faultKind;
    private final boolean timed;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // Guarded by lock.
    private byte[] ring = EMPTY;
    private int head;
    /** Stream offset of the next byte written (bytes accepted so far). */
    private long written;
    /** Stream offset of the next byte read (bytes read or discarded so far). */
    private long consumed;
    /** Bytes that have arrived (readable once consumed is below it). */
    private long arrived;
    private long[] segArrival = new long[0];
    private long[] segEnd = new long[0];
    private int segHead;
    private int segCount;
    private long wireFreeAt;
    private ScheduledAction arrivalTimer;
    private boolean writerShut;
    private boolean readerShut;
    /** The reader's socket is closed (it sent FIN, nothing was unread): the next write provokes a reset. */
    private boolean readerClosed;
    /** The reader's socket reset the connection: what the writer's writes report, in order, or null. */
    private String writeFailure;
    /** After {@link #writeFailure} was reported once, writes report "Broken pipe" (Linux reports a reset once). */
    private boolean writeFailureReported;
    /** The writer's socket reset the connection: the reader gets the bytes already sent, then a reset. */
    private boolean writerReset;

    private volatile Runnable readerWakeup = NOTHING;
    private volatile Runnable writerWakeup = NOTHING;

    /**
     * A pipe.
     *
     * @param clock    the loop whose clock times latency and bandwidth, and which runs arrival timers
     * @param capacity the most bytes in flight (written, not yet read); read on every write
     * @param faults   the faults of this direction
     * @param name     for logs, e.g. {@code "127.0.0.1:1 -> 127.0.0.1:2"}
     */
    public Pipe(EventLoop clock, IntSupplier capacity, Faults faults, String name) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.capacity = Objects.requireNonNull(capacity, "capacity");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.name = Objects.requireNonNull(name, "name");
        this.readRandom = new SplittableRandom(faults.seed());
        this.writeRandom = readRandom.split();
        long at = Long.MAX_VALUE;
        Fault kind = Fault.NONE;
        // Tie order: reset, then error, then EOF.
        if (faults.eofAt() >= 0) {
            at = faults.eofAt();
            kind = Fault.EOF;
        }
        if (faults.errorAt() >= 0 && faults.errorAt() <= at) {
            at = faults.errorAt();
            kind = Fault.ERROR;
        }
        if (faults.resetAt() >= 0 && faults.resetAt() <= at) {
            at = faults.resetAt();
            kind = Fault.RESET;
        }
        this.faultAt = at;
        this.faultKind = kind;
        this.timed = faults.latencyNanos() > 0 || faults.bytesPerSecond() > 0;
        if (!faults.equals(Faults.NONE)) {
            log.debug("in-memory pipe {} with faults {}", name, faults);
        }
    }

    /** Runs after a change the reader may care about: bytes arrived, end of stream, a reset or a fault. */
    public void setReaderWakeup(Runnable wakeup) {
        this.readerWakeup = Objects.requireNonNull(wakeup, "wakeup");
    }

    /** Runs after a change the writer may care about: room freed, or the output broke. */
    public void setWriterWakeup(Runnable wakeup) {
        this.writerWakeup = Objects.requireNonNull(wakeup, "wakeup");
    }

    /** The faults of this direction. */
    public Faults faults() {
        return faults;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Writing

    /**
     * Takes up to the bytes remaining in {@code srcs[off..off+len)}, never more than the room left, and with
     * fragmentation a random number between 1 and the bytes remaining.
     *
     * @return the bytes taken, 0 if there is no room (or nothing to write)
     * @throws IOException "Connection reset by peer" after a reset, "Broken pipe" once the reader is gone, or a
     *     {@link ClosedChannelException} once this direction was shut down by the writer
     */
    public long write(ByteBuffer[] srcs, int off, int len) throws IOException {
        long requested = remaining(srcs, off, len);
        long n;
        lock.lock();
        try {
            if (writerShut) {
                throw new ClosedChannelException();
            }
            if (writeFailure != null) {
                String message = writeFailureReported ? BROKEN_PIPE_MESSAGE : writeFailure;
                writeFailureReported = true;
                throw new IOException(message);
            }
            if (requested == 0) {
                return 0;
            }
            if (readerClosed) {
                // Linux: the bytes go to a closed socket, which answers with a reset; the write itself succeeded,
                // the next one fails. The writer had the reader's FIN, so the reset reads as a broken pipe.
                drop(srcs, off, len);
                writeFailure = BROKEN_PIPE_MESSAGE;
                return requested;
            }
            if (written >= faultAt) {
                if (faultKind == Fault.RESET) {
                    throw new IOException(RESET_MESSAGE);
                }
                drop(srcs, off, len); // the reader's stream ended at faultAt: the writer cannot tell
                return requested;
            }
            long room = Math.max(1, capacity.getAsInt()) - (written - consumed);
            if (room <= 0) {
                return 0;
            }
            n = Math.min(Math.min(requested, room), faultAt - written);
            if (faults.fragmentation()) {
                n = Math.min(n, 1 + writeRandom.nextLong(requested));
            }
            copyIn(srcs, off, (int) n);
            written += n;
            if (timed) {
                addSegment(n);
            } else {
                arrived = written;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        readerWakeup.run();
        return n;
    }

    private void addSegment(long n) {
        long now = clock.nanoTime();
        long departure = now;
        if (faults.bytesPerSecond() > 0) {
            long start = Math.max(now, wireFreeAt);
            long transmit = (n * 1_000_000_000L + faults.bytesPerSecond() - 1) / faults.bytesPerSecond();
            departure = saturatedAdd(start, transmit);
            wireFreeAt = departure;
        }
        long arrival = saturatedAdd(departure, faults.latencyNanos());
        if (arrival <= now && segCount == 0) {
            arrived = written;
            return;
        }
        if (segCount == segArrival.length) {
            int cap = Math.max(8, segArrival.length * 2);
            long[] a = new long[cap];
            long[] e = new long[cap];
            for (int i = 0; i < segCount; i++) {
                int j = (segHead + i) % segArrival.length;
                a[i] = segArrival[j];
                e[i] = segEnd[j];
            }
            segArrival = a;
            segEnd = e;
            segHead = 0;
        }
        int tail = (segHead + segCount) % segArrival.length;
        segArrival[tail] = arrival;
        segEnd[tail] = written;
        segCount++;
        if (arrivalTimer == null) {
            scheduleArrival(arrival - now);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private void scheduleArrival(long delayNanos) {
        arrivalTimer = clock.schedule(this::onArrivalTimer, Duration.ofNanos(Math.max(0, delayNanos)));
    }

    private void onArrivalTimer() {
        lock.lock();
        try {
            arrivalTimer = null;
            long now = clock.nanoTime();
            advanceArrivals(now);
            if (segCount > 0) {
                scheduleArrival(segArrival[segHead] - now);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        readerWakeup.run();
    }

    private void advanceArrivals(long now) {
        while (segCount > 0 && segArrival[segHead] <= now) {
            arrived = segEnd[segHead];
            segHead = (segHead + 1) % segArrival.length;
            segCount--;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reading

    /**
     * Moves arrived bytes into {@code dsts[off..off+len)}, with fragmentation a random number between 1 and the room
     * in {@code dsts}.
     *
     * @return the bytes moved; 0 if none has arrived; -1 at end of stream (the writer shut down, the reader shut
     *     down its input, or an injected EOF was reached)
     * @throws IOException "Connection reset by peer" after a reset (injected or by an abortive close), or an
     *     injected I/O error
     */
    public long read(ByteBuffer[] dsts, int off, int len) throws IOException {
        long requested = remaining(dsts, off, len);
        long n;
        lock.lock();
        try {
            if (readerShut) {
                return -1;
            }
            if (timed) {
                advanceArrivals(clock.nanoTime());
            }
            long avail = arrived - consumed;
            if (avail <= 0) {
                if (consumed < written) {
                    return 0; // still on the wire
                }
                if (consumed == faultAt) {
                    switch (faultKind) {
                        case RESET -> throw new IOException(RESET_MESSAGE);
                        case ERROR -> throw new IOException("Input/output error (injected at byte " + faultAt + ")");
                        default -> {
                            return -1;
                        }
                    }
                }
                if (writerShut) {
                    return -1; // a FIN came before any reset: end of stream
                }
                if (writerReset) {
                    throw new IOException(RESET_MESSAGE); // the bytes sent before the reset were read first
                }
                return 0;
            }
            if (requested == 0) {
                return 0;
            }
            n = Math.min(avail, requested);
            if (faults.fragmentation()) {
                n = Math.min(n, 1 + readRandom.nextLong(requested));
            }
            copyOut(dsts, off, (int) n);
            consumed += n;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        writerWakeup.run();
        return n;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Readiness and waiting

    /** Whether a read would not return 0 now (bytes, end of stream, a reset or a fault). */
    public boolean readReady() {
        lock.lock();
        try {
            return readReadyLocked();
        } finally {
            lock.unlock();
        }
    }

    private boolean readReadyLocked() {
        if (readerShut) {
            return true;
        }
        if (timed) {
            advanceArrivals(clock.nanoTime());
        }
        if (arrived > consumed) {
            return true;
        }
        return consumed == written && (consumed == faultAt || writerShut || writerReset);
    }

    /** Whether a write would not return 0 now (room, or the output broke). */
    public boolean writeReady() {
        lock.lock();
        try {
            return writeReadyLocked();
        } finally {
            lock.unlock();
        }
    }

    private boolean writeReadyLocked() {
        return writeFailure != null || readerClosed || writerShut || written >= faultAt
                || Math.max(1, capacity.getAsInt()) - (written - consumed) > 0;
    }

    /**
     * Blocks until a read would not return 0, or {@code stillWaiting} turns false (checked after each change).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitReadable(BooleanSupplier stillWaiting) throws InterruptedException {
        lock.lock();
        try {
            while (stillWaiting.getAsBoolean() && !readReadyLocked()) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until a write would not return 0, or {@code stillWaiting} turns false (checked after each change).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitWritable(BooleanSupplier stillWaiting) throws InterruptedException {
        lock.lock();
        try {
            while (stillWaiting.getAsBoolean() && !writeReadyLocked()) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every thread blocked on this pipe so that it re-checks its channel (after a close). */
    public void wakeWaiters() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ending

    /** The writer will write no more: the reader gets end of stream after the bytes already written. */
    public void shutdownWriter() {
        lock.lock();
        try {
            if (writerShut) {
                return;
            }
            writerShut = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeBoth();
    }

    /**
     * The reader will read no more (Linux's {@code shutdown(SHUT_RD)}): its reads return -1. Nothing is sent to the
     * writer: its bytes are still taken until the pipe is full, and stay unread (a later close of the reader then
     * resets the connection).
     */
    public void shutdownReader() {
        lock.lock();
        try {
            if (readerShut) {
                return;
            }
            readerShut = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeBoth();
    }

    /** Whether bytes were written that the reader has not read (on the wire included). */
    public boolean hasUnread() {
        lock.lock();
        try {
            return written > consumed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The reader's socket closed normally with nothing unread (it sent FIN): the writer's next write is taken
     * and dropped, as Linux takes it and the closed socket answers with a reset; later writes fail "Broken pipe".
     */
    public void readerClosed() {
        lock.lock();
        try {
            readerShut = true;
            readerClosed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeBoth();
    }

    /**
     * The reader's socket reset the connection (closed with unread bytes, or aborted): unread bytes are dropped;
     * the writer's next write fails "Connection reset by peer" and later ones "Broken pipe", or all "Broken pipe"
     * if the writer already had the reader's FIN ({@code finBefore}), as Linux reports a reset in CLOSE_WAIT.
     */
    public void resetByReader(boolean finBefore) {
        lock.lock();
        try {
            if (writeFailure != null) {
                return;
            }
            readerShut = true;
            writeFailure = finBefore ? BROKEN_PIPE_MESSAGE : RESET_MESSAGE;
            discardLocked();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeBoth();
    }

    /**
     * The writer's socket reset the connection: the reader still reads the bytes already written (they are in its
     * receive buffer, as on Linux), then "Connection reset by peer" — or end of stream if the writer had shut down
     * its output before.
     */
    public void resetByWriter() {
        lock.lock();
        try {
            if (writerReset) {
                return;
            }
            writerReset = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        wakeBoth();
    }

    private void discardLocked() {
        consumed = written;
        arrived = written;
        segCount = 0;
        segHead = 0;
        ring = EMPTY;
        head = 0;
        if (arrivalTimer != null) {
            arrivalTimer.cancel();
            arrivalTimer = null;
        }
    }

    private void wakeBoth() {
        readerWakeup.run();
        writerWakeup.run();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ring

    private void copyIn(ByteBuffer[] srcs, int off, int n) {
        int stored = (int) (written - consumed);
        ensureRing(stored + n);
        int len = ring.length;
        int tail = (head + stored) % len;
        int left = n;
        for (int i = off; left > 0; i++) {
            ByteBuffer b = srcs[i];
            int k = Math.min(b.remaining(), left);
            left -= k;
            while (k > 0) {
                int chunk = Math.min(k, len - tail);
                b.get(ring, tail, chunk);
                tail = (tail + chunk) % len;
                k -= chunk;
            }
        }
    }

    private void copyOut(ByteBuffer[] dsts, int off, int n) {
        int len = ring.length;
        int left = n;
        for (int i = off; left > 0; i++) {
            ByteBuffer b = dsts[i];
            int k = Math.min(b.remaining(), left);
            left -= k;
            while (k > 0) {
                int chunk = Math.min(k, len - head);
                b.put(ring, head, chunk);
                head = (head + chunk) % len;
                k -= chunk;
            }
        }
        if (consumed + n == written) {
            // Empty: the ring goes (as a kernel frees a socket's buffers once they are read), so an idle in-memory
            // socket holds no buffer of its own; the next write allocates one again.
            ring = EMPTY;
            head = 0;
        }
    }

    private void ensureRing(int needed) {
        if (ring.length >= needed) {
            return;
        }
        int newLen = Math.max(needed, Math.max(MIN_RING, ring.length * 2));
        newLen = Math.max(needed, Math.min(newLen, Math.max(1, capacity.getAsInt())));
        byte[] bigger = new byte[newLen];
        int stored = (int) (written - consumed);
        int first = Math.min(stored, ring.length - head);
        System.arraycopy(ring, head, bigger, 0, first);
        System.arraycopy(ring, 0, bigger, first, stored - first);
        ring = bigger;
        head = 0;
    }

    private static void drop(ByteBuffer[] srcs, int off, int len) {
        for (int i = off; i < off + len; i++) {
            srcs[i].position(srcs[i].limit());
        }
    }

    /** The bytes remaining in {@code bufs[off..off+len)}. */
    public static long remaining(ByteBuffer[] bufs, int off, int len) {
        long r = 0;
        for (int i = off; i < off + len; i++) {
            r += bufs[i].remaining();
        }
        return r;
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "Pipe[" + name + ", written=" + written + ", read=" + consumed + ", arrived=" + arrived
                    + (writerShut ? ", writer shut" : "") + (readerShut ? ", reader shut" : "")
                    + (readerClosed ? ", reader closed" : "") + (writerReset ? ", reset by the writer" : "")
                    + (writeFailure != null ? ", reset by the reader" : "") + ", faults=" + faults + "]";
        } finally {
            lock.unlock();
        }
    }
}
