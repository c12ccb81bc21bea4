package dev.vconn.domain.http2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Frame parsing by RFC 9113 section, from exact bytes. */
class Http2FrameParserTest {

  private final BlockPool pool = BlockPool.heap();
  private final IOBuffer input = new IOBuffer(pool);
  private final IOBufferReader in = input.allocReader();
  private final Http2FrameParser parser = new Http2FrameParser(64 * 1024);

  @AfterEach
  void buffersGoBack() {
    input.close();
    assertEquals(0, pool.outstanding(), () -> "blocks not returned: " + pool);
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private Http2ParseResult feed(String frameHex) {
    input.write(hex(frameHex));
    return parser.parse(in);
  }

  private <F extends Http2Frame> F frame(String frameHex, Class<F> type) {
    Http2ParseResult r = feed(frameHex);
    Http2ParseResult.Frame f = assertInstanceOf(Http2ParseResult.Frame.class, r, () -> r.toString());
    return assertInstanceOf(type, f.frame());
  }

  private void connectionError(String frameHex, Http2ErrorCode code) {
    Http2ParseResult r = feed(frameHex);
    Http2ParseResult.ConnectionError e = assertInstanceOf(Http2ParseResult.ConnectionError.class, r, r::toString);
    assertEquals(code, e.code(), e.message());
    assertTrue(e.message().contains("RFC 9113") || e.message().contains("docs/http2.md"), e.message());
  }

  private void streamError(String frameHex, int streamId, Http2ErrorCode code) {
    Http2ParseResult r = feed(frameHex);
    Http2ParseResult.StreamError e = assertInstanceOf(Http2ParseResult.StreamError.class, r, r::toString);
    assertEquals(streamId, e.streamId());
    assertEquals(code, e.code(), e.message());
    assertEquals(0, in.readAvail(), "the frame is consumed so the connection goes on");
  }

  // 4.1 Frame Format

  @Test
  void sec4_1_partialFramesWaitAndConsumeNothing() {
    input.write(hex("000008 06 00 00000000"));
    assertInstanceOf(Http2ParseResult.NeedMore.class, parser.parse(in));
    input.write(hex("01020304"));
    assertInstanceOf(Http2ParseResult.NeedMore.class, parser.parse(in));
    assertEquals(13, in.readAvail());
    input.write(hex("05060708"));
    Http2ParseResult.Frame f = assertInstanceOf(Http2ParseResult.Frame.class, parser.parse(in));
    assertEquals(new Http2Frame.Ping(false, 0x0102030405060708L), f.frame());
  }

  @Test
  void sec4_1_reservedBitIsIgnored() {
    Http2Frame.WindowUpdate w = frame("000004 08 00 80000003 00000010", Http2Frame.WindowUpdate.class);
    assertEquals(new Http2Frame.WindowUpdate(3, 16), w);
  }

  @Test
  void sec4_1_unknownFrameTypesAreSkipped() {
    input.write(hex("000003 fa 07 00000001 aabbcc"));
    input.write(hex("000008 06 01 00000000 0000000000000001"));
    Http2ParseResult.Frame f = assertInstanceOf(Http2ParseResult.Frame.class, parser.parse(in));
    assertEquals(new Http2Frame.Ping(true, 1), f.frame());
    assertEquals(0, in.readAvail());
  }

  // 4.2 Frame Size

  @Test
  void sec4_2_frameAboveMaxFrameSizeIsConnectionFrameSizeError() {
    // 16385 octets with the initial 16384 limit; detected from the header alone.
    connectionError("004001 00 00 00000001", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec4_2_raisedMaxFrameSizeAcceptsLargerFrames() {
    parser.setMaxFrameSize(16385);
    input.write(hex("004001 00 01 00000001"));
    input.write(new byte[16385]);
    Http2Frame.Data d = assertInstanceOf(Http2Frame.Data.class,
        ((Http2ParseResult.Frame) parser.parse(in)).frame());
    assertEquals(16385, d.dataLength());
    parser.discardData(in);
    assertThrows(IllegalArgumentException.class, () -> parser.setMaxFrameSize(16383));
    assertThrows(IllegalArgumentException.class, () -> parser.setMaxFrameSize(16_777_216));
  }

  // 6.1 DATA

  @Test
  void sec6_1_dataIsTakenByReferenceWithoutPadding() {
    IOBuffer dst = new IOBuffer(pool);
    IOBufferReader dstReader = dst.allocReader();
    // Padded: pad length 2, data "abc", padding 0000; END_STREAM.
    Http2Frame.Data d = frame("000006 00 09 00000001 02 616263 0000", Http2Frame.Data.class);
    assertEquals(new Http2Frame.Data(1, true, 3, 6), d);
    parser.takeData(in, dst);
    byte[] got = new byte[3];
    dstReader.read(got, 0, 3);
    assertArrayEquals("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII), got);
    assertEquals(0, in.readAvail());
    dst.close();
  }

  @Test
  void sec6_1_dataMustBeTakenBeforeTheNextFrame() {
    frame("000001 00 00 00000001 61", Http2Frame.Data.class);
    assertThrows(IllegalStateException.class, () -> parser.parse(in));
    parser.discardData(in);
    assertThrows(IllegalStateException.class, () -> parser.discardData(in));
  }

  @Test
  void sec6_1_dataOnStreamZeroIsConnectionProtocolError() {
    connectionError("000001 00 00 00000000 61", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_1_paddingAsLongAsThePayloadIsConnectionProtocolError() {
    connectionError("000003 00 08 00000001 03 0000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_1_paddedDataWithoutPadLengthIsFrameSizeError() {
    connectionError("000000 00 08 00000001", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_1_paddingFillingAllButThePadLengthIsAnEmptyDataFrame() {
    assertEquals(new Http2Frame.Data(1, false, 0, 3), frame("000003 00 08 00000001 02 0000", Http2Frame.Data.class));
    parser.discardData(in);
    assertEquals(0, in.readAvail());
  }

  // 6.2 HEADERS

  @Test
  void sec6_2_headersWithPaddingAndPriority() {
    // PADDED|PRIORITY|END_HEADERS|END_STREAM, pad 1, exclusive dependency on 3 weight 15, fragment 82, pad 00.
    Http2Frame.Headers h = frame("000008 01 2d 00000005 01 80000003 0f 82 00", Http2Frame.Headers.class);
    assertEquals(5, h.streamId());
    assertTrue(h.endStream());
    assertTrue(h.endHeaders());
    assertEquals(new Http2Frame.Priority(true, 3, 15), h.priority());
    assertArrayEquals(hex("82"), h.fragment());
    assertTrue(!h.dependsOnItself());
  }

  @Test
  void sec6_2_headersWithoutFlagsHasNoPriority() {
    Http2Frame.Headers h = frame("000001 01 04 00000001 82", Http2Frame.Headers.class);
    assertNull(h.priority());
    assertTrue(h.endHeaders());
    assertTrue(!h.endStream());
  }

  @Test
  void sec6_2_selfDependencyIsReportedForTheSession() {
    Http2Frame.Headers h = frame("000006 01 24 00000003 00000003 10 82", Http2Frame.Headers.class);
    assertTrue(h.dependsOnItself());
  }

  @Test
  void sec6_2_headersOnStreamZeroIsConnectionProtocolError() {
    connectionError("000001 01 04 00000000 82", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_2_paddingExceedingTheFragmentIsConnectionProtocolError() {
    connectionError("000003 01 0c 00000001 05 8200", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_2_priorityFlagWithoutRoomIsFrameSizeError() {
    connectionError("000003 01 24 00000001 000000", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  // 6.3 PRIORITY

  @Test
  void sec6_3_priorityIsParsed() {
    assertEquals(new Http2Frame.PriorityFrame(3, new Http2Frame.Priority(false, 1, 255)),
        frame("000005 02 00 00000003 00000001 ff", Http2Frame.PriorityFrame.class));
  }

  @Test
  void sec6_3_priorityOfWrongLengthIsStreamFrameSizeError() {
    streamError("000004 02 00 00000003 00000001", 3, Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_3_priorityOnStreamZeroIsConnectionProtocolError() {
    connectionError("000005 02 00 00000000 00000001 ff", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec5_3_1_priorityDependingOnItselfIsStreamProtocolError() {
    streamError("000005 02 00 00000003 00000003 ff", 3, Http2ErrorCode.PROTOCOL_ERROR);
  }

  // 6.4 RST_STREAM

  @Test
  void sec6_4_rstStreamIsParsed() {
    Http2Frame.RstStream r = frame("000004 03 00 00000001 00000008", Http2Frame.RstStream.class);
    assertEquals(new Http2Frame.RstStream(1, 8), r);
    assertEquals(Http2ErrorCode.CANCEL, Http2ErrorCode.of(r.errorCode()));
  }

  @Test
  void sec6_4_rstStreamOnStreamZeroIsConnectionProtocolError() {
    connectionError("000004 03 00 00000000 00000008", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_4_rstStreamOfWrongLengthIsConnectionFrameSizeError() {
    connectionError("000003 03 00 00000001 000008", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  // 6.5 SETTINGS

  @Test
  void sec6_5_settingsKeepOrderAndDropUnknownIdentifiers() {
    Http2Frame.Settings s = frame("000012 04 00 00000000 0001 00000000 00ff 00000001 0004 7fffffff",
        Http2Frame.Settings.class);
    assertEquals(new Http2Frame.Settings(false, List.of(
        new Http2Frame.Setting(Http2Setting.HEADER_TABLE_SIZE, 0),
        new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, 0x7fffffffL))), s);
  }

  @Test
  void sec6_5_settingsAckIsParsed() {
    assertEquals(new Http2Frame.Settings(true, List.of()), frame("000000 04 01 00000000", Http2Frame.Settings.class));
  }

  @Test
  void sec6_5_settingsAckWithPayloadIsFrameSizeError() {
    connectionError("000006 04 01 00000000 0001 00001000", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_5_settingsNotMultipleOfSixIsFrameSizeError() {
    connectionError("000003 04 00 00000000 000100", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_5_settingsOnAStreamIsConnectionProtocolError() {
    connectionError("000000 04 00 00000001", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_5_2_enablePushAboveOneIsProtocolError() {
    connectionError("000006 04 00 00000000 0002 00000002", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_5_2_initialWindowSizeAboveMaxIsFlowControlError() {
    connectionError("000006 04 00 00000000 0004 80000000", Http2ErrorCode.FLOW_CONTROL_ERROR);
  }

  @Test
  void sec6_5_2_maxFrameSizeBelowInitialIsProtocolError() {
    connectionError("000006 04 00 00000000 0005 00003fff", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_5_2_maxFrameSizeAboveMaximumIsProtocolError() {
    connectionError("000006 04 00 00000000 0005 01000000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_5_2_boundaryValuesAreAccepted() {
    Http2Frame.Settings s = frame("00000c 04 00 00000000 0005 00ffffff 0002 00000001", Http2Frame.Settings.class);
    assertEquals(List.of(new Http2Frame.Setting(Http2Setting.MAX_FRAME_SIZE, 16_777_215),
        new Http2Frame.Setting(Http2Setting.ENABLE_PUSH, 1)), s.settings());
  }

  // 6.6 PUSH_PROMISE (parsed so a server can reject it)

  @Test
  void sec6_6_pushPromiseIsParsedWithPadding() {
    Http2Frame.PushPromise p = frame("000007 05 0c 00000001 01 00000002 82 00", Http2Frame.PushPromise.class);
    assertEquals(1, p.streamId());
    assertEquals(2, p.promisedStreamId());
    assertTrue(p.endHeaders());
    assertArrayEquals(hex("82"), p.fragment());
  }

  @Test
  void sec6_6_pushPromiseOnStreamZeroIsConnectionProtocolError() {
    connectionError("000004 05 04 00000000 00000002", Http2ErrorCode.PROTOCOL_ERROR);
  }

  // 6.7 PING

  @Test
  void sec6_7_pingOfWrongLengthIsFrameSizeError() {
    connectionError("000007 06 00 00000000 00000000000000", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_7_pingOnAStreamIsConnectionProtocolError() {
    connectionError("000008 06 00 00000001 0000000000000000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  // 6.8 GOAWAY

  @Test
  void sec6_8_goAwayIsParsedWithDebugData() {
    Http2Frame.GoAway g = frame("00000a 07 00 00000000 80000007 0000000b 6869", Http2Frame.GoAway.class);
    assertEquals(7, g.lastStreamId());
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, Http2ErrorCode.of(g.errorCode()));
    assertArrayEquals(hex("6869"), g.debugData());
  }

  @Test
  void sec6_8_goAwayOnAStreamIsConnectionProtocolError() {
    connectionError("000008 07 00 00000001 00000000 00000000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_8_goAwayShorterThanEightIsFrameSizeError() {
    connectionError("000004 07 00 00000000 00000000", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  // 6.9 WINDOW_UPDATE

  @Test
  void sec6_9_zeroIncrementOnAStreamIsStreamProtocolError() {
    streamError("000004 08 00 00000001 00000000", 1, Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_9_zeroIncrementOnTheConnectionIsConnectionProtocolError() {
    connectionError("000004 08 00 00000000 00000000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_9_windowUpdateOfWrongLengthIsFrameSizeError() {
    connectionError("000003 08 00 00000000 000001", Http2ErrorCode.FRAME_SIZE_ERROR);
  }

  @Test
  void sec6_9_largestIncrementIsAccepted() {
    assertEquals(new Http2Frame.WindowUpdate(0, 0x7fffffff),
        frame("000004 08 00 00000000 ffffffff", Http2Frame.WindowUpdate.class));
  }

  // 6.10 CONTINUATION

  @Test
  void sec6_10_continuationsCompleteAHeaderBlock() {
    Http2Frame.Headers h = frame("000001 01 01 00000001 82", Http2Frame.Headers.class);
    assertTrue(!h.endHeaders());
    Http2Frame.Continuation c1 = frame("000001 09 00 00000001 86", Http2Frame.Continuation.class);
    assertTrue(!c1.endHeaders());
    Http2Frame.Continuation c2 = frame("000001 09 04 00000001 84", Http2Frame.Continuation.class);
    assertTrue(c2.endHeaders());
    assertArrayEquals(hex("84"), c2.fragment());
    // The block is complete: other frames may follow.
    assertInstanceOf(Http2Frame.Ping.class, frame("000008 06 00 00000000 0000000000000000", Http2Frame.Ping.class));
  }

  @Test
  void sec6_10_otherFrameInsideAHeaderBlockIsConnectionProtocolError() {
    frame("000001 01 00 00000001 82", Http2Frame.Headers.class);
    connectionError("000008 06 00 00000000 0000000000000000", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_10_unknownFrameInsideAHeaderBlockIsConnectionProtocolError() {
    frame("000001 01 00 00000001 82", Http2Frame.Headers.class);
    connectionError("000000 fa 00 00000001", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_10_continuationOfAnotherStreamIsConnectionProtocolError() {
    frame("000001 01 00 00000001 82", Http2Frame.Headers.class);
    connectionError("000001 09 04 00000003 86", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void sec6_10_continuationWithoutHeadersIsConnectionProtocolError() {
    connectionError("000001 09 04 00000001 86", Http2ErrorCode.PROTOCOL_ERROR);
  }

  @Test
  void continuationFloodOfEmptyFramesHitsTheHeaderBlockBound() {
    Http2FrameParser bounded = new Http2FrameParser(100);
    input.write(hex("000001 01 00 00000001 82"));
    assertInstanceOf(Http2ParseResult.Frame.class, bounded.parse(in));
    // HEADERS counts 9 + 1; each empty CONTINUATION 9: ten reach exactly 100, the eleventh passes it.
    Http2ParseResult r = null;
    int frames = 0;
    while (!(r instanceof Http2ParseResult.ConnectionError)) {
      input.write(hex("000000 09 00 00000001"));
      r = bounded.parse(in);
      frames++;
    }
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM, ((Http2ParseResult.ConnectionError) r).code());
    assertEquals(11, frames);
  }

  @Test
  void largeHeadersFrameHitsTheHeaderBlockBound() {
    Http2FrameParser bounded = new Http2FrameParser(100);
    input.write(hex("00005c 01 04 00000001"));
    input.write(new byte[92]);
    Http2ParseResult r = bounded.parse(in);
    assertEquals(Http2ErrorCode.ENHANCE_YOUR_CALM,
        assertInstanceOf(Http2ParseResult.ConnectionError.class, r).code());
  }

  // 7 Error Codes

  @Test
  void sec7_errorCodesMapBothWaysAndUnknownIsInternalError() {
    for (Http2ErrorCode c : Http2ErrorCode.values()) {
      assertEquals(c, Http2ErrorCode.of(c.code()));
    }
    assertEquals(0xd, Http2ErrorCode.HTTP_1_1_REQUIRED.code());
    assertEquals(Http2ErrorCode.INTERNAL_ERROR, Http2ErrorCode.of(0xe));
    assertEquals(Http2ErrorCode.INTERNAL_ERROR, Http2ErrorCode.of(-1));
  }
}
