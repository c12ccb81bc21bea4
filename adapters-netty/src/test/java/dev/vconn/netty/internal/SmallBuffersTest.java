package dev.vconn.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A loop's small buffers (docs/netty-adapter.md, Small reads and writes): a buffer its user gave back is taken again
 * without asking the allocator and shows nothing of its last use; a buffer someone still holds is never handed out
 * twice; closing gives the slots' own references back.
 */
class SmallBuffersTest {
    private static final int READ_SIZE = 4096;
    private static final int WRITE_SIZE = 2048;

    private final CountingAllocator allocator = new CountingAllocator();
    private final SmallBuffers buffers = new SmallBuffers(allocator, READ_SIZE, WRITE_SIZE);

    @Test
    void a_given_back_write_buffer_is_taken_again_empty_without_a_new_allocation() {
        ByteBuf first = buffers.forWrite(WRITE_SIZE);
        first.writeBytes("x".repeat(WRITE_SIZE).getBytes(StandardCharsets.US_ASCII));
        first.readerIndex(5);
        first.release(); // written: Netty gave it back

        ByteBuf second = buffers.forWrite(3);
        assertSame(first, second, "the free buffer is reused");
        assertEquals(1, allocator.taken, "one allocation for both writes");
        assertEquals(0, second.readerIndex());
        assertEquals(0, second.readableBytes(), "nothing of the last write is readable");
        assertEquals(WRITE_SIZE, second.writableBytes());
        second.writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals("abc", second.toString(StandardCharsets.US_ASCII));
        second.release();
        buffers.close();
        assertEquals(0, second.refCnt(), "closing gave the slot's reference back");
    }

    @Test
    void a_given_back_read_buffer_is_taken_again_empty_with_the_whole_read_size() {
        ByteBuf first = buffers.forRead();
        assertEquals(READ_SIZE, first.writableBytes());
        assertEquals(READ_SIZE, first.maxCapacity(), "a small read never grows its buffer");
        first.writeBytes(new byte[100]);
        first.release();

        ByteBuf second = buffers.forRead();
        assertSame(first, second);
        assertEquals(0, second.readableBytes());
        assertEquals(READ_SIZE, second.writableBytes());
        second.release();
        buffers.close();
    }

    @Test
    void a_buffer_still_held_is_not_handed_out_again() {
        ByteBuf inFlight = buffers.forWrite(100);
        inFlight.writeBytes(new byte[100]); // Netty holds it: not all of it is in the kernel yet

        ByteBuf next = buffers.forWrite(100);
        assertNotSame(inFlight, next, "a held buffer is not shared with the next write");
        assertEquals(2, allocator.taken);

        inFlight.release(); // Netty finally wrote it: it goes back to the allocator, the slot let go of it
        assertEquals(0, inFlight.refCnt());
        next.release();
        ByteBuf again = buffers.forWrite(100);
        assertSame(next, again, "the slot now keeps the new buffer");
        again.release();
        buffers.close();
        assertEquals(0, again.refCnt());
    }

    @Test
    void reads_and_writes_take_separate_buffers() {
        ByteBuf read = buffers.forRead();
        ByteBuf write = buffers.forWrite(10);
        assertNotSame(read, write);
        read.release();
        write.release();
        buffers.close();
    }

    @Test
    void after_close_buffers_are_the_callers_alone() {
        ByteBuf kept = buffers.forRead();
        kept.release();
        buffers.close();
        assertEquals(0, kept.refCnt(), "closing gave the slot's reference back");

        ByteBuf late = buffers.forRead();
        assertNotSame(kept, late);
        late.release();
        assertEquals(0, late.refCnt(), "a buffer taken after close is not kept by the slot");
    }

    @Test
    void a_write_larger_than_the_write_size_is_refused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> buffers.forWrite(WRITE_SIZE + 1));
        assertTrue(e.getMessage().contains("at most " + WRITE_SIZE), e.getMessage());
        assertEquals(0, allocator.taken);
        buffers.close();
    }

    /** Unpooled direct buffers, counted. */
    private static final class CountingAllocator extends AbstractByteBufAllocator {
        int taken;

        CountingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            taken++;
            return Unpooled.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return Unpooled.buffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }
}
