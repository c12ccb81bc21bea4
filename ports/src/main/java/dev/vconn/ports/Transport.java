package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.buffer.BlockPool;
import java.time.Duration;
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
     * NET_ACCEPT, synchronously inside {@link HttpConnector#connect}. A connection made on one of this transport's
     * loops is pinned to that loop; one made elsewhere to {@link #nextEventLoop()} (docs/semantics.md, rule 6.2).
     */
    HttpConnector httpConnector(Continuation sessionAcceptor);

    /** What is still open: VConns and pairs, with tag and id where they have one. */
    List<OpenResource> openResources();

    /**
     * Shuts down gracefully within the configured {@linkplain TransportConfig#shutdownTimeout() shutdown timeout}:
     * {@link #close(Duration)} with that timeout.
     */
    @Override
    void close();

    /**
     * Shuts down gracefully, {@code timeout} being a bound: stops accepting and refuses new work at once (adoption,
     * connect, listen, HTTP connect), lets adoptions in flight finish, gives the owners of open VConns and pairs up
     * to {@code timeout} to close them, then logs (slf4j, warn) every VConn or pair still open, with its tag and id,
     * closes them and stops the loops. Returns within {@code timeout} plus a fraction of a second. Idempotent: only
     * the first call counts.
     *
     * <p>Called on one of the transport's own loops, it cannot wait for that loop: it refuses new work and closes
     * the listeners before returning, and the rest (the wait for owners, the forced close, stopping the loops)
     * continues on a thread of its own, so a callback may close its transport without deadlocking.
     *
     * @param timeout how long owners get to close what they have open; zero closes it at once
     */
    void close(Duration timeout);

    /**
     * Something a transport still has open.
     *
     * @param kind        {@code "vconn"} or {@code "pair"}
     * @param description what it is (for a pair: its tag and id and which ends are open)
     */
    record OpenResource(String kind, String description) {
    }
}
