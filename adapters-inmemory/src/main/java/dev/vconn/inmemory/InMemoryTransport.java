package dev.vconn.inmemory;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.inmemory.internal.InMemoryVConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.AbstractTransport;
import dev.vconn.ports.spi.ConnectAttempt;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
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
 *   <li>{@link #httpConnector} is the shared {@link dev.vconn.ports.spi.PairHttpConnector}.</li>
 * </ul>
 * The flows every transport shares (adoption checks, the connect state machine, listener bookkeeping) are
 * {@link AbstractTransport}'s. {@link #close()} stops accepting (closes every listener), logs every VConn or pair
 * still open (slf4j, warn) and refuses adoption, connect, listen and HTTP connect from then on; it never waits, and
 * VConns still open stay usable: the loop is the caller's to drive.
 * Whatever {@link TransportConfig#eventLoops()} says, there is one loop. Every event is delivered on it, never inside
 * the call that caused it.
 */
public final class InMemoryTransport extends AbstractTransport {
    /** The transport's name. */
    public static final String NAME = "inmemory";

    private static final Logger log = LoggerFactory.getLogger(InMemoryTransport.class);

    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final InMemoryNetwork network = new InMemoryNetwork(loop);

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
        super(NAME, Objects.requireNonNull(config, "config"));
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
     * How many channels of this transport's network are open.
     *
     * @return the count
     */
    public int openSockets() {
        return network.openChannels();
    }

    @Override
    public List<EventLoop> eventLoops() {
        return List.of(loop);
    }

    @Override
    public EventLoop nextEventLoop() {
        return loop;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Shutdown: the loop is the caller's to drive, so nothing here waits for it or stops it.

    /** Nothing to wait for: time moves only when the caller drives the loop. */
    @Override
    protected void awaitLoops(BooleanSupplier condition, long deadlineNanos) {
    }

    /** Logs what is still open; VConns still open stay usable (the caller drives the loop and closes them). */
    @Override
    protected void closeLeftOpen() {
        tracker().logLeftOpen(log, NAME);
    }

    /** The loop is the caller's: it is not stopped. */
    @Override
    protected void stopLoops(Duration bound) {
    }

    @Override
    public String toString() {
        return "InMemoryTransport[" + (isOpen() ? "open" : "closed") + ", " + network + ", open resources="
                + tracker().snapshot().size() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // SocketAdopter

    @Override
    protected void requireDrivable(SocketChannel channel) throws AdoptionException {
        if (!(channel instanceof InMemorySocketChannel mem)) {
            throw new AdoptionException("the in-memory transport adopts only its own in-memory channels, got "
                    + channel.getClass().getName());
        }
        if (mem.network() != network) {
            throw new AdoptionException("the in-memory transport adopts only channels of its own network; "
                    + mem + " belongs to another in-memory network");
        }
        if (mem.isOwned()) {
            throw new AdoptionException("the channel was already adopted: a VConn owns it: " + mem);
        }
    }

    @Override
    protected VConn adoptNonBlocking(SocketChannel channel) throws IOException {
        return newVConn((InMemorySocketChannel) channel, "adopted");
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
                    () -> (channel.readyOps() & SelectionKey.OP_READ) != 0 || !channel.isOpen(), tracker()::closed);
        } catch (IOException | RuntimeException e) {
            channel.release();
            throw e;
        }
        tracker().opened(vconn, "in-memory vconn (" + how + ") " + vconn.localAddress() + " -> "
                + vconn.remoteAddress());
        channel.setReadinessListener(InMemorySocketChannel.ReadinessListener.of(vconn::inputReady,
                vconn::outputReady));
        return vconn;
    }

    // ---------------------------------------------------------------------------------------------------------
    // NetConnector

    @Override
    protected ConnectAttempt<?> newConnectAttempt(Continuation continuation, SocketAddress remote, Duration timeout) {
        return new InMemoryConnectAttempt(continuation, remote, timeout);
    }

    /**
     * One outbound connect to an address of the network: a listener makes it at once, nothing listening refuses it,
     * a blackhole leaves it pending until the timeout.
     */
    private final class InMemoryConnectAttempt extends ConnectAttempt<VirtualTimeEventLoop> {
        private InMemorySocketChannel channel;

        InMemoryConnectAttempt(Continuation continuation, SocketAddress remote, Duration timeout) {
            super(loop, continuation, remote, timeout);
        }

        @Override
        protected void open() {
            channel = network.openChannel();
            try {
                channel.configureBlocking(false);
                if (channel.connect(remote())) {
                    connected(newVConn(channel, "connected"));
                    channel = null; // the VConn owns it
                }
            } catch (ConnectException e) {
                failed(new VConnError(Errno.ECONNREFUSED, "connection to " + remote() + " refused: nothing listens "
                        + "there", e));
            } catch (IOException e) {
                failed(new VConnError(Errno.EHOSTUNREACH, "cannot connect to " + remote() + ": " + e, e));
            }
        }

        @Override
        protected void abandon() {
            closeQuietly(channel);
            channel = null;
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

    @Override
    protected Binding openListener(SocketAddress address, Continuation acceptor) throws IOException {
        InMemoryNetwork.Binding binding = network.listen(address, channel -> accepted(channel, acceptor));
        return new Binding(binding.localAddress(), binding::isOpen, binding::close, "in-memory listener " + binding);
    }

    /** On the connecting thread: adopt the accepted side and post NET_ACCEPT to the loop. */
    private void accepted(InMemorySocketChannel channel, Continuation acceptor) {
        try {
            channel.configureBlocking(false);
            InMemoryVConn vconn = newVConn(channel, "accepted");
            ContinuationScheduler.dispatch(loop, acceptor, Event.NET_ACCEPT, vconn);
        } catch (IOException e) {
            log.warn("accepting a connection from {} failed", channel, e);
            closeQuietly(channel);
        }
    }
}
