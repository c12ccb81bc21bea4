package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import java.io.IOException;
import java.net.SocketAddress;

/**
 * Accepts inbound connections: Traffic Server's {@code TSNetAccept}. Every accepted connection is delivered to
 * the acceptor continuation as {@link dev.vconn.domain.Event#NET_ACCEPT} with the new
 * {@link dev.vconn.domain.VConn}, which then belongs to the acceptor.
 */
public interface NetAcceptor {
    /**
     * Starts listening.
     *
     * @param address  where to listen; a port of 0 picks a free one (see {@link Listener#localAddress()})
     * @param acceptor receives NET_ACCEPT per connection
     * @throws IOException if the address cannot be bound
     */
    Listener listen(SocketAddress address, Continuation acceptor) throws IOException;

    /** A listening endpoint. */
    interface Listener extends AutoCloseable {
        /** The address actually bound. */
        SocketAddress localAddress();

        /** Whether it still accepts. */
        boolean isOpen();

        /** Stops accepting; connections already accepted are not affected. Idempotent. */
        @Override
        void close();
    }
}
