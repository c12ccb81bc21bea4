package dev.vconn.ports.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one {@link HttpConnector} every transport uses: a {@link VConnPair} on one of the transport's loops, whose
 * passive end goes to the session acceptor synchronously in {@link #connect}, as NET_ACCEPT (semantics.md rule 6.2).
 *
 * <p>The acceptor runs on the calling thread while its lock is held (taken with a blocking, reentrant
 * {@code lock()}, as Traffic Server's API takes a continuation's mutex for the length of a call).
 */
public final class PairHttpConnector implements HttpConnector {
    private final Supplier<EventLoop> loops;
    private final Continuation sessionAcceptor;
    private final OpenResourceTracker tracker;
    private final BooleanSupplier open;

    /**
     * A connector.
     *
     * @param loops           picks the loop for each new pair
     * @param sessionAcceptor receives NET_ACCEPT with each passive end
     * @param tracker         records pairs until both ends are closed
     * @param open            whether the transport still accepts work
     */
    public PairHttpConnector(Supplier<EventLoop> loops, Continuation sessionAcceptor, OpenResourceTracker tracker,
            BooleanSupplier open) {
        this.loops = Objects.requireNonNull(loops, "loops");
        this.sessionAcceptor = Objects.requireNonNull(sessionAcceptor, "sessionAcceptor");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.open = Objects.requireNonNull(open, "open");
    }

    @Override
    public VConn connect(HttpConnectOptions options) {
        Objects.requireNonNull(options, "options");
        if (!open.getAsBoolean()) {
            throw new IllegalStateException("HttpConnector.connect on a closed transport");
        }
        VConnPair pair = VConnPair.open(loops.get(), options.pairOptions(), tracker::pairFreed);
        tracker.opened(pair);
        sessionAcceptor.lock().lock();
        try {
            sessionAcceptor.handler().handle(Event.NET_ACCEPT, pair.passive());
        } catch (RuntimeException e) {
            // The session never took the passive end: close both so the pair is not leaked, and tell the caller.
            pair.passive().close();
            pair.active().close();
            throw e;
        } finally {
            sessionAcceptor.lock().unlock();
        }
        return pair.active();
    }
}
