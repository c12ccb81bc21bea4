package dev.vconn.netty;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.netty.internal.NettyNetAcceptor;
import dev.vconn.netty.internal.NettyNetConnector;
import dev.vconn.netty.internal.NettySocketAdopter;
import dev.vconn.netty.internal.NettyTransportCore;
import dev.vconn.netty.internal.RawFdAdopter;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.NetConnector;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.PairHttpConnector;
import java.util.List;

/**
 * The Netty transport: VConns over Netty channels driven by the domain's shared VIO core, on
 * {@code config.eventLoops()} epoll loops where Linux's native transport is available (else Netty's NIO loops),
 * and the four ports. {@link #ioKind()} says which I/O kind was chosen (it is also logged at info level);
 * {@link NettyOptions#forceNio()} forces NIO.
 *
 * <p>Adoption: {@link #socketAdopter()} adopts JDK {@link java.nio.channels.SocketChannel}s, which only a selector
 * can drive, so with epoll primary they run on a second group of as many NIO loops (listed in
 * {@link #eventLoops()} after the primary loops). {@link #adoptFd(int)} adopts a raw connected TCP socket
 * descriptor onto an epoll loop, Traffic Server's {@code TSVConnFdCreate}; it is refused on NIO.
 *
 * <p>See {@code docs/netty-adapter.md} for how VIO demand maps onto Netty reads and writability, and for copies.
 */
public final class NettyTransport implements Transport {
    /** This transport's name. */
    public static final String NAME = "netty";

    private final TransportConfig config;
    private final NettyTransportCore core;
    private final SocketAdopter adopter;
    private final RawFdAdopter rawAdopter;
    private final NetConnector connector;
    private final NetAcceptor acceptor;

    /** A transport with the default options (epoll where available). */
    public NettyTransport(TransportConfig config) {
        this(config, NettyOptions.defaults());
    }

    /** A transport with the given options. */
    public NettyTransport(TransportConfig config, NettyOptions options) {
        this.config = config;
        this.core = new NettyTransportCore(config, options.forceNio(), options.tcpNoDelay(), options.keepAlive());
        this.adopter = new NettySocketAdopter(core);
        this.rawAdopter = new RawFdAdopter(core);
        this.connector = new NettyNetConnector(core);
        this.acceptor = new NettyNetAcceptor(core);
    }

    /** The I/O kind of the primary loops: {@link IoKind#EPOLL} or {@link IoKind#NIO}. */
    public IoKind ioKind() {
        return core.epoll() ? IoKind.EPOLL : IoKind.NIO;
    }

    /** Whether {@link #adoptFd(int)} can succeed here (epoll primary, descriptor passing set up). */
    public boolean supportsRawFdAdoption() {
        return rawAdopter.isSupported();
    }

    /**
     * Adopts a raw connected TCP socket descriptor: Traffic Server's {@code TSVConnFdCreate(int fd)}, on epoll
     * only. The checks (open, a TCP socket, connected, not already adopted here, transport open and on epoll) all
     * happen before anything changes. Then the socket is switched to non-blocking mode and driven by an epoll loop.
     *
     * <p>On success the VConn owns the socket: closing the VConn closes {@code fd}, and the caller must not use
     * or close it. On failure the descriptor is open and still the caller's; the one change public APIs cannot
     * undo is the non-blocking mode, made only after every check passed, so only a loop refusing the channel can
     * leave it behind (the refusal says so).
     *
     * @throws AdoptionException saying why the descriptor was refused, e.g. on a NIO transport
     */
    public VConn adoptFd(int fd) throws AdoptionException {
        return rawAdopter.adopt(fd);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<EventLoop> eventLoops() {
        return core.eventLoops();
    }

    @Override
    public EventLoop nextEventLoop() {
        return core.nextLoop();
    }

    @Override
    public BlockPool blockPool() {
        return config.blockPool();
    }

    @Override
    public SocketAdopter socketAdopter() {
        return adopter;
    }

    @Override
    public NetConnector netConnector() {
        return connector;
    }

    @Override
    public NetAcceptor netAcceptor() {
        return acceptor;
    }

    @Override
    public HttpConnector httpConnector(Continuation sessionAcceptor) {
        return new PairHttpConnector(core::nextLoop, sessionAcceptor, core.tracker(), core::isOpen);
    }

    @Override
    public List<OpenResource> openResources() {
        return core.tracker().snapshot();
    }

    @Override
    public void close() {
        core.close(NAME);
    }

    @Override
    public String toString() {
        return "NettyTransport[" + config.eventLoops() + " " + ioKind() + " loops]";
    }
}
