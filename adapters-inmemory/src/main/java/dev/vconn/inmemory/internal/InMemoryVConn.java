package dev.vconn.inmemory.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.spi.SocketChannelVConn;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A VConn over a non-blocking {@link SocketChannel} of the in-memory network. Byte movement, shutdown and abort
 * are {@link SocketChannelVConn}'s (every VIO rule is the core's); this class only wires readiness: the channel's
 * readiness listener calls {@link #inputReady()} and {@link #outputReady()} when bytes, room, end of stream or a
 * reset arrive, and each schedules a (coalesced) pass. The VConn owns the channel: closing it closes the channel.
 */
public final class InMemoryVConn extends SocketChannelVConn {
    private final Consumer<? super InMemoryVConn> onClosed;
    private final BooleanSupplier readable;

    /**
     * A VConn owning {@code channel}, which must be connected and non-blocking.
     *
     * @param loop     the loop it is pinned to
     * @param channel  the channel it owns
     * @param readable whether a read would not return 0 now (bytes, end of stream, reset, or a closed channel)
     * @param onClosed runs on the loop once the VConn's close was processed and the channel closed
     * @throws IOException if the channel's addresses cannot be read (it is closed)
     */
    public InMemoryVConn(EventLoop loop, SocketChannel channel, BooleanSupplier readable,
            Consumer<? super InMemoryVConn> onClosed) throws IOException {
        super(loop, channel);
        this.readable = Objects.requireNonNull(readable, "readable");
        this.onClosed = Objects.requireNonNull(onClosed, "onClosed");
    }

    /** Readiness input (any thread): bytes, end of stream, a reset or an error arrived. */
    public void inputReady() {
        onSocketReadable();
    }

    /** The in-memory channel knows whether a read would find something: no guessing from past signals. */
    @Override
    protected boolean inputMayBeAvailable() {
        return readable.getAsBoolean();
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
