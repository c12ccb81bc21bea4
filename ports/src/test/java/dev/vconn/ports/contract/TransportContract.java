package dev.vconn.ports.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of every contract class: a fresh harness per test, helpers to connect and to make buffers, and the
 * hygiene check after <b>every</b> test (block pool back to zero, no VConn, pair or socket left open), preceded by
 * the callback invariants of every {@link #recorder()} and {@link #tracked tracked} stream side (each event under
 * the continuation's lock, no exception escaping a reaction, no broken stream rule).
 *
 * <p>An adapter runs a contract class by subclassing it and returning its harness from {@link #newHarness()}.
 *
 * <p>Waiting: every wait goes through {@link #await(String, BooleanSupplier)} (bounded, driven by the harness, so
 * virtual-time transports run their loop on the test thread). The absence of an event can only be observed by
 * letting the transport run for a while: {@link #settle()} lets {@link #QUIET} pass on the clock of every loop
 * (a scheduled marker task, so it is also a round trip through each loop), and {@link #clockPasses(Duration)}
 * does the same for a given time. Tests never sleep.
 */
public abstract class TransportContract {
    /** How long a real-time wait may last before a contract case fails. */
    protected static final Duration WAIT = Duration.ofSeconds(20);
    /** How long the transport runs before a case concludes that no more events come. */
    protected static final Duration QUIET = Duration.ofMillis(100);

    /** The harness of the running test. */
    protected TransportHarness harness;
    /** The transport of the running test. */
    protected Transport transport;
    private int socketsAtStart;
    private final List<IOBuffer> buffers = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final List<Supplier<String>> invariants = new CopyOnWriteArrayList<>();

    /** The adapter's harness, made fresh for each test. */
    protected abstract TransportHarness newHarness() throws Exception;

    @BeforeEach
    final void openHarness() throws Exception {
        harness = newHarness();
        transport = harness.transport();
        socketsAtStart = harness.openSockets();
    }

    @AfterEach
    final void checkHygieneAndClose() throws Exception {
        try {
            for (AutoCloseable c : closeables) {
                c.close();
            }
            for (Supplier<String> invariant : invariants) {
                String problem = invariant.get();
                assertTrue(problem == null, () -> "a callback broke a rule: " + problem);
            }
            boolean released = harness.await(() -> transport.openResources().isEmpty(), WAIT);
            assertTrue(released, "left open after the test: " + transport.openResources());
            for (IOBuffer b : buffers) {
                b.close();
            }
            boolean poolEmpty = harness.await(() -> transport.blockPool().outstanding() == 0, WAIT);
            assertTrue(poolEmpty, "blocks still outstanding after the test: " + transport.blockPool());
            boolean socketsClosed = harness.await(() -> harness.openSockets() <= socketsAtStart, WAIT);
            assertTrue(socketsClosed, "sockets left open: " + harness.openSockets() + " > " + socketsAtStart);
        } finally {
            harness.close();
        }
    }

    /** Skips the test, saying so in the report, unless the transport has {@code capability}. */
    protected final void requires(Capability capability) {
        Assumptions.assumeTrue(harness.capabilities().contains(capability),
                () -> "skipped: transport '" + transport.name() + "' lacks capability " + capability);
    }

    /** A buffer from the transport's pool, closed after the test. */
    protected final IOBuffer buffer() {
        return buffer(8);
    }

    /** A buffer of a size class from the transport's pool, closed after the test. */
    protected final IOBuffer buffer(int sizeIndex) {
        IOBuffer b = new IOBuffer(transport.blockPool(), sizeIndex);
        buffers.add(b);
        return b;
    }

    /** Closes {@code c} after the test, before the hygiene check. */
    protected final <T extends AutoCloseable> T closeAfter(T c) {
        closeables.add(c);
        return c;
    }

    /** Runs or waits until {@code condition} holds, failing the test after {@link #WAIT}. */
    protected final void await(String what, BooleanSupplier condition) {
        await(what, WAIT, condition);
    }

    /** Runs or waits until {@code condition} holds, failing the test after {@code limit}. */
    protected final void await(String what, Duration limit, BooleanSupplier condition) {
        assertTrue(harness.await(condition, limit), "timed out waiting for: " + what);
    }

    /**
     * Lets {@code time} pass on the clock of every loop of the transport: a marker task is scheduled on each loop
     * and the harness runs (virtual time) or waits (real time) until all have run. Used to observe that nothing
     * happens, and as a round trip through every loop.
     */
    protected final void clockPasses(Duration time) {
        List<EventLoop> loops = transport.eventLoops();
        AtomicInteger fired = new AtomicInteger();
        for (EventLoop loop : loops) {
            loop.schedule(fired::incrementAndGet, time);
        }
        await(time + " to pass on the transport's clock", WAIT.plus(time), () -> fired.get() == loops.size());
    }

    /** Lets {@link #QUIET} pass on every loop: after it, a case may conclude that no more events come. */
    protected final void settle() {
        clockPasses(QUIET);
    }

    /** A recorder whose lock discipline and reaction are checked after the test. */
    protected final Recorder recorder() {
        return tracked(new Recorder());
    }

    /** A recorder running under {@code lock} (shared with other continuations), checked after the test. */
    protected final Recorder recorder(ReentrantLock lock) {
        return tracked(new Recorder(lock));
    }

    /** Checks {@code recorder}'s invariants after the test. */
    protected final Recorder tracked(Recorder recorder) {
        invariants.add(recorder::problem);
        return recorder;
    }

    /**
     * Checks {@code invariant} after the test, with the recorders' invariants: it returns null while all is well,
     * else what broke (for helpers that record a broken rule instead of throwing into the transport's loop).
     */
    protected final void checkAfter(Supplier<String> invariant) {
        invariants.add(invariant);
    }

    /** Checks a stream side's invariants ({@link Streams.Side#failure()}) after the test. */
    protected final <T extends Streams.Side> T tracked(T side) {
        invariants.add(side::failure);
        return side;
    }

    /**
     * Runs {@code action} holding {@code continuation}'s lock: the way a test touches a buffer that a live VIO of
     * that continuation uses (IOBuffers are guarded by their owner's lock, and the transport fills or drains them
     * on its loop while holding it).
     */
    protected static <T> T locked(Continuation continuation, Supplier<T> action) {
        continuation.lock().lock();
        try {
            return action.get();
        } finally {
            continuation.lock().unlock();
        }
    }

    /** {@link #locked(Continuation, Supplier)} for an action without a result. */
    protected static void locked(Continuation continuation, Runnable action) {
        locked(continuation, () -> {
            action.run();
            return null;
        });
    }

    /**
     * A write posted by {@link #send}.
     *
     * @param vio      the write VIO
     * @param recorder its continuation
     * @param reader   the reader it drains
     */
    protected record Sent(WriteVio vio, Recorder recorder, IOBufferReader reader) {
    }

    /**
     * A read posted by {@link #postRead}.
     *
     * @param vio      the read VIO
     * @param recorder its continuation
     * @param reader   a reader of its buffer (allocated before the read was posted)
     */
    protected record Reading(ReadVio vio, Recorder recorder, IOBufferReader reader) {
        /** The read buffer. */
        public IOBuffer buffer() {
            return reader.buffer();
        }

        /** Consumes what is readable (under the recorder's lock) and checks it against {@code pattern}. */
        public long drain(BytePattern pattern, long from) {
            return locked(recorder.continuation(), () -> pattern.consumeAndCheck(reader, from));
        }

        /** The unconsumed bytes in the buffer (read under the recorder's lock). */
        public long readAvail() {
            return locked(recorder.continuation(), reader::readAvail);
        }
    }

    /** Writes {@code count} bytes of {@code pattern} from stream offset {@code from} with a write VIO of that size. */
    protected final Sent send(VConn from, BytePattern pattern, long offset, int count) {
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        pattern.write(out, offset, count);
        Recorder recorder = recorder();
        return new Sent(from.write(recorder.continuation(), count, reader), recorder, reader);
    }

    /** Posts a read of {@code nbytes} into a fresh buffer of size index 8, with a recorder and a reader. */
    protected final Reading postRead(VConn vconn, long nbytes) {
        return postRead(vconn, nbytes, buffer());
    }

    /** Posts a read of {@code nbytes} into {@code into} (allocating a reader first), with a recorder. */
    protected final Reading postRead(VConn vconn, long nbytes, IOBuffer into) {
        IOBufferReader reader = into.allocReader();
        Recorder recorder = recorder();
        return new Reading(vconn.read(recorder.continuation(), nbytes, into), recorder, reader);
    }

    /**
     * Asserts that {@code entries} are zero or more {@code ready} events with strictly increasing {@code ndone}
     * below {@code nbytes}, then exactly one {@code complete} with {@code ndone == nbytes}, and nothing after it.
     */
    protected static void assertReadyThenComplete(List<Recorder.Entry> entries, Event ready, Event complete,
            long nbytes) {
        String seq = entries.stream().map(e -> e.event().name() + "@" + e.ndone()).toList().toString();
        assertTrue(!entries.isEmpty(), "no events at all; expected " + ready + "* " + complete);
        Recorder.Entry last = entries.get(entries.size() - 1);
        assertEquals(complete, last.event(), () -> "the last event must be " + complete + ": " + seq);
        assertEquals(nbytes, last.ndone(), () -> complete + " must come with ndone == nbytes: " + seq);
        long previous = -1;
        for (Recorder.Entry e : entries.subList(0, entries.size() - 1)) {
            assertEquals(ready, e.event(), () -> "only " + ready + " may precede " + complete + ": " + seq);
            assertTrue(e.ndone() > previous && e.ndone() < nbytes,
                    () -> ready + " events must report strictly increasing progress below nbytes: " + seq);
            previous = e.ndone();
        }
    }

    /**
     * The reader of docs/semantics.md rule 3.4 and Traffic Server's own protocol: an unbounded read posted on
     * {@code vconn} after {@code n} bytes of {@code pattern} and the end of the stream already wait there; each
     * READ_READY consumes everything and calls {@code reenable()} inside the callback. Asserts the bytes arrive,
     * then exactly one EOS (the reenables made before it are answered by it), and one more EOS per reenable made
     * after it.
     */
    protected final void assertEosOnceWhenTheReaderReenablesInsideReadReady(VConn vconn, BytePattern pattern,
            int n) {
        IOBuffer into = buffer();
        IOBufferReader reader = into.allocReader();
        long[] consumed = new long[1];
        Recorder recorder = recorder().onEvent((e, d) -> {
            if (e == Event.READ_READY) {
                consumed[0] += pattern.consumeAndCheck(reader, consumed[0]);
                ((ReadVio) d).reenable();
            }
        });
        ReadVio vio = vconn.read(recorder.continuation(), Long.MAX_VALUE, into);
        await("EOS", () -> recorder.saw(Event.EOS));
        settle();
        String seq = recorder.entries().stream().map(e -> e.event().name() + "@" + e.ndone()).toList().toString();
        assertEquals(1, recorder.count(Event.EOS), () -> "EOS is sent once; a reenable made before it does not "
                + "repeat it (docs/semantics.md, rule 3.4): " + seq);
        assertEquals(Event.EOS, recorder.last(), seq);
        assertEquals(n, vio.ndone(), seq);
        assertEquals(n, locked(recorder.continuation(), () -> consumed[0]), "every byte consumed in READ_READY");
        assertEquals(0, recorder.count(Event.READ_COMPLETE) + recorder.count(Event.ERROR), seq);
        vio.reenable();
        await("EOS again after a reenable made after it", () -> recorder.count(Event.EOS) == 2);
        settle();
        assertEquals(2, recorder.count(Event.EOS), "one reenable after EOS, one more EOS");
    }

    /** {@link #connect()}, with both ends closed after the test (closing twice is harmless). */
    protected final Connected connected() throws Exception {
        Connected c = connect();
        closeAfter(c::close);
        return c;
    }

    /**
     * Two VConns connected to each other over the transport: one made by {@link Transport#netConnector()}, one
     * accepted by {@link Transport#netAcceptor()}. The test must close both.
     */
    protected final Connected connect() throws Exception {
        Recorder accepted = new Recorder();
        NetAcceptor.Listener listener = transport.netAcceptor().listen(harness.listenAddress(),
                accepted.continuation());
        try {
            Recorder connected = new Recorder();
            transport.netConnector().connect(connected.continuation(), listener.localAddress());
            await("NET_CONNECT and NET_ACCEPT", () -> connected.count() > 0 && accepted.count() > 0);
            assertEquals(Event.NET_CONNECT, connected.events().get(0), () -> "connect failed: "
                    + connected.entries().get(0).data());
            assertEquals(Event.NET_ACCEPT, accepted.events().get(0));
            return new Connected((VConn) connected.entries().get(0).data(), (VConn) accepted.entries().get(0).data());
        } finally {
            listener.close();
        }
    }

    /**
     * Two connected VConns.
     *
     * @param client the end that connected
     * @param server the end that was accepted
     */
    public record Connected(VConn client, VConn server) {
        /** Closes both ends. */
        public void close() {
            client.close();
            server.close();
        }
    }

    /**
     * A thread-safe recording continuation: every event with its data and, for VIO events, the counters at
     * delivery. An optional reaction runs inside the callback.
     */
    public static final class Recorder {
        /** One delivered event. */
        public record Entry(Event event, Object data, long ndone, Thread thread) {
        }

        private final List<Entry> entries = new CopyOnWriteArrayList<>();
        private final Continuation continuation;
        private volatile java.util.function.BiConsumer<Event, Object> reaction = (e, d) -> { };
        private volatile String violation;
        private volatile Throwable failure;

        /** A recorder with a lock of its own. */
        public Recorder() {
            continuation = new Continuation(this::handle);
        }

        /** A recorder running under {@code lock}, which other continuations may share. */
        public Recorder(ReentrantLock lock) {
            continuation = new Continuation(this::handle, lock);
        }

        private void handle(Event event, Object data) {
            if (!continuation.lock().isHeldByCurrentThread() && violation == null) {
                violation = event + " delivered without the continuation's lock";
            }
            long ndone = data instanceof dev.vconn.domain.VIO vio ? vio.ndone() : -1;
            Entry entry = new Entry(event, data, ndone, Thread.currentThread());
            try {
                reaction.accept(event, data);
            } catch (Throwable t) {
                // Never let an assertion escape into the transport's loop; the test sees it through problem().
                if (failure == null) {
                    failure = t;
                }
            } finally {
                // Published only once its reaction has run, so a test that waits for an event also sees what the
                // reaction did (a waiter must never observe the event half handled).
                entries.add(entry);
            }
        }

        /** The continuation to pass to read/write/connect/listen. */
        public Continuation continuation() {
            return continuation;
        }

        /** Sets what runs inside each callback; the event is recorded once the reaction returns. */
        public Recorder onEvent(java.util.function.BiConsumer<Event, Object> reaction) {
            this.reaction = reaction;
            return this;
        }

        /** Every entry so far. */
        public List<Entry> entries() {
            return new ArrayList<>(entries);
        }

        /** Every event so far. */
        public List<Event> events() {
            return entries.stream().map(Entry::event).toList();
        }

        /** The events delivered for one VIO. */
        public List<Event> eventsFor(Object vio) {
            return entries.stream().filter(e -> e.data() == vio).map(Entry::event).toList();
        }

        /** How many events so far. */
        public int count() {
            return entries.size();
        }

        /** How many times {@code event} was delivered. */
        public long count(Event event) {
            return entries.stream().filter(e -> e.event() == event).count();
        }

        /** Whether {@code event} was delivered. */
        public boolean saw(Event event) {
            return count(event) > 0;
        }

        /** The last event, or null. */
        public Event last() {
            List<Entry> all = entries();
            return all.isEmpty() ? null : all.get(all.size() - 1).event();
        }

        /** The error carried by the last NET_CONNECT_FAILED, or null. */
        public VConnError connectFailure() {
            return entries.stream().filter(e -> e.event() == Event.NET_CONNECT_FAILED)
                    .map(e -> (VConnError) e.data()).findFirst().orElse(null);
        }

        /** Null if every event ran under the continuation's lock, else the first violation. */
        public String lockViolation() {
            return violation;
        }

        /** The first exception a reaction threw (it was caught so the loop goes on), or null. */
        public Throwable failure() {
            return failure;
        }

        /** Null if every event ran under the lock and no reaction threw, else what went wrong. */
        public String problem() {
            if (violation != null) {
                return violation;
            }
            return failure == null ? null : "a reaction threw " + failure;
        }

        /** The entries delivered for one VIO. */
        public List<Entry> entriesFor(Object vio) {
            return entries.stream().filter(e -> e.data() == vio).toList();
        }
    }
}
