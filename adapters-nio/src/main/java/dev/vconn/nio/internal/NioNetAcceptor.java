package dev.vconn.nio.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.ports.NetAcceptor;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on a {@link ServerSocketChannel} on one loop and spreads accepted connections across all loops, each
 * delivered as NET_ACCEPT on the loop its VConn is pinned to.
 */
public final class NioNetAcceptor implements NetAcceptor {
    private static final Logger log = LoggerFactory.getLogger(NioNetAcceptor.class);
    private static final int BACKLOG = 1024;

    private final NioTransportCore core;

    /** An acceptor for the transport behind {@code core}. */
    public NioNetAcceptor(NioTransportCore core) {
        this.core = core;
    }

    @Override
    public Listener listen(SocketAddress address, Continuation acceptor) throws IOException {
        Objects.requireNonNull(acceptor, "acceptor");
        if (!core.isOpen()) {
            throw new IllegalStateException("NetAcceptor.listen on a closed nio transport");
        }
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(address, BACKLOG);
            server.configureBlocking(false);
            NioListener listener = new NioListener(core.nextLoop(), server, acceptor);
            listener.key = listener.loop.register(server, SelectionKey.OP_ACCEPT, listener);
            core.listenerOpened(listener);
            return listener;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    final class NioListener implements Listener, NioEventLoop.Handler {
        final NioEventLoop loop;
        final ServerSocketChannel server;
        final Continuation acceptor;
        final SocketAddress local;
        volatile SelectionKey key;

        NioListener(NioEventLoop loop, ServerSocketChannel server, Continuation acceptor) throws IOException {
            this.loop = loop;
            this.server = server;
            this.acceptor = acceptor;
            this.local = server.getLocalAddress();
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
                adopt(channel);
            }
        }

        private void adopt(SocketChannel channel) {
            NioEventLoop target = core.nextLoop();
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

        @Override
        public SocketAddress localAddress() {
            return local;
        }

        @Override
        public boolean isOpen() {
            return server.isOpen();
        }

        @Override
        public void close() {
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
            core.listenerClosed(this);
        }

        @Override
        public String toString() {
            return "listener " + local;
        }
    }
}
