package dev.vconn.bench.support;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * Streams bytes from one VConn to another, the way a vconn user would: a sender continuation refills its write
 * buffer on WRITE_READY, a receiver continuation drains its read buffer inside READ_READY (no reenable needed), both
 * on their VConns' loops. Both VIOs are unbounded and stay posted for the whole run; a batch only raises the
 * sender's budget and the receiver's target, so steady state has no per-batch setup. The benchmark thread posts
 * {@link #batchTask} and waits on the gate once per batch (see {@link BenchTransports#runBatch}).
 */
public final class StreamRig implements AutoCloseable {
    /** Appends bytes to the write buffer. */
    @FunctionalInterface
    public interface Source {
        /** Appends between 1 and {@code max} bytes to {@code out}; returns how many. */
        long fill(IOBuffer out, long max);
    }

    /** Takes bytes out of the read buffer. */
    @FunctionalInterface
    public interface Sink {
        /** Consumes exactly {@code n} readable bytes of {@code in}. */
        void drain(IOBufferReader in, long n);
    }

    private final VConn writer;
    private final VConn reader;
    private final Source source;
    private final Sink sink;
    private final long lowMark;
    private final IOBuffer out;
    private final IOBufferReader outReader;
    private final IOBuffer in;
    private final IOBufferReader inReader;
    private final Continuation sender;
    private final Continuation receiver;
    private final WriteVio writeVio;
    private final Gate gate = new Gate();

    /** Bytes the sender may still append; touched on the writer's loop only. */
    private long budget;
    /** Bytes the receiver drained; touched on the reader's loop only. */
    private long received;
    /** Bytes the receiver must have drained when the current batch ends; set by the benchmark thread. */
    private volatile long target;

    /**
     * Posts an unbounded write on {@code writer} and an unbounded read on {@code reader}.
     *
     * @param lowMark the sender appends while fewer than this many bytes wait in its buffer
     */
    public StreamRig(VConn writer, VConn reader, BlockPool pool, long lowMark, Source source, Sink sink) {
        this.writer = writer;
        this.reader = reader;
        this.source = source;
        this.sink = sink;
        this.lowMark = lowMark;
        this.out = new IOBuffer(pool);
        this.outReader = out.allocReader();
        this.in = new IOBuffer(pool);
        this.inReader = in.allocReader();
        this.sender = new Continuation(this::onWriteEvent);
        this.receiver = new Continuation(this::onReadEvent);
        // Posted under the continuations' locks, so no event can arrive before the fields are set.
        receiver.lock().lock();
        try {
            reader.read(receiver, Long.MAX_VALUE, in);
        } finally {
            receiver.lock().unlock();
        }
        sender.lock().lock();
        try {
            writeVio = writer.write(sender, Long.MAX_VALUE, outReader);
        } finally {
            sender.lock().unlock();
        }
    }

    /** The gate the batches open. */
    public Gate gate() {
        return gate;
    }

    /**
     * Moves {@code bytes} more from writer to reader and waits until the receiver has drained them: one post to
     * the loop and one wait per call.
     */
    public void transfer(long bytes) {
        target += bytes; // only the benchmark thread writes it
        BenchTransports.runBatch(writer.eventLoop(), () -> startBatch(bytes), gate);
    }

    private void startBatch(long bytes) {
        sender.lock().lock(); // the write buffer is guarded by the sender's lock
        try {
            budget += bytes;
            refill();
        } finally {
            sender.lock().unlock();
        }
        writeVio.reenable(); // the write may have parked on an empty buffer
    }

    private void refill() {
        while (budget > 0 && outReader.readAvail() < lowMark) {
            budget -= source.fill(out, budget);
        }
    }

    private void onWriteEvent(Event event, Object data) {
        switch (event) {
            case WRITE_READY -> refill();
            default -> gate.fail("sender got " + event + ", error " + writer.error());
        }
    }

    private void onReadEvent(Event event, Object data) {
        switch (event) {
            case READ_READY, READ_COMPLETE -> {
                long n = inReader.readAvail();
                if (n > 0) {
                    sink.drain(inReader, n);
                    received += n;
                }
                if (received >= target) {
                    gate.open();
                }
            }
            default -> gate.fail("receiver got " + event + ", error " + reader.error());
        }
    }

    /** Closes both VConns, lets their loops finish with them, then closes the buffers. */
    @Override
    public void close() {
        writer.close();
        reader.close();
        BenchTransports.settle(writer.eventLoop());
        BenchTransports.settle(reader.eventLoop());
        out.close();
        in.close();
    }
}
