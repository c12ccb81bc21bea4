package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The proxy's request write to an intercept is bounded by what the request's framing says it sends (docs/http.md,
 * Server intercept): the forwarded head when the request has no body, the head and the Content-Length body when it
 * has one, unbounded only for a chunked body. So the write completes in the pass that sent its last byte, and the
 * intercept's close after its response is no ERROR to the proxy's write.
 */
class HttpInterceptRequestWriteTest {

  /** What the proxy's side of the transaction looked like at TXN_CLOSE. */
  record WriteSeen(long nbytes, long ndone, boolean complete, boolean writeFailed, long headBytes) {}

  /**
   * An intercept that records its events and every request byte, answers once the request is whole (head plus
   * Content-Length body, or a chunked body up to its last chunk), and closes on its WRITE_COMPLETE.
   */
  static final class RecordingIntercept {
    final BlockPool pool;
    final Continuation cont = new Continuation(this::handle);
    final List<String> events = new ArrayList<>();
    final StringBuilder received = new StringBuilder();
    InterceptEnd end;
    boolean answered;

    RecordingIntercept(BlockPool pool) {
      this.pool = pool;
    }

    private void handle(Event event, Object data) {
      events.add(event.name());
      switch (event) {
        case NET_ACCEPT -> end = new InterceptEnd(data, pool, cont);
        case READ_READY -> {
          received.append(end.readText());
          if (!answered && requestComplete()) {
            answered = true;
            end.send(cont, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          }
        }
        case WRITE_COMPLETE, EOS, ERROR -> close();
        default -> { }
      }
    }

    private boolean requestComplete() {
      int end = received.indexOf("\r\n\r\n");
      if (end < 0) {
        return false;
      }
      String head = received.substring(0, end);
      if (head.contains("Transfer-Encoding: chunked")) {
        return received.indexOf("\r\n0\r\n\r\n", end) >= 0;
      }
      int cl = head.indexOf("Content-Length: ");
      int length = cl < 0 ? 0 : Integer.parseInt(head.substring(cl + 16, head.indexOf("\r\n", cl) < 0
          ? head.length() : head.indexOf("\r\n", cl)));
      return received.length() >= end + 4 + length;
    }

    private void close() {
      if (end != null) {
        end.close();
      }
    }
  }

  private static final class Setup implements AutoCloseable {
    final RecordingIntercept[] intercept = new RecordingIntercept[1];
    final List<WriteSeen> seen = new ArrayList<>();
    final HttpRig rig;

    Setup() {
      Continuation interceptHook = new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.intercept(intercept[0].cont);
        txn.reenable();
      });
      // The write VIO is kept from the response head on (the transaction drops it when it closes the intercept's
      // end; a retired VIO's counters stay readable), the flags are read at TXN_CLOSE, after the intercept closed.
      WriteVio[] write = new WriteVio[1];
      Continuation responseHook = new Continuation((event, data) -> {
        HttpTransaction.Handle handle = (HttpTransaction.Handle) data;
        HttpTransaction txn = handle.data();
        write[0] = txn.originWrite;
        handle.reenable();
      });
      Continuation closeHook = new Continuation((event, data) -> {
        HttpTransaction.Handle handle = (HttpTransaction.Handle) data;
        HttpTransaction txn = handle.data();
        WriteVio w = write[0];
        seen.add(new WriteSeen(w.nbytes(), w.ndone(), w.isComplete(), txn.originWriteFailed, txn.requestHeadBytes));
        handle.reenable();
      });
      rig = new HttpRig(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, interceptHook)
          .add(HttpHookId.READ_RESPONSE_HDR, responseHook).add(HttpHookId.TXN_CLOSE, closeHook).build()));
      intercept[0] = new RecordingIntercept(rig.pool);
    }

    RecordingIntercept intercept() {
      return intercept[0];
    }

    @Override
    public void close() {
      rig.close();
    }
  }

  @Test
  void a_request_without_a_body_is_written_with_nbytes_of_its_head_and_completes() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: x.test\r\n\r\n");
      s.rig.run();
      assertEquals("ok", c.response().body());
      String received = s.intercept().received.toString();
      assertTrue(received.startsWith("GET /a HTTP/1.1\r\n") && received.endsWith("\r\n\r\n"), received);
      assertEquals(1, s.seen.size());
      WriteSeen w = s.seen.get(0);
      assertEquals(received.length(), w.headBytes(), "the head the intercept received, exactly");
      assertEquals(w.headBytes(), w.nbytes(), "the write is bounded by the forwarded head");
      assertEquals(w.nbytes(), w.ndone());
      assertTrue(w.complete(), "WRITE_COMPLETE, in the pass that sent the head");
      assertFalse(w.writeFailed(), "the intercept's close after its response is no ERROR to the proxy's write");
      assertEquals(List.of("NET_ACCEPT", "READ_READY", "WRITE_COMPLETE"), s.intercept().events,
          "the intercept reads the head (no EOS: the bounded write shuts nothing down), answers and closes");
    }
  }

  @Test
  void a_content_length_body_bounds_the_write_to_head_and_body_and_still_streams() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      c.send("POST /up HTTP/1.1\r\nHost: x.test\r\nContent-Length: 11\r\n\r\nhello");
      s.rig.run();
      String first = s.intercept().received.toString();
      assertTrue(first.endsWith("\r\n\r\nhello"), "the first body bytes went on before the rest came: " + first);
      assertTrue(s.seen.isEmpty(), "the transaction waits for the rest of the body");
      c.send(" world");
      s.rig.run();
      assertEquals("ok", c.response().body());
      String received = s.intercept().received.toString();
      assertTrue(received.endsWith("\r\n\r\nhello world"), received);
      WriteSeen w = s.seen.get(0);
      assertEquals(w.headBytes() + 11, w.nbytes(), "head and Content-Length body");
      assertEquals(received.length(), w.nbytes(), "exactly the bytes the intercept received");
      assertEquals(w.nbytes(), w.ndone());
      assertTrue(w.complete());
      assertFalse(w.writeFailed());
    }
  }

  @Test
  void a_chunked_body_keeps_the_write_unbounded() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      c.send("POST /up HTTP/1.1\r\nHost: x.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      s.rig.run();
      c.send("0\r\n\r\n");
      s.rig.run();
      assertEquals("ok", c.response().body());
      String received = s.intercept().received.toString();
      assertTrue(received.endsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), received);
      WriteSeen w = s.seen.get(0);
      assertEquals(Long.MAX_VALUE, w.nbytes(), "a chunked body's length is not known in advance");
      assertEquals(received.length(), w.ndone());
      assertFalse(w.complete());
    }
  }

  @Test
  void keep_alive_requests_each_get_a_bounded_write_and_the_second_sees_nothing_of_the_first() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      c.send("GET /one HTTP/1.1\r\nHost: x.test\r\n\r\n");
      s.rig.run();
      RecordingIntercept first = s.intercept();
      s.intercept[0] = new RecordingIntercept(s.rig.pool);
      c.send("GET /two HTTP/1.1\r\nHost: x.test\r\n\r\n");
      s.rig.run();
      assertEquals(2, c.responses().size());
      assertNotNull(first.received);
      assertTrue(first.received.toString().startsWith("GET /one "), first.received.toString());
      String second = s.intercept().received.toString();
      assertTrue(second.startsWith("GET /two ") && !second.contains("/one"), second);
      assertEquals(2, s.seen.size());
      for (WriteSeen w : s.seen) {
        assertEquals(w.headBytes(), w.nbytes());
        assertTrue(w.complete());
        assertFalse(w.writeFailed());
      }
    }
  }
}
