package dev.vconn.nio.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.ports.spi.AbstractTransport;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ServerSocketChannel} listening on one loop. An accepted connection stays on that loop unless another loop
 * holds {@link #HANDOFF_MARGIN} or more fewer live sockets (docs/nio-adapter.md, Accepting): a client that opens one
 * connection at a time never costs a cross-thread wake-up, and concurrent connections still spread over all loops.
 * Each is delivered as NET_ACCEPT on the loop its VConn is pinned to.
 */
public final class NioListener implements NioEventLoop.Handler {
    private static final Logger log = LoggerFactory.getLogger(NioListener.class);
    private static final int BACKLOG = 1024;
    /**
     * How many fewer live sockets another loop must hold than the accepting loop to get the connection. Above 1 so
     * a connection whose predecessor's close is still in flight, or an idle pooled origin connection, does not send
     * a one-at-a-time client across threads; small so loops stay within a few connections of each other.
     */
    static final int HANDOFF_MARGIN = 4;

    private final NioTransportCore core;
    private final NioEventLoop loop;
    private final ServerSocketChannel server;
    private final Continuation acceptor;
    private final SocketAddress local;
    private volatile SelectionKey key;

    private NioListener(NioTransportCore core, ServerSocketChannel server, Continuation acceptor) throws IOException {
        this.core = core;
        this.loop = core.nextLoop();
        this.server = server;
        this.acceptor = acceptor;
        this.local = server.getLocalAddress();
    }

    /** Binds {@code address} and starts accepting on one of {@code core}'s loops. */
    public static AbstractTransport.Binding open(NioTransportCore core, SocketAddress address, Continuation acceptor)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address, BACKLOG);
            server.configureBlocking(false);
            NioListener listener = new NioListener(core, server, acceptor);
            listener.key = listener.loop.register(server, SelectionKey.OP_ACCEPT, listener);
            return new AbstractTransport.Binding(listener.local, server::isOpen, listener::close,
                    "listener " + listener.local);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    @Override
    public void ready(int readyOps) {
        while (server.isOpen()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                log.warn("accept on {} failed", local, e);
                return;
            }
            if (channel == null) {
                return;
            }
            accepted(channel);
        }
    }

    private void accepted(SocketChannel channel) {
        NioEventLoop target = core.leastLoadedLoop(loop, HANDOFF_MARGIN);
        try {
            channel.configureBlocking(false);
            core.applyOptions(channel);
            NioSocketVConn vconn = new NioSocketVConn(target, channel, core.tracker());
            vconn.register();
            ContinuationScheduler.dispatch(target, acceptor, Event.NET_ACCEPT, vconn);
        } catch (IOException | RuntimeException e) {
            log.warn("could not set up a connection accepted on {}", local, e);
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    private void close() {
        SelectionKey k = key;
        if (k != null) {
            loop.closeNow(k, server); // when this returns the port no longer accepts
        } else {
            try {
                server.close();
            } catch (IOException e) {
                log.debug("closing listener {} failed", local, e);
            }
        }
    }
}
