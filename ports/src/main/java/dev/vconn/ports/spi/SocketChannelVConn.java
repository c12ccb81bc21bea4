package dev.vconn.ports.spi;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.spi.AbstractVConn;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport primitives of a VConn that owns a non-blocking {@link SocketChannel}, shared by every transport
 * whose sockets are {@code SocketChannel}s (java.nio, in-memory): reads go straight into the reader's pooled blocks
 * ({@code writableBuffer}/{@code fill}, or one scattering read over several blocks when the reader's read-ahead is
 * more than one block and the last read filled all its room), never more than the core allows; writes gather the
 * writer's blocks into one {@code write(ByteBuffer[])} and consume what the channel took; an abort closes with
 * {@code SO_LINGER} 0 so the peer sees a reset. Nothing is allocated per transfer. Subclasses add readiness: when to call
 * {@link #onReadable()} and {@link #onWritable()}, and what read/write interest means.
 */
public abstract class SocketChannelVConn extends AbstractVConn {
    private static final Logger log = LoggerFactory.getLogger(SocketChannelVConn.class);
    private static final int MAX_GATHER = 64;
    /** Blocks one read may fill. */
    private static final int MAX_SCATTER = 8;

    private final SocketChannel channel;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    private final ByteBuffer[] scatter = new ByteBuffer[MAX_SCATTER];
    /** The socket said it is readable and no read has drained it (found it empty, or took less than its room) since. */
    private volatile boolean readinessReported;
    /**
     * The last read filled all the room it had (bytes arrive faster than they are read: bulk), or no read was made
     * yet. Only then may a read scatter over more blocks than the write block; loop thread only.
     */
    private boolean lastReadFilledItsRoom = true;

    /**
     * A VConn that owns {@code channel}, which must be connected and non-blocking.
     *
     * @throws IOException if the channel's addresses cannot be read (it is closed)
     */
    protected SocketChannelVConn(EventLoop loop, SocketChannel channel) throws IOException {
        super(loop);
        this.channel = Objects.requireNonNull(channel, "channel");
        this.local = channel.getLocalAddress();
        this.remote = channel.getRemoteAddress();
    }

    /** The channel this VConn owns. */
    public final SocketChannel channel() {
        return channel;
    }

    /**
     * Input: the socket is readable (a selector's {@code OP_READ}, or the in-memory pipe's signal). Adapters call
     * this instead of {@link #onReadable()}.
     */
    protected final void onSocketReadable() {
        readinessReported = true;
        onReadable();
    }

    /**
     * Input from the loop's own I/O dispatch (a selector's ready key, with no lock held and no user code running):
     * the socket is readable if {@code readable}, and/or writable. Runs the pass at once when no pass is running on the
     * loop ({@link #onIoReady()}); otherwise it is {@link #onSocketReadable()} or {@link #onWritable()}.
     */
    protected final void onSocketReady(boolean readable) {
        if (readable) {
            readinessReported = true;
        }
        onIoReady();
    }

    /**
     * Whether a read might find bytes (or the end of the stream); no read is made while it is false. By default:
     * readiness was reported since the last read that drained the socket (found nothing, or took less than its room).
     * An adapter whose channel can tell for certain overrides this.
     *
     * @return false if a read would find nothing until the next readiness report
     */
    protected boolean inputMayBeAvailable() {
        return readinessReported;
    }

    @Override
    protected final long transportRead(IOBuffer dst, long max) throws IOException {
        if (!inputMayBeAvailable()) {
            // Only reads the readiness report allows: a read the selector did not report finds nothing (EAGAIN) and
            // costs a system call, and taking a fresh block to find nothing would pin it to an idle connection (32 KiB
            // each). Selection is level-triggered, so bytes already waiting are reported at the next poll.
            return 0;
        }
        ByteBuffer target = dst.writableBuffer();
        long room;
        long n;
        if (target.remaining() >= max || max <= dst.blockSize() || !lastReadFilledItsRoom) {
            // Within one block's worth of read-ahead (the default), or after a read that drained the socket (small
            // messages, such as request and response heads read with a head-sized read-ahead): the rest of the write
            // block. A scattering read would take a block, and a view of it, only to give it back unused.
            room = Math.min(target.remaining(), max);
            int limit = target.limit();
            target.limit(target.position() + (int) room);
            try {
                n = channel.read(target);
            } finally {
                target.limit(limit);
            }
            if (n > 0) {
                dst.fill(n);
            }
        } else {
            // A read-ahead of more than a block (a water mark above the block size): one scattering read over the
            // write block and the blocks after it, instead of one read per block (docs/nio-adapter.md, "No copies,
            // no allocation per transfer").
            int count = dst.writableBuffers(scatter, max);
            room = 0;
            for (int i = 0; i < count; i++) {
                room += scatter[i].remaining();
            }
            try {
                n = channel.read(scatter, 0, count);
            } finally {
                Arrays.fill(scatter, 0, count, null); // the views belong to the buffer: keep no reference
            }
            dst.fillBuffers(Math.max(n, 0)); // also gives back the blocks the read did not reach
        }
        lastReadFilledItsRoom = n >= room;
        if (n >= 0 && n < room) {
            // A read that did not fill the room it had drained the socket's queue: the next one would find nothing
            // until the selector reports more (docs/nio-adapter.md, "No copies, no allocation per transfer").
            readinessReported = false;
        }
        return n;
    }

    @Override
    protected final long transportWrite(IOBufferReader src, long max) throws IOException {
        int count = src.readableBuffers(gather, max);
        long n;
        try {
            n = channel.write(gather, 0, count);
        } finally {
            Arrays.fill(gather, 0, count, null); // the views belong to the buffer: keep no reference
        }
        if (n > 0) {
            src.consume(n);
        }
        return n;
    }

    @Override
    protected final void transportShutdown(boolean read, boolean write) {
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

    /** Closes the channel (with a reset for an abort); subclasses release their registration around it. */
    @Override
    protected void transportClose(VConnError abortError) {
        try {
            if (abortError != null && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0); // the peer sees a reset
            }
        } catch (IOException e) {
            log.debug("could not set SO_LINGER on {}", this, e);
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {} failed", this, e);
        }
    }

    @Override
    public final SocketAddress localAddress() {
        return local;
    }

    @Override
    public final SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + local + " -> " + remote + ", " + closeState()
                + (isReadShutdown() ? ", read shut" : "") + (isWriteShutdown() ? ", write shut" : "") + "]";
    }
}
