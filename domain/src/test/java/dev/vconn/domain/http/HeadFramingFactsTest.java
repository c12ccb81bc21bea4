package dev.vconn.domain.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A head's framing facts (chunked, Content-Length, which coded fields are present) are read once and kept until the
 * next change; the forwarded head is copied a run of entries at a time and written from the received bytes; heads
 * are written into buffers through a reused per-thread array. None of that may change what is framed or sent: a
 * change after the first question is seen, the wire form is byte for byte the one {@code toBytes} gives, and the
 * framing attacks still reach no origin.
 */
class HeadFramingFactsTest {

  static HttpResponseHead parsedResponse(String head) {
    BlockPool pool = new BlockPool();
    IOBuffer in = new IOBuffer(pool);
    try {
      IOBufferReader reader = in.allocReader();
      in.write(head.getBytes(ISO_8859_1));
      return ((HttpHeadParser.Parsed<HttpResponseHead>) new HttpHeadParser().parseResponse(reader)).head();
    } finally {
      in.close();
    }
  }

  static HttpRequestHead parsedRequest(String head) {
    BlockPool pool = new BlockPool();
    IOBuffer in = new IOBuffer(pool);
    try {
      IOBufferReader reader = in.allocReader();
      in.write(head.getBytes(ISO_8859_1));
      return ((HttpHeadParser.Parsed<HttpRequestHead>) new HttpHeadParser().parseRequest(reader)).head();
    } finally {
      in.close();
    }
  }

  @Nested
  class ChangesAfterTheFirstQuestion {
    @Test
    void chunked_is_read_again_after_transfer_encoding_is_set_or_removed() {
      HttpHeaders h = parsedResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").headers();
      assertTrue(h.isChunked());
      h.set(HttpHeaders.TRANSFER_ENCODING, "gzip");
      assertFalse(h.isChunked(), "set after the first question");
      h.add(HttpHeaders.TRANSFER_ENCODING, "Chunked");
      assertTrue(h.isChunked(), "add after a question");
      assertEquals(2, h.remove("transfer-encoding"));
      assertFalse(h.isChunked(), "remove after a question");
      assertFalse(h.contains(HttpHeaders.TRANSFER_ENCODING));
    }

    @Test
    void content_length_is_read_again_after_each_change() {
      HttpHeaders h = parsedResponse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").headers();
      assertEquals(100, h.contentLengthOrNegative());
      assertEquals(100, h.contentLength().getAsLong());
      h.set(HttpHeaders.CONTENT_LENGTH, "7");
      assertEquals(7, h.contentLengthOrNegative(), "set after the first question");
      h.add("content-length", "8");
      assertThrows(IllegalStateException.class, h::contentLengthOrNegative, "a conflicting line added later");
      assertThrows(IllegalStateException.class, h::contentLengthOrNegative, "a refused value is not cached");
      h.remove(HttpHeaders.CONTENT_LENGTH);
      assertEquals(-1, h.contentLengthOrNegative(), "remove after a question");
      assertTrue(h.contentLength().isEmpty());
      h.add(HttpHeaders.CONTENT_LENGTH, "0");
      assertEquals(0, h.contentLengthOrNegative());
    }

    @Test
    void coded_names_absent_at_first_are_found_once_added_and_gone_once_removed() {
      HttpHeaders h = parsedRequest("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n").headers();
      assertNull(h.get("Expect"));
      assertFalse(h.connectionOptionIs("close"));
      assertEquals(0, h.countCode(HttpHeaders.NAME_VIA));
      h.add("expect", "100-continue");
      h.add("CONNECTION", "Close");
      h.add("Via", "1.1 a");
      assertEquals("100-continue", h.get("Expect"));
      assertTrue(h.connectionOptionIs("close"));
      assertEquals(1, h.countCode(HttpHeaders.NAME_VIA));
      assertEquals(1, h.remove("EXPECT"));
      assertNull(h.get("Expect"));
      assertEquals(1, h.remove("Connection"));
      assertFalse(h.connectionOptionIs("close"));
      assertEquals("a", h.get(HttpHeaders.HOST), "other fields stay");
      assertEquals("1", h.get("x-a"));
      assertEquals(1, h.remove("X-A"), "an uncoded name removed");
      assertEquals("1.1 a", h.get("Via"), "coded fields stay found after an uncoded one is removed");
      assertTrue(h.contains(HttpHeaders.HOST));
    }

    @Test
    void a_copy_and_a_forwarded_copy_answer_for_their_own_fields() {
      HttpHeaders h = parsedResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\nVia: 1.1 o\r\n"
          + "X-B: 2\r\n\r\n").headers();
      assertEquals(5, h.contentLengthOrNegative());
      HttpHeaders copy = HttpHeaders.copyOf(h);
      copy.remove(HttpHeaders.CONTENT_LENGTH);
      assertEquals(-1, copy.contentLengthOrNegative());
      assertEquals(5, h.contentLengthOrNegative(), "the original keeps its own answer");
      HttpHeaders forwarded = ProxyHeaderRules.endToEnd(h);
      assertFalse(forwarded.contains(HttpHeaders.CONNECTION));
      assertFalse(forwarded.connectionOptionIs("keep-alive"));
      assertEquals(5, forwarded.contentLengthOrNegative());
      assertEquals("1.1 o", forwarded.get("via"));
      forwarded.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
      assertTrue(forwarded.isChunked());
      assertFalse(h.isChunked());
      assertEquals(List.of("Content-Length", "Via", "X-B", "Transfer-Encoding"),
          forwarded.fields().stream().map(HttpHeaders.Field::name).toList());
    }
  }

  @Nested
  class WireForm {
    @Test
    void heads_written_into_a_buffer_are_the_bytes_of_toBytes_and_a_long_head_leaves_nothing_in_the_next() {
      BlockPool pool = new BlockPool();
      IOBuffer wire = new IOBuffer(pool);
      try {
        IOBufferReader reader = wire.allocReader();
        HttpHeaders longFields = new HttpHeaders().add("X-Long", "y".repeat(3000)).add("X-Two", "z".repeat(500));
        HttpResponseHead longHead = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", longFields);
        HttpResponseHead hugeHead = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK",
            new HttpHeaders().add("X-Huge", "h".repeat(9000)));
        HttpResponseHead shortHead = parsedResponse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        HttpRequestHead request = new HttpRequestHead("GET", "/a?b", HttpVersion.HTTP_1_0,
            parsedRequest("GET / HTTP/1.1\r\nHost: h\r\nX-A:1\r\nX-B: 2 \r\n\r\n").headers());
        for (Object head : List.of(longHead, shortHead, hugeHead, request, shortHead)) {
          byte[] expected = head instanceof HttpResponseHead r ? r.toBytes() : ((HttpRequestHead) head).toBytes();
          long written = head instanceof HttpResponseHead r ? r.writeTo(wire) : ((HttpRequestHead) head).writeTo(wire);
          assertEquals(expected.length, written);
          byte[] got = new byte[(int) reader.readAvail()];
          reader.read(got, 0, got.length);
          assertArrayEquals(expected, got, new String(got, ISO_8859_1));
        }
        assertEquals("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            new String(shortHead.toBytes(), ISO_8859_1));
      } finally {
        wire.close();
      }
      assertEquals(0, pool.report().outstandingBlocks(), "every block went back");
    }

    @Test
    void received_lines_are_written_in_the_canonical_form_whatever_their_spacing() {
      HttpResponseHead origin = parsedResponse("HTTP/1.1 200 OK\r\nA: 1\r\nB:2\r\nC:  3\r\nD: 4 \r\nE: 5\nF: \r\n"
          + "G: 7\r\nConnection: x\r\nX: gone\r\nH: 8\r\n\r\n");
      HttpHeaders forwarded = ProxyHeaderRules.endToEnd(origin.headers());
      assertEquals("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: \r\nG: 7\r\nH: 8\r\n\r\n",
          new String(new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", forwarded).toBytes(), ISO_8859_1));
    }
  }

  /** The framing attacks, as exact bytes: refused before any origin is contacted, or framed as the origin reads it. */
  @Nested
  class AttackBytes {
    @Test
    void two_different_content_lengths_are_400_and_reach_no_origin() {
      HttpBadInputTest.sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n"
          + "Content-Length: 59\r\n\r\nhello" + HttpNormalisationTest.SMUGGLED, 400);
    }

    @Test
    void content_length_with_transfer_encoding_is_400_and_reaches_no_origin() {
      HttpBadInputTest.sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n"
          + "Content-Length: 5\r\n\r\n0\r\n\r\n" + HttpNormalisationTest.SMUGGLED, 400);
    }

    @Test
    void transfer_encoding_continued_by_obs_fold_is_400_and_reaches_no_origin() {
      HttpBadInputTest.sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n"
          + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + HttpNormalisationTest.SMUGGLED, 400);
    }

    @Test
    void field_names_with_trailing_whitespace_are_400_and_reach_no_origin() {
      HttpBadInputTest.sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length : 59\r\n\r\n"
          + HttpNormalisationTest.SMUGGLED, 400);
      HttpBadInputTest.sendAndExpect("POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding\t: chunked\r\n\r\n"
          + "0\r\n\r\n" + HttpNormalisationTest.SMUGGLED, 400);
    }

    @Test
    void upper_case_chunked_is_chunked_and_the_origin_reads_the_smuggled_request_as_body() {
      String smuggled = HttpNormalisationTest.SMUGGLED;
      try (HttpRig rig = HttpNormalisationTest.rig()) {
        ManualOrigin origin = new ManualOrigin(rig, HttpNormalisationTest.ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: CHUNKED\r\n\r\n"
            + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n");
        rig.run();
        List<HttpNormalisationTest.Parsed> got = HttpNormalisationTest.parseRequests(origin.conn(0).received());
        assertEquals(1, got.size(), origin.conn(0).received());
        assertTrue(got.get(0).head().headers().isChunked());
        assertFalse(got.get(0).head().headers().contains(HttpHeaders.CONTENT_LENGTH));
        assertEquals(smuggled, got.get(0).body());
      }
    }

    @Test
    void connection_naming_the_framing_fields_and_host_removes_none_of_them() {
      String smuggled = HttpNormalisationTest.SMUGGLED;
      try (HttpRig rig = HttpNormalisationTest.rig()) {
        ManualOrigin origin = new ManualOrigin(rig, HttpNormalisationTest.ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 59\r\n"
            + "Connection: Content-Length, Transfer-Encoding, Host, X-Drop\r\nX-Drop: 1\r\nX-Keep: 2\r\n\r\n"
            + smuggled);
        rig.run();
        List<HttpNormalisationTest.Parsed> got = HttpNormalisationTest.parseRequests(origin.conn(0).received());
        assertEquals(1, got.size(), origin.conn(0).received());
        HttpHeaders h = got.get(0).head().headers();
        assertEquals("59", h.get(HttpHeaders.CONTENT_LENGTH));
        assertFalse(h.contains("X-Drop"));
        assertEquals("2", h.get("X-Keep"));
        assertFalse(h.contains(HttpHeaders.CONNECTION));
        assertEquals(smuggled, got.get(0).body());
      }
    }
  }
}
