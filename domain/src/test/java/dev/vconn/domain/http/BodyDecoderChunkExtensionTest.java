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

  @ParameterizedTest
  @ValueSource(strings = {"5;x=\"a\r\nb\"", "5;x=\"a\rb\"", "5;x=\"a\nb\"", "5;x=\"a\\\r\nb\"", "5;x=\"a",
      "5;x=\"a\0\"", "5;", "5;=y", "5;x=", "5;x y", "5;x=y z", "5;x=\"a\"b", "5;x=a\"b\"", "5;x=\"a\"\"b\"",
      "5;x(y)", "5\rx", "5;x\r", "5;x=\"a\"\r"})
  void malformed_size_lines_are_rejected_with_the_decoders_status(String sizeLine) {
    for (int status : new int[] {400, 502}) {
      for (int step : new int[] {1, 1000}) {
        BadMessageException e = assertThrows(BadMessageException.class,
            () -> decode(sizeLine + "\r\nb\"\r\n0\r\n\r\n" + "hello\r\n0\r\n\r\n", status, step), sizeLine);
        assertEquals(status, e.status());
        assertTrue(e.getMessage().startsWith("bad chunked body: "), e.getMessage());
      }
    }
  }
}
