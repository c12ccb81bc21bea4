package dev.vconn.nio;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.nio.internal.NioConnectAttempt;
import dev.vconn.nio.internal.NioListener;
import dev.vconn.nio.internal.NioSocketVConn;
import dev.vconn.nio.internal.NioTransportCore;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.AbstractTransport;
import dev.vconn.ports.spi.ConnectAttempt;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * The java.nio transport: {@code config.eventLoops()} selector loops, socket VConns driven by the domain's shared
 * VIO core, and the four ports (their shared flows are {@link AbstractTransport}'s). It adopts JDK socket channels,
 * not raw descriptors. See {@code docs/nio-adapter.md} for the threading model.
 */
public final class NioTransport extends AbstractTransport {
    /** This transport's name. */
    public static final String NAME = "nio";

    private final NioTransportCore core;

    /** A transport with default socket options. */
    public NioTransport(TransportConfig config) {
        this(config, NioSocketOptions.defaults());
    }

    /** A transport that sets {@code options} on every socket it connects or accepts. */
    public NioTransport(TransportConfig config, NioSocketOptions options) {
        super(NAME, config);
        this.core = new NioTransportCore(config.eventLoops(), tracker(), options.tcpNoDelay(), options.keepAlive());
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
    protected ConnectAttempt<?> newConnectAttempt(Continuation continuation, SocketAddress remote, Duration timeout) {
        return new NioConnectAttempt(core, core.currentOrNextLoop(), continuation, remote, timeout);
    }

    @Override
    protected Binding openListener(SocketAddress address, Continuation acceptor) throws IOException {
        return NioListener.open(core, address, acceptor);
    }

    @Override
    protected VConn adoptNonBlocking(SocketChannel channel) throws IOException {
        NioSocketVConn vconn = new NioSocketVConn(core.nextLoop(), channel, tracker());
        vconn.register();
        return vconn;
    }

    @Override
    protected void stopLoops(Duration bound) {
        core.stopLoops(bound);
    }

    @Override
    public String toString() {
        return "NioTransport[" + config().eventLoops() + " loops]";
    }
}
