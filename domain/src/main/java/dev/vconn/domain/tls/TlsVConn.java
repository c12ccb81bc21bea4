package dev.vconn.domain.tls;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.spi.AbstractVConn;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLProtocolException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS as a VConn over another VConn: the user's read and write VIOs carry plaintext with every rule of
 * {@code docs/semantics.md} (the shared core {@link AbstractVConn} enforces them), while the <i>inner</i> VConn (a
 * socket VConn, an adopted socket, an in-process pair end) carries TLS records. Built once on the JDK's
 * {@link SSLEngine}, so it runs on every transport. See {@code docs/tls.md}.
 *
 * <p>The TLS VConn owns the inner VConn from the moment it wraps it: it posts its own read and write on it (with a
 * continuation of its own, on the inner VConn's loop, to which this VConn is pinned) and closes it when this VConn
 * is closed. Nobody else may use the inner VConn afterwards.
 *
 * <p>The handshake starts with the first read or write, or with {@link #startHandshake()}; {@link #handshake()}
 * completes with the negotiated {@link TlsSessionInfo}. Failures end both directions with ERROR and errno
 * {@link #EPROTO} whose cause is the {@link SSLException} naming the alert or reason: a failed handshake, a fatal
 * alert, a refused TLS 1.2 renegotiation, or a connection that ended without {@code close_notify} (truncation).
 * A received {@code close_notify} ends the read with EOS; {@link #shutdown} of the write side and {@link #close()}
 * send one (close: best effort).
 *
 * <p>Records are staged in blocks of the given {@link BlockPool}, all returned when this VConn is closed. Plaintext
 * is encrypted straight from the user's buffer blocks; decrypted plaintext lands in a pool block that is handed to
 * the user's buffer by reference.
 */
public final class TlsVConn extends AbstractVConn {
    private static final Logger log = LoggerFactory.getLogger(TlsVConn.class);

    /** Linux's "protocol error": the errno of every TLS failure (handshake, alert, truncation, renegotiation). */
    public static final int EPROTO = Errno.EPROTO;

    /** Record buffers to and from the inner VConn: 32 KiB blocks. */
    private static final int NET_INDEX = 8;
    /** Staging for one record's plaintext or ciphertext: 64 KiB blocks, room for several records each. */
    private static final int STAGE_INDEX = 9;
    /** TLS's largest plaintext fragment (RFC 8446, section 5.1). */
    private static final int MAX_FRAGMENT = 16384;
    /** The largest record either protocol allows: header + 2^14 + 2048 (RFC 5246, section 6.2.3). */
    private static final int MAX_RECORD = 5 + MAX_FRAGMENT + 2048;
    /**
     * Ciphertext queued for the inner VConn beyond which the write side stops taking plaintext: eight records per
     * gathered socket write (half as many writes, reads and polls per MiB as at 64 KiB, docs/tls.md).
     */
    private static final long NET_OUT_LIMIT = 128 * 1024;
    /** The inner read's read-ahead bound (the record buffer's water mark): several records per socket read. */
    private static final int NET_IN_AHEAD = 128 * 1024;
    /** Below one whole record of buffered bytes a consumed record reenables the inner read: reads stay large. */
    private static final int NET_IN_REFILL = MAX_RECORD;
    private static final ByteBuffer[] NO_DATA = {ByteBuffer.allocate(0)};

    private enum Unwrapped { PROGRESS, CLOSED, NEED_INPUT, NO_ROOM }

    private final VConn inner;
    private final TlsContext context;
    private final SSLEngine engine;
    private final Executor executor;
    private final Continuation innerContinuation = new Continuation(this::onInnerEvent);
    private final CompletableFuture<TlsSessionInfo> handshake = new CompletableFuture<>();
    private volatile TlsSessionInfo session;

    // Loop-confined from here on.
    private final IOBuffer netIn;
    private final IOBufferReader netInReader;
    private final IOBuffer netOut;
    private final IOBufferReader netOutReader;
    /** One block used as contiguous scratch: the engine needs a whole record in one writable buffer. */
    private final IOBuffer cipherScratch;
    private final BlockPool pool;
    private IOBuffer plainStage;
    private IOBufferReader plainReader;
    private IOBuffer wrapStage;
    private IOBufferReader wrapReader;
    private ByteBuffer[] views = new ByteBuffer[16];
    private ReadVio innerRead;
    private WriteVio innerWrite;
    private boolean started;
    private boolean handshakeDone;
    /** The session's buffer sizes, read once the handshake is done (getSession() takes the engine's lock). */
    private int sessionApplicationBufferSize;
    private int sessionPacketBufferSize;
    private long copiedRecords;
    private boolean taskRunning;
    private boolean innerEos;
    private VConnError innerReadError;
    private boolean shutdownInnerWriteWhenFlushed;
    private boolean innerWriteShut;
    private boolean closeOutboundAfterHandshake;
    /** A handshake unwrap took in a record since the last unwrap without input ({@link #advancedWithoutInput}). */
    private boolean fedEngine;
    private boolean released;
    private VConnError failure;
    private ScheduledAction handshakeTimer;
    /** A task is posted that hands the records queued on {@link #netOut} to the inner write ({@link #flushSoon}). */
    private boolean flushPosted;
    private final Runnable flushTask = this::flushToInner;
    /** The user only drains the connection until the peer closes it: {@link #discardInput()}. */
    private volatile boolean discardingInput;

    private TlsVConn(VConn inner, TlsContext context, BlockPool pool, String peerHost, int peerPort) {
        super(inner.eventLoop());
        this.inner = inner;
        this.context = context;
        this.pool = pool;
        this.engine = context.newEngine(peerHost, peerPort);
        this.executor = context.delegatedTaskExecutor();
        this.netIn = new IOBuffer(pool, STAGE_INDEX);
        // The inner read-ahead bound is max(water mark, the transport's limit): at least one whole record, or a
        // transport with a small limit (a pair with 128-byte blocks) could never deliver a record complete.
        netIn.setWaterMark(NET_IN_AHEAD);
        this.netInReader = netIn.allocReader();
        this.netOut = new IOBuffer(pool, NET_INDEX);
        this.netOutReader = netOut.allocReader();
        this.cipherScratch = new IOBuffer(pool, NET_INDEX);
        newPlainStage();
        newWrapStage();
    }

    /**
     * The server side of TLS over {@code inner}, which it takes over.
     *
     * @throws IllegalArgumentException if {@code context} is not a server context
     */
    public static TlsVConn server(VConn inner, TlsContext context, BlockPool pool) {
        check(inner, context, pool, TlsContext.Role.SERVER);
        return new TlsVConn(inner, context, pool, null, -1);
    }

    /**
     * The client side of TLS over {@code inner}, which it takes over.
     *
     * @param peerHost the server's host name: sent as SNI and checked against its certificate (unless the context
     *     turns either off)
     * @param peerPort the server's port (a hint for session resumption)
     * @throws IllegalArgumentException if {@code context} is not a client context
     */
    public static TlsVConn client(VConn inner, TlsContext context, BlockPool pool, String peerHost, int peerPort) {
        check(inner, context, pool, TlsContext.Role.CLIENT);
        Objects.requireNonNull(peerHost, "peerHost");
        return new TlsVConn(inner, context, pool, peerHost, peerPort);
    }

    private static void check(VConn inner, TlsContext context, BlockPool pool, TlsContext.Role role) {
        Objects.requireNonNull(inner, "inner");
        Objects.requireNonNull(pool, "pool");
        if (Objects.requireNonNull(context, "context").role() != role) {
            throw new IllegalArgumentException("a TLS " + role.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs a " + role + " TlsContext, was " + context);
        }
    }

    /** The VConn carrying the records. */
    public VConn inner() {
        return inner;
    }

    /** The side of the handshake this VConn plays. */
    public TlsContext.Role role() {
        return context.role();
    }

    /**
     * Starts the handshake now rather than at the first read or write. Thread-safe, never calls back.
     *
     * @return {@link #handshake()}
     */
    public CompletableFuture<TlsSessionInfo> startHandshake() {
        eventLoop().execute(this::begin);
        return handshake();
    }

    /**
     * Completes on this VConn's loop when the handshake has finished, with what it negotiated; completes
     * exceptionally with the {@link SSLException} if it failed, or if this VConn was closed first. Callbacks run on
     * the loop without any continuation's lock: keep them short and post VConn work as usual. Each call returns a
     * copy, so completing it does not change this VConn.
     */
    public CompletableFuture<TlsSessionInfo> handshake() {
        return handshake.copy();
    }

    /** What the handshake negotiated, once it has finished. Thread-safe. */
    public Optional<TlsSessionInfo> sessionInfo() {
        return Optional.ofNullable(session);
    }

    /**
     * Declares that nothing this VConn reads from now on matters to the user: it only drains the connection until
     * the peer closes it, as a lingering close after the last response does (docs/tls.md, "Lingering close"). Once
     * the handshake is done, records that arrive are dropped without being decrypted, and the end of the inner
     * connection (a FIN or a reset, with or without the peer's {@code close_notify}) reads as EOS instead of the
     * truncation ERROR, as no data the user still wants can be cut short. Plaintext decrypted before still reaches
     * the user first. The user's read VIO stays as it is; writes are not affected. Thread-safe, idempotent.
     */
    public void discardInput() {
        discardingInput = true;
        onReadable();
    }

    @Override
    public SocketAddress localAddress() {
        return inner.localAddress();
    }

    @Override
    public SocketAddress remoteAddress() {
        return inner.remoteAddress();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transport primitives (called by the core on the loop)

    @Override
    protected long transportRead(IOBuffer dst, long max) throws IOException {
        begin();
        if (failure != null) {
            throw (IOException) failure.cause();
        }
        if (!handshakeDone || taskRunning) {
            return 0; // the handshake's end calls onReadable()
        }
        while (true) {
            long staged = plainReader.readAvail();
            if (staged > 0) {
                long n = Math.min(staged, max);
                dst.write(plainReader, n); // by block reference: no copy for pieces of 128 bytes or more
                plainReader.consume(n);
                return n;
            }
            if (engine.isInboundDone()) {
                return -1; // close_notify received
            }
            if (discardingInput) {
                return discardRecords();
            }
            Unwrapped u;
            try {
                u = unwrapOne();
                if (u == Unwrapped.PROGRESS) {
                    afterPostHandshakeRecord();
                } else if (u == Unwrapped.CLOSED) {
                    flushOutbound(); // TLS 1.2 answers close_notify with its own
                    if (engine.isOutboundDone()) {
                        shutdownInnerWriteWhenFlushed = true;
                        maybeShutdownInnerWrite();
                    }
                }
            } catch (SSLException e) {
                fail(e);
                throw e;
            }
            if (failure != null) {
                throw (IOException) failure.cause();
            }
            if (u == Unwrapped.NEED_INPUT || u == Unwrapped.NO_ROOM) {
                if (innerReadError != null) {
                    throw new TransportFailure(innerReadError);
                }
                if (innerEos) {
                    SSLException truncated = truncation();
                    fail(truncated);
                    throw truncated;
                }
                return 0;
            }
        }
    }

    @Override
    protected long transportWrite(IOBufferReader src, long max) throws IOException {
        begin();
        if (failure != null) {
            throw (IOException) failure.cause();
        }
        if (!handshakeDone || taskRunning) {
            return 0; // the handshake's end calls onWritable()
        }
        if (engine.isOutboundDone()) {
            throw new TransportFailure(VConnError.of(Errno.EPIPE, "the TLS session is closed for writing"
                    + " (close_notify sent or received)"));
        }
        long taken = 0;
        try {
            while (taken < max && netOutReader.readAvail() < NET_OUT_LIMIT) {
                int count = viewsOf(src, Math.min(max - taken, MAX_FRAGMENT));
                SSLEngineResult r = wrap(views, count);
                src.consume(r.bytesConsumed());
                taken += r.bytesConsumed();
                if (r.getStatus() == SSLEngineResult.Status.CLOSED || r.bytesConsumed() == 0) {
                    break;
                }
                if (r.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING
                        && r.getHandshakeStatus() != HandshakeStatus.FINISHED) {
                    afterPostHandshakeRecord();
                }
            }
        } catch (SSLException e) {
            fail(e);
            throw e;
        }
        return taken;
    }

    @Override
    protected void transportShutdown(boolean read, boolean write) {
        if (write && !released && !handshakeDone && failure == null) {
            // closeOutbound() now would end the handshake and fail both directions: the write side ends now for the
            // user, the close_notify goes out once the handshake is done (started here, or the peer never gets it).
            closeOutboundAfterHandshake = true;
            begin();
        } else if (write && !released) {
            closeOutboundAndFlush();
        }
        if (read) {
            inner.shutdown(ShutdownHow.READ);
        }
    }

    /** Sends close_notify, then shuts the inner write side down once every record has left. */
    private void closeOutboundAndFlush() {
        engine.closeOutbound();
        shutdownInnerWriteWhenFlushed = true;
        if (started) {
            try {
                flushOutbound(); // close_notify
            } catch (SSLException e) {
                fail(e);
            }
        }
        maybeShutdownInnerWrite();
    }

    @Override
    protected void transportClose(VConnError abortError) {
        if (!handshake.isDone()) {
            handshake.completeExceptionally(new SSLException("the TLS VConn was closed before the handshake finished"));
        }
        if (abortError == null && started && failure == null && !engine.isOutboundDone()) {
            engine.closeOutbound();
            try {
                flushOutbound(); // best effort close_notify
            } catch (SSLException | RuntimeException e) {
                log.debug("no close_notify for {}", this, e);
            }
        }
        released = true;
        cancelHandshakeTimer();
        if (abortError != null) {
            inner.abort(abortError.errno(), abortError.cause());
            releaseBuffers();
        } else if (innerWrite != null && netOutReader.readAvail() > 0) {
            // The inner VConn's pass, already queued by the reenable, moves what it can before the close.
            innerWrite.reenable();
            eventLoop().execute(this::closeInner);
        } else {
            closeInner();
        }
    }

    @Override
    protected VConnError classify(IOException e, int fallbackErrno) {
        if (failure != null && e == failure.cause()) {
            return failure;
        }
        if (e instanceof TransportFailure t) {
            return t.error;
        }
        if (e instanceof SSLException) {
            return tlsError(e);
        }
        return super.classify(e, fallbackErrno);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The engine (loop-confined)

    private void begin() {
        if (started || released || isCloseProcessed()) {
            return;
        }
        started = true;
        try {
            innerRead = inner.read(innerContinuation, Long.MAX_VALUE, netIn);
            innerWrite = inner.write(innerContinuation, Long.MAX_VALUE, netOutReader);
            engine.beginHandshake();
            handshakeTimer = eventLoop().schedule(this::handshakeTimedOut, context.handshakeTimeout());
        } catch (SSLException e) {
            fail(e);
            return;
        } catch (IllegalStateException e) {
            fail(new SSLException("cannot start TLS: the inner VConn is closed or shut down", e));
            return;
        }
        drive();
    }

    /** Runs the handshake (and post-handshake messages) as far as the records at hand allow. */
    private void drive() {
        if (released || failure != null || taskRunning || !started) {
            return;
        }
        try {
            while (true) {
                switch (engine.getHandshakeStatus()) {
                    case NEED_TASK -> {
                        runDelegatedTasks();
                        return;
                    }
                    case NEED_WRAP -> {
                        SSLEngineResult r = wrap(NO_DATA, 1);
                        if (r.bytesProduced() == 0 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                            return;
                        }
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        Unwrapped u = unwrapOne();
                        if (u == Unwrapped.NO_ROOM) {
                            return; // the user's next read drains the plaintext and goes on
                        }
                        if (u == Unwrapped.PROGRESS) {
                            fedEngine = true;
                        } else if (u == Unwrapped.NEED_INPUT && fedEngine && advancedWithoutInput()) {
                            continue;
                        }
                        if (u == Unwrapped.NEED_INPUT) {
                            if (innerReadError != null || innerEos) {
                                throw new SSLHandshakeException("the connection ended during the TLS handshake"
                                        + (innerReadError != null ? ": " + innerReadError : " (end of stream)"));
                            }
                            return;
                        }
                    }
                    default -> { // NOT_HANDSHAKING
                        if (!handshakeDone) {
                            if (engine.isInboundDone() || engine.isOutboundDone()) {
                                throw new SSLHandshakeException("the TLS connection was closed during the handshake");
                            }
                            finishHandshake();
                        }
                        return;
                    }
                }
            }
        } catch (SSLException e) {
            fail(e);
        }
    }

    /**
     * Gives the engine one unwrap without input after handshake records it took in: an engine may act on a record
     * only at the next call (the openssl engine finishes the handshake so); the JDK's answers BUFFER_UNDERFLOW.
     *
     * @return whether the engine moved on: it produced plaintext, or no longer waits for input
     */
    private boolean advancedWithoutInput() throws SSLException {
        fedEngine = false;
        ByteBuffer out = plainSpace();
        if (out == null) {
            return false;
        }
        SSLEngineResult r = engine.unwrap(NO_DATA[0], out);
        if (r.bytesProduced() > 0) {
            plainStage.fill(r.bytesProduced());
        }
        HandshakeStatus hs = engine.getHandshakeStatus();
        return r.bytesProduced() > 0 || (hs != HandshakeStatus.NEED_UNWRAP && hs != HandshakeStatus.NEED_UNWRAP_AGAIN);
    }

    /** A peer that stalls mid-handshake holds a connection for no more than the context's handshake timeout. */
    private void handshakeTimedOut() {
        handshakeTimer = null;
        if (!handshakeDone && !released) {
            fail(new SSLHandshakeException("the TLS handshake did not finish within " + context.handshakeTimeout()
                    + " (handshake timeout)"), Errno.ETIMEDOUT);
        }
    }

    private void cancelHandshakeTimer() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel();
            handshakeTimer = null;
        }
    }

    private void finishHandshake() {
        cancelHandshakeTimer();
        handshakeDone = true;
        SSLSession s = engine.getSession();
        sessionApplicationBufferSize = s.getApplicationBufferSize();
        sessionPacketBufferSize = s.getPacketBufferSize();
        session = describeSession();
        handshake.complete(session);
        onReadable();
        onWritable();
        if (closeOutboundAfterHandshake && !released) {
            closeOutboundAfterHandshake = false;
            closeOutboundAndFlush();
        }
    }

    /**
     * After a record that left the engine handshaking again: TLS 1.3 post-handshake messages (key update) are
     * driven; anything in TLS 1.2 is a renegotiation, which vconn refuses.
     */
    private void afterPostHandshakeRecord() throws SSLException {
        HandshakeStatus hs = engine.getHandshakeStatus();
        if (hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED) {
            return;
        }
        if (!"TLSv1.3".equals(engine.getSession().getProtocol())) {
            throw new SSLHandshakeException("TLS renegotiation refused: vconn does not renegotiate "
                    + engine.getSession().getProtocol() + " sessions");
        }
        drive();
    }

    private void runDelegatedTasks() {
        List<Runnable> tasks = new ArrayList<>();
        for (Runnable t = engine.getDelegatedTask(); t != null; t = engine.getDelegatedTask()) {
            tasks.add(t);
        }
        taskRunning = true;
        try {
            executor.execute(() -> {
                RuntimeException failed = null;
                try {
                    tasks.forEach(Runnable::run);
                } catch (RuntimeException e) {
                    failed = e;
                }
                RuntimeException f = failed;
                eventLoop().execute(() -> resumeAfterTasks(f));
            });
        } catch (RejectedExecutionException e) {
            taskRunning = false;
            fail(new SSLException("the delegated task executor refused a TLS task", e));
        }
    }

    private void resumeAfterTasks(RuntimeException failed) {
        taskRunning = false;
        if (released) {
            return;
        }
        if (failed != null) {
            fail(new SSLException("a delegated TLS task failed: " + failed, failed));
            return;
        }
        drive();
        if (handshakeDone) {
            onReadable();
            onWritable();
        }
    }

    /**
     * Drops the records received while the user drains ({@link #discardInput()}): no decryption, and the end of the
     * inner connection, however it ends, is the end of the stream (no truncation exception is built).
     */
    private long discardRecords() {
        long dropped = netInReader.readAvail();
        if (dropped > 0) {
            netInReader.consume(dropped);
            if (innerRead != null) {
                innerRead.reenable(); // room again in netIn
            }
        }
        return innerEos || innerReadError != null ? -1 : 0;
    }

    /** Decrypts at most one whole record from {@link #netIn} into {@link #plainStage}. */
    private Unwrapped unwrapOne() throws SSLException {
        long avail = netInReader.readAvail();
        if (avail < 5) {
            return Unwrapped.NEED_INPUT;
        }
        ByteBuffer scratch = cipherScratch.writableBuffer();
        int start = scratch.position();
        int capacity = scratch.remaining();
        int type = netInReader.byteAt(0) & 0xff;
        int major = netInReader.byteAt(1) & 0xff;
        int need;
        int recordSize = 5 + (((netInReader.byteAt(3) & 0xff) << 8) | (netInReader.byteAt(4) & 0xff));
        if (type < 20 || type > 24 || major != 3) {
            // Not a TLS record (a plaintext request on a TLS port): the engine rejects it now, no waiting.
            need = (int) Math.min(avail, capacity);
        } else if (recordSize > MAX_RECORD) {
            // Refused before waiting for bytes a valid peer never sends.
            throw new SSLProtocolException("record_overflow: the peer announced a TLS record of " + recordSize
                    + " bytes; at most " + MAX_RECORD + " are allowed");
        } else {
            need = Math.min(capacity, recordSize);
            if (avail < need) {
                return Unwrapped.NEED_INPUT;
            }
        }
        ByteBuffer out = plainSpace();
        if (out == null) {
            return Unwrapped.NO_ROOM;
        }
        // An engine may decrypt in place (the JDK's does) and needs the record contiguous: straight from the record
        // buffer's block when the record lies whole in one block nobody else sees, else one copy into scratch.
        ByteBuffer src = netInReader.exclusiveBlockBuffer(avail);
        if (src == null || src.remaining() < need) {
            int count = viewsOf(netInReader, need);
            for (int i = 0; i < count; i++) {
                scratch.put(views[i]);
            }
            scratch.limit(scratch.position());
            scratch.position(start);
            src = scratch;
            copiedRecords++;
        }
        SSLEngineResult r = engine.unwrap(src, out);
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW
                && plainStage.blockWriteAvail() < plainStage.blockSize()) {
            // An engine may want more room than its application buffer size (the openssl one wants a whole record's
            // size): the stage's block was all handed over, so a fresh one.
            newPlainStage();
            r = engine.unwrap(src, plainStage.writableBuffer());
        }
        if (r.bytesConsumed() > 0) {
            netInReader.consume(r.bytesConsumed());
            if (innerRead != null && netInReader.readAvail() < NET_IN_REFILL) {
                innerRead.reenable(); // room again in netIn
            }
        }
        if (r.bytesProduced() > 0) {
            plainStage.fill(r.bytesProduced());
        }
        return switch (r.getStatus()) {
            case OK -> r.bytesConsumed() > 0 || r.bytesProduced() > 0 ? Unwrapped.PROGRESS : Unwrapped.NEED_INPUT;
            case CLOSED -> Unwrapped.CLOSED;
            case BUFFER_OVERFLOW -> Unwrapped.NO_ROOM;
            case BUFFER_UNDERFLOW -> Unwrapped.NEED_INPUT;
        };
    }

    /** The engine's largest plaintext per record: asked of the session until the handshake fixed it. */
    private int applicationBufferSize() {
        return handshakeDone ? sessionApplicationBufferSize : engine.getSession().getApplicationBufferSize();
    }

    /** The engine's largest record: asked of the session (which takes the engine's lock) until the handshake. */
    private int packetBufferSize() {
        return handshakeDone ? sessionPacketBufferSize : engine.getSession().getPacketBufferSize();
    }

    /** Records unwrapped from {@link #cipherScratch} after a copy (they straddled blocks or lay in shared ones). */
    long recordsCopied() {
        return copiedRecords;
    }

    /** Room for one record's plaintext, or {@code null} while decrypted bytes wait for the user. */
    private ByteBuffer plainSpace() {
        if (plainReader.readAvail() > 0) {
            return null;
        }
        long room = plainStage.blockWriteAvail();
        if (room > 0 && room < applicationBufferSize()) {
            newPlainStage(); // the rest of the block is too small for a record; its bytes were all handed over
        }
        return plainStage.writableBuffer();
    }

    /** Encrypts into {@link #wrapStage} and queues the record on {@link #netOut} by reference. */
    private SSLEngineResult wrap(ByteBuffer[] srcs, int count) throws SSLException {
        long room = wrapStage.blockWriteAvail();
        if (room > 0 && room < packetBufferSize()) {
            newWrapStage();
        }
        SSLEngineResult r = engine.wrap(srcs, 0, count, wrapStage.writableBuffer());
        int produced = r.bytesProduced();
        if (produced > 0) {
            wrapStage.fill(produced);
            netOut.write(wrapReader, produced);
            wrapReader.consume(produced);
            flushSoon();
        }
        return r;
    }

    /**
     * Hands the queued records to the inner write from a task posted behind whatever the current callbacks post: a
     * user that shuts its write side down when its last write completes (a closing HTTP response) has its
     * {@code close_notify} queued by then, so the last records and the {@code close_notify} leave in one inner
     * write instead of two (docs/tls.md, "Lingering close").
     */
    private void flushSoon() {
        if (innerWrite != null && !flushPosted) {
            flushPosted = true;
            eventLoop().execute(flushTask);
        }
    }

    private void flushToInner() {
        flushPosted = false;
        if (!released && innerWrite != null) {
            innerWrite.reenable();
        }
    }

    /** Wraps whatever the engine has to send without application data: alerts, close_notify, handshake replies. */
    private void flushOutbound() throws SSLException {
        for (int i = 0; i < 8; i++) {
            if (engine.isOutboundDone() && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                return;
            }
            if (wrap(NO_DATA, 1).bytesProduced() == 0) {
                return;
            }
        }
    }

    private void maybeShutdownInnerWrite() {
        if (shutdownInnerWriteWhenFlushed && !innerWriteShut && netOutReader.readAvail() == 0) {
            innerWriteShut = true;
            inner.shutdown(ShutdownHow.WRITE);
        }
    }

    private int viewsOf(IOBufferReader reader, long maxBytes) {
        while (true) {
            int count = reader.readableBuffers(views, maxBytes);
            if (count < views.length) {
                return count;
            }
            long covered = 0;
            for (ByteBuffer v : views) {
                covered += v.remaining();
            }
            if (covered >= Math.min(maxBytes, reader.readAvail())) {
                return count;
            }
            views = new ByteBuffer[views.length * 2];
        }
    }

    /** Ends both directions with ERROR; tells the peer why if the engine queued an alert. */
    private void fail(SSLException e) {
        fail(e, EPROTO);
    }

    private void fail(SSLException e, int errno) {
        if (failure != null || released) {
            return;
        }
        cancelHandshakeTimer();
        failure = new VConnError(errno, reason(e), e);
        handshake.completeExceptionally(e);
        log.debug("TLS failure on {}", this, e);
        if (started) {
            try {
                flushOutbound();
            } catch (SSLException | RuntimeException alertFailure) {
                log.debug("no alert sent for {}", this, alertFailure);
            }
            shutdownInnerWriteWhenFlushed = true;
            maybeShutdownInnerWrite();
        }
        onError(failure, true, true);
    }

    /**
     * The exception's message and those of its causes: an engine may throw a general exception whose cause names the
     * reason (the openssl engine's "General OpenSslEngine problem" caused by the trust manager's verdict).
     */
    private static String reason(SSLException e) {
        StringBuilder reason = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && cause != e && depth < 4; depth++, cause = cause.getCause()) {
            String m = cause.getMessage();
            if (m != null && reason.indexOf(m) < 0) {
                reason.append(": ").append(m);
            }
        }
        return reason.toString();
    }

    private SSLException truncation() {
        try {
            engine.closeInbound();
        } catch (SSLException e) {
            return new SSLException("the connection ended without close_notify (possible truncation): "
                    + e.getMessage(), e);
        }
        return new SSLException("the connection ended without close_notify (possible truncation)");
    }

    private static VConnError tlsError(IOException e) {
        return new VConnError(EPROTO, String.valueOf(e.getMessage()), e);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The inner VConn's events (on the loop, under the inner continuation's lock)

    private void onInnerEvent(Event event, Object data) {
        if (released) {
            return;
        }
        switch (event) {
            case READ_READY -> afterInnerInput();
            case EOS -> {
                innerEos = true;
                afterInnerInput();
            }
            case ERROR -> {
                VConnError e = inner.error() != null ? inner.error()
                        : VConnError.of(Errno.EIO, "the connection under TLS failed");
                if (data == innerRead) {
                    innerReadError = e;
                    afterInnerInput();
                } else if (!handshakeDone) {
                    fail(new SSLHandshakeException("the connection failed during the TLS handshake: " + e));
                } else {
                    onError(e, false, true);
                }
            }
            case WRITE_READY -> {
                maybeShutdownInnerWrite();
                if (!handshakeDone) {
                    drive();
                }
                onWritable();
            }
            default -> {
                // COMPLETE cannot happen (unbounded VIOs); the inner VConn has no timeouts of its own.
            }
        }
    }

    private void afterInnerInput() {
        if (!handshakeDone) {
            drive();
        } else {
            onReadable();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Buffers and session facts

    private void newPlainStage() {
        if (plainStage != null) {
            plainStage.close();
        }
        plainStage = new IOBuffer(pool, STAGE_INDEX);
        plainReader = plainStage.allocReader();
    }

    private void newWrapStage() {
        if (wrapStage != null) {
            wrapStage.close();
        }
        wrapStage = new IOBuffer(pool, STAGE_INDEX);
        wrapReader = wrapStage.allocReader();
    }

    private void closeInner() {
        inner.close();
        releaseBuffers();
    }

    private void releaseBuffers() {
        context.releaseEngine(engine);
        netIn.close();
        netOut.close();
        cipherScratch.close();
        plainStage.close();
        wrapStage.close();
    }

    private TlsSessionInfo describeSession() {
        SSLSession s = engine.getSession();
        List<X509Certificate> peer = new ArrayList<>();
        // A server that asks for no certificate gets none; asking the session anyway costs an exception per handshake.
        if (context.role() == TlsContext.Role.CLIENT || context.clientAuth() != TlsContext.ClientAuth.NONE) {
            try {
                for (Certificate c : s.getPeerCertificates()) {
                    peer.add((X509Certificate) c);
                }
            } catch (SSLPeerUnverifiedException e) {
                peer.clear(); // the peer sent no certificate
            }
        }
        String alpn = engine.getApplicationProtocol();
        String serverName = "";
        List<SNIServerName> names = List.of();
        if (context.role() == TlsContext.Role.SERVER && s instanceof ExtendedSSLSession extended) {
            names = extended.getRequestedServerNames();
        } else if (context.role() == TlsContext.Role.CLIENT) {
            names = engine.getSSLParameters().getServerNames();
        }
        for (SNIServerName n : names == null ? List.<SNIServerName>of() : names) {
            if (n instanceof SNIHostName host) {
                serverName = host.getAsciiName();
                break;
            }
        }
        return new TlsSessionInfo(s.getProtocol(), s.getCipherSuite(), alpn == null ? "" : alpn, serverName, peer);
    }

    @Override
    public String toString() {
        return "TlsVConn[" + context.role() + (handshakeDone ? ", " + session.protocol() : "") + " over " + inner
                + ", " + super.toString() + "]";
    }

    /** A transport failure under TLS, carried through the core's I/O exception path with its own code. */
    private static final class TransportFailure extends IOException {
        private static final long serialVersionUID = 1L;
        final transient VConnError error;

        TransportFailure(VConnError error) {
            super(error.message(), error.cause());
            this.error = error;
        }
    }
}
