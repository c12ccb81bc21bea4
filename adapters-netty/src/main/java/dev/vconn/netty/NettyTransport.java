package dev.vconn.netty;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.netty.internal.ChannelVConn;
import dev.vconn.netty.internal.NettyConnectAttempt;
import dev.vconn.netty.internal.NettyEventLoop;
import dev.vconn.netty.internal.NettyListener;
import dev.vconn.netty.internal.NettyTransportCore;
import dev.vconn.netty.internal.NettyVersionCheck;
import dev.vconn.netty.internal.RawFdAdopter;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.AbstractTransport;
import dev.vconn.ports.spi.ConnectAttempt;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * The Netty transport: VConns over Netty channels driven by the domain's shared VIO core, on
 * {@code config.eventLoops()} epoll loops where Linux's native transport is available (else Netty's NIO loops),
 * and the four ports (their shared flows are {@link AbstractTransport}'s). {@link #ioKind()} says which I/O kind
 * was chosen (it is also logged at info level); {@link NettyOptions#forceNio()} forces NIO.
 *
 * <p>Adoption: {@link #socketAdopter()} adopts JDK {@link java.nio.channels.SocketChannel}s, which only a selector
 * can drive, so with epoll primary they run on a second group of as many NIO loops (listed in
 * {@link #eventLoops()} after the primary loops). On epoll its
 * {@link dev.vconn.ports.SocketAdopter#adoptFileDescriptor(int) adoptFileDescriptor} also adopts a raw connected
 * TCP socket descriptor, Traffic Server's {@code TSVConnFdCreate}; on NIO
 * {@link dev.vconn.ports.SocketAdopter#supportsFileDescriptors() supportsFileDescriptors} says false.
 *
 * <p>See {@code docs/netty-adapter.md} for how VIO demand maps onto Netty reads and writability, and for copies.
 */
public final class NettyTransport extends AbstractTransport {
    /** This transport's name. */
    public static final String NAME = "netty";

    private final NettyTransportCore core;
    private final RawFdAdopter rawAdopter;

    /** A transport with the default options (epoll where available). */
    public NettyTransport(TransportConfig config) {
        this(config, NettyOptions.defaults());
    }

    /**
     * A transport with the given options.
     *
     * @throws IllegalStateException if the Netty on the class path is not 4.2.x (the message names both versions)
     */
    public NettyTransport(TransportConfig config, NettyOptions options) {
        super(NAME, config);
        NettyVersionCheck.requireSupportedNetty();
        this.core = new NettyTransportCore(config, tracker(), options.forceNio(), options.tcpNoDelay(),
                options.keepAlive());
        this.rawAdopter = new RawFdAdopter(core);
    }

    /** The I/O kind of the primary loops: {@link IoKind#EPOLL} or {@link IoKind#NIO}. */
    public IoKind ioKind() {
        return core.epoll() ? IoKind.EPOLL : IoKind.NIO;
    }

    @Override
    public List<EventLoop> eventLoops() {
        return core.eventLoops();
    }

    /** Only the primary loops carry pairs: a connect made on an adoption loop goes to the next primary loop. */
    @Override
    protected EventLoop inProcessLoop() {
        return core.currentOrNextLoop();
    }

    @Override
    public EventLoop nextEventLoop() {
        return core.nextLoop();
    }

    @Override
    protected ConnectAttempt<?> newConnectAttempt(Continuation continuation, SocketAddress remote, Duration timeout) {
        return new NettyConnectAttempt(core, core.currentOrNextLoop(), continuation, remote, timeout);
    }

    @Override
    protected Binding openListener(SocketAddress address, Continuation acceptor) throws IOException {
        return NettyListener.open(core, address, acceptor, this::isOpen);
    }

    /**
     * A JDK channel can only be driven by a selector, and its descriptor is not reachable without reflection, so
     * even when epoll is primary an adopted JDK channel runs on one of the transport's NIO loops.
     */
    @Override
    protected VConn adoptNonBlocking(SocketChannel channel) throws IOException {
        NettyEventLoop loop = core.adoptionLoop();
        ChannelVConn vconn = core.newVConn(loop, new NioSocketChannel(channel), null);
        Throwable failure = core.registerAndAttach(loop, vconn);
        if (failure != null) {
            // Netty closes a channel whose registration failed; the caller puts back the blocking mode.
            throw new IOException("the loop refused the channel: " + failure, failure);
        }
        return vconn;
    }

    @Override
    protected boolean supportsFileDescriptors() {
        return rawAdopter.isSupported();
    }

    @Override
    protected String fileDescriptorsUnsupportedReason() {
        return "the netty transport cannot adopt raw file descriptors here: " + rawAdopter.unsupportedReason();
    }

    @Override
    protected VConn adoptDescriptor(int fd) throws AdoptionException {
        return rawAdopter.adopt(fd);
    }

    @Override
    protected void stopLoops(Duration bound) {
        core.stopLoops(bound);
    }

    @Override
    public String toString() {
        return "NettyTransport[" + config().eventLoops() + " " + ioKind() + " loops]";
    }
}
