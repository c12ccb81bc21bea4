package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Traffic Server's InkAPITest {@code SDK_API_TSIOBuffer*} cases, on the default 32 KiB buffer. */
class IOBufferInkApiTest extends BufferTestSupport {

  @Test
  void createWaterMarkRoundTrip() {
    try (IOBuffer b = new IOBuffer(pool)) {
      assertEquals(BufferSizes.DEFAULT_INDEX, b.sizeIndex());
      assertEquals(0, b.waterMark());
      b.setWaterMark(1000);
      assertEquals(1000, b.waterMark());
    }
  }

  @Test
  void produce() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      b.writableBuffer();
      b.fill(10);
      assertEquals(10, r.readAvail());
    }
  }

  @Test
  void readerConsume() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      b.writableBuffer();
      b.fill(10);
      r.consume(10);
      assertEquals(0, r.readAvail());
      assertTrue(r.isEmpty());
    }
  }

  @Test
  void readerClone() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      b.writableBuffer();
      b.fill(10);
      r.consume(5);
      IOBufferReader c = r.cloneReader();
      assertEquals(5, c.readAvail());
      assertEquals(2, b.readerCount());
      c.consume(5);
      assertEquals(5, r.readAvail(), "a clone moves on its own");
    }
  }

  @Test
  void copyRoundTripsAString() {
    byte[] text = "This is a test string for TSIOBufferCopy".getBytes(StandardCharsets.US_ASCII);
    try (IOBuffer b1 = new IOBuffer(pool); IOBuffer b2 = new IOBuffer(pool)) {
      IOBufferReader r1 = b1.allocReader();
      IOBufferReader r2 = b2.allocReader();
      assertEquals(text.length, b1.write(text));
      assertEquals(text.length, b2.write(r1, text.length));
      assertEquals(text.length, r1.readAvail(), "the source is not consumed");

      byte[] copied = new byte[text.length];
      assertEquals(text.length, r2.copyTo(copied, 0, copied.length, 0));
      assertArrayEquals(text, copied);

      byte[] read = new byte[64];
      assertEquals(text.length, r2.read(read, 0, read.length));
      assertEquals(new String(text, StandardCharsets.US_ASCII),
          new String(read, 0, text.length, StandardCharsets.US_ASCII));
      assertEquals(0, r2.readAvail());
    }
  }

  @Test
  void blockReadPlusWriteAvailIsTheDefaultBlockSize() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      b.write("test".getBytes(StandardCharsets.US_ASCII));
      assertEquals(32768, r.readAvail() + b.blockWriteAvail());
      assertEquals(1, pool.outstanding(BufferSizes.DEFAULT_INDEX));
    }
  }
}
