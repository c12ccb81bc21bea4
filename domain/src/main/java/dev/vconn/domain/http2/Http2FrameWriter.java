package dev.vconn.domain.http2;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.List;

/**
 * Serialises the HTTP/2 frames a server sends (RFC 9113, section 6) into an {@link IOBuffer}. Frame sizes are the
 * caller's choice within the peer's {@code SETTINGS_MAX_FRAME_SIZE}, which the methods taking it enforce. Servers
 * send no padding and no PRIORITY or PUSH_PROMISE frames, so there are no methods for them.
 */
public final class Http2FrameWriter {

  private Http2FrameWriter() {}

  /**
   * Writes a frame header (RFC 9113, section 4.1).
   *
   * @param out where to write
   * @param length the payload length, 0..16777215
   * @param type the frame type
   * @param flags the flags
   * @param streamId the stream, 0..2^31-1
   * @throws IllegalArgumentException if length or stream are out of range
   */
  public static void writeFrameHeader(IOBuffer out, int length, int type, int flags, int streamId) {
    if (length < 0 || length > Http2FrameParser.MAX_MAX_FRAME_SIZE) {
      throw new IllegalArgumentException("frame length must be 0.." + Http2FrameParser.MAX_MAX_FRAME_SIZE + ", got "
          + length);
    }
    if (streamId < 0) {
      throw new IllegalArgumentException("stream identifier must be 0..2^31-1, got " + streamId);
    }
    out.write(new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type, (byte) flags,
        (byte) (streamId >>> 24), (byte) (streamId >>> 16), (byte) (streamId >>> 8), (byte) streamId});
  }

  /**
   * Writes a DATA frame whose data are the first {@code len} octets of {@code src}, appended by reference (no copy
   * for pieces of 128 octets or more) and consumed from {@code src}.
   *
   * @param out where to write
   * @param streamId the stream, at least 1
   * @param endStream END_STREAM
   * @param src the data
   * @param len how many octets, at most {@code maxFrameSize}
   * @param maxFrameSize the peer's SETTINGS_MAX_FRAME_SIZE
   * @throws IllegalArgumentException if {@code len} exceeds {@code maxFrameSize} or {@code src.readAvail()}, or the
   *     stream is 0
   */
  public static void writeData(IOBuffer out, int streamId, boolean endStream, IOBufferReader src, int len,
      int maxFrameSize) {
    requireStream(streamId, "DATA");
    if (len > maxFrameSize) {
      throw new IllegalArgumentException("DATA of " + len + " octets exceeds the peer's SETTINGS_MAX_FRAME_SIZE "
          + maxFrameSize);
    }
    if (len > src.readAvail()) {
      throw new IllegalArgumentException("DATA of " + len + " octets but only " + src.readAvail() + " readable");
    }
    writeFrameHeader(out, len, Http2Frame.TYPE_DATA, endStream ? Http2Frame.FLAG_END_STREAM : 0, streamId);
    out.write(src, len);
    src.consume(len);
  }

  /**
   * Writes a header block as one HEADERS frame followed by as many CONTINUATION frames as {@code maxFrameSize}
   * requires; the last frame carries END_HEADERS.
   *
   * @param out where to write
   * @param streamId the stream, at least 1
   * @param endStream END_STREAM (on the HEADERS frame)
   * @param block the encoded header block
   * @param maxFrameSize the peer's SETTINGS_MAX_FRAME_SIZE
   * @throws IllegalArgumentException if the stream is 0
   */
  public static void writeHeaders(IOBuffer out, int streamId, boolean endStream, byte[] block, int maxFrameSize) {
    requireStream(streamId, "HEADERS");
    int first = Math.min(block.length, maxFrameSize);
    int flags = (endStream ? Http2Frame.FLAG_END_STREAM : 0)
        | (first == block.length ? Http2Frame.FLAG_END_HEADERS : 0);
    writeFrameHeader(out, first, Http2Frame.TYPE_HEADERS, flags, streamId);
    out.write(block, 0, first);
    int pos = first;
    while (pos < block.length) {
      int len = Math.min(block.length - pos, maxFrameSize);
      boolean last = pos + len == block.length;
      writeFrameHeader(out, len, Http2Frame.TYPE_CONTINUATION, last ? Http2Frame.FLAG_END_HEADERS : 0, streamId);
      out.write(block, pos, len);
      pos += len;
    }
  }

  /**
   * Writes a RST_STREAM frame.
   *
   * @param out where to write
   * @param streamId the stream, at least 1
   * @param code the error
   */
  public static void writeRstStream(IOBuffer out, int streamId, Http2ErrorCode code) {
    requireStream(streamId, "RST_STREAM");
    writeFrameHeader(out, 4, Http2Frame.TYPE_RST_STREAM, 0, streamId);
    out.write(int32(code.code()));
  }

  /**
   * Writes a SETTINGS frame with the parameters in order.
   *
   * @param out where to write
   * @param settings the parameters
   */
  public static void writeSettings(IOBuffer out, List<Http2Frame.Setting> settings) {
    byte[] payload = new byte[settings.size() * 6];
    int pos = 0;
    for (Http2Frame.Setting s : settings) {
      payload[pos] = (byte) (s.setting().id() >>> 8);
      payload[pos + 1] = (byte) s.setting().id();
      System.arraycopy(int32((int) s.value()), 0, payload, pos + 2, 4);
      pos += 6;
    }
    writeFrameHeader(out, payload.length, Http2Frame.TYPE_SETTINGS, 0, 0);
    out.write(payload);
  }

  /**
   * Writes a SETTINGS frame with the ACK flag.
   *
   * @param out where to write
   */
  public static void writeSettingsAck(IOBuffer out) {
    writeFrameHeader(out, 0, Http2Frame.TYPE_SETTINGS, Http2Frame.FLAG_ACK, 0);
  }

  /**
   * Writes a PING frame.
   *
   * @param out where to write
   * @param ack the ACK flag (a reply carries the received opaque data)
   * @param opaqueData the 8 opaque octets, big-endian
   */
  public static void writePing(IOBuffer out, boolean ack, long opaqueData) {
    writeFrameHeader(out, 8, Http2Frame.TYPE_PING, ack ? Http2Frame.FLAG_ACK : 0, 0);
    out.write(int32((int) (opaqueData >>> 32)));
    out.write(int32((int) opaqueData));
  }

  /**
   * Writes a GOAWAY frame.
   *
   * @param out where to write
   * @param lastStreamId the last stream the server processed or may still process
   * @param code the error (NO_ERROR for a graceful shutdown)
   * @param debugData additional debug data, may be empty
   */
  public static void writeGoAway(IOBuffer out, int lastStreamId, Http2ErrorCode code, byte[] debugData) {
    writeFrameHeader(out, 8 + debugData.length, Http2Frame.TYPE_GOAWAY, 0, 0);
    out.write(int32(lastStreamId & 0x7fff_ffff));
    out.write(int32(code.code()));
    out.write(debugData);
  }

  /**
   * Writes a WINDOW_UPDATE frame.
   *
   * @param out where to write
   * @param streamId the stream, or 0 for the connection
   * @param increment 1..2^31-1
   * @throws IllegalArgumentException if the increment is out of range (0 is a protocol error at the peer)
   */
  public static void writeWindowUpdate(IOBuffer out, int streamId, int increment) {
    if (increment < 1) {
      throw new IllegalArgumentException("WINDOW_UPDATE increment must be 1..2^31-1, got " + increment);
    }
    writeFrameHeader(out, 4, Http2Frame.TYPE_WINDOW_UPDATE, 0, streamId);
    out.write(int32(increment));
  }

  private static void requireStream(int streamId, String type) {
    if (streamId < 1) {
      throw new IllegalArgumentException(type + " needs a stream identifier >= 1, got " + streamId);
    }
  }

  private static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }
}
