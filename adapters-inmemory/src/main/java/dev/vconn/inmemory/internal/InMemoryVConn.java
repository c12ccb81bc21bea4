package dev.vconn.inmemory.internal;

import dev.vconn.domain.AbstractVConn;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VConn over a non-blocking {@link SocketChannel} of the in-memory network: the transport primitives of
 * {@link AbstractVConn}, nothing more (every VIO rule is the core's).
 *
 * <p>Reads go straight into the read buffer's writable block ({@code writableBuffer()} then {@code fill(n)}), writes
 * gather the write reader's blocks ({@code readableBuffers} then {@code consume(n)}), reusing one array: no
 * allocation per transfer. The channel's readiness listener calls {@link #inputReady()} and {@link #outputReady()}
 * when bytes, room, end of stream or a reset arrive; each schedules a (coalesced) pass. An abort closes the channel
 * with {@code SO_LINGER} 0, so the peer sees a reset. The VConn owns the channel: closing it closes the channel.
 */
public final class InMemoryVConn extends AbstractVConn {
    private static final Logger log = LoggerFactory.getLogger(InMemoryVConn.class);
    private static final int GATHER = 16;

    private final SocketChannel channel;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final Consumer<? super InMemoryVConn> onClosed;
    private final ByteBuffer[] gather = new ByteBuffer[GATHER];
    private final ByteBuffer[] scatter = new ByteBuffer[1];

    /**
     * A VConn owning {@code channel}, which must be connected and non-blocking.
     *
     * @param loop     the loop it is pinned to
     * @param channel  the channel it owns
     * @param onClosed runs on the loop once the VConn's close was processed and the channel closed
     * @throws IOException if the channel's addresses cannot be read (it is closed)
     */
    public InMemoryVConn(EventLoop loop, SocketChannel channel, Consumer<? super InMemoryVConn> onClosed)
            throws IOException {
        super(loop);
        this.channel = Objects.requireNonNull(channel, "channel");
        this.onClosed = Objects.requireNonNull(onClosed, "onClosed");
        this.local = channel.getLocalAddress();
        this.remote = channel.getRemoteAddress();
    }

    /** Readiness input (any thread): bytes, end of stream, a reset or an error arrived. */
    public void inputReady() {
        onReadable();
    }

    /** Readiness input (any thread): room was freed, or the output broke. */
    public void outputReady() {
        onWritable();
    }

    @Override
    protected long transportRead(IOBuffer dst, long max) throws IOException {
        ByteBuffer view = dst.writableBuffer();
        int want = (int) Math.min(view.remaining(), max);
        view.limit(view.position() + want);
        scatter[0] = view;
        long n;
        try {
            n = channel.read(scatter, 0, 1);
        } finally {
            scatter[0] = null;
        }
        if (n > 0) {
            dst.fill(n);
        }
        return n;
    }

    @Override
    protected long transportWrite(IOBufferReader src, long max) throws IOException {
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
    protected void transportShutdown(boolean read, boolean write) {
        try {
            if (read) {
                channel.shutdownInput();
            }
            if (write) {
                channel.shutdownOutput();
            }
        } catch (IOException e) {
            log.debug("shutting down {} failed", this, e);
        }
    }

    @Override
    protected void transportClose(VConnError abortError) {
        try {
            if (abortError != null && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0); // close with a reset
            }
            channel.close();
        } catch (IOException e) {
            log.debug("closing the channel of {} failed", this, e);
        } finally {
            onClosed.accept(this);
        }
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
        return "InMemoryVConn[" + local + " -> " + remote + ", " + closeState()
                + (isReadShutdown() ? ", read shut" : "") + (isWriteShutdown() ? ", write shut" : "") + "]";
    }
}
