package dev.vconn.ports.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.NetConnector;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every transport shares, written once: the facade of the four ports, the open-resource tracker, listener
 * bookkeeping, the adoption flow, the connect entry point and the orderly shutdown. A transport supplies its loops
 * and only what is truly its own: how to connect ({@link #newConnectAttempt}), how to listen ({@link #openListener}),
 * which channels it can drive and how to register one ({@link #requireDrivable}, {@link #adoptNonBlocking}), raw
 * descriptors where it can ({@link #supportsFileDescriptors}, {@link #adoptDescriptor}) and how to stop its loops
 * ({@link #stopLoops}).
 *
 * <p><b>Adoption</b> ({@link SocketAdopter}): the transport is open, the channel is of a kind it drives, then
 * {@link AdoptionChecks#requireAdoptable} — all before the channel is touched; then it is switched to non-blocking
 * mode and registered, and if registration fails the mode is put back, so a refused channel is exactly as it was.
 *
 * <p><b>Work in flight</b>: adoption, listen and raw-descriptor adoption each count as in flight while they run;
 * {@link #close(Duration)} refuses new work first, then waits for the count to drop to zero, so an adoption racing
 * the close either completes (and its VConn is then drained like any other) or is refused with the socket as it
 * was — never registered with a loop that is stopping.
 *
 * <p><b>Shutdown</b>: see {@link Transport#close(Duration)}. The open flag is atomic, so only the first close counts;
 * on one of the transport's own loops the waiting part moves to a thread of its own. After the timeout what is left
 * open is logged and closed ({@link #closeLeftOpen()}), and its close gets {@link #FORCED_CLOSE_WAIT} to be
 * processed; then the loops get {@link #LOOP_STOP_WAIT} to stop. So close returns within the timeout plus
 * {@code FORCED_CLOSE_WAIT + LOOP_STOP_WAIT}.
 */
public abstract class AbstractTransport implements Transport {
    /** How long the forced close of what was left open may take to be processed. */
    public static final Duration FORCED_CLOSE_WAIT = Duration.ofMillis(250);
    /** How long the loops may take to stop once nothing is open. */
    public static final Duration LOOP_STOP_WAIT = Duration.ofMillis(500);

    private static final Logger log = LoggerFactory.getLogger(AbstractTransport.class);
    private static final long ROUND_MILLIS = 10;

    private final String name;
    private final TransportConfig config;
    private final OpenResourceTracker tracker = new OpenResourceTracker();
    private final Set<NetAcceptor.Listener> listeners = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean open = new AtomicBoolean(true);
    private final SocketAdopter adopter = new Adopter();

    /** A transport called {@code name}, made with {@code config}. */
    protected AbstractTransport(String name, TransportConfig config) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
    }

    // ---------------------------------------------------------------------------------------------------------
    // What a transport supplies

    /** A connect attempt to {@code remote} on one of this transport's loops (not started yet). */
    protected abstract ConnectAttempt<?> newConnectAttempt(Continuation continuation, SocketAddress remote,
            Duration timeout);

    /**
     * What a transport's listening socket is, for the {@link NetAcceptor.Listener} made here.
     *
     * @param localAddress the address actually bound
     * @param isOpen       whether it still accepts
     * @param close        stops accepting before it returns; idempotent
     * @param description  for {@code toString}
     */
    public record Binding(SocketAddress localAddress, BooleanSupplier isOpen, Runnable close, String description) {
        /** Validates every field. */
        public Binding {
            Objects.requireNonNull(localAddress, "localAddress");
            Objects.requireNonNull(isOpen, "isOpen");
            Objects.requireNonNull(close, "close");
            Objects.requireNonNull(description, "description");
        }
    }

    /**
     * Binds a listening socket at {@code address} that delivers NET_ACCEPT to {@code acceptor}. The listener and its
     * bookkeeping (closing it with the transport) are made here.
     *
     * @throws IOException if the address cannot be bound
     */
    protected abstract Binding openListener(SocketAddress address, Continuation acceptor) throws IOException;

    /**
     * Refuses a channel of a kind this transport cannot drive, or one it knows is owned already, without touching
     * it. By default only channels of the JDK's default provider are driven (a selector of that provider is what
     * socket transports register them with).
     *
     * @throws AdoptionException naming the kind
     */
    protected void requireDrivable(SocketChannel channel) throws AdoptionException {
        if (channel.provider() != SelectorProvider.provider()) {
            throw new AdoptionException("the " + name + " transport adopts only JDK socket channels, not this kind: "
                    + channel.getClass().getName());
        }
    }

    /**
     * Registers {@code channel} (checked, connected, already non-blocking) with one of the loops and returns its
     * VConn, listed as open. On failure the channel must be registered nowhere; the blocking mode is put back here.
     *
     * @throws IOException why it could not be registered
     */
    protected abstract VConn adoptNonBlocking(SocketChannel channel) throws IOException;

    /** Whether {@link #adoptDescriptor} can work here; false unless overridden. */
    protected boolean supportsFileDescriptors() {
        return false;
    }

    /** Why raw descriptors cannot be adopted here (for {@link UnsupportedOperationException}'s message). */
    protected String fileDescriptorsUnsupportedReason() {
        return "the " + name + " transport drives no raw descriptors";
    }

    /**
     * Adopts a raw descriptor (only called when {@link #supportsFileDescriptors()} and the transport is open, and
     * counted as in flight); see {@link SocketAdopter#adoptFileDescriptor(int)}.
     */
    protected VConn adoptDescriptor(int fd) throws AdoptionException {
        throw new UnsupportedOperationException(fileDescriptorsUnsupportedReason());
    }

    /**
     * Lets the loops run until {@code condition} holds or the deadline ({@link System#nanoTime()}) passes. Never
     * called on one of the transport's loops. By default each round posts a task to every loop and waits (briefly)
     * for it, so pending close work runs between checks; no fixed sleeps.
     */
    protected void awaitLoops(BooleanSupplier condition, long deadlineNanos) {
        while (!condition.getAsBoolean() && System.nanoTime() < deadlineNanos) {
            for (EventLoop loop : eventLoops()) {
                CountDownLatch done = new CountDownLatch(1);
                loop.execute(done::countDown);
                try {
                    done.await(ROUND_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** After the shutdown timeout: logs what is still open and closes it. */
    protected void closeLeftOpen() {
        tracker.logLeftOpen(log, name);
        tracker.closeAll();
    }

    /**
     * Stops the loops, waiting at most {@code bound} for them (never called on one of them). Closing a loop closes
     * whatever it still drives.
     */
    protected abstract void stopLoops(Duration bound);

    // ---------------------------------------------------------------------------------------------------------
    // What a transport's parts use

    /** The config this transport was made with. */
    protected final TransportConfig config() {
        return config;
    }

    /** Open VConns and pairs: every VConn is listed when made and unlisted when its close is processed. */
    protected final OpenResourceTracker tracker() {
        return tracker;
    }

    /** Whether the transport accepts work ({@link #close} not called yet). */
    public final boolean isOpen() {
        return open.get();
    }

    /**
     * Starts an operation that may register with a loop; {@link #close} waits for it. Pair every true result with
     * {@link #exit()}.
     *
     * @return false if the transport is closed (nothing to exit)
     */
    protected final boolean enter() {
        inFlight.incrementAndGet();
        if (!open.get()) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Ends an operation started by {@link #enter()}. */
    protected final void exit() {
        inFlight.decrementAndGet();
    }

    /** Whether the calling thread is one of this transport's loops. */
    protected final boolean onOwnLoop() {
        for (EventLoop loop : eventLoops()) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The facade

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final BlockPool blockPool() {
        return config.blockPool();
    }

    @Override
    public final SocketAdopter socketAdopter() {
        return adopter;
    }

    @Override
    public final NetConnector netConnector() {
        return this::connect;
    }

    @Override
    public final NetAcceptor netAcceptor() {
        return this::listen;
    }

    @Override
    public final HttpConnector httpConnector(Continuation sessionAcceptor) {
        return new PairHttpConnector(this::inProcessLoop, sessionAcceptor, tracker, this::isOpen);
    }

    /**
     * The loop of a new in-process pair: the calling thread's loop when it is one of the loops
     * {@link #nextEventLoop()} hands out, so a session that opens in-process connections from its loop (an HTTP/2
     * session, one per stream) keeps both ends on its own thread; otherwise {@link #nextEventLoop()} (docs/threading.md, Loop affinity).
     */
    protected EventLoop inProcessLoop() {
        for (EventLoop loop : eventLoops()) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return nextEventLoop();
    }

    @Override
    public final List<OpenResource> openResources() {
        return tracker.snapshot();
    }

    private ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout) {
        Objects.requireNonNull(continuation, "continuation");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive, was " + timeout);
        }
        if (!isOpen()) {
            throw new IllegalStateException("NetConnector.connect on a closed " + name + " transport");
        }
        ConnectAttempt<?> attempt = newConnectAttempt(continuation, remote, timeout);
        attempt.start();
        return attempt;
    }

    private NetAcceptor.Listener listen(SocketAddress address, Continuation acceptor) throws IOException {
        Objects.requireNonNull(acceptor, "acceptor");
        if (!enter()) {
            throw new IllegalStateException("NetAcceptor.listen on a closed " + name + " transport");
        }
        try {
            TrackedListener listener = new TrackedListener(openListener(address, acceptor));
            listeners.add(listener);
            if (!isOpen()) { // closed meanwhile: close() may have missed this listener
                listener.close();
            }
            return listener;
        } finally {
            exit();
        }
    }

    /** A listener over a transport's binding that leaves the transport's list when it is closed. */
    private final class TrackedListener implements NetAcceptor.Listener {
        private final Binding binding;

        TrackedListener(Binding binding) {
            this.binding = binding;
        }

        @Override
        public SocketAddress localAddress() {
            return binding.localAddress();
        }

        @Override
        public boolean isOpen() {
            return binding.isOpen().getAsBoolean();
        }

        @Override
        public void close() {
            binding.close().run();
            listeners.remove(this);
        }

        @Override
        public String toString() {
            return binding.description();
        }
    }

    /** The adoption flow; see the class comment. */
    private final class Adopter implements SocketAdopter {
        @Override
        public VConn adopt(SocketChannel channel) throws AdoptionException {
            Objects.requireNonNull(channel, "channel");
            if (!enter()) {
                throw new AdoptionException("the " + name + " transport is closed; it adopts nothing");
            }
            try {
                requireDrivable(channel);
                boolean wasBlocking;
                // Checks and switch under the channel's lock: no registration or mode change can slip in between.
                // Registration itself happens outside it, since a loop registering the channel takes the same lock.
                synchronized (channel.blockingLock()) {
                    AdoptionChecks.requireAdoptable(channel);
                    wasBlocking = channel.isBlocking();
                    try {
                        channel.configureBlocking(false);
                    } catch (IOException | RuntimeException e) {
                        AdoptionChecks.restoreBlocking(channel, wasBlocking, e);
                        throw new AdoptionException("the socket could not be switched to non-blocking mode: " + e, e);
                    }
                }
                try {
                    return adoptNonBlocking(channel);
                } catch (IOException | RuntimeException e) {
                    AdoptionChecks.restoreBlocking(channel, wasBlocking, e);
                    throw new AdoptionException("the socket could not be registered with a loop of the " + name
                            + " transport: " + e, e);
                }
            } finally {
                exit();
            }
        }

        @Override
        public boolean supportsFileDescriptors() {
            return AbstractTransport.this.supportsFileDescriptors();
        }

        @Override
        public VConn adoptFileDescriptor(int fd) throws AdoptionException {
            if (!supportsFileDescriptors()) {
                throw new UnsupportedOperationException(fileDescriptorsUnsupportedReason() + "; ask "
                        + "SocketAdopter.supportsFileDescriptors() before SocketAdopter.adoptFileDescriptor(int)");
            }
            if (!enter()) {
                throw new AdoptionException("the " + name + " transport is closed; it adopts nothing");
            }
            try {
                return adoptDescriptor(fd);
            } finally {
                exit();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Shutdown

    @Override
    public final void close() {
        close(config.shutdownTimeout());
    }

    @Override
    public final void close(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        if (!open.compareAndSet(true, false)) {
            return;
        }
        List.copyOf(listeners).forEach(NetAcceptor.Listener::close);
        long deadline = System.nanoTime() + timeout.toNanos();
        if (onOwnLoop()) {
            // A loop cannot wait for itself: finish on a thread of our own (not a daemon, so the drain is not cut).
            Thread finisher = new Thread(() -> finishClose(deadline), "vconn-" + name + "-close");
            finisher.start();
        } else {
            finishClose(deadline);
        }
    }

    private void finishClose(long deadline) {
        // Work in flight takes moments; it gets them even when the timeout is zero, or it would register with a
        // loop that is stopping.
        awaitLoops(() -> inFlight.get() == 0, Math.max(deadline, System.nanoTime() + FORCED_CLOSE_WAIT.toNanos()));
        if (inFlight.get() > 0) {
            log.warn("transport {} closes with {} adoptions or listens still in flight", name, inFlight.get());
        }
        awaitLoops(tracker::isEmpty, deadline);
        if (!tracker.isEmpty()) {
            closeLeftOpen();
            awaitLoops(tracker::isEmpty, System.nanoTime() + FORCED_CLOSE_WAIT.toNanos());
        }
        stopLoops(LOOP_STOP_WAIT);
    }
}
