package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trailer section of a chunked body: parsed like head fields, available once the body is done, held to the
 * limits (docs/http.md, "Trailers"). Fed whole and byte by byte.
 */
class BodyDecoderTrailersTest {
  private static final String BODY = "5\r\nhello\r\n0\r\n";

  /** Decodes {@code wire} in pieces of {@code step} bytes; returns the decoder, done. */
  static BodyDecoder decode(BodyDecoder d, String wire, int step) throws BadMessageException {
    BlockPool pool = new BlockPool();
    IOBuffer in = new IOBuffer(pool);
    IOBuffer out = new IOBuffer(pool);
    try {
      IOBufferReader reader = in.allocReader();
      BodySink sink = new BodySink(out, out.allocReader(), Long.MAX_VALUE, false);
      byte[] b = wire.getBytes(StandardCharsets.ISO_8859_1);
      for (int at = 0; at < b.length; at += step) {
        assertTrue(d.isDone() || d.trailers().isEmpty(), "no trailers before the body is done");
        in.write(b, at, Math.min(step, b.length - at));
        d.decode(reader, sink);
      }
      return d;
    } finally {
      in.close();
      out.close();
      assertEquals(0, pool.outstanding());
    }
  }

  @Test
  void trailer_fields_are_kept_in_order_with_their_values_trimmed_in_every_split() throws BadMessageException {
    for (int step : new int[] {1, 3, 1000}) {
      BodyDecoder d = decode(BodyDecoder.chunked(1024, 10, 502),
          BODY + "X-A: 1\r\nx-b:\t two words \r\nX-A: 3\n\r\nNEXT", step);
      assertTrue(d.isDone());
      assertEquals(new HttpHeaders().add("X-A", "1").add("x-b", "two words").add("X-A", "3"), d.trailers());
    }
  }

  @Test
  void a_body_without_trailers_and_other_bodies_have_none() throws BadMessageException {
    assertTrue(decode(BodyDecoder.chunked(1024, 400), BODY + "\r\n", 1).trailers().isEmpty());
    BodyDecoder fixed = decode(BodyDecoder.fixed(5), "hello", 1000);
    assertTrue(fixed.isDone());
    assertTrue(fixed.trailers().isEmpty());
  }

  @Test
  void the_trailers_are_a_copy() throws BadMessageException {
    BodyDecoder d = decode(BodyDecoder.chunked(1024, 400), BODY + "X-A: 1\r\n\r\n", 1000);
    d.trailers().add("X-B", "2");
    assertEquals(new HttpHeaders().add("X-A", "1"), d.trailers());
  }

  /** Field lines a head would reject: a lenient trailer reader would forward them for the next parser to misread. */
  @ParameterizedTest
  @ValueSource(strings = {"X-A : 1\r\n", "X-A: 1\r\n folded\r\n", "no colon\r\n", ": empty name\r\n",
      "X-A: a\u0000b\r\n", "X\u00e9: 1\r\n", "X-A: 1\rX-B: 2\r\n"})
  void malformed_trailer_fields_are_rejected_with_the_decoders_status(String field) {
    for (int status : new int[] {400, 502}) {
      for (int step : new int[] {1, 1000}) {
        BadMessageException e = assertThrows(BadMessageException.class,
            () -> decode(BodyDecoder.chunked(1024, status), BODY + field + "\r\n", step), field);
        assertEquals(status, e.status(), field);
      }
    }
  }

  @Test
  void a_trailer_section_over_a_limit_is_431_for_a_request_and_502_for_a_response() throws BadMessageException {
    String twoFields = BODY + "X-A: 1\r\nX-B: 2\r\n\r\n"; // 16 bytes of trailer section with the empty line
    assertTrue(decode(BodyDecoder.chunked(18, 2, 400), twoFields, 1).isDone(), "exactly at both limits");
    for (int[] limits : new int[][] {{17, 2}, {18, 1}}) {
      for (int status : new int[] {400, 502}) {
        BodyDecoder d = BodyDecoder.chunked(limits[0], limits[1], status);
        BadMessageException e = assertThrows(BadMessageException.class, () -> decode(d, twoFields, 1));
        assertEquals(status == 400 ? 431 : 502, e.status());
        assertFalse(d.isDone());
      }
    }
  }

  @Test
  void the_limits_of_heads_apply_through_for_request_and_for_response() {
    HttpLimits limits = new HttpLimits(1024, 4096, 2);
    String threeFields = BODY + "X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n";
    HttpHeaders chunked = new HttpHeaders().add("Transfer-Encoding", "chunked");
    BadMessageException request = assertThrows(BadMessageException.class,
        () -> decode(BodyDecoder.forRequest(chunked, limits), threeFields, 1000));
    assertEquals(431, request.status());
    BadMessageException response = assertThrows(BadMessageException.class, () -> decode(
        BodyDecoder.forResponse("GET", new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", chunked), limits),
        threeFields, 1000));
    assertEquals(502, response.status());
  }
}
