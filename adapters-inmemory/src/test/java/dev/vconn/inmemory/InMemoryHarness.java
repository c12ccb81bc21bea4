package dev.vconn.inmemory;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.Transport;
import dev.vconn.ports.contract.Capability;
import dev.vconn.ports.contract.TransportHarness;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the contract kit on the in-memory transport: a fresh {@link InMemoryTransport} per test, driven on the test
 * thread through its virtual-time loop.
 */
final class InMemoryHarness implements TransportHarness {
    private static final Logger log = LoggerFactory.getLogger(InMemoryHarness.class);
    /** The most real time one {@link #await} waits for foreign threads to post work to the idle loop. */
    private static final Duration REAL_WAIT = Duration.ofSeconds(10);
    private static final long PARK_NANOS = Duration.ofMillis(1).toNanos();

    private final InMemoryTransport transport = new InMemoryTransport();
    private final List<Selector> selectors = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> foreign = new CopyOnWriteArrayList<>();

    /** The transport under test. */
    InMemoryTransport inMemory() {
        return transport;
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.VIRTUAL_TIME, Capability.REGISTERED_CHANNELS);
    }

    @Override
    public SocketAddress listenAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    @Override
    public SocketAddress refusedAddress() {
        return transport.network().unusedAddress();
    }

    @Override
    public ChannelPair channelPair() {
        InMemoryNetwork.ChannelPair p = transport.network().openPair();
        return new ChannelPair(p.local(), p.peer());
    }

    @Override
    public SocketChannel unconnectedChannel() {
        return transport.network().openChannel();
    }

    @Override
    public void registerElsewhere(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        Selector selector = channel.provider().openSelector();
        selectors.add(selector);
        channel.register(selector, SelectionKey.OP_READ);
    }

    @Override
    public ChannelPair foreignChannelPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            foreign.add(client);
            SocketChannel accepted = server.accept();
            foreign.add(accepted);
            return new ChannelPair(client, accepted);
        }
    }

    /**
     * Drives the virtual loop until {@code condition} holds or {@code timeout} of virtual time has passed; when the
     * loop is idle and the condition still false, waits in real time (a millisecond at a time, at most
     * {@link #REAL_WAIT} in all) for foreign threads to post work, then drives again.
     *
     * <p>{@link VirtualTimeEventLoop#runUntil} checks its condition only when the loop is idle between timers, so a
     * loop kept busy for ever (two VConns streaming without end) would never return. A {@link Checker} task rides
     * along in the ready queue while other tasks are ready and ends the driving call as soon as the condition
     * holds; it steps aside when the loop goes idle, so time still moves from timer to timer exactly as before.
     */
    @Override
    public boolean await(BooleanSupplier condition, Duration timeout) {
        VirtualTimeEventLoop loop = transport.loop();
        long virtualDeadline = saturatedAdd(loop.nanoTime(), timeout.toNanos());
        long realDeadline = System.nanoTime() + REAL_WAIT.toNanos();
        Checker checker = new Checker(loop, condition);
        try {
            while (true) {
                long left = Math.max(0, virtualDeadline - loop.nanoTime());
                checker.post();
                try {
                    if (loop.runUntil(checker::checkAndRideAlong, Duration.ofNanos(left))) {
                        return true;
                    }
                } catch (ConditionMet met) {
                    return true;
                }
                if (loop.readyCount() > (checker.queued ? 1 : 0)) {
                    continue; // a foreign thread posted work while the loop ran
                }
                if (System.nanoTime() - realDeadline >= 0) {
                    return condition.getAsBoolean();
                }
                LockSupport.parkNanos(PARK_NANOS);
            }
        } finally {
            checker.active = false;
        }
    }

    /** Ends a driving call from inside the loop once the awaited condition holds. */
    private static final class ConditionMet extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConditionMet() {
            super("the awaited condition holds", null, false, false);
        }
    }

    /**
     * A task that checks the awaited condition between the loop's other tasks: it re-posts itself while other tasks
     * are ready and throws {@link ConditionMet} (ending the driving call, between two tasks) once the condition
     * holds. It is also re-posted each time {@code runUntil} checks its condition, that is before each timer runs,
     * so a busy phase started by a timer is checked too.
     */
    private static final class Checker implements Runnable {
        private final VirtualTimeEventLoop loop;
        private final BooleanSupplier condition;
        volatile boolean active = true;
        volatile boolean queued;

        Checker(VirtualTimeEventLoop loop, BooleanSupplier condition) {
            this.loop = loop;
            this.condition = condition;
        }

        void post() {
            if (!queued) {
                queued = true;
                loop.execute(this);
            }
        }

        boolean checkAndRideAlong() {
            if (condition.getAsBoolean()) {
                return true;
            }
            post();
            return false;
        }

        @Override
        public void run() {
            queued = false;
            if (!active) {
                return;
            }
            if (condition.getAsBoolean()) {
                throw new ConditionMet();
            }
            if (loop.readyCount() > 0) {
                post();
            }
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public long nanoTime() {
        return transport.loop().nanoTime();
    }

    @Override
    public int openSockets() {
        int open = transport.openSockets();
        for (SocketChannel ch : foreign) {
            if (ch.isOpen()) {
                open++;
            }
        }
        return open;
    }

    @Override
    public void close() {
        for (Selector s : selectors) {
            try {
                s.close();
            } catch (IOException e) {
                log.debug("closing {} failed", s, e);
            }
        }
        for (SocketChannel ch : foreign) {
            try {
                ch.close();
            } catch (IOException e) {
                log.debug("closing {} failed", ch, e);
            }
        }
        transport.close();
    }
}
