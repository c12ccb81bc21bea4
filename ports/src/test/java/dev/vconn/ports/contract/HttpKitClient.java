package dev.vconn.ports.contract;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * An HTTP client on one VConn (the active end of an in-process connection, or a connection made by the transport's
 * {@code NetConnector}): it writes whatever requests it is given and parses the response stream with a strict
 * {@link HttpWire.ResponseParser}, framing responses itself, as a Traffic Server plugin on a {@code TSHttpConnect}
 * VC must with keep-alive.
 *
 * <p>It consumes inside its read callbacks, up to a pause point ({@link #pauseAt}), and stops there without
 * reenabling, so the proxy must hold the rest back; {@link #resume()} moves on. Every callback runs under its own
 * lock; a broken rule is recorded in {@link #failure()}, never thrown into the transport. Close it (or abort it)
 * once done: it closes its VConn and frees its buffers.
 */
public final class HttpKitClient implements AutoCloseable {
    private final VConn vconn;
    private final ReentrantLock lock = new ReentrantLock();
    private final Continuation continuation = new Continuation(this::handle, lock);
    private final IOBuffer out;
    private final IOBufferReader outReader;
    private final IOBuffer in;
    private final IOBufferReader inReader;
    private final HttpWire.ResponseParser parser;
    private final byte[] chunk = new byte[16 * 1024];
    private WriteVio write;
    private ReadVio read;
    private boolean readAfterWrite;
    private boolean shutdownAfterWrite;
    private volatile long pauseAt = Long.MAX_VALUE;
    private volatile long consumed;
    private volatile boolean eos;
    private volatile boolean readError;
    private volatile boolean writeError;
    private volatile boolean writeComplete;
    private volatile boolean closed;
    private volatile String failure;

    /**
     * A client that keeps response bodies.
     *
     * @param vconn the connection, now owned by this client
     * @param pool  where its buffers come from
     */
    public HttpKitClient(VConn vconn, BlockPool pool) {
        this(vconn, pool, null);
    }

    /**
     * A client that checks response bodies against {@code pattern} instead of keeping them.
     *
     * @param vconn   the connection, now owned by this client
     * @param pool    where its buffers come from
     * @param pattern the bytes every body must be (from offset 0), or null to keep bodies
     */
    public HttpKitClient(VConn vconn, BlockPool pool, BytePattern pattern) {
        this.vconn = vconn;
        this.out = new IOBuffer(pool);
        this.outReader = out.allocReader();
        this.in = new IOBuffer(pool);
        this.inReader = in.allocReader();
        this.parser = new HttpWire.ResponseParser(pattern);
    }

    /** The connection. */
    public VConn vconn() {
        return vconn;
    }

    /** Posts the read now (for reading responses while requests are still being written). Returns this client. */
    public HttpKitClient reading() {
        lock.lock();
        try {
            if (read == null) {
                read = vconn.read(continuation, Long.MAX_VALUE, in);
            }
            return this;
        } finally {
            lock.unlock();
        }
    }

    /** Writes {@code request} (after what was written before). The read must be posted separately. */
    public HttpKitClient send(String request) {
        return send(HttpWire.bytes(request));
    }

    /** Writes {@code bytes} (after what was written before). */
    public HttpKitClient send(byte[] bytes) {
        lock.lock();
        try {
            out.write(bytes);
            if (write == null) {
                write = vconn.write(continuation, Long.MAX_VALUE, outReader);
            } else {
                write.reenable();
            }
            return this;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The way Traffic Server's InkAPITest client does it: one write VIO of exactly the request's length, and the
     * read posted once WRITE_COMPLETE arrives.
     */
    public HttpKitClient sendThenRead(String request) {
        return sendThenRead(request, false);
    }

    /**
     * {@link #sendThenRead(String)}, and if {@code shutdownWrite}, the write side shut down right after
     * WRITE_COMPLETE, as Traffic Server's {@code fetcher.h} does ({@code TSVConnShutdown(vc, 0, 1)}).
     */
    public HttpKitClient sendThenRead(String request, boolean shutdownWrite) {
        byte[] bytes = HttpWire.bytes(request);
        lock.lock();
        try {
            out.write(bytes);
            readAfterWrite = true;
            shutdownAfterWrite = shutdownWrite;
            write = vconn.write(continuation, bytes.length, outReader);
            return this;
        } finally {
            lock.unlock();
        }
    }

    /** Tells the parser whether the next request's response is to a HEAD. */
    public HttpKitClient expectHead(boolean head) {
        locked(() -> {
            parser.expectHead(head);
            return null;
        });
        return this;
    }

    /** Shuts down the write side ({@code TSVConnShutdown(vc, 0, 1)}). */
    public void shutdownWrite() {
        vconn.shutdown(ShutdownHow.WRITE);
    }

    /** Consumes no more than {@code total} response bytes in all, until {@link #resume()}. */
    public void pauseAt(long total) {
        pauseAt = total;
    }

    /** Consumes again (up to the next pause point, if one was set after the last). */
    public void resume() {
        resumeUntil(Long.MAX_VALUE);
    }

    /** Consumes up to {@code total} response bytes in all, and what is buffered now. */
    public void resumeUntil(long total) {
        lock.lock();
        try {
            pauseAt = total;
            drain();
            if (read != null && !closed) {
                read.reenable();
            }
        } finally {
            lock.unlock();
        }
    }

    private void handle(Event event, Object data) {
        if (closed) {
            return;
        }
        try {
            if (!(data instanceof VIO vio) || (vio != read && vio != write)) {
                fail(event + " for a VIO that is not this client's: " + data);
                return;
            }
            switch (event) {
                case READ_READY, READ_COMPLETE -> drain();
                case EOS -> {
                    eos = true; // first: drain must not reenable, which would report EOS again
                    drain();
                }
                case ERROR -> {
                    if (vio == read) {
                        readError = true;
                    } else {
                        writeError = true;
                    }
                }
                case WRITE_READY -> { }
                case WRITE_COMPLETE -> {
                    writeComplete = true;
                    if (readAfterWrite && read == null) {
                        read = vconn.read(continuation, Long.MAX_VALUE, in);
                    }
                    if (shutdownAfterWrite) {
                        vconn.shutdown(ShutdownHow.WRITE);
                    }
                }
                default -> fail("unexpected event " + event);
            }
        } catch (RuntimeException | AssertionError e) {
            fail(event + ": " + e);
        }
    }

    private void drain() {
        long avail = inReader.readAvail();
        boolean moved = false;
        while (avail > 0 && consumed < pauseAt) {
            int n = (int) Math.min(Math.min(avail, chunk.length), pauseAt - consumed);
            inReader.read(chunk, 0, n);
            parser.feed(chunk, 0, n);
            consumed += n;
            avail -= n;
            moved = true;
        }
        if (eos && avail == 0) {
            parser.endOfStream();
        }
        if (moved && consumed < pauseAt && read != null && !eos) {
            read.reenable();
        }
    }

    private void fail(String what) {
        if (failure == null) {
            failure = "kit client: " + what;
        }
    }

    /** The responses so far (interim ones included). */
    public List<HttpWire.Response> responses() {
        return parser.responses();
    }

    /** The final responses so far. */
    public List<HttpWire.Response> finalResponses() {
        return parser.finalResponses();
    }

    /** The first HTTP violation the parser saw, or the first broken rule of this client, or null. */
    public String failure() {
        String v = parser.violation();
        return failure != null ? failure : v == null ? null : "the proxy wrote bad HTTP: " + v;
    }

    /** Whether the stream ended in the middle of a response (meaningful once EOS came). */
    public boolean truncated() {
        return locked(parser::truncated);
    }

    /** Response bytes consumed so far. */
    public long consumed() {
        return consumed;
    }

    /** Bytes the read VIO moved into the read buffer so far (consumed or not). */
    public long readDone() {
        return locked(() -> read == null ? 0 : read.ndone());
    }

    /** Whether the read got EOS. */
    public boolean eos() {
        return eos;
    }

    /** Whether the read got ERROR. */
    public boolean readError() {
        return readError;
    }

    /** Whether the write got ERROR. */
    public boolean writeError() {
        return writeError;
    }

    /** Whether a write of exact length ({@link #sendThenRead}) completed. */
    public boolean writeComplete() {
        return writeComplete;
    }

    /** Closes the connection normally and frees the buffers. Idempotent. */
    @Override
    public void close() {
        end(() -> vconn.close());
    }

    /** Resets the connection ({@code TSVConnAbort}) and frees the buffers. */
    public void abort() {
        end(() -> vconn.abort(Errno.ECONNRESET, new java.io.IOException("the kit client resets")));
    }

    private void end(Runnable how) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            how.run();
            out.close();
            in.close();
        } finally {
            lock.unlock();
        }
    }

    private <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
