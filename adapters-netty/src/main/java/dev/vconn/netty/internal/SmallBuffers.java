package dev.vconn.netty.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Objects;

/**
 * The direct buffers one loop's VConns copy small reads and writes through (docs/netty-adapter.md, Small reads and
 * writes): one read buffer and one write buffer that the loop's VConns take in turn. A request-response connection
 * holds a small buffer only for an instant (a write is normally in the kernel before {@code writeAndFlush} returns,
 * and a small read is copied out by the pass its read dispatch runs), so the loop's next transfer finds the same buffer
 * free again and takes it without asking the allocator, whose pooled take and give-back (thread cache, recycler and
 * the leak detector's sampling, which records two stack traces for one buffer in 128) cost more than the copy.
 *
 * <p>Each slot keeps one reference of its own to its buffer; the buffer is free when that is the only one left
 * ({@code refCnt() == 1}). A taken buffer is handed out with one more reference, cleared (indices at 0): its user
 * releases it as any other buffer, and Netty releases a written one as usual. A buffer still held when the next
 * transfer asks (Netty has not written it yet, or a read's bytes are still staged) is left to its holders and the
 * slot takes a new one from the allocator. Loop thread only, like the VConns that use it; {@link #close()} gives the
 * slots' buffers back once the loop has stopped.
 */
final class SmallBuffers {
    private final Slot read;
    private final Slot write;

    /**
     * Buffers from {@code allocator}: reads of {@code readSize} bytes, writes of at most {@code writeSize}.
     */
    SmallBuffers(ByteBufAllocator allocator, int readSize, int writeSize) {
        Objects.requireNonNull(allocator, "allocator");
        this.read = new Slot(allocator, readSize);
        this.write = new Slot(allocator, writeSize);
    }

    /** An empty direct buffer of exactly the read size to read into; the caller releases it. */
    ByteBuf forRead() {
        return read.take();
    }

    /** An empty direct buffer with room for {@code bytes} (at most the write size); the caller releases it. */
    ByteBuf forWrite(int bytes) {
        if (bytes > write.capacity) {
            throw new IllegalArgumentException("a small write holds at most " + write.capacity + " bytes, got " + bytes);
        }
        return write.take();
    }

    /**
     * Gives back the slots' own references; later takes get buffers of the allocator that the slots do not keep.
     * Call on the loop, or once the loop has stopped.
     */
    void close() {
        read.close();
        write.close();
    }

    private static final class Slot {
        private final ByteBufAllocator allocator;
        private final int capacity;
        private ByteBuf held;
        private boolean closed;

        Slot(ByteBufAllocator allocator, int capacity) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("capacity must be > 0, was " + capacity);
            }
            this.allocator = allocator;
            this.capacity = capacity;
        }

        ByteBuf take() {
            ByteBuf buf = held;
            if (buf != null && buf.refCnt() == 1) {
                return buf.retain().clear(); // nobody else holds it: no byte of its last use is readable
            }
            ByteBuf fresh = allocator.directBuffer(capacity, capacity);
            if (!closed) {
                if (buf != null) {
                    buf.release(); // its other holder gives it back to the allocator when done with it
                }
                held = fresh.retain();
            }
            return fresh;
        }

        void close() {
            closed = true;
            ByteBuf buf = held;
            if (buf != null) {
                held = null;
                buf.release();
            }
        }
    }
}
