package dev.vconn.plugin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link BodyReader}: every framing, fed in pieces as a VIO would deliver them. */
class BodyReaderTest {
  private final BlockPool pool = BlockPool.heap();
  private final IOBuffer buffer = new IOBuffer(pool, 0); // 128-byte blocks: pieces cross block boundaries
  private final IOBufferReader reader = buffer.allocReader();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @AfterEach
  void noBlockLeft() {
    buffer.close();
    assertEquals(0, pool.outstanding());
  }

  /** Feeds {@code wire} one piece of {@code step} bytes at a time; returns whether the body completed. */
  private boolean feed(BodyReader body, String wire, int step) throws BodyReader.BadBodyException {
    byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
    boolean done = false;
    for (int i = 0; i < bytes.length; i += step) {
      buffer.write(bytes, i, Math.min(step, bytes.length - i));
      done = body.read(reader, out);
    }
    return done;
  }

  @Test
  void chunked_with_extensions_and_trailers_in_every_split() throws Exception {
    String wire = "5;name=value\r\nhello\r\n1a\r\n" + "x".repeat(26) + "\r\n0\r\nTrailer: yes\r\n\r\nNEXT";
    for (int step = 1; step <= wire.length(); step++) {
      out.reset();
      reader.consume(reader.readAvail());
      BodyReader body = BodyReader.forRequest(new HttpHeaders().add("Transfer-Encoding", "chunked"));
      assertTrue(feed(body, wire, step), "step " + step);
      assertEquals("hello" + "x".repeat(26), out.toString(StandardCharsets.ISO_8859_1));
      assertEquals(4, reader.readAvail(), "bytes after the body stay: step " + step);
    }
  }

  @Test
  void chunked_rejects_bad_framing_and_a_cut() throws Exception {
    for (String bad : new String[] {"zz\r\n", "5\r\nhelloX\r\n", "\r\n", "-1\r\n", "1" + "0".repeat(20) + "\r\n"}) {
      reader.consume(reader.readAvail());
      BodyReader body = BodyReader.forRequest(new HttpHeaders().add("Transfer-Encoding", "chunked"));
      assertThrows(BodyReader.BadBodyException.class, () -> feed(body, bad, bad.length()), bad);
    }
    reader.consume(reader.readAvail());
    BodyReader cut = BodyReader.forRequest(new HttpHeaders().add("Transfer-Encoding", "chunked"));
    assertFalse(feed(cut, "5\r\nhel", 3));
    assertThrows(BodyReader.BadBodyException.class, cut::endOfStream);
  }

  @Test
  void content_length_takes_exactly_its_bytes() throws Exception {
    BodyReader body = BodyReader.forRequest(new HttpHeaders().add("Content-Length", "5"));
    assertTrue(feed(body, "helloGET /next", 2));
    assertEquals("hello", out.toString(StandardCharsets.ISO_8859_1));
    assertEquals(9, reader.readAvail());
    assertTrue(BodyReader.forRequest(new HttpHeaders()).read(reader, out), "no body at all");
  }

  @Test
  void responses_without_length_end_with_the_connection_and_some_have_no_body() throws Exception {
    HttpResponseHead noLength = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", new HttpHeaders());
    BodyReader body = BodyReader.forResponse("GET", noLength);
    assertFalse(feed(body, "until the end", 4));
    body.endOfStream();
    assertTrue(body.read(reader, out));
    assertEquals("until the end", out.toString(StandardCharsets.ISO_8859_1));
    HttpResponseHead withLength = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK",
        new HttpHeaders().add("Content-Length", "10"));
    assertTrue(BodyReader.forResponse("HEAD", withLength).isDone());
    assertTrue(BodyReader.forResponse("GET",
        new HttpResponseHead(HttpVersion.HTTP_1_1, 204, "No Content", new HttpHeaders())).isDone());
    assertThrows(BodyReader.BadBodyException.class, () -> BodyReader.forResponse("GET",
        new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", new HttpHeaders().add("Content-Length", "x"))));
  }
}
