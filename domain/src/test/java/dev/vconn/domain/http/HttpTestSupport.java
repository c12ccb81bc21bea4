package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** A pool per test, buffers closed after each test, and a check that all storage went back. */
abstract class HttpTestSupport {

  protected final BlockPool pool = new BlockPool();
  private final List<IOBuffer> buffers = new ArrayList<>();

  @AfterEach
  void closeBuffersAndCheckPool() {
    buffers.forEach(IOBuffer::close);
    assertEquals(0, pool.outstanding(), () -> "storage not returned: " + pool);
  }

  /** A new buffer (closed after the test) holding {@code text}, and its reader. */
  IOBufferReader readerOf(String text) {
    IOBuffer b = new IOBuffer(pool);
    buffers.add(b);
    IOBufferReader r = b.allocReader();
    b.write(bytes(text));
    return r;
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  static String peek(IOBufferReader r) {
    byte[] b = new byte[Math.toIntExact(r.readAvail())];
    r.copyTo(b, 0, b.length, 0);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static <H> H parsed(HttpHeadParser.Result<H> result) {
    if (result instanceof HttpHeadParser.Parsed<H> p) {
      return p.head();
    }
    return fail("expected Parsed, got " + result);
  }

  static void assertRejected(int status, HttpHeadParser.Result<?> result) {
    HttpHeadParser.Rejected<?> r = assertInstanceOf(HttpHeadParser.Rejected.class, result,
        () -> "expected Rejected " + status + ", got " + result);
    assertEquals(status, r.status(), () -> "wrong status: " + r);
  }
}
