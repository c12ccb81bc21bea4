package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Server intercept after Traffic Server's {@code intercept.cc}: a READ_REQUEST_HDR hook hands the transaction to a
 * plugin server, which gets NET_ACCEPT with the passive end of a pair and serves the response itself.
 */
class HttpInterceptTest {
  static final String GET = "GET /hello HTTP/1.1\r\nHost: anything.test\r\n\r\n";

  /** How the server ends its response. */
  enum Ending { CLOSE, SHUTDOWN }

  /**
   * A plugin server: reads one request (head and Content-Length body), writes {@code respond}'s answer, and ends it
   * by closing or shutting down its write side. Like the reference, it waits for WRITE_COMPLETE before closing, since
   * a close drops bytes not yet moved.
   */
  static final class Server {
    final Function<String, String> respond;
    final Ending ending;
    final boolean answerWithoutReading;
    final List<String> requests = new ArrayList<>();
    final List<VConn> accepted = new ArrayList<>();
    final Continuation cont = new Continuation(this::handle);
    final dev.vconn.domain.buffer.BlockPool pool;
    VConn vconn;
    IOBuffer in;
    IOBufferReader inReader;
    IOBuffer out;
    IOBufferReader outReader;
    StringBuilder request = new StringBuilder();
    boolean answered;
    boolean closed;

    Server(dev.vconn.domain.buffer.BlockPool pool, Ending ending, boolean answerWithoutReading,
        Function<String, String> respond) {
      this.pool = pool;
      this.ending = ending;
      this.answerWithoutReading = answerWithoutReading;
      this.respond = respond;
    }

    private void handle(Event event, Object data) {
      if (event == Event.NET_ACCEPT) {
        vconn = (VConn) data;
        accepted.add(vconn);
        in = new IOBuffer(pool);
        inReader = in.allocReader();
        out = new IOBuffer(pool);
        outReader = out.allocReader();
        request = new StringBuilder();
        answered = false;
        closed = false;
        vconn.read(cont, Long.MAX_VALUE, in);
        if (answerWithoutReading) {
          answer("");
        }
        return;
      }
      if (!(data instanceof VIO) || closed) {
        return;
      }
      switch (event) {
        case READ_READY -> {
          byte[] b = new byte[(int) inReader.readAvail()];
          inReader.read(b, 0, b.length);
          request.append(new String(b, StandardCharsets.ISO_8859_1));
          if (!answered && requestComplete()) {
            requests.add(request.toString());
            answer(request.toString());
          }
        }
        case WRITE_COMPLETE -> {
          if (ending == Ending.CLOSE) {
            close();
          } else {
            vconn.shutdown(ShutdownHow.WRITE); // the proxy reads EOS; we close when it closes its end
          }
        }
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    private boolean requestComplete() {
      int end = request.indexOf("\r\n\r\n");
      if (end < 0) {
        return false;
      }
      int cl = request.indexOf("Content-Length: ");
      int length = cl < 0 ? 0 : Integer.parseInt(request.substring(cl + 16, request.indexOf("\r\n", cl)));
      return request.length() >= end + 4 + length;
    }

    private void answer(String req) {
      answered = true;
      byte[] b = respond.apply(req).getBytes(StandardCharsets.ISO_8859_1);
      out.write(b);
      vconn.write(cont, b.length, outReader);
    }

    private void close() {
      if (!closed) {
        closed = true;
        vconn.close();
        in.close();
        out.close();
      }
    }
  }

  static HttpRig interceptingRig(Server[] server, Ending ending, boolean withoutReading,
      Function<String, String> respond) {
    Continuation hook = new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      txn.intercept(server[0].cont);
      txn.reenable();
    });
    HttpRig rig = new HttpRig(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build()));
    server[0] = new Server(rig.pool, ending, withoutReading, respond);
    return rig;
  }

  @Test
  void intercept_serves_a_content_length_response_and_no_origin_is_contacted() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.CLOSE, false,
        req -> "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nX-Intercept: 1\r\n\r\nfrom a plugin")) {
      HttpRig.Client c = rig.client("fetcher", 9, HttpRig.CLIENT);
      c.send(GET);
      rig.run();
      Response r = c.response();
      assertEquals(200, r.status());
      assertEquals("from a plugin", r.body());
      assertEquals("1", r.header("X-Intercept"));
      assertFalse(c.eos, "the client connection stays alive");
      assertTrue(rig.connectAttempts.isEmpty(), "no origin connection attempted");
      String seen = server[0].requests.get(0);
      assertTrue(seen.startsWith("GET /hello HTTP/1.1\r\n"), seen);
      assertTrue(seen.contains("Via: 1.1 vconn\r\n"), seen);
      VConn passive = server[0].accepted.get(0);
      assertTrue(VConnPair.optionsOf(passive).isPresent(), "the server got the passive end of a pair");
      assertEquals(HttpRig.CLIENT, passive.remoteAddress(), "with the client's address");
      AccessLogRecord log = rig.log.get(0);
      assertEquals("intercept", log.origin());
      assertEquals(200, log.status());
      assertTrue(log.toLogLine().contains("origin=intercept pitag=fetcher piid=9 cqint=1"), log.toLogLine());
    }
  }

  @Test
  void intercept_answers_each_request_of_a_keep_alive_connection() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.CLOSE, false,
        req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      c.send(GET.replace("hello", "again"));
      rig.run();
      assertEquals(2, c.responses().size());
      assertEquals(2, server[0].accepted.size(), "one pair per transaction: intercepts are never pooled");
      assertEquals(0, rig.proxy.idleOriginConnections());
      // Each pair carries its own transaction's id and the session's tag and address, though the session shares one
      // options record between its intercepts' pairs.
      VConnPair.Options first = VConnPair.optionsOf(server[0].accepted.get(0)).orElseThrow();
      VConnPair.Options second = VConnPair.optionsOf(server[0].accepted.get(1)).orElseThrow();
      assertEquals(rig.log.get(0).pluginTag(), first.tag(), "the client session's plugin tag");
      assertEquals(first.tag(), second.tag());
      assertNotEquals(first.id(), second.id(), "each pair has its own transaction's id");
      assertEquals(HttpRig.CLIENT, second.clientAddress());
      assertEquals(first.bufferIndex(), second.bufferIndex());
    }
  }

  @Test
  void intercept_response_ended_by_closing_is_chunked_for_the_client() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.CLOSE, false,
        req -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited body")) {
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      Response r = c.response();
      assertTrue(r.chunked());
      assertEquals("close-delimited body", r.body());
      assertFalse(c.eos);
      assertEquals("intercept", rig.log.get(0).origin());
    }
  }

  @Test
  void intercept_response_ended_by_shutting_down_the_write_side() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.SHUTDOWN, false,
        req -> "HTTP/1.1 200 OK\r\n\r\nended by shutdown")) {
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ended by shutdown", c.response().body());
      assertTrue(server[0].closed, "the proxy closed its end, so the server saw EOS and closed too");
    }
  }

  @Test
  void intercept_receives_the_request_body() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.CLOSE, false,
        req -> "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nthanks!")) {
      HttpRig.Client c = rig.client();
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
      rig.run();
      assertEquals("thanks!", c.response().body());
      assertTrue(server[0].requests.get(0).endsWith("\r\n\r\nhello world"), server[0].requests.get(0));
    }
  }

  @Test
  void intercept_that_answers_without_reading_the_request_still_gets_its_response_through() {
    Server[] server = new Server[1];
    try (HttpRig rig = interceptingRig(server, Ending.CLOSE, true,
        req -> "HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n\r\ntoo big!")) {
      HttpRig.Client c = rig.client();
      c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
      rig.run();
      Response r = c.response();
      assertEquals(413, r.status());
      assertEquals("too big!", r.body());
      assertEquals(413, rig.log.get(0).status());
    }
  }

  @Test
  void intercept_and_a_remap_rule_together_the_intercept_wins() {
    Server[] server = new Server[1];
    Continuation hook = new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      txn.intercept(server[0].cont);
      txn.reenable();
    });
    try (HttpRig rig = new HttpRig(b -> b
        .remap(RemapRule.parse("http://*/", "http://10.0.0.1:8080/"))
        .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build()))) {
      server[0] = new Server(rig.pool, Ending.CLOSE, false, req -> "HTTP/1.1 204 No Content\r\n\r\n");
      TestOrigin origin = rig.origin("10.0.0.1:8080", req -> "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(204, c.response().status());
      assertEquals(0, origin.connections());
      assertNotNull(server[0].vconn);
    }
  }
}
