package dev.vconn.ports.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of every contract class: a fresh harness per test, helpers to connect and to make buffers, and the
 * hygiene check after <b>every</b> test (block pool back to zero, no VConn, pair or socket left open).
 *
 * <p>An adapter runs a contract class by subclassing it and returning its harness from {@link #newHarness()}.
 */
public abstract class TransportContract {
    /** How long a real-time wait may last before a contract case fails. */
    protected static final Duration WAIT = Duration.ofSeconds(20);

    /** The harness of the running test. */
    protected TransportHarness harness;
    /** The transport of the running test. */
    protected Transport transport;
    private int socketsAtStart;
    private final List<IOBuffer> buffers = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

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
        assertTrue(harness.await(condition, WAIT), "timed out waiting for: " + what);
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

        /** A recorder with a lock of its own. */
        public Recorder() {
            continuation = new Continuation(this::handle);
        }

        private void handle(Event event, Object data) {
            if (!continuation.lock().isHeldByCurrentThread()) {
                violation = event + " delivered without the continuation's lock";
            }
            long ndone = data instanceof dev.vconn.domain.VIO vio ? vio.ndone() : -1;
            entries.add(new Entry(event, data, ndone, Thread.currentThread()));
            reaction.accept(event, data);
        }

        /** The continuation to pass to read/write/connect/listen. */
        public Continuation continuation() {
            return continuation;
        }

        /** Sets what runs inside each callback (after recording). */
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
    }
}
