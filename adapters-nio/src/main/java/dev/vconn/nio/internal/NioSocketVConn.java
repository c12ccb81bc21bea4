package dev.vconn.nio.internal;

import dev.vconn.domain.VConnError;
import dev.vconn.ports.spi.OpenResourceTracker;
import dev.vconn.ports.spi.SocketChannelVConn;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A socket VConn on a selector loop. Byte movement, shutdown and abort are {@link SocketChannelVConn}'s (reads
 * straight into pooled direct blocks, gather writes); this class maps the core's demand onto interest operations,
 * so a full reader buffer means no read interest and an empty writer means no write interest.
 */
public final class NioSocketVConn extends SocketChannelVConn implements NioEventLoop.Handler {
    private final NioEventLoop loop;
    private final OpenResourceTracker tracker;
    private SelectionKey key;
    private int interestOps;
    private boolean counted; // in loop.liveSockets(): from register/attach until transportClose

    /** A VConn over a connected, non-blocking channel; call {@link #register()} or {@link #attach} next. */
    public NioSocketVConn(NioEventLoop loop, SocketChannel channel, OpenResourceTracker tracker) throws IOException {
        super(loop, channel);
        this.loop = loop;
        this.tracker = tracker;
    }

    /** Registers the channel with the loop's selector, with no interest until a VIO wants it. */
    public void register() throws ClosedChannelException {
        key = loop.register(channel(), 0, this);
        opened();
    }

    /** Takes over a key the channel already has on this loop (after a non-blocking connect). */
    public void attach(SelectionKey existing) {
        existing.attach(this);
        existing.interestOps(0);
        key = existing;
        opened();
    }

    private void opened() {
        counted = true;
        loop.socketOpened();
        tracker.opened(this, describe());
    }

    private String describe() {
        return "socket " + localAddress() + " -> " + remoteAddress();
    }

    /**
     * Called by the loop's select with the key's ready operations: one pass handles both directions, run at once
     * rather than queued (docs/threading.md, Passes; the loop's select runs ready handlers with no lock held).
     */
    @Override
    public void ready(int readyOps) {
        if ((readyOps & (SelectionKey.OP_READ | SelectionKey.OP_WRITE)) != 0) {
            onSocketReady((readyOps & SelectionKey.OP_READ) != 0);
        }
    }

    @Override
    protected void readInterest(boolean wanted) {
        setInterest(SelectionKey.OP_READ, wanted);
    }

    @Override
    protected void writeInterest(boolean wanted) {
        setInterest(SelectionKey.OP_WRITE, wanted);
    }

    private void setInterest(int op, boolean wanted) {
        int ops = wanted ? interestOps | op : interestOps & ~op;
        if (ops != interestOps && key != null && key.isValid()) {
            interestOps = ops;
            key.interestOps(ops);
        }
    }

    @Override
    protected void transportClose(VConnError abortError) {
        if (key != null) {
            key.cancel();
        }
        try {
            super.transportClose(abortError);
        } finally {
            if (counted) {
                counted = false;
                loop.socketClosed();
            }
            tracker.closed(this);
        }
    }
}
