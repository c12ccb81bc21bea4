package dev.vconn.ports.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One outbound connect of a {@link dev.vconn.ports.NetConnector}, the state machine every transport shares: exactly
 * one of NET_CONNECT (with the new VConn) and NET_CONNECT_FAILED (with a {@link VConnError}) is delivered, on the
 * attempt's loop, under the continuation's lock and never inside {@code connect}; none at all once cancelled. The
 * timeout runs on the loop's clock and fails the attempt with ETIMEDOUT.
 *
 * <p>A transport supplies only how to connect: {@link #open()} starts the connect on the loop and later reports
 * {@link #connected(VConn)} or {@link #failed(VConnError)} (also on the loop); {@link #abandon()} releases what
 * {@code open} made when the attempt fails, times out or is cancelled. Everything but {@link #cancel()} runs on the
 * loop.
 *
 * @param <L> the kind of loop the transport runs
 */
public abstract class ConnectAttempt<L extends EventLoop> implements ScheduledAction {
    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int CANCELLED = 2;

    private final L loop;
    private final Continuation continuation;
    private final SocketAddress remote;
    private final Duration timeout;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private ScheduledAction timer;
    private volatile ScheduledAction delivery;
    private volatile VConn vconn;

    /** An attempt to connect to {@code remote} on {@code loop}, failing after {@code timeout}. */
    protected ConnectAttempt(L loop, Continuation continuation, SocketAddress remote, Duration timeout) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.continuation = Objects.requireNonNull(continuation, "continuation");
        this.remote = Objects.requireNonNull(remote, "remote");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The loop this attempt runs on, and its VConn is pinned to. */
    protected final L loop() {
        return loop;
    }

    /** Where this attempt connects to. */
    protected final SocketAddress remote() {
        return remote;
    }

    /** How long this attempt may take. */
    protected final Duration timeout() {
        return timeout;
    }

    /**
     * Starts connecting, on the loop. Reports by {@link #connected} or {@link #failed}, within this call or later
     * (on the loop); a {@link RuntimeException} thrown here fails the attempt with EIO.
     */
    protected abstract void open();

    /**
     * Releases whatever {@link #open()} made that no VConn owns yet (a half-open socket). On the loop; called when
     * the attempt fails, times out or is cancelled, and must tolerate being called when nothing was made.
     */
    protected abstract void abandon();

    /** Posts the start to the loop; the caller returns at once. */
    final void start() {
        loop.execute(this::begin);
    }

    private void begin() {
        if (state.get() != PENDING) {
            return;
        }
        try {
            open();
        } catch (RuntimeException e) {
            failed(new VConnError(Errno.EIO, "cannot connect to " + remote + ": " + e, e));
        }
        if (state.get() == PENDING) {
            timer = loop.schedule(this::timedOut, timeout);
        }
    }

    /** Whether neither outcome was reported and the attempt was not cancelled: check before making a VConn. */
    protected final boolean isPending() {
        return state.get() == PENDING;
    }

    /**
     * The connection is made: delivers NET_CONNECT with {@code made}, unless the attempt was decided already
     * (cancelled meanwhile), in which case nobody owns {@code made} and it is closed.
     */
    protected final void connected(VConn made) {
        if (!state.compareAndSet(PENDING, DONE)) {
            made.close();
            return;
        }
        cancelTimer();
        vconn = made;
        delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT, made);
    }

    /** The connect failed: releases what was made and delivers NET_CONNECT_FAILED, unless decided already. */
    protected final void failed(VConnError error) {
        if (!state.compareAndSet(PENDING, DONE)) {
            return;
        }
        cancelTimer();
        abandon();
        delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT_FAILED, error);
    }

    private void timedOut() {
        failed(VConnError.of(Errno.ETIMEDOUT, "connect to " + remote + " timed out after " + timeout));
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    /**
     * Cancels the attempt if no outcome was decided yet (the half-open socket is released on the loop), or the
     * delivery of NET_CONNECT if it has not started (the connection, which the caller never received, is closed).
     *
     * @return whether the continuation will now get no event from this attempt
     */
    @Override
    public boolean cancel() {
        if (state.compareAndSet(PENDING, CANCELLED)) {
            loop.execute(() -> {
                cancelTimer();
                abandon();
            });
            return true;
        }
        ScheduledAction d = delivery;
        if (d != null && d.cancel()) {
            VConn vc = vconn;
            if (vc != null) {
                vc.close(); // the caller abandoned a connection it never received
            }
            return true;
        }
        return false;
    }

    @Override
    public boolean isCancelled() {
        ScheduledAction d = delivery;
        return state.get() == CANCELLED || (d != null && d.isCancelled());
    }
}
