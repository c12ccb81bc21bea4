package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A client session lends one read buffer to its intercepted transactions in turn (docs/http.md, Object lifetimes):
 * each transaction reads only what its own intercept sent, the buffer holds no block between transactions, and every
 * block is back in the pool when the session ends, also when it ends while an intercept is still sending.
 */
class InterceptReadBufferTest {
  static final String GET = "GET /x HTTP/1.1\r\nHost: x.test\r\n\r\n";

  /** An intercept that reads the request head, sends {@code answer} and closes once it is sent (if asked to). */
  static final class Intercept {
    final Continuation cont = new Continuation(this::handle);
    final BlockPool pool;
    final String answer;
    final boolean closeWhenSent;
    final StringBuilder received = new StringBuilder();
    InterceptEnd end;

    Intercept(BlockPool pool, String answer, boolean closeWhenSent) {
      this.pool = pool;
      this.answer = answer;
      this.closeWhenSent = closeWhenSent;
    }

    private void handle(Event event, Object data) {
      switch (event) {
        case NET_ACCEPT -> end = new InterceptEnd(data, pool, cont);
        case READ_READY -> {
          received.append(end.readText());
          if (received.indexOf("\r\n\r\n") >= 0 && end.out.readerCount() == 0) {
            end.send(cont, answer);
          }
        }
        case WRITE_COMPLETE -> {
          if (closeWhenSent) {
            close();
          }
        }
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    void close() {
      if (end != null) {
        end.close();
      }
    }
  }

  /** A rig whose READ_REQUEST_HDR hook hands each request to the next intercept of {@code next}. */
  private static final class Setup implements AutoCloseable {
    final Deque<Intercept> next = new ArrayDeque<>();
    final List<Intercept> used = new ArrayList<>();
    final List<IOBuffer> readBuffers = new ArrayList<>();
    final HttpRig rig;

    Setup() {
      Continuation interceptHook = new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        Intercept i = next.removeFirst();
        used.add(i);
        txn.intercept(i.cont);
        txn.reenable();
      });
      Continuation responseHook = new Continuation((event, data) -> {
        HttpTransaction.Handle handle = (HttpTransaction.Handle) data;
        HttpTransaction txn = handle.data();
        readBuffers.add(txn.originConn.readBuffer);
        handle.reenable();
      });
      rig = new HttpRig(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, interceptHook)
          .add(HttpHookId.READ_RESPONSE_HDR, responseHook).build()));
    }

    void answer(String response, boolean closeWhenSent) {
      next.addLast(new Intercept(rig.pool, response, closeWhenSent));
    }

    @Override
    public void close() {
      for (Intercept i : used) {
        i.close();
      }
      rig.close(); // every block back in the pool, no session or pair left open
    }
  }

  @Test
  void the_session_lends_one_read_buffer_to_each_intercepted_transaction_in_turn() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      for (int i = 0; i < 3; i++) {
        s.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + i, true);
        c.send(GET);
        s.rig.run();
      }
      assertEquals(List.of("0", "1", "2"), c.responses().stream().map(Response::body).toList());
      assertEquals(3, s.readBuffers.size());
      assertSame(s.readBuffers.get(0), s.readBuffers.get(1), "the second transaction reads into the same buffer");
      assertSame(s.readBuffers.get(0), s.readBuffers.get(2));
      HttpRig.Client other = s.rig.client();
      s.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", true);
      other.send(GET);
      s.rig.run();
      assertEquals("z", other.response().body());
      assertNotSame(s.readBuffers.get(0), s.readBuffers.get(3), "another session lends its own");
    }
  }

  @Test
  void bytes_an_intercept_sent_after_its_response_never_reach_the_next_transaction() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      // The first intercept sends a second, stale response behind its own: the transaction ends after the first.
      s.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Stale: 1\r\n\r\nSTALE", true);
      c.send(GET);
      s.rig.run();
      long idleBlocks = s.rig.pool.outstanding();
      IOBuffer lent = s.readBuffers.get(0);
      assertEquals(0, lent.maxReadAvail(), "given back empty");
      s.answer("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nTWO", true);
      c.send(GET);
      s.rig.run();
      List<Response> responses = c.responses();
      assertEquals(2, responses.size());
      assertEquals("ok", responses.get(0).body());
      assertEquals("TWO", responses.get(1).body());
      assertEquals(null, responses.get(1).header("X-Stale"));
      assertTrue(c.received().indexOf("STALE") < 0, c.received());
      assertSame(lent, s.readBuffers.get(1));
      assertEquals(idleBlocks, s.rig.pool.outstanding(), "the idle session's lent buffer holds no block");
    }
  }

  @Test
  void a_session_that_ends_while_its_intercept_is_still_sending_frees_the_lent_buffer() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      s.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true);
      c.send(GET);
      s.rig.run();
      // The second intercept sends half its body and keeps its end open; the client goes away meanwhile.
      s.answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", false);
      c.send(GET);
      s.rig.run();
      assertTrue(c.received().endsWith("half"), c.received());
      c.close();
      s.rig.run();
      assertEquals(0, s.rig.proxy.openSessions());
    } // Setup.close: the block pool back to zero
  }
}
