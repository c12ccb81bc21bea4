package dev.vconn.nio.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.spi.ConnectAttempt;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A non-blocking connect on a selector loop: the connect is made when {@code connect} or {@code finishConnect}
 * says so; a refusal fails it with the socket's error. Timeout, cancel and the one event are {@link ConnectAttempt}'s.
 */
public final class NioConnectAttempt extends ConnectAttempt<NioEventLoop> implements NioEventLoop.Handler {
    private final NioTransportCore core;
    private SocketChannel channel;
    private SelectionKey key;

    /** An attempt on {@code loop}, one of {@code core}'s. */
    public NioConnectAttempt(NioTransportCore core, NioEventLoop loop, Continuation continuation,
            SocketAddress remote, Duration timeout) {
        super(loop, continuation, remote, timeout);
        this.core = core;
    }

    @Override
    protected void open() {
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            core.applyOptions(channel);
            if (channel.connect(remote())) {
                key = loop().register(channel, 0, this);
                succeed();
            } else {
                key = loop().register(channel, SelectionKey.OP_CONNECT, this);
            }
        } catch (IOException e) {
            failed(VConnError.from(e, Errno.ECONNREFUSED));
        }
    }

    @Override
    public void ready(int readyOps) {
        if ((readyOps & SelectionKey.OP_CONNECT) == 0 || !isPending()) {
            return;
        }
        try {
            if (channel.finishConnect()) {
                succeed();
            }
        } catch (IOException e) {
            failed(VConnError.from(e, Errno.ECONNREFUSED));
        }
    }

    private void succeed() throws IOException {
        NioSocketVConn vconn = new NioSocketVConn(loop(), channel, core.tracker());
        vconn.attach(key);
        connected(vconn);
    }

    @Override
    protected void abandon() {
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
}
