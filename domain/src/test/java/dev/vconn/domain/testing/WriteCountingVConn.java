package dev.vconn.domain.testing;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A VConn that passes everything to another one and records how many bytes each write transfer of it moved: the
 * core delivers one WRITE_READY after every transfer that made progress, so each rise of the write VIO's
 * {@code ndone} seen at a WRITE_READY is one transfer (one {@code writev} on a socket). For tests that count how
 * many writes a sequence of bytes takes.
 */
public final class WriteCountingVConn implements VConn {
    private final VConn delegate;
    private final List<Long> transfers = new CopyOnWriteArrayList<>();
    private long seen;

    public WriteCountingVConn(VConn delegate) {
        this.delegate = delegate;
    }

    /** The bytes each write transfer moved, in order. */
    public List<Long> transfers() {
        return List.copyOf(transfers);
    }

    /** Forgets the transfers so far (e.g. the handshake's). */
    public void clearTransfers() {
        transfers.clear();
    }

    @Override
    public ReadVio read(Continuation continuation, long nbytes, IOBuffer buffer) {
        return delegate.read(continuation, nbytes, buffer);
    }

    @Override
    public WriteVio write(Continuation continuation, long nbytes, IOBufferReader reader) {
        seen = 0;
        Continuation counting = Continuation.sharingLockWith(continuation, (event, data) -> {
            if (event == Event.WRITE_READY || event == Event.WRITE_COMPLETE) {
                long ndone = ((WriteVio) data).ndone();
                if (ndone > seen) {
                    transfers.add(ndone - seen);
                    seen = ndone;
                }
            }
            continuation.handler().handle(event, data);
        });
        return delegate.write(counting, nbytes, reader);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void abort(int errno, Throwable cause) {
        delegate.abort(errno, cause);
    }

    @Override
    public void shutdown(ShutdownHow how) {
        delegate.shutdown(how);
    }

    @Override
    public CloseState closeState() {
        return delegate.closeState();
    }

    @Override
    public boolean isReadShutdown() {
        return delegate.isReadShutdown();
    }

    @Override
    public boolean isWriteShutdown() {
        return delegate.isWriteShutdown();
    }

    @Override
    public VConnError error() {
        return delegate.error();
    }

    @Override
    public ReadVio readVio() {
        return delegate.readVio();
    }

    @Override
    public WriteVio writeVio() {
        return delegate.writeVio();
    }

    @Override
    public EventLoop eventLoop() {
        return delegate.eventLoop();
    }

    @Override
    public SocketAddress localAddress() {
        return delegate.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return delegate.remoteAddress();
    }

    @Override
    public void setInactivityTimeout(Duration timeout) {
        delegate.setInactivityTimeout(timeout);
    }

    @Override
    public void cancelInactivityTimeout() {
        delegate.cancelInactivityTimeout();
    }

    @Override
    public void setActiveTimeout(Duration timeout) {
        delegate.setActiveTimeout(timeout);
    }

    @Override
    public void cancelActiveTimeout() {
        delegate.cancelActiveTimeout();
    }

    @Override
    public String toString() {
        return "WriteCountingVConn[" + delegate + "]";
    }
}
