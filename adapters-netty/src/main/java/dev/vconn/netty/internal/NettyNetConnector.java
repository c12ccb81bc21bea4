package dev.vconn.netty.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.NetConnector;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Non-blocking connects on the transport's primary loops through a Netty {@link Bootstrap}: NET_CONNECT once the
 * channel is connected, NET_CONNECT_FAILED with the cause on refusal or timeout (Netty's connect timeout, set to
 * the requested one); exactly one of them, never inside the call.
 */
public final class NettyNetConnector implements NetConnector {
    private final NettyTransportCore core;

    /** A connector for the transport behind {@code core}. */
    public NettyNetConnector(NettyTransportCore core) {
        this.core = core;
    }

    @Override
    public ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout) {
        Objects.requireNonNull(continuation, "continuation");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(timeout, "timeout");
        if (!core.isOpen()) {
            throw new IllegalStateException("NetConnector.connect on a closed netty transport");
        }
        Attempt attempt = new Attempt(core.nextLoop(), continuation, remote, timeout);
        attempt.loop.execute(attempt::start);
        return attempt;
    }

    /** Maps a connect failure to an errno-like error (a timeout is a ConnectException too, so check it first). */
    static VConnError connectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return new VConnError(Errno.ETIMEDOUT, String.valueOf(cause.getMessage()), cause);
        }
        String msg = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (msg.contains("unreachable") || msg.contains("no route")) {
            return new VConnError(Errno.EHOSTUNREACH, String.valueOf(cause.getMessage()), cause);
        }
        if (cause instanceof IOException io) {
            return VConnError.from(io, Errno.ECONNREFUSED);
        }
        return new VConnError(Errno.EIO, String.valueOf(cause), cause);
    }

    private final class Attempt implements ScheduledAction {
        private static final int PENDING = 0;
        private static final int DONE = 1;
        private static final int CANCELLED = 2;

        final NettyEventLoop loop;
        final Continuation continuation;
        final SocketAddress remote;
        final Duration timeout;
        final AtomicInteger state = new AtomicInteger(PENDING);
        volatile Channel channel;
        volatile ScheduledAction delivery;
        volatile ChannelVConn vconn;

        Attempt(NettyEventLoop loop, Continuation continuation, SocketAddress remote, Duration timeout) {
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
                Bootstrap bootstrap = new Bootstrap()
                        .group(loop.netty())
                        .channel(core.socketChannelClass())
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                                (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())))
                        .option(ChannelOption.TCP_NODELAY, core.tcpNoDelay())
                        .option(ChannelOption.SO_KEEPALIVE, core.keepAlive())
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                // the VConn adds its handler once connected
                            }
                        });
                ChannelFuture connecting = bootstrap.connect(remote);
                channel = connecting.channel();
                connecting.addListener(f -> finished(connecting));
            } catch (RuntimeException e) {
                fail(new VConnError(Errno.EIO, String.valueOf(e.getMessage()), e));
            }
        }

        private void finished(ChannelFuture connecting) {
            if (!connecting.isSuccess()) {
                connecting.channel().close();
                fail(connectFailure(connecting.cause()));
                return;
            }
            if (!state.compareAndSet(PENDING, DONE)) {
                connecting.channel().close(); // cancelled meanwhile
                return;
            }
            ChannelVConn vc = core.newVConn(loop, connecting.channel(), null);
            vc.attach();
            vconn = vc;
            delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT, vc);
        }

        private void fail(VConnError error) {
            if (state.compareAndSet(PENDING, DONE)) {
                delivery = ContinuationScheduler.dispatch(loop, continuation, Event.NET_CONNECT_FAILED, error);
            }
        }

        @Override
        public boolean cancel() {
            if (state.compareAndSet(PENDING, CANCELLED)) {
                loop.execute(() -> {
                    Channel ch = channel;
                    if (ch != null) {
                        ch.close();
                    }
                });
                return true;
            }
            ScheduledAction d = delivery;
            if (d != null && d.cancel()) {
                ChannelVConn vc = vconn;
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
