package dev.vconn.plugin.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InterceptServer}'s streamed responses through a real {@link HttpProxy} on the virtual-time loop, read as raw
 * bytes by a client on an in-process pair: a body of declared length goes with Content-Length and exactly its bytes,
 * a source that gives more is cut at the length (the connection stays usable), one that ends early leaves a short
 * body and a closed connection; two streamed responses interleaved on one loop (sharing its scratch array) each get
 * their own bytes. The block pool is back to zero after each.
 */
class InterceptServerTest {
  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
  /** Larger than the intercept's pending limit, so the streamed bodies are produced over many WRITE_READYs. */
  private static final int BIG = 300_000;

  private final BlockPool pool = new BlockPool();
  private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  private final List<VConnPair> pairs = new ArrayList<>();
  private final HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(pool)
      .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.intercept(InterceptServer.continuation(r -> CompletableFuture.completedFuture(answer(r.path())), pool,
            HttpLimits.defaults(), 1 << 20));
        txn.reenable(Event.HTTP_CONTINUE);
      })).build())
      .build());

  /**
   * {@code /len/{n}/{given}/{seed}}: n declared, the source gives {@code given} bytes of {@link #body} in reads of
   * at most 1000 bytes (or all it has at once when {@code given} exceeds n); {@code /chunked/{given}/{seed}}: the
   * same source without a declared length.
   */
  private static InterceptResponse answer(String path) {
    String[] p = path.split("/");
    if (p[1].equals("len")) {
      long declared = Long.parseLong(p[2]);
      int given = Integer.parseInt(p[3]);
      return InterceptResponse.streamed(200, "application/octet-stream",
          source(body(given, Integer.parseInt(p[4])), given > declared ? Integer.MAX_VALUE : 1000), declared);
    }
    int given = Integer.parseInt(p[2]);
    return InterceptResponse.streamed(200, "application/octet-stream", source(body(given, Integer.parseInt(p[3])),
        1000));
  }

  /** {@code n} bytes that differ from one seed to another at every offset. */
  private static byte[] body(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed * 7 + (i >>> 8));
    }
    return b;
  }

  /** Gives {@code bytes} in reads of at most {@code maxRead}, then -1. */
  private static BodySource source(byte[] bytes, int maxRead) {
    int[] pos = {0};
    return dst -> {
      if (pos[0] == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(dst.length, maxRead), bytes.length - pos[0]);
      System.arraycopy(bytes, pos[0], dst, 0, n);
      pos[0] += n;
      return n;
    };
  }

  /** A client on the active end of a pair whose passive end the proxy accepted: sends bytes, keeps all it reads. */
  private final class RawClient {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final IOBuffer in = new IOBuffer(pool);
    final IOBuffer out = new IOBuffer(pool);
    final VConn vconn;
    boolean eos;

    RawClient(String request) {
      VConnPair pair = VConnPair.open(loop, new VConnPair.Options("test", 1, 0, 64 * 1024, CLIENT));
      pairs.add(pair);
      Continuation acceptor = proxy.sessionAcceptor();
      acceptor.lock().lock();
      try {
        acceptor.handler().handle(Event.NET_ACCEPT, pair.passive());
      } finally {
        acceptor.lock().unlock();
      }
      vconn = pair.active();
      IOBufferReader reader = in.allocReader();
      Continuation self = new Continuation((event, data) -> {
        if (event == Event.READ_READY || event == Event.EOS) {
          byte[] b = new byte[(int) reader.readAvail()];
          reader.read(b, 0, b.length);
          received.writeBytes(b);
          if (event == Event.EOS) {
            eos = true;
          } else {
            ((VIO) data).reenable();
          }
        }
      });
      vconn.read(self, Long.MAX_VALUE, in);
      IOBufferReader outReader = out.allocReader();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      vconn.write(self, outReader.readAvail(), outReader);
    }

    void close() {
      vconn.close();
      in.close();
      out.close();
    }
  }

  private static String get(String path, boolean close) {
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
  }

  /** The response head at the start of {@code bytes}, up to and including its empty line. */
  private static String head(byte[] bytes, int from) {
    String s = new String(bytes, from, bytes.length - from, StandardCharsets.ISO_8859_1);
    int end = s.indexOf("\r\n\r\n");
    assertTrue(end > 0, "a whole head: " + s.substring(0, Math.min(200, s.length())));
    return s.substring(0, end + 4);
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    return Arrays.copyOfRange(bytes, from, to);
  }

  @AfterEach
  void everythingIsFreed() {
    proxy.close();
    loop.runUntilIdle();
    assertEquals(0, proxy.openSessions(), "sessions left open");
    for (VConnPair p : pairs) {
      assertTrue(p.isFreed(), "pair left open: " + p);
    }
    assertEquals(0, pool.outstanding(), "blocks not returned to the pool: " + pool);
  }

  @Test
  void a_body_of_declared_length_goes_with_content_length_and_exactly_its_bytes() {
    for (int n : new int[] {0, 1, 16 * 1024, BIG}) {
      RawClient c = new RawClient(get("/len/" + n + "/" + n + "/3", true));
      loop.runUntilIdle();
      byte[] got = c.received.toByteArray();
      String head = head(got, 0);
      assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
      assertTrue(head.contains("\r\nContent-Length: " + n + "\r\n"), head);
      assertFalse(head.toLowerCase().contains("transfer-encoding"), head);
      assertArrayEquals(body(n, 3), slice(got, head.length(), got.length), "exactly the body, then the close");
      assertTrue(c.eos);
      c.close();
    }
  }

  @Test
  void a_source_giving_more_than_declared_is_cut_at_the_length_and_the_connection_goes_on() {
    // 150 bytes in one read for 100 declared; then, pipelined on the same connection, a second response.
    RawClient c = new RawClient(get("/len/100/150/5", false) + get("/len/7/7/6", true));
    loop.runUntilIdle();
    byte[] got = c.received.toByteArray();
    String first = head(got, 0);
    assertTrue(first.contains("\r\nContent-Length: 100\r\n"), first);
    int secondAt = first.length() + 100;
    assertArrayEquals(body(100, 5), slice(got, first.length(), secondAt), "the first 100 bytes the source gave");
    String second = head(got, secondAt);
    assertTrue(second.startsWith("HTTP/1.1 200 OK\r\n"), "the next response follows at once: " + second);
    assertTrue(second.contains("\r\nContent-Length: 7\r\n"), second);
    assertArrayEquals(body(7, 6), slice(got, secondAt + second.length(), got.length));
    assertTrue(c.eos);
    c.close();
  }

  @Test
  void a_source_ending_before_its_declared_length_leaves_a_short_body_and_a_closed_connection() {
    // 250,000 of 300,000 declared bytes (more than the proxy holds back before sending the head); the client asked
    // to keep the connection open.
    RawClient c = new RawClient(get("/len/300000/250000/9", false));
    loop.runUntilIdle();
    byte[] got = c.received.toByteArray();
    String head = head(got, 0);
    assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
    assertTrue(head.contains("\r\nContent-Length: 300000\r\n"), head);
    assertArrayEquals(body(250_000, 9), slice(got, head.length(), got.length),
        "the bytes the source gave, nothing else");
    assertTrue(c.eos, "the connection closes: the client sees a body shorter than its Content-Length");
    c.close();
  }

  @Test
  void a_source_ending_before_the_response_left_the_proxy_gets_a_502_instead() {
    for (String path : new String[] {"/len/10/0/1", "/len/100000/40000/1"}) {
      RawClient c = new RawClient(get(path, true));
      loop.runUntilIdle();
      byte[] got = c.received.toByteArray();
      String head = head(got, 0);
      assertTrue(head.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), head);
      assertTrue(head.contains("\r\nContent-Length: 16\r\n"), head);
      assertEquals(head.length() + 16, got.length, "the proxy's 502 and nothing of the body");
      assertTrue(c.eos);
      c.close();
    }
  }

  @Test
  void two_streamed_responses_interleaved_on_one_loop_each_get_their_own_bytes() {
    RawClient a = new RawClient(get("/len/" + BIG + "/" + BIG + "/1", true));
    RawClient b = new RawClient(get("/chunked/" + BIG + "/2", true));
    RawClient c = new RawClient(get("/len/" + (BIG - 1) + "/" + (BIG - 1) + "/4", true));
    loop.runUntilIdle();

    byte[] gotA = a.received.toByteArray();
    String headA = head(gotA, 0);
    assertArrayEquals(body(BIG, 1), slice(gotA, headA.length(), gotA.length));
    byte[] gotC = c.received.toByteArray();
    String headC = head(gotC, 0);
    assertArrayEquals(body(BIG - 1, 4), slice(gotC, headC.length(), gotC.length));
    byte[] gotB = b.received.toByteArray();
    String headB = head(gotB, 0);
    assertTrue(headB.contains("\r\nTransfer-Encoding: chunked\r\n"), headB);
    assertArrayEquals(body(BIG, 2), dechunk(slice(gotB, headB.length(), gotB.length)));
    a.close();
    b.close();
    c.close();
  }

  /** The body of chunked framing (no trailers), checking every chunk line. */
  private static byte[] dechunk(byte[] framed) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    int pos = 0;
    while (true) {
      int eol = indexOfCrlf(framed, pos);
      int size = Integer.parseInt(new String(framed, pos, eol - pos, StandardCharsets.US_ASCII), 16);
      pos = eol + 2;
      if (size == 0) {
        assertEquals(pos + 2, framed.length, "the last chunk, an empty trailer section, nothing after");
        return body.toByteArray();
      }
      body.write(framed, pos, size);
      pos += size;
      assertEquals('\r', framed[pos]);
      assertEquals('\n', framed[pos + 1]);
      pos += 2;
    }
  }

  private static int indexOfCrlf(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    throw new AssertionError("no CRLF after " + from);
  }

  @Test
  void a_declared_length_below_zero_or_beside_a_whole_body_is_refused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InterceptResponse.streamed(200, "text/plain", dst -> -1, -1));
    assertEquals("a declared length must be 0 or more, was -1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new InterceptResponse(200,
        new HttpHeaders(), new byte[1], null, 1));
  }
}
