package dev.vconn.nio.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.NetConnector;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Non-blocking connects on the transport's loops: NET_CONNECT after {@code finishConnect} succeeds,
 * NET_CONNECT_FAILED with the cause on refusal or timeout; exactly one of them, never inside the call.
 */
public final class NioNetConnector implements NetConnector {
    private final NioTransportCore core;

    /** A connector for the transport behind {@code core}. */
    public NioNetConnector(NioTransportCore core) {
        this.core = core;
    }

    @Override
    public ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout) {
        Objects.requireNonNull(continuation, "continuation");
        Objects.requireNonNull(remote, "remote");
        if (!core.isOpen()) {
            throw new IllegalStateException("NetConnector.connect on a closed nio transport");
        }
        Attempt attempt = new Attempt(core.nextLoop(), continuation, remote, timeout);
        attempt.loop.execute(attempt::start);
        return attempt;
    }

    private final class Attempt implements NioEventLoop.Handler, ScheduledAction {
        private static final int PENDING = 0;
        private static final int DONE = 1;
        private static final int CANCELLED = 2;

        final NioEventLoop loop;
        final Continuation continuation;
        final SocketAddress remote;
        final Duration timeout;
        final AtomicInteger state = new AtomicInteger(PENDING);
        SocketChannel channel;
        SelectionKey key;
        ScheduledAction timer;
        volatile ScheduledAction delivery;
        volatile NioSocketVConn vconn;

        Attempt(NioEventLoop loop, Continuation continuation, SocketAddress remote, Duration timeout) {
            this.loop = loop;
            this.continuation = continuation;
            this.remote = remote;
            this.timeout = timeout;
        }

        void start() {
            if (state.get() != PENDING) {
                return;
            }
            try {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                core.applyOptions(channel);
                if (channel.connect(remote)) {
                    key = loop.register(channel, 0, this);
                    succeed();
                } else {
                    key = loop.register(channel, SelectionKey.OP_CONNECT, this);
                    timer = loop.schedule(this::timedOut, timeout);
                }
            } catch (IOException | RuntimeException e) {
                fail(e instanceof IOException io ? VConnError.from(io, Errno.ECONNREFUSED)
                        : new VConnError(Errno.EIO, String.valueOf(e.getMessage()), e));
            }
        }

        @Override
        public void ready(int readyOps) {
            if ((readyOps & SelectionKey.OP_CONNECT) == 0 || state.get() != PENDING) {
                return;
            }
            try {
                if (channel.finishConnect()) {
                    succeed();
                }
            } catch (IOException e) {
                fail(VConnError.from(e, Errno.ECONNREFUSED));
            }
        }

        private void timedOut() {
            if (state.get() == PENDING) {
                fail(VConnError.of(Errno.ETIMEDOUT, "connect to " + remote + " timed out after " + timeout));
            }
        }

        private void succeed() throws IOException {
            if (!state.compareAndSet(PENDING, DONE)) {
                return;
            }
            cancelTimer();
            NioSocketVConn vc = new NioSocketVConn(loop, channel, core.tracker());
            vc.attach(key);
            vconn = vc;
            delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT, vc);
        }

        private void fail(VConnError error) {
            if (!state.compareAndSet(PENDING, DONE)) {
                return;
            }
            cancelTimer();
            closeChannel();
            delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT_FAILED, error);
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel();
            }
        }

        private void closeChannel() {
            if (key != null) {
                key.cancel();
            }
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }

        @Override
        public boolean cancel() {
            if (state.compareAndSet(PENDING, CANCELLED)) {
                loop.execute(() -> {
                    cancelTimer();
                    closeChannel();
                });
                return true;
            }
            ScheduledAction d = delivery;
            if (d != null && d.cancel()) {
                NioSocketVConn vc = vconn;
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
}
