package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * {@link IOBuffer#trim()}: a buffer whose readers consumed everything gives all its storage back, write block
 * included, and goes on working; unread bytes are never touched.
 */
class IOBufferTrimTest extends BufferTestSupport {

  @Test
  void aDrainedBufferReleasesEveryBlockAndKeepsWorking() {
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader r = b.allocReader();
    b.write(pattern(300, 1)); // three 128 B blocks, the last one partly free
    r.consume(300);
    assertEquals(1, b.blockCount(), "consuming keeps the write block");
    assertEquals(1, pool.outstanding());

    assertEquals(1, b.trim());
    assertEquals(0, b.blockCount());
    assertEquals(0, pool.outstanding(), "an idle buffer holds no storage");
    assertEquals(0, b.currentWriteAvail());
    assertEquals(0, b.trim(), "nothing left to release");

    byte[] next = pattern(200, 2);
    b.write(next);
    assertEquals(200, r.readAvail());
    assertArrayEquals(next, peekAll(r), "the reader reads on from where it was");
    r.consume(200);
    b.close();
  }

  @Test
  void unreadBytesStayAndOnlyTheEmptyBlocksAfterTheWriteBlockGo() {
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader fast = b.allocReader();
    IOBufferReader slow = b.allocReader();
    b.setWaterMark(512);
    byte[] data = pattern(200, 3);
    b.write(data);
    fast.consume(200);
    b.writeAvail(); // adds free blocks up to the water mark
    int before = b.blockCount();
    assertEquals(before - 2, b.trim(), "every block after the write block is empty space");
    assertEquals(2, b.blockCount());
    assertArrayEquals(data, peekAll(slow), "a reader with unread bytes keeps them");
    b.write(pattern(100, 4));
    assertEquals(300, slow.readAvail());
    assertEquals(100, fast.readAvail());
    slow.consume(300);
    fast.consume(100);
    b.trim();
    assertEquals(0, pool.outstanding());
    b.close();
  }

  @Test
  void aReaderAllocatedAfterATrimSeesOnlyWhatIsWrittenAfterwards() {
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader r = b.allocReader();
    b.write(pattern(50, 5));
    r.consume(50);
    b.trim();
    IOBufferReader late = b.allocReader();
    assertEquals(0, late.readAvail(), "50 bytes were written before it, none since");
    byte[] next = pattern(20, 6);
    b.write(next);
    assertArrayEquals(next, peekAll(late));
    assertEquals(20, r.readAvail());
    b.close();
  }

  @Test
  void sharedStorageIsLetGoSoItsOwnerCanReturnIt() {
    IOBuffer source = new IOBuffer(pool);
    IOBufferReader sr = source.allocReader();
    source.write(pattern(1000, 7));
    IOBuffer copy = new IOBuffer(pool);
    IOBufferReader cr = copy.allocReader();
    copy.write(sr, 1000); // by reference
    sr.consume(1000);
    source.close();
    cr.consume(1000);
    assertEquals(1, pool.outstanding(), "the copy still shares the source's block");
    copy.trim();
    assertEquals(0, pool.outstanding());
    copy.close();
  }

  @Test
  void withoutReadersEverythingGoes() {
    IOBuffer b = new IOBuffer(pool, 0);
    b.write(pattern(300, 8));
    assertEquals(1, b.trim(), "with no reader only the write block was still held");
    assertEquals(0, pool.outstanding());
    b.close();
  }

  @Test
  void aWritableViewIsGoneAfterATrim() {
    IOBuffer b = new IOBuffer(pool, 0);
    b.allocReader();
    b.writableBuffer();
    b.trim();
    assertEquals(0, b.blockWriteAvail());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.fill(1));
    assertEquals("fill(1) exceeds the write block's free space 0 (commit at most what writableBuffer() exposed)",
        e.getMessage());
    b.close();
    assertThrows(IllegalStateException.class, b::trim);
  }
}
