package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunk-size lines held to the RFC 9112 §7.1.1 grammar: a CR or LF may end the line only outside a quoted string,
 * so no two parsers on the path can disagree on where the chunk data starts. Fed whole and byte by byte.
 */
class BodyDecoderChunkExtensionTest {

  /** Decodes {@code body} with a response decoder, in pieces of {@code step} bytes; returns the decoded bytes. */
  static String decode(String body, int status, int step) throws BadMessageException {
    BlockPool pool = new BlockPool();
    IOBuffer in = new IOBuffer(pool);
    IOBufferReader reader = in.allocReader();
    IOBuffer out = new IOBuffer(pool);
    IOBufferReader outReader = out.allocReader();
    try {
      BodyDecoder d = BodyDecoder.chunked(1024, status);
      byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
      for (int at = 0; at < b.length; at += step) {
        in.write(b, at, Math.min(step, b.length - at));
        d.decode(reader, new BodySink(out, outReader, Long.MAX_VALUE, false));
      }
      assertTrue(d.isDone(), "the body ended");
      assertEquals(0, reader.readAvail(), "nothing after the body");
      byte[] got = new byte[(int) outReader.readAvail()];
      outReader.read(got, 0, got.length);
      return new String(got, StandardCharsets.ISO_8859_1);
    } finally {
      in.close();
      out.close();
      assertEquals(0, pool.outstanding());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "5;x", "5;x=y", "5;x=\"a b\"", "5 ;x", "5; x = y ; z", "5;x=\"q\\\"\"",
      "5;x=\"\\\\\";y=1", "5;x=\"\t\u00e9\"", "5;a;b;c=d", "5;x=\"\";y"})
  void well_formed_size_lines_are_read(String sizeLine) throws BadMessageException {
    for (int step : new int[] {1, 1000}) {
      assertEquals("hello", decode(sizeLine + "\r\nhello\r\n0\r\n\r\n", 502, step), sizeLine);
    }
  }

  /**
   * Each body is read whole, without an error, by a decoder that ends the size line at any CR or LF and skips the
   * extensions unchecked (as this one did): the two readings differ, so the body must be rejected.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "2;x=\"a\r\nb\"\r\n0\r\n\r\n", // the quoted CRLF: a lenient reader takes 'b"' as the chunk data
      "2;x=\"a\nb\"\r\n0\r\n\r\n",
      "5;x=\"a\r\nb\"\r\nhello\r\n0\r\n\r\n",
      "2;x=\"a\\\r\nb\"\r\n0\r\n\r\n",
      "5;x=\"a\r\nhello\r\n0\r\n\r\n",
      "5;\r\nhello\r\n0\r\n\r\n",
      "5;=y\r\nhello\r\n0\r\n\r\n",
      "5;x=\r\nhello\r\n0\r\n\r\n",
      "5;x y\r\nhello\r\n0\r\n\r\n",
      "5;x=y z\r\nhello\r\n0\r\n\r\n",
      "5;x=\"a\"b\r\nhello\r\n0\r\n\r\n",
      "5;x=a\"b\"\r\nhello\r\n0\r\n\r\n",
      "5;x=\"a\"\"b\"\r\nhello\r\n0\r\n\r\n",
      "5;x(y)\r\nhello\r\n0\r\n\r\n",
      "5;x,y\r\nhello\r\n0\r\n\r\n",
      "5;x=\"a\rb\"\r\nhello\r\n0\r\n\r\n", // a bare CR, rejected before too
      "5;x=\"a\u0000\"\r\nhello\r\n0\r\n\r\n",
      "5\rx\r\nhello\r\n0\r\n\r\n"})
  void malformed_size_lines_are_rejected_with_the_decoders_status(String body) {
    for (int status : new int[] {400, 502}) {
      for (int step : new int[] {1, 1000}) {
        BadMessageException e = assertThrows(BadMessageException.class, () -> decode(body, status, step), body);
        assertEquals(status, e.status());
        assertTrue(e.getMessage().startsWith("bad chunked body: "), e.getMessage());
      }
    }
  }
}
