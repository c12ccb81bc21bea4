package dev.vconn.domain.http2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Frame serialisation by RFC 9113 section, to exact bytes, and back through the parser. */
class Http2FrameWriterTest {

  private final BlockPool pool = BlockPool.heap();
  private final IOBuffer out = new IOBuffer(pool);
  private final IOBufferReader written = out.allocReader();

  @AfterEach
  void buffersGoBack() {
    out.close();
    assertEquals(0, pool.outstanding(), () -> "blocks not returned: " + pool);
  }

  private String drain() {
    byte[] b = new byte[(int) written.readAvail()];
    written.read(b, 0, b.length);
    return HexFormat.of().formatHex(b);
  }

  @Test
  void sec6_1_dataFrameSharesTheSourceAndConsumesIt() {
    try (IOBuffer body = new IOBuffer(pool)) {
      IOBufferReader src = body.allocReader();
      body.write(new byte[] {'h', 'i', '!'});
      Http2FrameWriter.writeData(out, 1, true, src, 2, 16384);
      assertEquals(1, src.readAvail());
      assertEquals("000002000100000001" + "6869", drain());
      assertThrows(IllegalArgumentException.class, () -> Http2FrameWriter.writeData(out, 1, false, src, 2, 16384));
      assertThrows(IllegalArgumentException.class, () -> Http2FrameWriter.writeData(out, 0, false, src, 1, 16384));
    }
  }

  @Test
  void sec6_1_dataFrameAboveThePeersMaxFrameSizeIsRefused() {
    try (IOBuffer body = new IOBuffer(pool)) {
      IOBufferReader src = body.allocReader();
      body.write(new byte[16385]);
      assertThrows(IllegalArgumentException.class,
          () -> Http2FrameWriter.writeData(out, 1, false, src, 16385, 16384));
    }
  }

  @Test
  void sec6_2_and_6_10_headerBlockIsSplitIntoContinuations() {
    Http2FrameWriter.writeHeaders(out, 3, true, new byte[] {1, 2, 3, 4, 5}, 2);
    assertEquals("000002010100000003" + "0102"
        + "000002090000000003" + "0304"
        + "000001090400000003" + "05", drain());
  }

  @Test
  void sec6_2_smallHeaderBlockIsOneFrameWithEndHeaders() {
    Http2FrameWriter.writeHeaders(out, 1, false, new byte[] {(byte) 0x88}, 16384);
    assertEquals("000001010400000001" + "88", drain());
  }

  @Test
  void sec6_4_rstStream() {
    Http2FrameWriter.writeRstStream(out, 5, Http2ErrorCode.INTERNAL_ERROR);
    assertEquals("000004030000000005" + "00000002", drain());
  }

  @Test
  void sec6_5_settingsAndAck() {
    Http2FrameWriter.writeSettings(out, List.of(new Http2Frame.Setting(Http2Setting.MAX_CONCURRENT_STREAMS, 100),
        new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 0x7fffffffL)));
    Http2FrameWriter.writeSettingsAck(out);
    assertEquals("00000c040000000000" + "000300000064" + "00047fffffff" + "000000040100000000", drain());
  }

  @Test
  void sec6_7_pingAck() {
    Http2FrameWriter.writePing(out, true, 0x0102030405060708L);
    assertEquals("000008060100000000" + "0102030405060708", drain());
  }

  @Test
  void sec6_8_goAway() {
    Http2FrameWriter.writeGoAway(out, 7, Http2ErrorCode.ENHANCE_YOUR_CALM, new byte[] {'x'});
    assertEquals("000009070000000000" + "00000007" + "0000000b" + "78", drain());
  }

  @Test
  void sec6_9_windowUpdateAndZeroIncrementRefused() {
    Http2FrameWriter.writeWindowUpdate(out, 0, 65535);
    assertEquals("000004080000000000" + "0000ffff", drain());
    assertThrows(IllegalArgumentException.class, () -> Http2FrameWriter.writeWindowUpdate(out, 1, 0));
  }

  @Test
  void writtenFramesParseBack() {
    Http2FrameParser parser = new Http2FrameParser(1 << 16);
    Http2FrameWriter.writeSettings(out, List.of(new Http2Frame.Setting(Http2Setting.MAX_FRAME_SIZE, 20000)));
    Http2FrameWriter.writeHeaders(out, 1, false, new byte[40000], 16384);
    Http2FrameWriter.writeGoAway(out, 1, Http2ErrorCode.NO_ERROR, new byte[0]);
    assertEquals(new Http2Frame.Settings(false, List.of(new Http2Frame.Setting(Http2Setting.MAX_FRAME_SIZE, 20000))),
        frame(parser));
    assertEquals(16384, assertInstanceOf(Http2Frame.Headers.class, frame(parser)).fragment().length);
    assertEquals(16384, assertInstanceOf(Http2Frame.Continuation.class, frame(parser)).fragment().length);
    Http2Frame.Continuation last = assertInstanceOf(Http2Frame.Continuation.class, frame(parser));
    assertEquals(40000 - 2 * 16384, last.fragment().length);
    assertEquals(true, last.endHeaders());
    Http2Frame.GoAway g = assertInstanceOf(Http2Frame.GoAway.class, frame(parser));
    assertArrayEquals(new byte[0], g.debugData());
  }

  private Http2Frame frame(Http2FrameParser parser) {
    return assertInstanceOf(Http2ParseResult.Frame.class, parser.parse(written)).frame();
  }
}
