package dev.vconn.nio;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.nio.internal.NioNetAcceptor;
import dev.vconn.nio.internal.NioNetConnector;
import dev.vconn.nio.internal.NioSocketAdopter;
import dev.vconn.nio.internal.NioTransportCore;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.NetConnector;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.PairHttpConnector;
import java.util.List;

/**
 * The java.nio transport: {@code config.eventLoops()} selector loops, socket VConns driven by the domain's shared
 * VIO core, and the four ports. See {@code docs/nio-adapter.md} for the threading model.
 */
public final class NioTransport implements Transport {
    /** This transport's name. */
    public static final String NAME = "nio";

    private final TransportConfig config;
    private final NioTransportCore core;
    private final SocketAdopter adopter;
    private final NetConnector connector;
    private final NetAcceptor acceptor;

    /** A transport with default socket options. */
    public NioTransport(TransportConfig config) {
        this(config, NioSocketOptions.defaults());
    }

    /** A transport that sets {@code options} on every socket it connects or accepts. */
    public NioTransport(TransportConfig config, NioSocketOptions options) {
        this.config = config;
        this.core = new NioTransportCore(config, options.tcpNoDelay(), options.keepAlive());
        this.adopter = new NioSocketAdopter(core);
        this.connector = new NioNetConnector(core);
        this.acceptor = new NioNetAcceptor(core);
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
        core.close(NAME, core.tracker()::isEmpty, core.tracker()::closeAll);
    }

    @Override
    public String toString() {
        return "NioTransport[" + config.eventLoops() + " loops]";
    }
}
