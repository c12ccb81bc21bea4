package dev.vconn.domain.pair;

import dev.vconn.domain.Errno;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.spi.AbstractVConn;
import java.net.SocketAddress;

/**
 * One end of a {@link VConnPair}. Its transport is the peer: writing pushes bytes straight into the peer's read
 * buffer (so the writer's event always comes before the reader's, Traffic Server statement 17); reading only wakes the
 * peer's writer, since bytes arrive by push.
 */
final class PairEnd extends AbstractVConn {
    /** What the peer's error() says after a normal close: one immutable value for every pair. */
    private static final VConnError PEER_CLOSED = VConnError.of(Errno.EPIPE, "the peer closed");

    private final VConnPair pair;
    private final boolean activeEnd;
    private PairEnd peer;

    PairEnd(EventLoop loop, VConnPair pair, boolean activeEnd) {
        super(loop);
        this.pair = pair;
        this.activeEnd = activeEnd;
    }

    VConnPair pair() {
        return pair;
    }

    void connect(PairEnd peer) {
        this.peer = peer;
    }

    /** The core's write side waits for room at the peer (loop-confined, like all pair state). */
    private boolean writerBlocked;

    @Override
    protected long transportRead(IOBuffer dst, long max) {
        if (peer.writerBlocked) {
            // Space here, and the peer's writer is waiting for it: wake only a writer that is really blocked, so
            // an idle full-duplex pair goes quiet instead of waking itself forever.
            peer.writerBlocked = false;
            peer.onWritable();
        }
        return 0;
    }

    @Override
    protected void writeInterest(boolean wanted) {
        writerBlocked = wanted;
    }

    @Override
    protected long transportWrite(IOBufferReader src, long max) {
        return peer.acceptPushed(src, max);
    }

    @Override
    protected long defaultReadWaterMark() {
        return pair.waterMark();
    }

    @Override
    protected void transportShutdown(boolean read, boolean write) {
        if (write) {
            peer.onEndOfStream();
        }
        if (read) {
            peer.onPeerReadShutdown(VConnError.of(Errno.EPIPE, "the peer shut down its read side"));
        }
    }

    @Override
    protected void transportClose(VConnError abortError) {
        VConnError reason = abortError == null
                ? PEER_CLOSED
                : new VConnError(abortError.errno(), "the peer aborted", abortError.cause());
        peer.onPeerClosed(reason);
        pair.endClosed();
    }

    @Override
    public SocketAddress localAddress() {
        return activeEnd ? pair.clientAddress() : null;
    }

    @Override
    public SocketAddress remoteAddress() {
        return activeEnd ? null : pair.clientAddress();
    }

    @Override
    public String toString() {
        return (activeEnd ? "active" : "passive") + " end of " + pair + " " + super.toString();
    }
}
