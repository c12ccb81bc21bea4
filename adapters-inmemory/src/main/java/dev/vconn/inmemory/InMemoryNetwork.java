package dev.vconn.inmemory;

import dev.vconn.domain.EventLoop;
import dev.vconn.inmemory.internal.Pipe;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network of {@link InMemorySocketChannel}s: addresses, listeners, and the clock that times injected
 * latency and bandwidth. Each {@link InMemoryTransport} has one; a network's channels connect only to each other.
 *
 * <p>Addresses are {@link InetSocketAddress}es on 127.0.0.1 (or whatever address a listener was given) with ports
 * from a per-network counter starting at {@value #FIRST_PORT}; nothing here touches the operating system. Thread-safe.
 */
public final class InMemoryNetwork {
    private static final Logger log = LoggerFactory.getLogger(InMemoryNetwork.class);

    /** The first port the counter hands out. */
    public static final int FIRST_PORT = 32768;
    private static final int LAST_PORT = 65535;
    private static final InetAddress LOOPBACK = loopback();

    enum ConnectResult { CONNECTED, REFUSED, PENDING }

    private final EventLoop loop;
    private final InMemorySelectorProvider provider;
    private final AtomicInteger openChannels = new AtomicInteger();
    private final Object lock = new Object();
    private final Map<InetSocketAddress, Binding> bindings = new HashMap<>(); // guarded by lock
    private int nextPort = FIRST_PORT; // guarded by lock
    private volatile FaultPlan clientToServer = FaultPlan.NONE;
    private volatile FaultPlan serverToClient = FaultPlan.NONE;

    /**
     * A network whose latency and bandwidth are timed, and whose arrival timers run, on {@code loop}.
     *
     * @param loop the clock and timer source (the transport's virtual-time loop)
     */
    public InMemoryNetwork(EventLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.provider = new InMemorySelectorProvider(this);
    }

    /**
     * The loop that times faults.
     *
     * @return the loop
     */
    public EventLoop loop() {
        return loop;
    }

    /**
     * The selector provider of this network's channels.
     *
     * @return the provider
     */
    public InMemorySelectorProvider provider() {
        return provider;
    }

    /**
     * A new unconnected channel, in blocking mode.
     *
     * @return the channel
     */
    public InMemorySocketChannel openChannel() {
        openChannels.incrementAndGet();
        return new InMemorySocketChannel(this);
    }

    /**
     * Two channels connected to each other, both in blocking mode, with no faults.
     *
     * @return the pair
     */
    public ChannelPair openPair() {
        return openPair(FaultPlan.NONE, FaultPlan.NONE);
    }

    /**
     * Two channels connected to each other, both in blocking mode.
     *
     * @param localToPeer the faults of the bytes {@code local} writes and {@code peer} reads
     * @param peerToLocal the faults of the bytes {@code peer} writes and {@code local} reads
     * @return the pair
     */
    public ChannelPair openPair(FaultPlan localToPeer, FaultPlan peerToLocal) {
        Objects.requireNonNull(localToPeer, "localToPeer");
        Objects.requireNonNull(peerToLocal, "peerToLocal");
        InMemorySocketChannel a = openChannel();
        InMemorySocketChannel b = openChannel();
        link(a, b, localToPeer, peerToLocal, ephemeralAddress(), ephemeralAddress());
        return new ChannelPair(a, b);
    }

    /**
     * Sets the faults of connections made from now on by {@link InMemorySocketChannel#connect} (and so by the
     * transport's {@code NetConnector}). Every such connection gets these same plans, seeds included.
     *
     * @param clientToServer the faults of the bytes the connecting side writes
     * @param serverToClient the faults of the bytes the accepted side writes
     */
    public void setConnectFaults(FaultPlan clientToServer, FaultPlan serverToClient) {
        this.clientToServer = Objects.requireNonNull(clientToServer, "clientToServer");
        this.serverToClient = Objects.requireNonNull(serverToClient, "serverToClient");
    }

    /**
     * Listens at {@code address}: every channel that connects there gets a connected peer channel (blocking mode,
     * owned by {@code onConnection}), handed over synchronously on the connecting thread.
     *
     * @param address      where to listen; port 0 picks one from the counter; {@code null} means 127.0.0.1:0
     * @param onConnection receives the accepted side of each connection; must be quick
     * @return the binding; close it to stop listening and free the address
     * @throws BindException if something already listens there
     */
    public Binding listen(SocketAddress address, Consumer<? super InMemorySocketChannel> onConnection)
            throws IOException {
        Objects.requireNonNull(onConnection, "onConnection");
        return bind(address, onConnection);
    }

    /**
     * Makes an address where connects are neither accepted nor refused: they stay pending until abandoned (to test
     * connect timeouts).
     *
     * @param address the address; port 0 picks one; {@code null} means 127.0.0.1:0
     * @return the binding; close it to free the address
     * @throws BindException if something already listens there
     */
    public Binding blackhole(SocketAddress address) throws IOException {
        return bind(address, null);
    }

    /**
     * An address where nothing listens now, so a connect there is refused.
     *
     * @return 127.0.0.1 with a fresh port
     */
    public InetSocketAddress unusedAddress() {
        synchronized (lock) {
            return new InetSocketAddress(LOOPBACK, nextPortLocked());
        }
    }

    /**
     * How many channels of this network are open.
     *
     * @return the count
     */
    public int openChannels() {
        return openChannels.get();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals used by the channels

    private Binding bind(SocketAddress address, Consumer<? super InMemorySocketChannel> onConnection)
            throws IOException {
        InetSocketAddress requested = address == null ? new InetSocketAddress(LOOPBACK, 0) : inet(address);
        synchronized (lock) {
            int port = requested.getPort() == 0 ? nextPortLocked() : requested.getPort();
            InetSocketAddress bound = new InetSocketAddress(requested.getAddress(), port);
            for (InetSocketAddress a : bindings.keySet()) {
                if (a.getPort() == port && (a.getAddress().equals(bound.getAddress())
                        || a.getAddress().isAnyLocalAddress() || bound.getAddress().isAnyLocalAddress())) {
                    throw new BindException("Address already in use: " + bound + " in the in-memory network");
                }
            }
            Binding b = new Binding(bound, onConnection);
            bindings.put(bound, b);
            return b;
        }
    }

    InetSocketAddress bindLocal(SocketAddress local) {
        InetSocketAddress a = local == null ? new InetSocketAddress(LOOPBACK, 0) : inet(local);
        if (a.getPort() != 0) {
            return a;
        }
        synchronized (lock) {
            return new InetSocketAddress(a.getAddress(), nextPortLocked());
        }
    }

    InetSocketAddress ephemeralAddress() {
        synchronized (lock) {
            return new InetSocketAddress(LOOPBACK, nextPortLocked());
        }
    }

    private int nextPortLocked() {
        while (true) {
            int p = nextPort;
            nextPort = p == LAST_PORT ? FIRST_PORT : p + 1;
            boolean used = false;
            for (InetSocketAddress a : bindings.keySet()) {
                if (a.getPort() == p) {
                    used = true;
                    break;
                }
            }
            if (!used) {
                return p;
            }
        }
    }

    ConnectResult connect(InMemorySocketChannel client, InetSocketAddress target) {
        Binding binding;
        synchronized (lock) {
            binding = bindings.get(target);
            if (binding == null) {
                for (Map.Entry<InetSocketAddress, Binding> e : bindings.entrySet()) {
                    if (e.getKey().getPort() == target.getPort() && e.getKey().getAddress().isAnyLocalAddress()) {
                        binding = e.getValue();
                        break;
                    }
                }
            }
        }
        if (binding == null) {
            return ConnectResult.REFUSED;
        }
        return binding.connect(client, target);
    }

    void channelClosed(InMemorySocketChannel channel) {
        openChannels.decrementAndGet();
    }

    private void link(InMemorySocketChannel a, InMemorySocketChannel b, FaultPlan aToB, FaultPlan bToA,
            InetSocketAddress aAddress, InetSocketAddress bAddress) {
        Pipe ab = new Pipe(loop, a::sendBufferSize, aToB.toPipeFaults(), aAddress + " -> " + bAddress);
        Pipe ba = new Pipe(loop, b::sendBufferSize, bToA.toPipeFaults(), bAddress + " -> " + aAddress);
        b.attach(ab, ba, aToB, bToA, bAddress, aAddress);
        a.attach(ba, ab, bToA, aToB, aAddress, bAddress);
    }

    private static InetSocketAddress inet(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet)) {
            throw new UnsupportedAddressTypeException();
        }
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError("127.0.0.1 is a valid address", e);
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "InMemoryNetwork[channels open=" + openChannels.get() + ", bound=" + bindings.keySet() + "]";
        }
    }

    /**
     * Two connected channels.
     *
     * @param local one end (the one a test usually adopts)
     * @param peer  the other end
     */
    public record ChannelPair(InMemorySocketChannel local, InMemorySocketChannel peer) implements AutoCloseable {
        /** Closes both ends. */
        @Override
        public void close() throws IOException {
            try {
                local.close();
            } finally {
                peer.close();
            }
        }
    }

    /** An address this network listens at (or blackholes). */
    public final class Binding implements AutoCloseable {
        private final InetSocketAddress address;
        private final Consumer<? super InMemorySocketChannel> onConnection;
        private boolean open = true; // guarded by this

        private Binding(InetSocketAddress address, Consumer<? super InMemorySocketChannel> onConnection) {
            this.address = address;
            this.onConnection = onConnection;
        }

        /**
         * The address actually bound.
         *
         * @return the address, with the port picked if 0 was asked for
         */
        public InetSocketAddress localAddress() {
            return address;
        }

        /**
         * Whether it still accepts (or swallows) connects.
         *
         * @return true until closed
         */
        public synchronized boolean isOpen() {
            return open;
        }

        /** Stops listening and frees the address; connections already made are not affected. Idempotent. */
        @Override
        public void close() {
            synchronized (this) {
                if (!open) {
                    return;
                }
                open = false;
            }
            synchronized (lock) {
                bindings.remove(address, this);
            }
        }

        private synchronized ConnectResult connect(InMemorySocketChannel client, InetSocketAddress target) {
            if (!open) {
                return ConnectResult.REFUSED;
            }
            if (onConnection == null) {
                return ConnectResult.PENDING;
            }
            InMemorySocketChannel server = openChannel();
            InetSocketAddress serverAddress = address.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(target.getAddress(), address.getPort()) : address;
            link(client, server, clientToServer, serverToClient, client.localForConnect(), serverAddress);
            try {
                onConnection.accept(server);
            } catch (RuntimeException e) {
                log.warn("the listener at {} failed to take a connection; closing it", address, e);
                try {
                    server.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            return ConnectResult.CONNECTED;
        }

        @Override
        public String toString() {
            return (onConnection == null ? "blackhole " : "listener ") + address + (isOpen() ? "" : " (closed)");
        }
    }
}
