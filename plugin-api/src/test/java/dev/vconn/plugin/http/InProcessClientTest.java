package dev.vconn.plugin.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpRequestHead;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.HttpVersion;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InProcessClient} against a real {@link HttpProxy} on the virtual-time loop, reached over in-process pairs
 * as {@code HttpConnector} reaches it, every request served by an {@link InterceptServer}: several requests on one
 * kept-alive connection, chunked and whole bodies, {@code Connection: close}, a body over the limit; the block pool
 * back to zero after each.
 */
class InProcessClientTest {
  private static final Duration INACTIVITY = Duration.ofSeconds(30);
  private static final int BIG = 200_000;
  private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

  private final BlockPool pool = new BlockPool();
  private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  private final List<VConnPair> pairs = new ArrayList<>();
  private final AtomicInteger served = new AtomicInteger();
  private final HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(pool)
      .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.intercept(InterceptServer.continuation(this::answer, pool, HttpLimits.defaults(), 1 << 20));
        txn.reenable(Event.HTTP_CONTINUE);
      })).build())
      .build());

  /** The connector a transport would give: the passive end of a new pair goes to the proxy's acceptor. */
  private final HttpConnector connector = options -> {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options(options.tag(), options.id(), options.bufferIndex(),
        options.waterMark(), options.clientAddress()));
    pairs.add(pair);
    Continuation acceptor = proxy.sessionAcceptor();
    acceptor.lock().lock();
    try {
      acceptor.handler().handle(Event.NET_ACCEPT, pair.passive());
    } finally {
      acceptor.lock().unlock();
    }
    return pair.active();
  };

  /** {@code /big}: 200,000 bytes streamed (chunked); anything else: a text naming the request and its number. */
  private CompletableFuture<InterceptResponse> answer(InterceptRequest r) {
    int n = served.incrementAndGet();
    if (r.path().equals("/big")) {
      int[] left = {BIG};
      return CompletableFuture.completedFuture(InterceptResponse.streamed(200, "application/octet-stream", dst -> {
        if (left[0] == 0) {
          return -1;
        }
        int k = Math.min(dst.length, left[0]);
        for (int i = 0; i < k; i++) {
          dst[i] = (byte) (BIG - left[0] + i);
        }
        left[0] -= k;
        return k;
      }));
    }
    return CompletableFuture.completedFuture(InterceptResponse.text(200, r.head().method() + " " + r.path()
        + " #" + n + " body=" + new String(r.body(), StandardCharsets.UTF_8)));
  }

  private InProcessClient open(long maxBody) {
    return InProcessClient.open(connector, HttpConnectOptions.builder().tag("test").id(7).clientAddress(CLIENT).build(), pool, maxBody,
        INACTIVITY);
  }

  private static String text(CompletableFuture<ResponseParser.Response> f) throws Exception {
    assertTrue(f.isDone(), "answered");
    return new String(f.get().body(), StandardCharsets.UTF_8);
  }

  private static Throwable failure(CompletableFuture<ResponseParser.Response> f) {
    assertTrue(f.isCompletedExceptionally(), "failed");
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
    return e.getCause();
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
  void requests_queued_at_once_go_one_after_another_over_one_kept_alive_connection() throws Exception {
    InProcessClient client = open(1 << 20);
    CompletableFuture<ResponseParser.Response> a = client.get("/a", "localhost");
    CompletableFuture<ResponseParser.Response> big = client.get("/big", "localhost");
    CompletableFuture<ResponseParser.Response> post = client.send(new HttpRequestHead("POST", "/c",
        HttpVersion.HTTP_1_1, new HttpHeaders().add(HttpHeaders.HOST, "localhost")),
        "hello".getBytes(StandardCharsets.UTF_8));
    loop.runReady();

    assertEquals("GET /a #1 body=", text(a));
    assertTrue(a.get().keepAlive());
    assertEquals(200, big.get().status());
    assertEquals("chunked", big.get().headers().get(HttpHeaders.TRANSFER_ENCODING));
    byte[] expected = new byte[BIG];
    for (int i = 0; i < BIG; i++) {
      expected[i] = (byte) i;
    }
    assertArrayEquals(expected, big.get().body(), "the chunked body, decoded");
    assertEquals("POST /c #3 body=hello", text(post), "the body went with its Content-Length");
    assertEquals(1, proxy.stats().snapshot().connections(), "one connection carried all three");
    assertEquals(1, proxy.stats().snapshot().inProcessConnections());
    assertTrue(client.isOpen());

    CompletableFuture<ResponseParser.Response> later = client.get("/d", "localhost");
    loop.runReady();
    assertEquals("GET /d #4 body=", text(later), "still open for more");
    assertEquals(1, proxy.stats().snapshot().connections());

    client.close();
    loop.runReady();
    assertFalse(client.isOpen());
    assertTrue(failure(client.get("/e", "localhost")).getMessage().contains("closed"));
  }

  @Test
  void a_request_asking_to_close_ends_the_connection_and_fails_the_ones_queued_behind_it() throws Exception {
    InProcessClient client = open(1 << 20);
    CompletableFuture<ResponseParser.Response> last = client.send(new HttpRequestHead("GET", "/last",
        HttpVersion.HTTP_1_1, new HttpHeaders().add(HttpHeaders.HOST, "x").add(HttpHeaders.CONNECTION, "close")),
        new byte[0]);
    CompletableFuture<ResponseParser.Response> behind = client.get("/behind", "x");
    loop.runReady();

    assertEquals("GET /last #1 body=", text(last));
    assertFalse(last.get().keepAlive(), "the proxy answered Connection: close");
    Throwable cause = failure(behind);
    assertInstanceOf(IllegalStateException.class, cause);
    assertEquals("the connection closed after a response", cause.getMessage());
    assertFalse(client.isOpen());
    assertEquals(1, served.get(), "the request behind was never sent");
  }

  @Test
  void fetch_sends_one_request_on_its_own_connection() throws Exception {
    CompletableFuture<ResponseParser.Response> one = InProcessClient.fetch(connector,
        HttpConnectOptions.builder().tag("fetch").id(1).clientAddress(CLIENT)
        .build(), "/one", "localhost", pool, 1 << 20, INACTIVITY);
    loop.runReady();
    assertEquals("GET /one #1 body=", text(one));
    assertEquals(0, proxy.openSessions(), "the connection ended with the response");
  }

  @Test
  void a_body_over_the_limit_fails_the_request_and_frees_the_connection() {
    InProcessClient client = open(1000);
    CompletableFuture<ResponseParser.Response> big = client.get("/big", "localhost");
    loop.runReady();
    assertEquals("response body larger than 1000 bytes", failure(big).getMessage());
    assertFalse(client.isOpen());
  }
}
