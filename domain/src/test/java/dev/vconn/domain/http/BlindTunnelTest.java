package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.BytePattern;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link BlindTunnel} over two in-process pairs on virtual time: "client" end -- pair -- side A [tunnel] side B --
 * pair -- "origin" end.
 */
class BlindTunnelTest {
  private static final Duration IDLE = Duration.ofSeconds(10);
  private static final int MIB = 1 << 20;

  private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  private final BlockPool tunnelPool = new BlockPool();
  private final BlockPool endPool = new BlockPool();
  private final VConnPair clientPair = VConnPair.open(loop, VConnPair.Options.defaults());
  private final VConnPair originPair = VConnPair.open(loop, VConnPair.Options.defaults());
  private final List<IOBuffer> buffers = new ArrayList<>();
  private final List<BlindTunnel.Result> results = new ArrayList<>();

  private VConn sideA() {
    return clientPair.passive();
  }

  private VConn sideB() {
    return originPair.active();
  }

  private BlindTunnel tunnel(IOBufferReader aReadAhead, IOBufferReader bReadAhead) {
    return new BlindTunnel(sideA(), sideB(), tunnelPool, aReadAhead, bReadAhead, IDLE, results::add);
  }

  @AfterEach
  void everythingFreed() {
    clientPair.active().close();
    originPair.passive().close();
    loop.runUntilIdle();
    buffers.forEach(IOBuffer::close);
    assertTrue(clientPair.isFreed() && originPair.isFreed(), "both pairs freed: both tunnel sides were closed");
    assertEquals(0, tunnelPool.outstanding(), "every tunnel block back in the pool: " + tunnelPool);
    assertEquals(0, endPool.outstanding(), "every test block back in the pool: " + endPool);
  }

  @Test
  void sixteen_mib_each_way_at_once_with_a_slow_reader_keeps_buffering_bounded() {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = new Endpoint(clientPair.active(), new BytePattern(1), new BytePattern(2), 16 * MIB, 0);
    Endpoint origin = new Endpoint(originPair.passive(), new BytePattern(2), new BytePattern(1), 16 * MIB, 4096);
    client.shutdownWhenSent = true;
    origin.shutdownWhenSent = true;
    tunnel.start();
    client.start();
    origin.start();
    long[] maxBuffered = {0};
    sampleEveryMillisecond(() -> maxBuffered[0] = Math.max(maxBuffered[0], tunnel.bufferedBytes()));

    assertTrue(loop.runUntil(() -> !results.isEmpty(), Duration.ofMinutes(10)), "tunnel ended");

    assertTrue(loop.runUntil(() -> origin.eos && origin.received == 16L * MIB, Duration.ofMinutes(10)),
        "the slow origin read everything");
    BlindTunnel.Result result = results.get(0);
    assertEquals(BlindTunnel.End.COMPLETED, result.end());
    assertEquals(16L * MIB, result.bytesAToB());
    assertEquals(16L * MIB, result.bytesBToA());
    assertEquals(16L * MIB, origin.received, "origin got every client byte, in order (checked on arrival)");
    assertEquals(16L * MIB, client.received, "client got every origin byte, in order (checked on arrival)");
    assertTrue(origin.eos && client.eos, "both ends saw the end of the stream");
    assertTrue(result.duration().compareTo(Duration.ofSeconds(1)) > 0,
        "the slow reader (4 KiB per ms) set the pace: " + result.duration());
    // Unbounded buffering would have held megabytes while the origin read 4 KiB per millisecond; the bound is one
    // 32 KiB block per direction (docs/semantics.md, rule 3.5).
    assertTrue(maxBuffered[0] > 0, "the sampler saw the tunnel at work");
    assertTrue(maxBuffered[0] <= 2 * 32 * 1024, "the tunnel buffered at most a block each way: " + maxBuffered[0]);
    assertEquals(1, results.size(), "one result");
  }

  @Test
  void bytes_read_ahead_on_either_side_go_out_first() {
    IOBuffer aAhead = buffer();
    IOBufferReader aReader = aAhead.allocReader();
    aAhead.write(ascii("pipelined-by-client;"));
    IOBuffer bAhead = buffer();
    IOBufferReader bReader = bAhead.allocReader();
    bAhead.write(ascii("read-ahead-from-origin;"));
    BlindTunnel tunnel = tunnel(aReader, bReader);
    assertEquals(0, aReader.readAvail(), "the tunnel took the read-ahead bytes");
    Endpoint client = textEnd(clientPair.active(), "then-client");
    Endpoint origin = textEnd(originPair.passive(), "then-origin");
    tunnel.start();
    client.start();
    origin.start();

    assertTrue(loop.runUntil(() -> !results.isEmpty(), Duration.ofSeconds(5)), "tunnel ended");

    assertEquals("pipelined-by-client;then-client", origin.text());
    assertEquals("read-ahead-from-origin;then-origin", client.text());
    assertEquals(BlindTunnel.End.COMPLETED, results.get(0).end());
    assertEquals(31, results.get(0).bytesAToB());
    assertEquals(34, results.get(0).bytesBToA());
  }

  @ParameterizedTest(name = "{0} half-closes first")
  @ValueSource(strings = {"client", "origin"})
  void half_close_is_passed_on_and_the_other_direction_keeps_running(String first) {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = textEnd(clientPair.active(), "client-bytes");
    Endpoint origin = textEnd(originPair.passive(), "origin-bytes");
    Endpoint closer = first.equals("client") ? client : origin;
    Endpoint other = closer == client ? origin : client;
    other.shutdownWhenSent = false;
    tunnel.start();
    client.start();
    origin.start();
    loop.runFor(Duration.ofSeconds(1));

    assertTrue(other.eos, "the other end saw the half-close as EOS");
    assertFalse(closer.eos, "the half-closing end still waits for bytes");
    assertTrue(results.isEmpty(), "one direction still runs");
    assertEquals(closer == client ? "client-bytes" : "origin-bytes", other.text());

    other.shutdownWhenSent = true; // once these bytes are out
    other.send(ascii(" and-after-half-close"));
    assertTrue(loop.runUntil(() -> !results.isEmpty(), Duration.ofSeconds(5)), "tunnel ended");

    assertEquals((other == client ? "client-bytes" : "origin-bytes") + " and-after-half-close", closer.text());
    assertTrue(closer.eos);
    assertEquals(BlindTunnel.End.COMPLETED, results.get(0).end());
  }

  @ParameterizedTest(name = "{0} is reset")
  @ValueSource(strings = {"client", "origin"})
  void a_reset_of_one_side_closes_both(String resetSide) {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = textEnd(clientPair.active(), "x");
    Endpoint origin = textEnd(originPair.passive(), "y");
    client.shutdownWhenSent = false;
    origin.shutdownWhenSent = false;
    tunnel.start();
    client.start();
    origin.start();
    loop.runFor(Duration.ofMillis(10));
    assertTrue(results.isEmpty());

    Endpoint reset = resetSide.equals("client") ? client : origin;
    Endpoint survivor = reset == client ? origin : client;
    reset.vconn.abort(Errno.ECONNRESET, null);
    loop.runFor(Duration.ofMillis(10));

    assertEquals(1, results.size(), "the tunnel ended");
    assertEquals(BlindTunnel.End.ERROR, results.get(0).end());
    assertTrue(survivor.eos || survivor.error, "the surviving end saw its tunnel side closed");
    assertFalse(sideA().isOpen() || sideB().isOpen(), "both tunnel sides closed");
  }

  /**
   * A side that writes its last bytes and closes (no half-close first): those bytes still reach the other side.
   * An in-process pair tells the tunnel's writer towards the closed side ERROR at once (docs/semantics.md, "Sockets
   * behave as Linux's": EPIPE at once for the pair), which must end only the direction that cannot be written any
   * more, not throw away what the closed side sent before it closed. Found by the HTTP fuzz's CONNECT exchanges.
   */
  @ParameterizedTest(name = "{0} closes after its last write")
  @ValueSource(strings = {"client", "origin"})
  void bytes_sent_just_before_a_close_still_reach_the_other_side(String closing) {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = textEnd(clientPair.active(), closing.equals("client") ? "last-words" : "");
    Endpoint origin = textEnd(originPair.passive(), closing.equals("origin") ? "last-words" : "");
    Endpoint closer = closing.equals("client") ? client : origin;
    Endpoint other = closer == client ? origin : client;
    closer.shutdownWhenSent = false;
    closer.closeWhenSent = true;
    other.shutdownWhenSent = false;
    tunnel.start();
    client.start();
    origin.start();

    assertTrue(loop.runUntil(() -> !results.isEmpty(), Duration.ofSeconds(5)), "tunnel ended");
    loop.runUntilIdle();

    assertEquals("last-words", other.text(), "what the closing side sent before its close");
    assertTrue(other.eos, "then the end of the stream");
    assertEquals(10, closer == client ? results.get(0).bytesAToB() : results.get(0).bytesBToA());
    assertFalse(sideA().isOpen() || sideB().isOpen(), "both tunnel sides closed");
  }

  /**
   * A side that sends nothing at all and then half-closes (or resets, which a pair reports as EOS): the end of its
   * empty stream is passed on at once. The direction's write then has nothing to write, and a write whose nbytes is
   * 0 gets no events (docs/semantics.md, rule 3.2), so no WRITE_COMPLETE would ever pass it on. Found by an upgrade
   * case of HttpUpgradeTest once a failed write no longer ended the whole tunnel.
   */
  @ParameterizedTest(name = "{0} sends nothing, then half-closes")
  @ValueSource(strings = {"client", "origin"})
  void a_side_that_sends_nothing_then_half_closes_passes_the_half_close_on_at_once(String silent) {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = textEnd(clientPair.active(), silent.equals("client") ? "" : "request");
    Endpoint origin = textEnd(originPair.passive(), silent.equals("origin") ? "" : "answer");
    Endpoint quiet = silent.equals("client") ? client : origin;
    Endpoint other = quiet == client ? origin : client;
    tunnel.start();
    client.start();
    origin.start();
    quiet.self.lock().lock();
    try {
      quiet.vconn.shutdown(ShutdownHow.WRITE);
    } finally {
      quiet.self.lock().unlock();
    }
    loop.runFor(Duration.ofSeconds(1)); // far inside the inactivity timeout

    assertTrue(other.eos, "the other side saw the half-close of the empty stream");
    assertEquals(quiet == client ? "answer" : "request", quiet.text());
    assertTrue(quiet.eos, "and its own half-close came back");
    assertEquals(1, results.size(), "the tunnel ended without waiting for the inactivity timeout");
    assertEquals(BlindTunnel.End.COMPLETED, results.get(0).end());
  }

  @Test
  void an_idle_tunnel_ends_at_the_inactivity_timeout() {
    BlindTunnel tunnel = tunnel(null, null);
    Endpoint client = textEnd(clientPair.active(), "hi");
    Endpoint origin = textEnd(originPair.passive(), "");
    client.shutdownWhenSent = false;
    origin.shutdownWhenSent = false;
    tunnel.start();
    client.start();
    origin.start();

    loop.runFor(IDLE.minusMillis(1));
    assertTrue(results.isEmpty(), "not yet idle long enough");
    assertEquals("hi", origin.text());
    loop.runFor(Duration.ofSeconds(1));

    assertEquals(1, results.size());
    assertEquals(BlindTunnel.End.TIMEOUT, results.get(0).end());
    assertEquals(IDLE, results.get(0).duration(), "the last transfer was at the start");
    assertEquals(2, results.get(0).bytesAToB());
    assertTrue(client.eos && origin.eos, "both ends were closed");
  }

  @Test
  void close_by_the_owner_reports_once_and_frees_everything() {
    BlindTunnel tunnel = tunnel(null, null);
    tunnel.start();
    tunnel.close();
    tunnel.close();
    loop.runUntilIdle();
    assertEquals(1, results.size());
    assertEquals(BlindTunnel.End.CLOSED, results.get(0).end());
    assertEquals(0, tunnel.bufferedBytes());
    assertThrows(IllegalStateException.class, tunnel::start);
  }

  @Test
  void misuse_is_refused_naming_the_rule() {
    IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
        () -> new BlindTunnel(sideA(), sideA(), tunnelPool, null, null, IDLE, r -> { }));
    assertTrue(same.getMessage().contains("two different VConns"), same.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new BlindTunnel(sideA(), sideB(), tunnelPool, null, null, Duration.ZERO, r -> { }));
    assertTrue(zero.getMessage().contains("must be positive"), zero.getMessage());
    sideA().close();
    sideB().close();
  }

  private void sampleEveryMillisecond(Runnable sample) {
    loop.schedule(() -> {
      sample.run();
      if (results.isEmpty()) {
        sampleEveryMillisecond(sample);
      }
    }, Duration.ofMillis(1));
  }

  private Endpoint textEnd(VConn vconn, String text) {
    Endpoint e = new Endpoint(vconn, null, null, 0, 0);
    e.text = ascii(text);
    return e;
  }

  private IOBuffer buffer() {
    IOBuffer b = new IOBuffer(endPool);
    buffers.add(b);
    return b;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * One end outside the tunnel: sends a pattern (or text), reads and checks what arrives; a slow one consumes only
   * {@code perTick} bytes per millisecond.
   */
  private final class Endpoint implements EventHandler {
    final VConn vconn;
    final Continuation self = new Continuation(this);
    final BytePattern sendPattern;
    final BytePattern expectPattern;
    final long total;
    final int perTick;
    final IOBuffer out = buffer();
    final IOBufferReader outReader = out.allocReader();
    final IOBuffer in = buffer();
    final IOBufferReader inReader = in.allocReader();
    final ByteArrayOutputStream textIn = new ByteArrayOutputStream();
    byte[] text;
    WriteVio write;
    ReadVio read;
    long queued;
    long received;
    boolean eos;
    boolean error;
    boolean shutdownWhenSent = true;
    boolean closeWhenSent;
    boolean tickPending;

    Endpoint(VConn vconn, BytePattern sendPattern, BytePattern expectPattern, long total, int perTick) {
      this.vconn = vconn;
      this.sendPattern = sendPattern;
      this.expectPattern = expectPattern;
      this.total = total;
      this.perTick = perTick;
    }

    String text() {
      return textIn.toString(StandardCharsets.US_ASCII);
    }

    void start() {
      self.lock().lock();
      try {
        read = vconn.read(self, Long.MAX_VALUE, in);
        if (text != null) {
          out.write(text);
          queued = text.length;
          write = vconn.write(self, text.length, outReader);
        } else {
          topUp();
          write = vconn.write(self, total, outReader);
        }
      } finally {
        self.lock().unlock();
      }
    }

    void send(byte[] more) {
      self.lock().lock();
      try {
        out.write(more);
        write = vconn.write(self, more.length, outReader); // the first write completed: a new one

      } finally {
        self.lock().unlock();
      }
    }

    private void topUp() {
      long room = 64 * 1024 - outReader.readAvail();
      int n = (int) Math.min(room, total - queued);
      if (n > 0) {
        sendPattern.write(out, queued, n);
        queued += n;
      }
    }

    @Override
    public void handle(Event event, Object data) {
      switch (event) {
        case READ_READY -> consume();
        case WRITE_READY -> {
          if (text == null) {
            topUp();
          }
        }
        case WRITE_COMPLETE -> {
          if (shutdownWhenSent) {
            vconn.shutdown(ShutdownHow.WRITE);
          }
          if (closeWhenSent) {
            vconn.close();
          }
        }
        case EOS -> {
          consume();
          eos = true;
        }
        default -> error = true;
      }
    }

    private void consume() {
      if (perTick != 0) {
        // A slow reader never consumes inside READ_READY: only its timer does.
        if (!tickPending) {
          tickPending = true;
          loop.schedule(this::tick, Duration.ofMillis(1));
        }
        return;
      }
      consumeUpTo(Long.MAX_VALUE);
    }

    private void consumeUpTo(long limit) {
      if (text != null) {
        byte[] chunk = new byte[(int) inReader.readAvail()];
        inReader.read(chunk, 0, chunk.length);
        textIn.writeBytes(chunk);
        received += chunk.length;
        return;
      }
      long n = Math.min(limit, inReader.readAvail());
      byte[] chunk = new byte[(int) n];
      inReader.read(chunk, 0, chunk.length);
      for (int i = 0; i < chunk.length; i++) {
        if (chunk[i] != expectPattern.at(received + i)) {
          throw new AssertionError("byte " + (received + i) + " is wrong");
        }
      }
      received += n;
    }

    private void tick() {
      self.lock().lock();
      try {
        tickPending = false;
        if (!vconn.isOpen()) {
          return;
        }
        consumeUpTo(perTick);
        read.reenable();
        if (inReader.readAvail() > 0) {
          tickPending = true;
          loop.schedule(this::tick, Duration.ofMillis(1));
        }
      } finally {
        self.lock().unlock();
      }
    }
  }
}
