package dev.vconn.inmemory.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.spi.SocketChannelVConn;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A VConn over a non-blocking {@link SocketChannel} of the in-memory network. Byte movement, shutdown and abort
 * are {@link SocketChannelVConn}'s (every VIO rule is the core's); this class only wires readiness: the channel's
 * readiness listener calls {@link #inputReady()} and {@link #outputReady()} when bytes, room, end of stream or a
 * reset arrive, and each schedules a (coalesced) pass. The VConn owns the channel: closing it closes the channel.
 */
public final class InMemoryVConn extends SocketChannelVConn {
    private final Consumer<? super InMemoryVConn> onClosed;

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
        super(loop, channel);
        this.onClosed = Objects.requireNonNull(onClosed, "onClosed");
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
    protected void transportClose(VConnError abortError) {
        try {
            super.transportClose(abortError);
        } finally {
            onClosed.accept(this);
        }
    }
}
