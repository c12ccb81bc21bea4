package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mutated requests never make the parser throw, and it never consumes more than it is given. */
class HttpHeadParserRandomizedTest extends HttpTestSupport {

  private static final byte[] VALID = bytes("POST /path?x=1 HTTP/1.1\r\nHost: example.com\r\n"
      + "Content-Length: 4\r\nAccept: text/html, */*\r\nConnection: keep-alive\r\n\r\nbody");
  private static final byte[] INTERESTING = bytes("\r\n :\t\u0000\u007f\u00ff,;-0123456789HTTP/");

  @Test
  void mutatedRequestsNeverThrow() {
    Random rnd = new Random(20240611L);
    HttpHeadParser parser = new HttpHeadParser(new HttpLimits(64, 160, 5));
    HttpHeadParser defaults = new HttpHeadParser();
    int parsed = 0;
    int rejected = 0;
    for (int i = 0; i < 2000; i++) {
      byte[] input = mutate(VALID, rnd);
      HttpHeadParser p = i % 2 == 0 ? parser : defaults;
      IOBuffer b = new IOBuffer(pool);
      try {
        IOBufferReader r = b.allocReader();
        int split = rnd.nextInt(input.length + 1);
        b.write(input, 0, split);
        HttpHeadParser.Result<?> first = check(p, r, split, i, rnd);
        if (first instanceof HttpHeadParser.NeedMore) {
          b.write(input, split, input.length - split);
          first = check(p, r, input.length, i, rnd);
        }
        if (first instanceof HttpHeadParser.Parsed) {
          parsed++;
        } else if (first instanceof HttpHeadParser.Rejected) {
          rejected++;
        }
      } finally {
        b.close();
      }
    }
    assertTrue(parsed > 0 && rejected > 0, "parsed " + parsed + ", rejected " + rejected);
  }

  private static HttpHeadParser.Result<?> check(HttpHeadParser p, IOBufferReader r, int avail, int i, Random rnd) {
    HttpHeadParser.Result<?> result;
    long before = r.readAvail();
    assertEquals(avail, before);
    try {
      result = rnd.nextBoolean() ? p.parseRequest(r) : p.parseResponse(r);
    } catch (RuntimeException e) {
      return fail("case " + i + " threw", e);
    }
    long after = r.readAvail();
    assertTrue(after >= 0 && after <= before, "case " + i + " consumed more than readAvail");
    if (result instanceof HttpHeadParser.Parsed<?> ok) {
      assertEquals(before - after, ok.headBytes(), "case " + i + " consumed exactly the head");
    } else if (result instanceof HttpHeadParser.NeedMore<?> || result instanceof HttpHeadParser.Rejected<?>) {
      assertEquals(before, after, "case " + i + " consumed without a head");
    } else {
      fail("case " + i + ": unexpected result " + result);
    }
    return result;
  }

  private static byte[] mutate(byte[] src, Random rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(src, 0, src.length);
    byte[] b = out.toByteArray();
    int edits = 1 + rnd.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = rnd.nextInt(b.length + 1);
      byte v = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : (byte) rnd.nextInt(256);
      ByteArrayOutputStream m = new ByteArrayOutputStream();
      switch (rnd.nextInt(4)) {
        case 0 -> { // flip
          if (at < b.length) {
            b[at] = v;
          }
          continue;
        }
        case 1 -> { // insert
          m.write(b, 0, at);
          m.write(v);
          m.write(b, at, b.length - at);
        }
        case 2 -> { // delete
          if (at >= b.length) {
            continue;
          }
          m.write(b, 0, at);
          m.write(b, at + 1, b.length - at - 1);
        }
        default -> { // duplicate a run (grows headers, lines and counts)
          int len = Math.min(b.length - at, rnd.nextInt(40));
          m.write(b, 0, at + len);
          m.write(b, at, b.length - at);
        }
      }
      b = m.toByteArray();
    }
    return b;
  }
}
