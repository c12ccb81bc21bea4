package dev.vconn.nio.internal;

import dev.vconn.domain.AbstractVConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.spi.OpenResourceTracker;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VConn over a non-blocking {@link SocketChannel}, driven by the domain's shared VIO core. Reads go straight
 * into the reader's pooled direct block ({@code writableBuffer}/{@code fill}); writes gather the reader's blocks
 * into one {@code write(ByteBuffer[])}; interest operations follow the core's demand, so a full reader buffer
 * means no read interest and an empty writer means no write interest.
 */
public final class NioSocketVConn extends AbstractVConn implements NioEventLoop.Handler {
    private static final Logger log = LoggerFactory.getLogger(NioSocketVConn.class);
    private static final int MAX_GATHER = 64;

    private final NioEventLoop loop;
    private final SocketChannel channel;
    private final OpenResourceTracker tracker;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    private SelectionKey key;
    private int interestOps;

    /** A VConn over a connected, non-blocking channel; call {@link #register()} or {@link #attach} next. */
    public NioSocketVConn(NioEventLoop loop, SocketChannel channel, OpenResourceTracker tracker) throws IOException {
        super(loop);
        this.loop = loop;
        this.channel = channel;
        this.tracker = tracker;
        this.local = channel.getLocalAddress();
        this.remote = channel.getRemoteAddress();
    }

    /** Registers the channel with the loop's selector, with no interest until a VIO wants it. */
    public void register() throws ClosedChannelException {
        key = loop.register(channel, 0, this);
        tracker.opened(this, describe());
    }

    /** Takes over a key the channel already has on this loop (after a non-blocking connect). */
    public void attach(SelectionKey existing) {
        existing.attach(this);
        existing.interestOps(0);
        key = existing;
        tracker.opened(this, describe());
    }

    private String describe() {
        return "socket " + local + " -> " + remote;
    }

    @Override
    public void ready(int readyOps) {
        if ((readyOps & SelectionKey.OP_READ) != 0) {
            onReadable();
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            onWritable();
        }
    }

    @Override
    protected long transportRead(IOBuffer dst, long max) throws IOException {
        ByteBuffer target = dst.writableBuffer();
        int allowed = (int) Math.min(target.remaining(), max);
        int limit = target.limit();
        target.limit(target.position() + allowed);
        int n;
        try {
            n = channel.read(target);
        } finally {
            target.limit(limit);
        }
        if (n > 0) {
            dst.fill(n);
        }
        return n;
    }

    @Override
    protected long transportWrite(IOBufferReader src, long max) throws IOException {
        int count = src.readableBuffers(gather, max);
        long n = channel.write(gather, 0, count);
        if (n > 0) {
            src.consume(n);
        }
        return n;
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
    protected void transportShutdown(boolean read, boolean write) {
        try {
            if (read) {
                channel.shutdownInput();
            }
            if (write) {
                channel.shutdownOutput();
            }
        } catch (IOException e) {
            log.debug("shutdown of {} failed", this, e);
        }
    }

    @Override
    protected void transportClose(VConnError abortError) {
        try {
            if (abortError != null && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0); // abort resets the connection
            }
        } catch (IOException e) {
            log.debug("could not set SO_LINGER on {}", this, e);
        }
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed", this, e);
        } finally {
            tracker.closed(this);
        }
    }

    /** The channel this VConn owns. */
    public SocketChannel channel() {
        return channel;
    }

    @Override
    public SocketAddress localAddress() {
        return local;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String toString() {
        return "NioSocketVConn[" + local + " -> " + remote + ", " + closeState() + "]";
    }
}
