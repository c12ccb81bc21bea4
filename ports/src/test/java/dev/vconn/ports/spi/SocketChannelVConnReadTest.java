package dev.vconn.ports.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.contract.ForeignSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reads a socket VConn makes: only those a readiness report allows, so no read finds nothing (EAGAIN on a real
 * socket) after a read that drained the socket (docs/nio-adapter.md, "No copies, no allocation per transfer").
 */
class SocketChannelVConnReadTest {
  private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  private final BlockPool pool = new BlockPool();
  private final List<Event> events = new ArrayList<>();
  private ServerSocketChannel server;
  private SocketChannel peer;
  private ForeignSocketChannel channel;
  private TestVConn vconn;
  private IOBuffer buffer;

  /** The primitives of the shared base and nothing else; readiness is reported by the test, as a selector would. */
  private static final class TestVConn extends SocketChannelVConn {
    TestVConn(VirtualTimeEventLoop loop, SocketChannel channel) throws IOException {
      super(loop, channel);
    }

    void readable() {
      onSocketReadable();
    }
  }

  @BeforeEach
  void connect() throws IOException {
    server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    peer = SocketChannel.open(server.getLocalAddress());
    SocketChannel accepted = server.accept();
    accepted.configureBlocking(false);
    channel = new ForeignSocketChannel(accepted);
    vconn = new TestVConn(loop, channel);
    buffer = new IOBuffer(pool, 2);
  }

  @AfterEach
  void close() throws IOException {
    vconn.close();
    loop.runUntilIdle();
    buffer.close();
    peer.close();
    server.close();
  }

  @Test
  void a_read_that_drains_the_socket_is_not_followed_by_one_the_selector_did_not_report() throws IOException {
    IOBufferReader reader = buffer.allocReader();
    ReadVio read = vconn.read(new Continuation((event, data) -> events.add(event)), Long.MAX_VALUE, buffer);
    loop.runUntilIdle();
    assertEquals(0, channel.reads(), "no read before the socket was reported readable");

    peer.write(ByteBuffer.wrap(new byte[100]));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(List.of(Event.READ_READY), events);
    assertEquals(100, reader.readAvail());
    assertEquals(1, channel.reads(), "one read took the 100 bytes; a second would only have found nothing");
    assertEquals(0, channel.emptyReads());

    reader.consume(100);
    read.reenable();
    loop.runUntilIdle();
    assertEquals(1, channel.reads(), "a reenable without a readiness report reads nothing");

    peer.write(ByteBuffer.wrap(new byte[10]));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(10, reader.readAvail(), "the next report is read at once");
    assertEquals(2, channel.reads());
    assertEquals(0, channel.emptyReads());
  }

  @Test
  void the_end_of_the_stream_after_a_drained_socket_is_read_once_it_is_reported() throws IOException {
    IOBufferReader reader = buffer.allocReader();
    vconn.read(new Continuation((event, data) -> {
      events.add(event);
      reader.consume(reader.readAvail());
    }), Long.MAX_VALUE, buffer);
    peer.write(ByteBuffer.wrap(new byte[5]));
    vconn.readable();
    loop.runUntilIdle();
    peer.shutdownOutput();
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(List.of(Event.READ_READY, Event.EOS), events);
    assertEquals(0, channel.emptyReads());
  }

  @Test
  void a_read_allowed_more_than_the_write_block_has_fills_several_blocks_in_one_call() throws IOException {
    buffer.setWaterMark(4096); // 512 B blocks: the core allows 4 KiB of read-ahead
    IOBufferReader reader = buffer.allocReader();
    vconn.read(new Continuation((event, data) -> events.add(event)), Long.MAX_VALUE, buffer);
    byte[] sent = new byte[3000];
    for (int i = 0; i < sent.length; i++) {
      sent[i] = (byte) (i * 7 + (i >>> 8));
    }
    peer.write(ByteBuffer.wrap(sent));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(3000, reader.readAvail());
    assertEquals(1, channel.reads(), "one scattering read over six blocks, not one read per block");
    byte[] got = new byte[3000];
    reader.read(got, 0, got.length);
    assertArrayEquals(sent, got, "in order across the blocks");
    assertEquals(1, pool.outstanding(), "the blocks the read did not reach went back; only the write block stays");
  }

  @Test
  void after_a_read_that_drained_the_socket_a_small_message_is_read_into_the_write_block_alone() throws IOException {
    buffer.setWaterMark(4096); // 512 B blocks, 4 KiB of read-ahead: what a head-sized read-ahead looks like
    IOBufferReader reader = buffer.allocReader();
    vconn.read(new Continuation((event, data) -> events.add(event)), Long.MAX_VALUE, buffer);
    peer.write(ByteBuffer.wrap(new byte[100]));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(1, channel.reads());

    peer.write(ByteBuffer.wrap(new byte[100]));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(200, reader.readAvail());
    assertEquals(2, channel.reads());
    assertEquals(1, channel.scatteringReads(),
        "the read after one that drained the socket is a plain read into the write block: a scattering read would "
            + "take a second block (and a view of it) only to give it back");
    assertEquals(1, pool.outstanding());
    assertEquals(0, channel.emptyReads());
  }

  @Test
  void a_burst_after_a_drained_socket_fills_the_write_block_then_scatters_over_the_next_blocks() throws IOException {
    buffer.setWaterMark(4096);
    IOBufferReader reader = buffer.allocReader();
    vconn.read(new Continuation((event, data) -> events.add(event)), Long.MAX_VALUE, buffer);
    peer.write(ByteBuffer.wrap(new byte[100]));
    vconn.readable();
    loop.runUntilIdle();
    reader.consume(100);
    byte[] sent = new byte[3000];
    for (int i = 0; i < sent.length; i++) {
      sent[i] = (byte) (i * 13 + (i >>> 7));
    }
    peer.write(ByteBuffer.wrap(sent));
    vconn.readable();
    loop.runUntilIdle();
    assertEquals(3000, reader.readAvail());
    assertEquals(3, channel.reads(), "the first read, a plain one into the rest of the write block, a scattering one");
    assertEquals(2, channel.scatteringReads());
    byte[] got = new byte[3000];
    reader.read(got, 0, got.length);
    assertArrayEquals(sent, got, "in order across the blocks");
    assertEquals(0, channel.emptyReads());
  }
}
