package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Response transforms ({@code TSTransformCreate}): the null transform, chains, skipping, a changing transform. */
class HttpTransformTest {
  static final String ORIGIN = "10.0.0.1:8080";

  /** A rig whose READ_REQUEST_HDR hook adds the transforms {@code make} returns, in order. */
  static HttpRig rig(Supplier<List<EventHandler>> make) {
    Continuation hook = new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      make.get().forEach(txn::addResponseTransform);
      txn.reenable();
    });
    return new HttpRig(b -> b
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build()));
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
  }

  /** Upper-cases the body; small and without backpressure, like a plugin author's first transform. */
  static final class UpperCase implements EventHandler {
    private Transform t;
    private IOBuffer in;
    private IOBufferReader inReader;
    private IOBuffer out;
    private WriteVio output;
    private long written;
    private boolean done;

    @Override
    public void handle(Event event, Object data) {
      if (event == Event.IMMEDIATE && data instanceof Transform transform) {
        t = transform;
        in = new IOBuffer(t.blockPool());
        inReader = in.allocReader();
        out = new IOBuffer(t.blockPool());
        t.input().read(t.continuation(), Long.MAX_VALUE, in);
        output = t.output().write(t.continuation(), Long.MAX_VALUE, out.allocReader());
        return;
      }
      if (done || !(data instanceof VIO vio) || vio.isRetired()) {
        return;
      }
      switch (event) {
        case READ_READY, EOS -> {
          byte[] b = new byte[(int) inReader.readAvail()];
          inReader.read(b, 0, b.length);
          written += out.write(new String(b, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT)
              .getBytes(StandardCharsets.ISO_8859_1));
          if (event == Event.EOS) {
            output.setNBytes(written);
          } else {
            ((ReadVio) vio).reenable();
          }
          output.reenable();
        }
        case WRITE_COMPLETE -> {
          t.output().shutdown(ShutdownHow.WRITE);
          release();
        }
        case WRITE_READY -> { }
        default -> release();
      }
    }

    private void release() {
      done = true;
      t.input().close();
      t.output().close();
      in.close();
      out.close();
    }
  }

  /** Records the events it gets and passes the body through a NullTransform. */
  static final class Recording implements EventHandler {
    final List<Event> events;
    final NullTransform inner = new NullTransform();

    Recording(List<Event> events) {
      this.events = events;
    }

    @Override
    public void handle(Event event, Object data) {
      events.add(event);
      inner.handle(event, data);
    }
  }

  @Test
  void null_transform_passes_a_content_length_body_unchanged_and_the_client_gets_it_chunked() {
    try (HttpRig rig = rig(() -> List.of(new NullTransform()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
      HttpRig.Client c = rig.client();
      c.send(get("/a"));
      rig.run();
      Response r = c.response();
      assertEquals(200, r.status());
      assertTrue(r.chunked(), "a transformed body has no known length");
      assertFalse(r.has("Content-Length"));
      assertEquals("hello world", r.body());
      assertFalse(c.eos);
      c.send(get("/b"));
      rig.run();
      assertEquals("hello world", c.responses().get(1).body(), "the connection goes on after a transform");
    }
  }

  @Test
  void null_transform_passes_a_chunked_body_unchanged() {
    try (HttpRig rig = rig(() -> List.of(new NullTransform()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
      HttpRig.Client c = rig.client();
      c.send(get("/a"));
      rig.run();
      assertEquals("abcdefg", c.response().body());
    }
  }

  @Test
  void null_transform_passes_a_5_mib_body_unchanged() {
    byte[] body = new byte[5 << 20];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) ('a' + (i * 7 + i / 4099) % 26);
    }
    String text = new String(body, StandardCharsets.ISO_8859_1);
    try (HttpRig rig = rig(() -> List.of(new NullTransform()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n" + text);
      HttpRig.Client c = rig.client();
      c.send(get("/big"));
      rig.run();
      Response r = c.response();
      assertTrue(r.chunked());
      assertArrayEquals(body, r.body().getBytes(StandardCharsets.ISO_8859_1));
      assertEquals(1, rig.proxy.idleOriginConnections(), "the origin connection was read to the end");
    }
  }

  @Test
  void custom_transform_changes_the_body() {
    try (HttpRig rig = rig(() -> List.of(new UpperCase()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
      HttpRig.Client c = rig.client();
      c.send(get("/a"));
      rig.run();
      assertEquals("HELLO WORLD", c.response().body());
    }
  }

  @Test
  void two_transforms_are_chained_in_the_order_added() {
    List<Event> events = new ArrayList<>();
    try (HttpRig rig = rig(() -> List.of(new Recording(events), new UpperCase()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nchain\r\n3\r\ned!\r\n0\r\n\r\n");
      HttpRig.Client c = rig.client();
      c.send(get("/a"));
      rig.run();
      assertEquals("CHAINED!", c.response().body());
      assertEquals(Event.IMMEDIATE, events.get(0), "each transform starts with IMMEDIATE and its Transform");
    }
  }

  @Test
  void transform_added_at_read_response_hdr_applies_to_that_response() {
    Continuation hook = new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      if (txn.serverResponse().headers().contains("X-Shout")) {
        txn.addResponseTransform(new UpperCase());
      }
      txn.reenable();
    });
    try (HttpRig rig = new HttpRig(b -> b
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .hooks(HttpHooks.builder().add(HttpHookId.READ_RESPONSE_HDR, hook).build()))) {
      rig.origin(ORIGIN, req -> req.head().target().equals("/shout")
          ? "HTTP/1.1 200 OK\r\nX-Shout: 1\r\nContent-Length: 5\r\n\r\nquiet"
          : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nquiet");
      HttpRig.Client c = rig.client();
      c.send(get("/shout") + get("/plain"));
      rig.run();
      List<Response> rs = c.responses();
      assertEquals("QUIET", rs.get(0).body());
      assertEquals("quiet", rs.get(1).body());
      assertEquals("5", rs.get(1).header("Content-Length"), "untransformed responses keep their length");
    }
  }

  @Test
  void transform_on_bodiless_responses_is_skipped() {
    List<Event> events = new ArrayList<>();
    try (HttpRig rig = rig(() -> List.of(new Recording(events)))) {
      rig.origin(ORIGIN, req -> req.head().method().equals("HEAD")
          ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" : "HTTP/1.1 204 No Content\r\n\r\n");
      HttpRig.Client c = rig.client();
      c.send("HEAD /a HTTP/1.1\r\nHost: example.test\r\n\r\n" + get("/b"));
      rig.run();
      List<Response> rs = c.responses("HEAD", "GET");
      assertEquals(2, rs.size(), c.received());
      assertEquals("5", rs.get(0).header("Content-Length"), "HEAD keeps its length: nothing was transformed");
      assertFalse(rs.get(0).has("Transfer-Encoding"));
      assertEquals(204, rs.get(1).status());
      assertTrue(events.isEmpty(), "the transform never started: " + events);
    }
  }

  @Test
  void transformed_response_to_an_http10_client_is_close_delimited() {
    try (HttpRig rig = rig(() -> List.of(new UpperCase()))) {
      rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n");
      rig.run();
      Response r = c.response();
      assertTrue(r.closeDelimited());
      assertEquals("ABC", r.body());
      assertEquals(List.of("close"), r.tokens("Connection"));
      assertTrue(c.eos);
    }
  }

  @Test
  void client_leaving_in_the_middle_of_a_transformed_body_frees_the_chain() {
    try (HttpRig rig = rig(() -> List.of(new NullTransform(), new NullTransform()))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(get("/a"));
      rig.run();
      origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
      rig.run();
      assertTrue(c.received().contains("\r\n4\r\npart\r\n"), c.received());
      c.close();
      rig.run();
      assertEquals(0, rig.proxy.openSessions());
      assertTrue(origin.conn(0).eos, "the origin connection was closed");
    }
  }
}
