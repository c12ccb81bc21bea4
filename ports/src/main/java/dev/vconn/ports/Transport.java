package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.buffer.BlockPool;
import java.util.List;

/**
 * One transport (java.nio, Netty, in-memory): its event loops and the four ports, all interchangeable. Made by a
 * {@link TransportProvider}, usually through {@link Transports#load(String)}.
 */
public interface Transport extends AutoCloseable {
    /** The transport's name: {@code nio}, {@code netty}, {@code inmemory}. */
    String name();

    /** The event loops; every VConn of this transport is pinned to one of them. */
    List<EventLoop> eventLoops();

    /** The loop the next new VConn will be pinned to (round robin). */
    EventLoop nextEventLoop();

    /** Where this transport's IOBuffer blocks come from. */
    BlockPool blockPool();

    /** Adopts connected sockets ({@code TSVConnFdCreate}). */
    SocketAdopter socketAdopter();

    /** Opens outbound connections ({@code TSNetConnect}). */
    NetConnector netConnector();

    /** Accepts inbound connections ({@code TSNetAccept}). */
    NetAcceptor netAcceptor();

    /**
     * An in-process connector ({@code TSHttpConnectPlugin}) whose passive ends go to {@code sessionAcceptor} as
     * NET_ACCEPT, synchronously inside {@link HttpConnector#connect}.
     */
    HttpConnector httpConnector(Continuation sessionAcceptor);

    /** What is still open: VConns and pairs, with tag and id where they have one. */
    List<OpenResource> openResources();

    /**
     * Shuts down gracefully within the configured timeout: stops accepting, closes the loops, and logs (slf4j,
     * warn) every VConn or pair still open, with its tag and id. Idempotent.
     */
    @Override
    void close();

    /**
     * Something a transport still has open.
     *
     * @param kind        {@code "vconn"} or {@code "pair"}
     * @param description what it is (for a pair: its tag and id and which ends are open)
     */
    record OpenResource(String kind, String description) {
    }
}
