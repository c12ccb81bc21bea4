package dev.vconn.ports.contract;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * Streaming helpers shared by the contract classes: a {@link Sender} that refills its buffer on WRITE_READY (never
 * more than {@link #MAX_BUFFERED} bytes waiting in the writer, so the transport must ask for more), a
 * {@link Receiver} that consumes inside READ_READY and checks every byte against a {@link BytePattern}, and an
 * {@link Echo} that sends back what it reads through one buffer (the classic Traffic Server echo: the read VIO fills
 * a buffer, the write VIO drains a reader of the same buffer, and each one reenables the other).
 *
 * A {@link Relay} does the same between two VConns, as a proxy's tunnel does.
 *
 * <p>These helpers never throw from a callback: a broken rule (an event without the lock, off the VConn's loop, for
 * a foreign VIO, an event delivered inside another callback on the same thread, EOS to a writer, a wrong byte) is
 * recorded as the first {@link Side#failure()}, which the contract
 * base checks after every test and which tests include in their wait conditions to fail fast. They keep counters
 * rather than event lists, so they stay cheap for 64 MiB streams.
 */
public final class Streams {
    /** The most bytes a {@link Sender} keeps waiting in its write buffer. */
    public static final int MAX_BUFFERED = 64 * 1024;
    /** {@code 1 << 20}. */
    public static final long MIB = 1L << 20;
    /** {@code 1 << 10}. */
    public static final long KIB = 1L << 10;

    private Streams() {
    }

    /**
     * One continuation's view of a stream: counters per event, the threads events ran on, the first broken rule.
     * Events are checked to run on their VConn's loop, under the continuation's lock, with the VIO as data.
     */
    public abstract static class Side {
        /**
         * Callbacks of every side running on this thread now: a callback never starts inside another one, whichever
         * VConn or loop it belongs to (docs/semantics.md, rule 2.3; docs/threading.md, Passes).
         */
        private static final ThreadLocal<int[]> RUNNING = ThreadLocal.withInitial(() -> new int[1]);
        private final AtomicLongArray counts = new AtomicLongArray(Event.values().length);
        private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        private final ReentrantLock lock;
        private final Continuation continuation;
        private volatile BiConsumer<Event, Object> hook = (e, d) -> { };
        private volatile String failure;
        private volatile Event last;

        Side(ReentrantLock lock) {
            this.lock = Objects.requireNonNull(lock, "lock");
            this.continuation = new Continuation(this::dispatch, lock);
        }

        private void dispatch(Event event, Object data) {
            int[] running = RUNNING.get();
            running[0]++;
            try {
                if (running[0] > 1) {
                    fail(event + " delivered inside another callback on " + Thread.currentThread()
                            + " (docs/semantics.md, rule 2.3)");
                }
                if (!lock.isHeldByCurrentThread()) {
                    fail(event + " delivered without the continuation's lock (docs/semantics.md, rule 2.1)");
                }
                if (data instanceof VIO vio && !vio.vconn().eventLoop().inEventLoop()) {
                    fail(event + " delivered off the VConn's loop, on " + Thread.currentThread() + " (rule 2.1)");
                }
                threads.add(Thread.currentThread());
                hook.accept(event, data);
                handle(event, data);
            } catch (Throwable t) {
                fail(event + ": " + t);
            } finally {
                running[0]--;
                // Counted once handled: a waiter that sees the count also sees every byte this event delivered.
                last = event;
                counts.incrementAndGet(event.ordinal());
            }
        }

        abstract void handle(Event event, Object data);

        /** Records the first broken rule. */
        final void fail(String what) {
            if (failure == null) {
                failure = getClass().getSimpleName() + ": " + what;
            }
        }

        /** The continuation to post VIOs with. */
        public final Continuation continuation() {
            return continuation;
        }

        /** The lock (shared with the other side of the same endpoint, if made so). */
        public final ReentrantLock lock() {
            return lock;
        }

        /** Runs inside every callback, before the side handles the event (it may close the VConn). */
        public final <T extends Side> T onEvent(BiConsumer<Event, Object> hook) {
            this.hook = Objects.requireNonNull(hook, "hook");
            @SuppressWarnings("unchecked")
            T self = (T) this;
            return self;
        }

        /** How many times {@code event} was delivered. */
        public final long count(Event event) {
            return counts.get(event.ordinal());
        }

        /** How many events were delivered in all. */
        public final long total() {
            long n = 0;
            for (int i = 0; i < counts.length(); i++) {
                n += counts.get(i);
            }
            return n;
        }

        /** The last event delivered, or null. */
        public final Event last() {
            return last;
        }

        /** The threads events ran on. */
        public final Set<Thread> threads() {
            return Set.copyOf(threads);
        }

        /** The first broken rule, or null. */
        public final String failure() {
            return failure;
        }

        /** Whether the operation ended (COMPLETE, EOS or ERROR) or a rule broke. */
        public abstract boolean finished();
    }

    /**
     * Streams {@code total} pattern bytes through a write VIO, refilling on WRITE_READY while fewer than
     * {@link #MAX_BUFFERED} bytes wait in its buffer. Bytes added inside WRITE_READY must go out without a reenable.
     */
    public static final class Sender extends Side {
        private final BytePattern pattern;
        private final long total;
        private final IOBuffer buffer;
        private final IOBufferReader reader;
        private volatile long written;
        private volatile WriteVio vio;
        private volatile boolean stopped;

        /**
         * A sender with a lock of its own.
         *
         * @param buffer  the write buffer (the sender allocates its reader)
         * @param pattern the bytes to send
         * @param total   how many bytes to put into the buffer in all; {@link Long#MAX_VALUE} for an endless stream
         */
        public Sender(IOBuffer buffer, BytePattern pattern, long total) {
            this(buffer, new ReentrantLock(), pattern, total);
        }

        /** A sender running under {@code lock} (shared, for instance, with the receiver of the same VConn). */
        public Sender(IOBuffer buffer, ReentrantLock lock, BytePattern pattern, long total) {
            super(lock);
            this.buffer = buffer;
            this.reader = buffer.allocReader();
            this.pattern = pattern;
            this.total = total;
        }

        /** Fills the buffer and posts the write VIO for {@code nbytes} (under the lock, so no event precedes it). */
        public WriteVio start(VConn vconn, long nbytes) {
            lock().lock();
            try {
                refill();
                vio = vconn.write(continuation(), nbytes, reader);
                return vio;
            } finally {
                lock().unlock();
            }
        }

        /** Stops refilling; what is buffered may still go out. */
        public void stop() {
            stopped = true;
        }

        private void refill() {
            while (!stopped && written < total) {
                long room = MAX_BUFFERED - reader.readAvail();
                if (room <= 0) {
                    return;
                }
                long n = Math.min(Math.min(room, total - written), 16 * KIB);
                pattern.write(buffer, written, n);
                written += n;
            }
        }

        @Override
        void handle(Event event, Object data) {
            if (data != vio) {
                fail(event + " for a VIO that is not this sender's current one: " + data);
                return;
            }
            switch (event) {
                case WRITE_READY -> refill();
                case WRITE_COMPLETE -> {
                    if (vio.ndone() != vio.nbytes()) {
                        fail("WRITE_COMPLETE with ndone " + vio.ndone() + " != nbytes " + vio.nbytes());
                    }
                    if (count(Event.WRITE_COMPLETE) > 1) {
                        fail("WRITE_COMPLETE delivered twice (docs/semantics.md, rule 3.3)");
                    }
                }
                case ERROR -> { }
                case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> { }
                case EOS -> fail("a writer never gets EOS (docs/semantics.md, rule 3.4)");
                default -> fail("unexpected event " + event + " for a write VIO");
            }
        }

        /** The write VIO. */
        public WriteVio vio() {
            return vio;
        }

        /** Bytes the transport took: the VIO's ndone. */
        public long ndone() {
            WriteVio v = vio;
            return v == null ? 0 : v.ndone();
        }

        /** Bytes put into the buffer so far. */
        public long written() {
            return written;
        }

        /** The reader the write VIO drains. */
        public IOBufferReader reader() {
            return reader;
        }

        /** Whether WRITE_COMPLETE arrived. */
        public boolean completed() {
            return count(Event.WRITE_COMPLETE) > 0;
        }

        @Override
        public boolean finished() {
            return completed() || count(Event.ERROR) > 0 || failure() != null;
        }
    }

    /**
     * Reads into a buffer and, if consuming (the default), consumes inside READ_READY and READ_COMPLETE, checking
     * each byte against a {@link BytePattern}; it never reenables, so the transport must keep the data flowing by
     * itself (docs/semantics.md, rule 3.5). It records the most unconsumed bytes it ever saw in a callback.
     */
    public static final class Receiver extends Side {
        private final BytePattern pattern;
        private final IOBufferReader reader;
        private final boolean consume;
        private volatile long received;
        private volatile long maxUnconsumed;
        private volatile ReadVio vio;

        /** A consuming receiver with a lock of its own. */
        public Receiver(IOBuffer buffer, BytePattern pattern) {
            this(buffer, new ReentrantLock(), pattern, true);
        }

        /** A consuming receiver running under {@code lock}. */
        public Receiver(IOBuffer buffer, ReentrantLock lock, BytePattern pattern) {
            this(buffer, lock, pattern, true);
        }

        /** A receiver that consumes in its callbacks only if {@code consume}. */
        public Receiver(IOBuffer buffer, ReentrantLock lock, BytePattern pattern, boolean consume) {
            super(lock);
            this.reader = buffer.allocReader();
            this.pattern = pattern;
            this.consume = consume;
        }

        /** Posts the read VIO for {@code nbytes} (under the lock, so no event precedes it). */
        public ReadVio start(VConn vconn, long nbytes) {
            lock().lock();
            try {
                vio = vconn.read(continuation(), nbytes, reader.buffer());
                return vio;
            } finally {
                lock().unlock();
            }
        }

        @Override
        void handle(Event event, Object data) {
            if (data != vio) {
                fail(event + " for a VIO that is not this receiver's current one: " + data);
                return;
            }
            long avail = reader.readAvail();
            if (avail > maxUnconsumed) {
                maxUnconsumed = avail;
            }
            switch (event) {
                case READ_READY, READ_COMPLETE, EOS, ERROR, INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
                    if (consume) {
                        received += pattern.consumeAndCheck(reader, received);
                    }
                    if (event == Event.READ_COMPLETE) {
                        if (vio.ndone() != vio.nbytes()) {
                            fail("READ_COMPLETE with ndone " + vio.ndone() + " != nbytes " + vio.nbytes());
                        }
                        if (count(Event.READ_COMPLETE) > 1) {
                            fail("READ_COMPLETE delivered twice (docs/semantics.md, rule 3.3)");
                        }
                    }
                    if (event == Event.READ_READY && vio.ntodo() <= 0) {
                        fail("READ_READY with ntodo " + vio.ntodo() + " (a READY event needs ntodo > 0)");
                    }
                    if (event == Event.EOS && vio.ntodo() <= 0) {
                        fail("EOS to a read with ntodo " + vio.ntodo() + " (docs/semantics.md, rule 3.4)");
                    }
                }
                default -> fail("unexpected event " + event + " for a read VIO");
            }
        }

        /** The read VIO. */
        public ReadVio vio() {
            return vio;
        }

        /** Bytes the transport put into the buffer: the VIO's ndone. */
        public long ndone() {
            ReadVio v = vio;
            return v == null ? 0 : v.ndone();
        }

        /** Bytes consumed and checked. */
        public long received() {
            return received;
        }

        /** The most unconsumed bytes seen in the buffer at any callback. */
        public long maxUnconsumed() {
            return maxUnconsumed;
        }

        /** The reader of the read buffer. */
        public IOBufferReader reader() {
            return reader;
        }

        /** Whether READ_COMPLETE arrived. */
        public boolean completed() {
            return count(Event.READ_COMPLETE) > 0;
        }

        /** Whether EOS arrived. */
        public boolean sawEos() {
            return count(Event.EOS) > 0;
        }

        @Override
        public boolean finished() {
            return completed() || sawEos() || count(Event.ERROR) > 0 || failure() != null;
        }
    }

    /**
     * Sends back everything it reads: the read VIO fills {@code buffer}, the write VIO drains a reader of the same
     * buffer. A READ_READY reenables the write (it may have asked for data and parked); a WRITE_READY reenables the
     * read (it may have stopped on a full buffer, docs/semantics.md, rule 3.5). Backpressure is therefore end to end.
     */
    public static final class Echo extends Relay {
        /** An echo through {@code buffer}. */
        public Echo(IOBuffer buffer) {
            super(buffer, "echo");
        }

        /** Posts the read and the write of {@code nbytes} each. */
        public Echo start(VConn vconn, long nbytes) {
            start(vconn, vconn, nbytes);
            return this;
        }
    }

    /**
     * Moves {@code nbytes} from one VConn to another through one buffer, as a proxy's tunnel does: the read VIO on
     * {@code from} fills the buffer, the write VIO on {@code to} drains a reader of it, and each reenables the other
     * (a reenable of another VConn's VIO from inside a callback: on one loop, a pass scheduled from inside a pass).
     */
    public static class Relay extends Side {
        private final IOBuffer buffer;
        private final String name;
        private volatile ReadVio readVio;
        private volatile WriteVio writeVio;

        /** A relay through {@code buffer}. */
        public Relay(IOBuffer buffer) {
            this(buffer, "relay");
        }

        Relay(IOBuffer buffer, String name) {
            super(new ReentrantLock());
            this.buffer = buffer;
            this.name = name;
        }

        /** Posts the read on {@code from} and the write on {@code to}, {@code nbytes} each. */
        public Relay start(VConn from, VConn to, long nbytes) {
            lock().lock();
            try {
                IOBufferReader reader = buffer.allocReader();
                readVio = from.read(continuation(), nbytes, buffer);
                writeVio = to.write(continuation(), nbytes, reader);
                return this;
            } finally {
                lock().unlock();
            }
        }

        @Override
        void handle(Event event, Object data) {
            if (data == readVio) {
                switch (event) {
                    case READ_READY, READ_COMPLETE -> writeVio.reenable();
                    case EOS, ERROR -> { }
                    default -> fail("unexpected event " + event + " for the " + name + "'s read VIO");
                }
            } else if (data == writeVio) {
                switch (event) {
                    case WRITE_READY -> readVio.reenable();
                    case WRITE_COMPLETE, ERROR -> { }
                    default -> fail("unexpected event " + event + " for the " + name + "'s write VIO");
                }
            } else {
                fail(event + " for a VIO that is not the " + name + "'s: " + data);
            }
        }

        /** The read VIO. */
        public ReadVio readVio() {
            return readVio;
        }

        /** The write VIO. */
        public WriteVio writeVio() {
            return writeVio;
        }

        @Override
        public boolean finished() {
            return count(Event.WRITE_COMPLETE) > 0 || count(Event.ERROR) > 0 || failure() != null;
        }
    }
}
