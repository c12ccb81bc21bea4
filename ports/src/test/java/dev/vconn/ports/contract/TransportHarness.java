package dev.vconn.ports.contract;

import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What an adapter supplies to run the contract kit: its transport and the few things only it knows how to make.
 * One harness is made per test (a fresh transport each time) and closed after it.
 */
public interface TransportHarness extends AutoCloseable {
    /** A connected channel of the kind this transport adopts, and its peer (a channel or socket to talk to it). */
    record ChannelPair(SocketChannel local, SocketChannel peer) {
    }

    /** The transport under test; the same instance for the whole test. */
    Transport transport();

    /** What this transport can do. */
    Set<Capability> capabilities();

    /** An address to listen on that picks a free port (e.g. {@code 127.0.0.1:0}). */
    SocketAddress listenAddress();

    /** An address where nothing listens, so a connect is refused. */
    SocketAddress refusedAddress() throws IOException;

    /** A connected pair of channels of the kind {@link Transport#socketAdopter()} adopts, both in blocking mode. */
    ChannelPair channelPair() throws IOException;

    /** An open, unconnected channel of the kind this transport adopts. */
    SocketChannel unconnectedChannel() throws IOException;

    /**
     * Registers {@code channel} with a selector of this transport's kind (switching it to non-blocking first),
     * so that adoption can be shown to refuse it. Only called with {@link Capability#REGISTERED_CHANNELS}.
     */
    void registerElsewhere(SocketChannel channel) throws IOException;

    /**
     * A VConn adopted from a raw connected TCP socket descriptor, and the socket at the other end.
     *
     * @param vconn the VConn that owns the descriptor
     * @param peer  the other end, blocking; the test closes it
     */
    record AdoptedDescriptor(dev.vconn.domain.VConn vconn, SocketChannel peer) {
    }

    /**
     * Connects a raw socket descriptor to a fresh peer and adopts the descriptor through this transport's raw-fd
     * path. Only called with {@link Capability#RAW_FD_ADOPTION}.
     */
    default AdoptedDescriptor adoptRawDescriptor() throws Exception {
        throw new UnsupportedOperationException("transport '" + transport().name() + "' adopts no raw descriptors");
    }

    /** A channel of a kind this transport does not adopt (e.g. a real JDK socket for the in-memory transport), or null. */
    ChannelPair foreignChannelPair() throws IOException;

    /**
     * Runs or waits until {@code condition} holds, at most {@code timeout} on the transport's clock (virtual time
     * for the in-memory transport; for real transports a bounded real-time wait that checks the condition after
     * each loop round).
     *
     * @return whether the condition holds
     */
    boolean await(BooleanSupplier condition, Duration timeout);

    /** The transport's clock (the loops' {@code nanoTime}). */
    long nanoTime();

    /** Open sockets (real or in-memory) the harness can see; must return to its value at the start of a test. */
    int openSockets();

    /** Closes the transport and anything the harness made. */
    @Override
    void close();
}
