package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol stage over in-process connections on the virtual clock: what the next stage gets (the
 * address, the connection positioned after the header, the octets read past it), rejections closing the connection
 * without a byte, the header timeout, and every block back in the pool.
 */
class ProxyProtocolStageTest {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final String REQUEST = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

  final BlockPool pool = new BlockPool();
  final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  final List<VConnPair> pairs = new ArrayList<>();
  final List<Handed> handed = new ArrayList<>();
  final List<Client> clients = new ArrayList<>();

  /** What the next stage got, and everything it read from the connection afterwards. */
  static final class Handed {
    final VConn vconn;
    final String alreadyRead;
    final SocketAddress clientAddress;
    final IOBuffer in;
    final IOBufferReader reader;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();

    Handed(VConn vconn, IOBufferReader alreadyRead, SocketAddress clientAddress, BlockPool pool) {
      this.vconn = vconn;
      if (alreadyRead == null) {
        this.alreadyRead = null;
      } else {
        byte[] b = new byte[(int) alreadyRead.readAvail()];
        alreadyRead.read(b, 0, b.length);
        alreadyRead.buffer().close();
        this.alreadyRead = new String(b, StandardCharsets.ISO_8859_1);
      }
      this.clientAddress = clientAddress;
      in = new IOBuffer(pool);
      reader = in.allocReader();
      vconn.read(new Continuation((e, d) -> {
        byte[] b = new byte[(int) reader.readAvail()];
        reader.read(b, 0, b.length);
        received.writeBytes(b);
      }), Long.MAX_VALUE, in);
    }

    String received() {
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** The client's end: writes what it is given, records whether the proxy side closed it. */
  final class Client {
    final VConn vconn;
    final IOBuffer out = new IOBuffer(pool);
    final IOBufferReader outReader = out.allocReader();
    final IOBuffer in = new IOBuffer(pool);
    final IOBufferReader inReader = in.allocReader();
    boolean eos;
    long receivedBytes;

    Client(VConn vconn) {
      this.vconn = vconn;
      Continuation c = new Continuation((e, d) -> {
        if (e == Event.READ_READY || e == Event.EOS) {
          receivedBytes += inReader.readAvail();
          inReader.consume(inReader.readAvail());
          eos |= e == Event.EOS;
        }
      });
      vconn.read(c, Long.MAX_VALUE, in);
      vconn.write(c, Long.MAX_VALUE, outReader);
    }

    void send(byte[] b) {
      out.write(b);
      vconn.writeVio().reenable();
      loop.runReady();
    }

    void send(String s) {
      send(s.getBytes(StandardCharsets.ISO_8859_1));
    }
  }

  ProxyProtocolStage stage(ProxyProtocolMode mode) {
    return new ProxyProtocolStage(mode, TIMEOUT, pool, (v, rest, address) -> handed.add(new Handed(v, rest,
        address, pool)));
  }

  Client connect(ProxyProtocolStage stage) {
    VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
    pairs.add(pair);
    Client client = new Client(pair.active());
    clients.add(client);
    loop.execute(() -> {
      stage.acceptor().lock().lock();
      try {
        stage.acceptor().handler().handle(Event.NET_ACCEPT, pair.passive());
      } finally {
        stage.acceptor().lock().unlock();
      }
    });
    loop.runReady();
    return client;
  }

  @AfterEach
  void everythingIsFreed() {
    for (Handed h : handed) {
      h.vconn.close();
      h.in.close();
    }
    for (VConnPair p : pairs) {
      p.active().close();
    }
    for (Client c : clients) {
      c.in.close();
      c.out.close();
    }
    loop.runReady();
    for (VConnPair p : pairs) {
      assertTrue(p.isFreed(), "pair left open: " + p);
    }
    assertEquals(0, pool.outstanding(), "blocks not returned to the pool: " + pool);
  }

  @Test
  void a_version_1_header_gives_its_address_and_the_next_stage_reads_from_the_first_octet_after_it() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.V1);
    Client c = connect(stage);
    c.send("PROXY TCP4 192.168.1.1 10.0.0.1 56324 443\r\n" + REQUEST); // header and request in one write
    assertEquals(1, handed.size());
    Handed h = handed.get(0);
    assertEquals(new InetSocketAddress("192.168.1.1", 56324), h.clientAddress);
    assertNull(h.alreadyRead, "nothing was read past the header");
    assertEquals(REQUEST, h.received());
    assertEquals(1, stage.accepted());
    assertEquals(0, stage.rejected());
  }

  @Test
  void a_version_2_header_sent_one_octet_at_a_time_is_read_whole_and_nothing_past_it() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.ANY);
    Client c = connect(stage);
    byte[] header = ProxyProtocolParserTest.v2(0x21, 0x21, ProxyProtocolParserTest.inet6Payload());
    for (byte b : header) {
      assertTrue(handed.isEmpty());
      c.send(new byte[] {b});
    }
    c.send(REQUEST);
    assertEquals(1, handed.size());
    assertEquals(new InetSocketAddress("2001:db8::1", 12345), handed.get(0).clientAddress);
    assertNull(handed.get(0).alreadyRead);
    assertEquals(REQUEST, handed.get(0).received());
  }

  @Test
  void the_optional_mode_hands_on_a_connection_without_a_header_with_the_octets_it_read() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.OPTIONAL);
    Client c = connect(stage);
    c.send(REQUEST);
    assertEquals(1, handed.size());
    Handed h = handed.get(0);
    assertNull(h.clientAddress, "the connection's own address counts");
    assertEquals(REQUEST, h.alreadyRead + h.received(), "not an octet lost or repeated");
    assertFalse(h.alreadyRead.isEmpty());
    assertEquals(1, stage.withoutHeader());
    Client withHeader = connect(stage);
    withHeader.send("PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n" + REQUEST);
    assertEquals(new InetSocketAddress("1.2.3.4", 1000), handed.get(1).clientAddress);
    assertEquals(REQUEST, handed.get(1).received());
  }

  @Test
  void a_missing_or_invalid_header_closes_the_connection_without_a_byte_and_is_counted() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.ANY);
    byte[] badSignature = ProxyProtocolParserTest.v2(0x21, 0x11, ProxyProtocolParserTest.inetPayload(new byte[0]));
    badSignature[3] = 0;
    List<byte[]> attacks = List.of(REQUEST.getBytes(StandardCharsets.ISO_8859_1), badSignature,
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n".getBytes(StandardCharsets.ISO_8859_1),
        ProxyProtocolParserTest.v2(0x21, 0x21, new byte[12]));
    for (byte[] attack : attacks) {
      Client c = connect(stage);
      c.send(attack);
      assertTrue(c.eos, "closed");
      assertEquals(0, c.receivedBytes, "no response");
    }
    assertTrue(handed.isEmpty());
    assertEquals(attacks.size(), stage.rejected());
    assertEquals(0, stage.accepted());
  }

  @Test
  void a_truncated_header_then_the_end_of_the_stream_is_rejected() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.V2);
    Client c = connect(stage);
    byte[] header = ProxyProtocolParserTest.v2(0x21, 0x11, ProxyProtocolParserTest.inetPayload(new byte[0]));
    c.send(java.util.Arrays.copyOf(header, header.length - 1));
    assertTrue(handed.isEmpty());
    assertFalse(c.eos);
    c.vconn.shutdown(ShutdownHow.WRITE);
    loop.runReady();
    assertTrue(c.eos);
    assertEquals(1, stage.rejected());
  }

  @Test
  void a_header_not_whole_within_the_timeout_closes_the_connection() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.V1);
    Client c = connect(stage);
    c.send("PROXY TCP4 1.2.3.4 ");
    loop.advance(TIMEOUT.minusMillis(1));
    assertFalse(c.eos, "still waiting just before the timeout");
    loop.advance(Duration.ofMillis(1));
    assertTrue(c.eos, "closed at the timeout");
    assertEquals(1, stage.rejected());
    assertTrue(handed.isEmpty());
  }

  @Test
  void a_handed_on_connection_keeps_no_timeout_of_the_stage() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.V1);
    Client c = connect(stage);
    c.send("PROXY UNKNOWN\r\n");
    assertNull(handed.get(0).clientAddress);
    loop.advance(TIMEOUT.multipliedBy(3));
    assertFalse(c.eos, "the next stage owns the connection's timeouts");
    c.send(REQUEST);
    assertEquals(REQUEST, handed.get(0).received());
  }

  @Test
  void closing_the_stage_closes_the_connections_whose_header_is_being_read_and_every_later_one() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.ANY);
    Client waiting = connect(stage);
    waiting.send("PROXY TCP4 1.2.3.4 ");
    Client done = connect(stage);
    done.send("PROXY UNKNOWN\r\n");
    stage.close();
    loop.runReady();
    assertTrue(waiting.eos, "the header read was closed");
    assertFalse(done.eos, "a connection already handed on is the next stage's");
    Client late = connect(stage);
    assertTrue(late.eos, "accepted after the close: closed at once");
    assertEquals(1, handed.size());
  }

  @Test
  void off_hands_every_connection_on_at_once_and_a_bad_timeout_is_refused() {
    ProxyProtocolStage stage = stage(ProxyProtocolMode.OFF);
    Client c = connect(stage);
    c.send(REQUEST);
    assertNull(handed.get(0).alreadyRead);
    assertEquals(REQUEST, handed.get(0).received());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ProxyProtocolStage(ProxyProtocolMode.V1, Duration.ZERO, pool, (v, r, a) -> { }));
    assertTrue(e.getMessage().contains("timeout must be positive"), e.getMessage());
  }
}
