package dev.vconn.inmemory;

import dev.vconn.domain.AbstractVConn;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.inmemory.internal.InMemoryVConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.NetConnector;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.AdoptionChecks;
import dev.vconn.ports.spi.OpenResourceTracker;
import dev.vconn.ports.spi.PairHttpConnector;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory transport: one deterministic {@link VirtualTimeEventLoop} and an {@link InMemoryNetwork} of
 * {@link InMemorySocketChannel}s with fault injection, behind the same four ports as the socket transports. Tests
 * drive the loop themselves ({@link #loop()}), so timeouts take microseconds of real time and every run with the
 * same inputs (and fault seeds) replays exactly.
 *
 * <ul>
 *   <li>{@link #socketAdopter()} adopts the network's own channels only; anything else (a real JDK socket, a channel
 *       of another in-memory network) is refused with the channel left untouched.</li>
 *   <li>{@link #netConnector()} connects to an address of the network: a listener gives NET_CONNECT, nothing
 *       listening gives NET_CONNECT_FAILED with ECONNREFUSED, a {@linkplain InMemoryNetwork#blackhole blackhole}
 *       gives NET_CONNECT_FAILED with ETIMEDOUT once the timeout has passed on the virtual clock.</li>
 *   <li>{@link #netAcceptor()} listens at an address of the network (port 0 picks one).</li>
 *   <li>{@link #httpConnector} is the shared {@link PairHttpConnector}.</li>
 * </ul>
 * Whatever {@link TransportConfig#eventLoops()} says, there is one loop. Every event is delivered on it, never inside
 * the call that caused it.
 */
public final class InMemoryTransport implements Transport {
    /** The transport's name. */
    public static final String NAME = "inmemory";

    private static final Logger log = LoggerFactory.getLogger(InMemoryTransport.class);

    private final TransportConfig config;
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final InMemoryNetwork network = new InMemoryNetwork(loop);
    private final OpenResourceTracker tracker = new OpenResourceTracker();
    private final Set<ListenerImpl> listeners = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;

    /** A transport with one loop, a new direct block pool and a 5 s shutdown timeout. */
    public InMemoryTransport() {
        this(new TransportConfig(1, new BlockPool(), Duration.ofSeconds(5)));
    }

    /**
     * A transport.
     *
     * @param config its block pool is used; the number of loops is ignored (there is always one)
     */
    public InMemoryTransport(TransportConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * The one loop of this transport, to be driven by the test ({@code runReady}, {@code advance},
     * {@code runUntil}, {@code runUntilIdle}, each bounded by the loop's step limit, and {@code runFor}, which
     * drives even an endless stream for a bounded span of virtual time; docs/inmemory-adapter.md).
     *
     * @return the loop
     */
    public VirtualTimeEventLoop loop() {
        return loop;
    }

    /**
     * The network whose channels this transport adopts, connects and accepts.
     *
     * @return the network
     */
    public InMemoryNetwork network() {
        return network;
    }

    /**
     * Whether {@link #close()} has not been called.
     *
     * @return true while open
     */
    public boolean isOpen() {
        return open;
    }

    /**
     * How many channels of this transport's network are open.
     *
     * @return the count
     */
    public int openSockets() {
        return network.openChannels();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<EventLoop> eventLoops() {
        return List.of(loop);
    }

    @Override
    public EventLoop nextEventLoop() {
        return loop;
    }

    @Override
    public BlockPool blockPool() {
        return config.blockPool();
    }

    @Override
    public SocketAdopter socketAdopter() {
        return this::adopt;
    }

    @Override
    public NetConnector netConnector() {
        return this::connect;
    }

    @Override
    public NetAcceptor netAcceptor() {
        return this::listen;
    }

    @Override
    public HttpConnector httpConnector(Continuation sessionAcceptor) {
        return new PairHttpConnector(this::nextEventLoop, sessionAcceptor, tracker, this::isOpen);
    }

    @Override
    public List<OpenResource> openResources() {
        return tracker.snapshot();
    }

    /**
     * Stops accepting (closes every listener), logs every VConn or pair still open (slf4j, warn) and marks the
     * transport closed: adoption, connect, listen and HTTP connect are refused from now on. VConns still open stay
     * usable; the loop is the caller's to drive. Idempotent.
     */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        for (ListenerImpl l : listeners) {
            l.close();
        }
        tracker.logLeftOpen(log, NAME);
    }

    @Override
    public String toString() {
        return "InMemoryTransport[" + (open ? "open" : "closed") + ", " + network + ", open resources="
                + tracker.snapshot().size() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // SocketAdopter

    private VConn adopt(SocketChannel channel) throws AdoptionException {
        Objects.requireNonNull(channel, "channel");
        if (!open) {
            throw new AdoptionException("the in-memory transport is closed; it adopts nothing");
        }
        if (!(channel instanceof InMemorySocketChannel mem)) {
            throw new AdoptionException("the in-memory transport adopts only its own in-memory channels, got "
                    + channel.getClass().getName());
        }
        if (mem.network() != network) {
            throw new AdoptionException("the in-memory transport adopts only channels of its own network; "
                    + mem + " belongs to another in-memory network");
        }
        synchronized (mem.blockingLock()) { // no registration or mode change can slip in between checks and switch
            AdoptionChecks.requireAdoptable(mem);
            if (mem.isOwned()) {
                throw new AdoptionException("the channel was already adopted: a VConn owns it: " + mem);
            }
            boolean wasBlocking = mem.isBlocking();
            try {
                mem.configureBlocking(false);
                return newVConn(mem, "adopted");
            } catch (IOException | RuntimeException e) {
                AdoptionChecks.restoreBlocking(mem, wasBlocking, e);
                throw new AdoptionException("adopting " + mem + " failed: " + e, e);
            }
        }
    }

    /** A VConn owning {@code channel} (non-blocking, connected), tracked until its close is processed. */
    private InMemoryVConn newVConn(InMemorySocketChannel channel, String how) throws IOException {
        if (!channel.claim()) {
            throw new IOException("the channel was already adopted: a VConn owns it: " + channel);
        }
        InMemoryVConn vconn;
        try {
            // A read would not return 0 (bytes, end of stream, reset) or the channel is gone: let the read see it.
            vconn = new InMemoryVConn(loop, channel,
                    () -> (channel.readyOps() & SelectionKey.OP_READ) != 0 || !channel.isOpen(), tracker::closed);
        } catch (IOException | RuntimeException e) {
            channel.release();
            throw e;
        }
        tracker.opened(vconn, "in-memory vconn (" + how + ") " + vconn.localAddress() + " -> "
                + vconn.remoteAddress());
        channel.setReadinessListener(InMemorySocketChannel.ReadinessListener.of(vconn::inputReady,
                vconn::outputReady));
        return vconn;
    }

    // ---------------------------------------------------------------------------------------------------------
    // NetConnector

    private ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout) {
        Objects.requireNonNull(continuation, "continuation");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive, was " + timeout);
        }
        if (!open) {
            throw new IllegalStateException("NetConnector.connect on a closed transport");
        }
        ConnectAttempt attempt = new ConnectAttempt(continuation, remote, timeout);
        loop.execute(attempt::start);
        return attempt;
    }

    /**
     * One outbound connect: exactly one of NET_CONNECT and NET_CONNECT_FAILED, decided under the continuation's
     * lock, unless cancelled first. Loop-confined except {@link #cancel()}.
     */
    private final class ConnectAttempt implements ScheduledAction {
        private static final int PENDING = 0;
        private static final int DONE = 1;
        private static final int CANCELLED = 2;

        private final Continuation continuation;
        private final SocketAddress remote;
        private final Duration timeout;
        private final AtomicInteger state = new AtomicInteger(PENDING);
        private InMemorySocketChannel pending;
        private ScheduledAction timer;

        ConnectAttempt(Continuation continuation, SocketAddress remote, Duration timeout) {
            this.continuation = continuation;
            this.remote = remote;
            this.timeout = timeout;
        }

        void start() {
            if (state.get() != PENDING) {
                return;
            }
            InMemorySocketChannel channel = network.openChannel();
            try {
                channel.configureBlocking(false);
                if (channel.connect(remote)) {
                    deliver(Event.NET_CONNECT, newVConn(channel, "connected"));
                } else {
                    pending = channel;
                    timer = loop.schedule(this::timedOut, timeout);
                }
            } catch (ConnectException e) {
                closeQuietly(channel);
                deliver(Event.NET_CONNECT_FAILED, new VConnError(Errno.ECONNREFUSED,
                        "connection to " + remote + " refused: nothing listens there", e));
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                deliver(Event.NET_CONNECT_FAILED, new VConnError(Errno.EHOSTUNREACH,
                        "cannot connect to " + remote + ": " + e, e));
            }
        }

        private void timedOut() {
            timer = null;
            closeQuietly(pending);
            pending = null;
            deliver(Event.NET_CONNECT_FAILED, VConnError.of(Errno.ETIMEDOUT,
                    "connection to " + remote + " timed out after " + timeout));
        }

        /** Delivers once under the continuation's lock, retrying on a busy lock; a cancelled attempt drops it. */
        private void deliver(Event event, Object data) {
            ReentrantLock lock = continuation.lock();
            if (!lock.tryLock()) {
                loop.schedule(() -> deliver(event, data), AbstractVConn.LOCK_RETRY);
                return;
            }
            try {
                if (!state.compareAndSet(PENDING, DONE)) {
                    if (data instanceof VConn vconn) {
                        vconn.close(); // cancelled after the connection was made: nobody owns it
                    }
                    return;
                }
                try {
                    continuation.handler().handle(event, data);
                } catch (RuntimeException e) {
                    log.error("continuation {} threw on {}", continuation, event, e);
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean cancel() {
            if (!state.compareAndSet(PENDING, CANCELLED)) {
                return false;
            }
            loop.execute(() -> {
                if (timer != null) {
                    timer.cancel();
                    timer = null;
                }
                closeQuietly(pending);
                pending = null;
            });
            return true;
        }

        @Override
        public boolean isCancelled() {
            return state.get() == CANCELLED;
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("closing {} failed", channel, e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // NetAcceptor

    private NetAcceptor.Listener listen(SocketAddress address, Continuation acceptor) throws IOException {
        Objects.requireNonNull(acceptor, "acceptor");
        if (!open) {
            throw new IllegalStateException("NetAcceptor.listen on a closed transport");
        }
        ListenerImpl listener = new ListenerImpl(acceptor);
        listener.binding = network.listen(address, listener::accepted);
        listeners.add(listener);
        if (!open) { // closed meanwhile: close() may have missed this listener
            listener.close();
        }
        return listener;
    }

    private final class ListenerImpl implements NetAcceptor.Listener {
        private final Continuation acceptor;
        private volatile InMemoryNetwork.Binding binding;

        ListenerImpl(Continuation acceptor) {
            this.acceptor = acceptor;
        }

        /** On the connecting thread: adopt the accepted side and post NET_ACCEPT to the loop. */
        void accepted(InMemorySocketChannel channel) {
            try {
                channel.configureBlocking(false);
                InMemoryVConn vconn = newVConn(channel, "accepted");
                loop.execute(() -> deliverAccept(vconn));
            } catch (IOException e) {
                log.warn("accepting a connection at {} failed", binding.localAddress(), e);
                closeQuietly(channel);
            }
        }

        private void deliverAccept(VConn vconn) {
            ReentrantLock lock = acceptor.lock();
            if (!lock.tryLock()) {
                loop.schedule(() -> deliverAccept(vconn), AbstractVConn.LOCK_RETRY);
                return;
            }
            try {
                acceptor.handler().handle(Event.NET_ACCEPT, vconn);
            } catch (RuntimeException e) {
                log.error("acceptor {} threw on NET_ACCEPT", acceptor, e);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public SocketAddress localAddress() {
            return binding.localAddress();
        }

        @Override
        public boolean isOpen() {
            return binding.isOpen();
        }

        @Override
        public void close() {
            binding.close();
            listeners.remove(this);
        }

        @Override
        public String toString() {
            return "in-memory listener " + binding;
        }
    }
}
