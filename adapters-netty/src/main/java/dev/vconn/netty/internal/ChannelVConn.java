package dev.vconn.netty.internal;

import dev.vconn.domain.Errno;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.BufferSizes;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.spi.AbstractVConn;
import dev.vconn.ports.spi.OpenResourceTracker;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.VoidChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.util.UncheckedBooleanSupplier;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VConn over a Netty stream channel, driven by the domain's shared VIO core ({@link AbstractVConn}); the VConn
 * is pinned to the channel's own event loop, so every primitive below runs on the channel's thread.
 *
 * <p><b>Reads.</b> {@code AUTO_READ} is off while nobody wants bytes. The core asks for bytes with
 * {@link #transportRead}; when none are staged it records the VIO's room as the <i>demand</i> and
 * {@link #readInterest(boolean) readInterest(true)} turns {@code AUTO_READ} on, which keeps the channel's read interest
 * (EPOLLIN, OP_READ) from one read to the next: it is turned off only when the core says the reader is full
 * ({@code readInterest(false)}), not after every read. Toggling it per read cost two {@code epoll_ctl} calls per read
 * (docs/netty-adapter.md). The channel's {@link RecvByteBufAllocator} is this VConn's own: it hands Netty a
 * {@link ByteBuf} that wraps the free space of a private staging {@link IOBuffer}'s pooled 128 KiB block, so the
 * socket read lands directly in a block of the transport's {@link BlockPool}; while the reader has room, the read loop
 * goes on until the demand plus 128 KiB is staged, so one {@code recv} and one loop round move up to 128 KiB and
 * 256 KiB where they moved one 32 KiB block; {@link #transportRead}
 * then appends those bytes to the reader's buffer <i>by block reference</i> (no copy) and never more than the core
 * allows. Netty may read without being asked (epoll reads on peer half-close until end of stream): such bytes stay
 * staged, bounded by what the kernel held, and are served within the VIO's bounds later. With a heap block pool
 * the socket cannot read into the blocks, so Netty's own direct buffer is copied once into the staging buffer.
 *
 * <p><b>Writes.</b> {@link #transportWrite} returns 0 while the channel is not writable (the core then waits for
 * {@code channelWritabilityChanged}) and otherwise takes at most {@code bytesBeforeUnwritable()} bytes: the in-flight
 * bytes stay within the channel's high water mark: at most {@value #MAX_HELD_BYTES} bytes (see the constant for why
 * not Netty's default 64 KiB). The taken bytes are appended by block reference to a private
 * outbound {@link IOBuffer} (so their storage outlives the caller's reader, whose blocks may return to the pool as
 * soon as they are consumed), wrapped as {@link ByteBuf}s over that storage (one message per block piece, one flush,
 * one promise per write), written and flushed; the outbound buffer lets go of them when Netty reports them written.
 * Pieces under 128 bytes are copied (the IOBuffer's rule).
 *
 * <p><b>Small transfers.</b> A write of at most {@value #SMALL_WRITE_MAX} bytes is copied into the loop's small write
 * buffer instead (one message, one promise, a shared listener only if Netty did not finish the write at once), and
 * the first read of a read loop
 * on a connection whose last read loop took at most {@value #SMALL_READ_SIZE} bytes lands in the loop's small read
 * buffer, whose bytes {@link #transportRead} copies out: a request-response connection takes no block of the block
 * pool and, while the loop's buffers come back free, no buffer of the allocator per transfer ({@link SmallBuffers};
 * docs/netty-adapter.md, Small reads and writes).
 */
public final class ChannelVConn extends AbstractVConn {
    private static final Logger log = LoggerFactory.getLogger(ChannelVConn.class);
    /** Read loops per {@code channel.read()} at most, while demand lasts. */
    private static final int MAX_READS_PER_LOOP = 16;
    private static final int MAX_GATHER = 64;
    private static final int OUT_SIZE_INDEX = 0;
    /**
     * Size index of the staging blocks for reads the core asked for: 128 KiB, so one {@code recv} takes up to 128 KiB
     * of what a bulk sender queued (with 64 KiB, the most Netty's own adaptive allocator reads at once, a stream took
     * 16 {@code recv} per MiB).
     */
    private static final int MAX_STAGING_INDEX = BufferSizes.DEFAULT_INDEX + 2;
    /**
     * How far beyond the demand Netty's read loop may go on reading while the reader has room (see
     * {@link #unmetDemand}). The reader gets those bytes within its VIO's bounds in the same pass (no socket read and
     * no event-loop round per 32 KiB), and no read happens at all once the reader is full ({@code readInterest(false)}).
     */
    private static final long READ_AHEAD = 128 * 1024;
    /**
     * The most bytes Netty holds for this VConn (taken by {@link #transportWrite}, not yet in the kernel), as a send
     * buffer of its own beside the kernel's; the channel's write water marks follow from it. A writer's backpressure
     * is its write VIO and its buffer (docs/semantics.md, rules 3.3 and 4.2), which every transport honours; this
     * bound only limits what a peer that does not read leaves in Netty. Netty's default mark, 64 KiB, cut the writes
     * of a writer with more queued into 64 KiB {@code writev}s; 256 KiB lets one {@code writev} carry what the nio
     * adapter's socket takes in one call on loopback. Netty turns a channel unwritable only above its high mark, and
     * {@code bytesBeforeUnwritable()} lets a write end one byte past it, so the mark is one byte below this bound.
     */
    static final int MAX_HELD_BYTES = 256 * 1024;
    private static final int WRITE_HIGH_WATER_MARK = MAX_HELD_BYTES - 1;
    /** Writable again once Netty holds less than this: the next write joins what is left in one {@code writev}. */
    private static final int WRITE_LOW_WATER_MARK = MAX_HELD_BYTES / 2;
    /**
     * Writes of at most this many bytes are copied into one buffer of the transport's small-buffer allocator instead
     * of being shared by block reference: for a small write the copy costs less than what sharing costs per write
     * (the outbound buffer's block windows and pool blocks, a wrapper per piece, a listener per write).
     */
    static final int SMALL_WRITE_MAX = 2048;
    /**
     * The size of a read made into a buffer of the small-buffer allocator (see {@link #smallReads}); what it takes is
     * copied into the reader's buffer.
     */
    static final int SMALL_READ_SIZE = 4096;

    private final NettyEventLoop loop;
    private final Channel channel;
    private final OpenResourceTracker tracker;
    private final Duration closeLinger;
    private final Runnable afterRelease;
    private final boolean directBlocks;
    private final SocketAddress local;
    private final SocketAddress remote;
    private final String description;
    private final ByteBuffer[] gather = new ByteBuffer[MAX_GATHER];
    private final BlockPool pool;
    /** The loop's buffers for small reads and writes (docs/netty-adapter.md, Small reads and writes). */
    private final SmallBuffers smallBuffers;
    /**
     * The listener of every copied write that Netty did not finish at once: it only reports a failure (nothing to let
     * go of in the outbound buffer). A write finished inside {@code writeAndFlush}, the common case, gets no listener.
     */
    private final ChannelFutureListener copiedWritten = f -> written(0, f);
    /** The promise of every piece of a write but its last, whose own promise reports the whole write. */
    private final ChannelPromise piecePromise;

    // Loop-confined state.
    private IOBuffer inBuf;
    private IOBufferReader inReader;
    private IOBuffer outBuf;
    private IOBufferReader outSent;
    private IOBufferReader outQueued;
    private ByteBuf pendingWrap;
    /** The small buffer Netty reads into now, if it does (see {@link #allocateRead}). */
    private ByteBuf pendingSmall;
    /** Bytes a small read staged, served before anything in {@code inBuf} (read after them); null when none. */
    private ByteBuf smallStaged;
    /**
     * Whether the next read loop starts with a small read: the last read loop took at most {@link #SMALL_READ_SIZE}
     * bytes (request-response traffic), so the next one probably will too.
     */
    private boolean smallReads = true;
    /** Bytes the current read loop has read so far; {@code channelReadComplete} ends the loop. */
    private long loopBytes;
    private long readDemand;
    /** Whether {@code AUTO_READ} is on: the channel keeps read interest while demand lasts. */
    private boolean autoReading;
    /** Whether a {@code readInterest(false)} waits for {@link #deferredStop} (see {@link #readInterest}). */
    private boolean stopPending;
    /** Whether {@link #deferredStop} still has to go round the loop's task queue once more before it applies. */
    private boolean stopRequeue;
    /** Ends {@code AUTO_READ} unless the core wanted bytes again since {@code readInterest(false)}. */
    private final Runnable deferredStop = this::applyDeferredStop;
    private boolean inputEnded;
    private IOException readFailure;
    private boolean writeFailed;
    private boolean readShut;
    private boolean closing;
    private ChannelFuture lastWrite;
    private boolean released;

    /**
     * A VConn over {@code channel}, which must be a connected {@link DuplexChannel} whose event loop is
     * {@code loop}'s. Call {@link #attach()} on the loop once the channel is registered.
     *
     * @param smallBuffers where small reads and writes are copied ({@code loop}'s own)
     * @param closeLinger  how long a normal close waits for bytes already taken to be flushed before closing
     * @param afterRelease runs on the loop once the channel is closed (e.g. closes an adopted descriptor), or null
     */
    public ChannelVConn(NettyEventLoop loop, Channel channel, OpenResourceTracker tracker, BlockPool pool,
            SmallBuffers smallBuffers, Duration closeLinger, Runnable afterRelease) {
        super(loop);
        this.loop = loop;
        this.channel = Objects.requireNonNull(channel, "channel");
        if (!(channel instanceof DuplexChannel)) {
            throw new IllegalArgumentException("a VConn needs a duplex stream channel, got " + channel.getClass());
        }
        this.tracker = tracker;
        this.closeLinger = closeLinger;
        this.afterRelease = afterRelease;
        this.directBlocks = pool.isDirect();
        this.pool = pool;
        this.smallBuffers = Objects.requireNonNull(smallBuffers, "smallBuffers");
        this.piecePromise = new VoidChannelPromise(channel, false);
        this.inBuf = new IOBuffer(pool);
        this.inReader = inBuf.allocReader();
        this.outBuf = new IOBuffer(pool, OUT_SIZE_INDEX);
        this.outSent = outBuf.allocReader();
        this.outQueued = outBuf.allocReader();
        configure(channel.config());
        this.local = channel.localAddress();
        this.remote = channel.remoteAddress();
        this.description = "netty " + (loop.isEpoll() ? "epoll" : "nio") + " socket " + local + " -> " + remote;
    }

    private void configure(ChannelConfig config) {
        config.setAutoRead(false);
        config.setAutoClose(false); // the VConn owns the channel's life: a failed write must not close it
        config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true); // a peer's write shutdown is EOS, not a close
        config.setRecvByteBufAllocator(new DemandAllocator());
        config.setWriteBufferWaterMark(new WriteBufferWaterMark(WRITE_LOW_WATER_MARK, WRITE_HIGH_WATER_MARK));
    }

    /**
     * Puts this VConn in the channel's pipeline and lists it as open. Must run on the channel's loop, after
     * registration and before any read.
     */
    public void attach() {
        channel.pipeline().addLast("vconn", new Handler());
        tracker.opened(this, description);
        channel.closeFuture().addListener(f -> release());
    }

    /** The channel this VConn owns. */
    public Channel channel() {
        return channel;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Transport SPI (on the loop)

    @Override
    protected long transportRead(IOBuffer dst, long max) throws IOException {
        ByteBuf small = smallStaged;
        if (small != null) {
            int n = (int) Math.min(small.readableBytes(), max);
            dst.write(small.internalNioBuffer(small.readerIndex(), n)); // a copy: the buffer goes back at once
            small.skipBytes(n);
            if (!small.isReadable()) {
                smallStaged = null;
                small.release();
            }
            readDemand = Math.max(0, readDemand - n);
            return n;
        }
        long staged = inReader == null ? 0 : inReader.readAvail();
        if (staged > 0) {
            long n = Math.min(staged, max);
            dst.write(inReader, n); // by block reference for pieces of 128 bytes or more
            inReader.consume(n);
            readDemand = Math.max(0, readDemand - n); // that much of the room the core offered is taken
            return n;
        }
        if (inBuf != null) {
            inBuf.trim(); // nothing staged: an idle channel holds no block until Netty reads again
        }
        if (readFailure != null) {
            throw readFailure;
        }
        if (inputEnded) {
            return -1;
        }
        readDemand = max; // the room the core offers; readInterest(true) follows
        return 0;
    }

    @Override
    protected void readInterest(boolean wanted) {
        if (!wanted) {
            readDemand = 0;
            // Turned off by a task that goes round the loop's task queue twice, so after the pass that a reader's
            // callback schedules by posting its next read VIO (a new connection's first request, say): such a
            // reader keeps the interest, where turning it off and on again cost two epoll_ctl calls. Until then no
            // read loop goes on past one read, since there is no demand.
            if (autoReading && !stopPending) {
                stopPending = true;
                stopRequeue = true;
                loop.execute(deferredStop);
            }
        } else {
            stopPending = false;
            if (!inputEnded && !closing && channel.isActive() && !autoReading) {
                autoReading = true;
                channel.config().setAutoRead(true); // reads now, and keeps reading while the demand lasts
            }
        }
    }

    private void applyDeferredStop() {
        if (!stopPending) {
            return;
        }
        if (stopRequeue) {
            stopRequeue = false;
            loop.execute(deferredStop); // behind whatever the callbacks of this pass queued
            return;
        }
        stopAutoRead();
    }

    /** Ends {@code AUTO_READ} at once: no read until the core wants bytes again. */
    private void stopAutoRead() {
        stopPending = false;
        if (autoReading) {
            autoReading = false;
            channel.config().setAutoRead(false);
        }
    }

    @Override
    protected long transportWrite(IOBufferReader src, long max) throws IOException {
        if (closing || outBuf == null || !channel.isActive()) {
            throw new ClosedChannelException();
        }
        if (!channel.isWritable()) {
            return 0;
        }
        long n = Math.min(max, channel.bytesBeforeUnwritable());
        if (n <= 0) {
            return 0;
        }
        if (n <= SMALL_WRITE_MAX) {
            // The loop's small buffer, one message, one promise: the caller's blocks go at once.
            ByteBuf copy = smallBuffers.forWrite((int) n);
            try {
                src.read(copy.internalNioBuffer(0, (int) n));
            } catch (RuntimeException e) {
                copy.release();
                throw e;
            }
            copy.writerIndex((int) n);
            ChannelPromise promise = channel.newPromise();
            lastWrite = promise;
            channel.writeAndFlush(copy, promise);
            if (!promise.isDone()) {
                promise.addListener(copiedWritten); // not all in the kernel yet: a failure may still come
            } else if (!promise.isSuccess()) {
                written(0, promise); // failed at once, as the listener would have been told at once
            }
            return n;
        }
        outBuf.write(src, n); // shares src's blocks: their storage stays alive until Netty has written them
        src.consume(n);
        ChannelPromise promise = channel.newPromise();
        long taken = n;
        promise.addListener(f -> written(taken, (ChannelFuture) f));
        lastWrite = promise;
        writeQueued(n, promise);
        channel.flush();
        return n;
    }

    /**
     * Writes the next {@code n} queued bytes of the outbound buffer without copying: each block's piece is its own
     * message (Netty gathers a flush's messages into one {@code writev}), the last one carrying {@code promise}.
     * Netty completes a channel's writes in order, and a failure fails every message not yet written, so the last
     * promise speaks for the whole write; the other pieces share one void promise and allocate none.
     */
    private void writeQueued(long n, ChannelPromise promise) {
        long rem = n;
        while (rem > 0) {
            int count = outQueued.readableBuffers(gather, rem);
            long batch = 0;
            for (int i = 0; i < count; i++) {
                ByteBuffer view = gather[i];
                gather[i] = null;
                batch += view.remaining();
                ByteBuf piece = Unpooled.wrappedBuffer(view); // a slice: independent of the cached view
                boolean last = i == count - 1 && batch == rem;
                channel.write(piece, last ? promise : piecePromise);
            }
            outQueued.consume(batch);
            rem -= batch;
        }
    }

    private void written(long bytes, ChannelFuture future) {
        if (outBuf != null && bytes > 0) {
            outSent.consume(bytes); // the kernel has them (or they failed): the storage may go back to the pool
            outBuf.trim(); // and once all is written, the last block too: an idle channel holds no block
        }
        if (!future.isSuccess() && !closing && !writeFailed) {
            writeFailed = true;
            onError(writeFailure(future.cause()), false, true);
        }
    }

    /**
     * The error of a failed write, naming a peer reset as nio does. Netty fails the write with
     * {@code ChannelOutputShutdownException("Channel output shutdown")}, which reads as a local shutdown: the
     * socket's own failure is its cause. And the kernel reports a reset once: when Netty's reader met it first
     * (ECONNRESET, kept as {@code readFailure}), the write sees only EPIPE, so the reset is named here.
     */
    private VConnError writeFailure(Throwable failure) {
        Throwable cause = failure;
        if (cause instanceof ChannelOutputShutdownException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        IOException io = cause instanceof IOException e ? e : new IOException(String.valueOf(cause), cause);
        VConnError error = classify(io, Errno.EPIPE);
        if (error.errno() == Errno.EPIPE && readFailure != null
                && classify(readFailure, Errno.EIO).errno() == Errno.ECONNRESET) {
            return new VConnError(Errno.ECONNRESET, "Connection reset by peer (the write then failed: "
                    + error.message() + ")", io);
        }
        return error;
    }

    @Override
    protected void transportShutdown(boolean read, boolean write) {
        DuplexChannel duplex = (DuplexChannel) channel;
        if (read) {
            readShut = true;
            readDemand = 0;
            stopAutoRead();
            discardStaged();
            duplex.shutdownInput().addListener(f -> logFailure("input shutdown", f));
        }
        if (write) {
            // Bytes the core already counted as written go out first, then the FIN.
            afterPendingWrites(() -> duplex.shutdownOutput().addListener(f -> logFailure("output shutdown", f)));
        }
    }

    @Override
    protected void transportClose(VConnError abortError) {
        closing = true;
        readDemand = 0;
        stopAutoRead();
        releaseSmallStaged();
        if (inBuf != null) {
            inBuf.close(); // staged bytes nobody will read; blocks shared into a reader's buffer stay with it
            inBuf = null;
            inReader = null;
        }
        if (released) {
            tracker.closed(this); // the channel was closed underneath earlier
            return;
        }
        if (abortError != null) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0); // an abort resets the connection
            } catch (RuntimeException e) {
                log.debug("could not set SO_LINGER on {}", this, e);
            }
            channel.close();
        } else if (lastWrite != null && !lastWrite.isDone()) {
            // Flush what the VIOs already took, as a kernel socket would, but for closeLinger at most.
            lastWrite.addListener(f -> channel.close());
            loop.schedule(channel::close, closeLinger);
        } else {
            channel.close();
        }
    }

    private void afterPendingWrites(Runnable action) {
        if (lastWrite != null && !lastWrite.isDone()) {
            lastWrite.addListener(f -> action.run());
        } else {
            action.run();
        }
    }

    /**
     * The channel is closed: let go of the outbound buffer and run the release hook; once the VConn is closed too,
     * stop listing it.
     */
    private void release() {
        if (released) {
            return;
        }
        released = true;
        if (outBuf != null) {
            // The socket is closed: Netty may still release wrappers over these blocks, but never touches the bytes.
            outBuf.close();
            outBuf = null;
            outSent = null;
            outQueued = null;
        }
        try {
            if (afterRelease != null) {
                afterRelease.run();
            }
        } finally {
            if (closing) {
                tracker.closed(this);
            }
        }
        if (!closing) {
            // Closed underneath the VConn (a fatal channel error): staged bytes are still served, then EOS; the
            // writer gets ERROR.
            inputEnded = true;
            onError(VConnError.of(Errno.ECONNRESET, "the channel was closed"), false, true);
            onReadable();
        }
    }

    private void discardStaged() {
        releaseSmallStaged();
        if (inReader != null) {
            inReader.consume(inReader.readAvail());
        }
    }

    private void releaseSmallStaged() {
        ByteBuf small = smallStaged;
        if (small != null) {
            smallStaged = null;
            small.release();
        }
    }

    private void logFailure(String what, io.netty.util.concurrent.Future<?> f) {
        if (!f.isSuccess()) {
            log.debug("{} of {} failed", what, this, f.cause());
        }
    }

    @Override
    protected VConnError classify(IOException e, int fallbackErrno) {
        if (e instanceof Errors.NativeIoException nio && nio.expectedErr() < 0) {
            return new VConnError(-nio.expectedErr(), String.valueOf(e.getMessage()), e); // the real errno
        }
        return super.classify(e, fallbackErrno);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Inbound: Netty's read loop (on the loop)

    /**
     * Where Netty reads into: the free space of the staging buffer's current block, never empty. A read the core
     * asked for (demand) takes up to what is left of a 128 KiB block; the read loop's limit is {@link #unmetDemand}.
     */
    private ByteBuf allocateRead(ByteBufAllocator fallback) {
        IOBuffer in = inBuf;
        if (in == null || !directBlocks) {
            pendingWrap = null;
            pendingSmall = null;
            return fallback.ioBuffer(in == null ? 2048 : in.blockSize()); // copied (or dropped) in channelRead
        }
        pendingSmall = null;
        if (smallReads && loopBytes == 0 && smallStaged == null && inReader.readAvail() == 0) {
            // The first read of a loop on a request-response connection: a pooled 4 KiB buffer, no block taken.
            ByteBuf small = smallBuffers.forRead();
            pendingWrap = null;
            pendingSmall = small;
            return small;
        }
        if (inReader.readAvail() == 0) {
            in = stagingFor(readDemand > 0);
        }
        ByteBuffer free = in.writableBuffer();
        ByteBuf wrap = Unpooled.wrappedBuffer(free).clear(); // wraps a slice of [position, limit): the read lands there
        pendingWrap = wrap;
        return wrap;
    }

    /**
     * The staging buffer when nothing is staged: 128 KiB blocks for reads the core asked for, so that one {@code recv}
     * takes up to 128 KiB instead of one 32 KiB block, and blocks
     * of the default size (32 KiB) for reads nobody asked for (a peer's half-close on epoll). The buffer is replaced
     * only when the size changes; it holds no unread byte then, and the blocks it shared into the reader's buffer
     * stay with that buffer.
     */
    private IOBuffer stagingFor(boolean demanded) {
        int index = demanded ? MAX_STAGING_INDEX : BufferSizes.DEFAULT_INDEX;
        if (inBuf.sizeIndex() != index) {
            inBuf.close();
            inBuf = new IOBuffer(pool, index);
            inReader = inBuf.allocReader();
        }
        return inBuf;
    }

    /**
     * Whether Netty's read loop may go on: the reader has room, and less than demand plus {@link #READ_AHEAD} is
     * staged. Each read takes up to what is left of the current 128 KiB block, so less than demand plus 256 KiB is
     * ever staged by reads the core asked for.
     */
    private boolean unmetDemand() {
        // Written so that a huge demand (a reader's water mark near Long.MAX_VALUE) cannot overflow.
        return inReader != null && !readShut && readDemand > 0 && readDemand > inReader.readAvail() - READ_AHEAD;
    }

    /** Stages what Netty read into {@code buf}; returns whether the VConn keeps {@code buf} (a small read). */
    private boolean inbound(ByteBuf buf) {
        loopBytes += buf.readableBytes();
        if (inBuf == null || readShut) {
            pendingWrap = null;
            pendingSmall = null;
            return false; // closed or read-shut: the bytes are dropped
        }
        if (buf == pendingSmall) {
            pendingSmall = null;
            smallStaged = buf; // read before anything later reads put in inBuf, so served first
            return true;
        }
        if (buf == pendingWrap) {
            pendingWrap = null;
            inBuf.fill(buf.readableBytes()); // Netty read straight into the block
        } else {
            inBuf.write(buf.nioBuffer()); // a buffer of Netty's (heap block pool): one copy
        }
        return false;
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean kept = false;
            try {
                if (msg instanceof ByteBuf buf) {
                    kept = inbound(buf);
                }
            } finally {
                if (!kept) {
                    io.netty.util.ReferenceCountUtil.release(msg);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            smallReads = loopBytes <= SMALL_READ_SIZE;
            loopBytes = 0;
            // AUTO_READ stays on even when the staged bytes meet the demand: the core's pass that follows either
            // renews the demand (readInterest(true), the common case) or says the reader is full (readInterest(false)).
            // Turning it off here toggled the read interest on every read that filled a block. The pass runs now, from
            // Netty's read dispatch, rather than as a task behind it (docs/threading.md, Passes).
            onIoReady();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
                inputEnded = true;
                stopAutoRead();
                onReadable();
            }
            io.netty.util.ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (readFailure == null) {
                readFailure = cause instanceof IOException e ? e : new IOException(String.valueOf(cause), cause);
            }
            onReadable();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                onIoReady(); // from a flush inside a pass, this schedules the pass (it never nests)
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inputEnded = true;
            onReadable();
        }
    }

    /** One handle per channel: reads sized to the VConn's demand, and at most as long as demand lasts. */
    @SuppressWarnings("deprecation") // Handle is deprecated in favour of ExtendedHandle, which extends it
    private final class DemandAllocator implements RecvByteBufAllocator {
        @Override
        public Handle newHandle() {
            return new DemandHandle();
        }
    }

    private final class DemandHandle implements RecvByteBufAllocator.ExtendedHandle {
        private int attempted;
        private int last;
        private int messages;

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return allocateRead(alloc);
        }

        @Override
        public int guess() {
            if (pendingSmall != null) {
                return SMALL_READ_SIZE;
            }
            return readDemand > 0 ? BufferSizes.blockSize(MAX_STAGING_INDEX) : 1;
        }

        @Override
        public void reset(ChannelConfig config) {
            attempted = 0;
            last = 0;
            messages = 0;
        }

        @Override
        public void incMessagesRead(int numMessages) {
            messages += numMessages;
        }

        @Override
        public void lastBytesRead(int bytes) {
            last = bytes;
        }

        @Override
        public int lastBytesRead() {
            return last;
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            attempted = bytes;
        }

        @Override
        public int attemptedBytesRead() {
            return attempted;
        }

        @Override
        public boolean continueReading() {
            return continueReading(() -> attempted == last);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreData) {
            return last > 0 && messages < MAX_READS_PER_LOOP && unmetDemand() && maybeMoreData.get();
        }

        @Override
        public void readComplete() {
        }
    }

    // -----------------------------------------------------------------------------------------------------------

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
        return "ChannelVConn[" + description + ", " + closeState() + "]";
    }
}
