package dev.vconn.domain.http2;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses HTTP/2 frames (RFC 9113, sections 4 and 6) from an {@link IOBufferReader}, one at a time, and checks what
 * framing alone can check: frame sizes against {@code SETTINGS_MAX_FRAME_SIZE}, fixed payload lengths, stream
 * identifier 0 or not, padding, SETTINGS values (section 6.5.2), zero WINDOW_UPDATE increments, and that a header
 * block's CONTINUATION frames follow it with nothing in between (section 6.10). Frames of unknown types are skipped
 * (section 4.1), except inside a header block.
 *
 * <p>A frame is returned only once all of it is buffered (it is at most {@code SETTINGS_MAX_FRAME_SIZE} octets).
 * Control frames and header block fragments are copied out of the buffer; DATA is not: its octets stay in the
 * reader until {@link #takeData} appends them to another buffer by reference or {@link #discardData} drops them.
 *
 * <p>Abuse bound: the frames of one header block (HEADERS or PUSH_PROMISE and its CONTINUATION frames) may carry at
 * most {@code maxHeaderBlockSize} octets, counting 9 octets for each frame header, so neither large nor many empty
 * CONTINUATION frames can grow a block without limit; beyond it the result is a connection error of type
 * ENHANCE_YOUR_CALM.
 *
 * <p>One parser per connection, used by its continuation only.
 */
public final class Http2FrameParser {

  /** Length of the frame header (RFC 9113, section 4.1). */
  public static final int FRAME_HEADER_LENGTH = 9;
  /** The initial and smallest SETTINGS_MAX_FRAME_SIZE (RFC 9113, section 6.5.2). */
  public static final int MIN_MAX_FRAME_SIZE = 16_384;
  /** The largest SETTINGS_MAX_FRAME_SIZE (RFC 9113, section 6.5.2). */
  public static final int MAX_MAX_FRAME_SIZE = 16_777_215;
  /** The largest flow control window and window increment (RFC 9113, section 6.9). */
  public static final long MAX_WINDOW = 0x7fff_ffffL;

  private static final Http2ParseResult NEED_MORE = new Http2ParseResult.NeedMore();

  private final byte[] header = new byte[FRAME_HEADER_LENGTH];
  private final int maxHeaderBlockSize;
  private int maxFrameSize = MIN_MAX_FRAME_SIZE;
  /** Stream whose header block awaits CONTINUATION frames, or 0. */
  private int continuationStream;
  private long headerBlockSize;
  private boolean dataPending;
  private int pendingData;
  private int pendingPadding;

  /**
   * Creates a parser with {@code SETTINGS_MAX_FRAME_SIZE} at its initial 16384.
   *
   * @param maxHeaderBlockSize the most octets the frames of one header block may carry, at least 1
   * @throws IllegalArgumentException if {@code maxHeaderBlockSize < 1}
   */
  public Http2FrameParser(int maxHeaderBlockSize) {
    if (maxHeaderBlockSize < 1) {
      throw new IllegalArgumentException("maxHeaderBlockSize must be >= 1, got " + maxHeaderBlockSize);
    }
    this.maxHeaderBlockSize = maxHeaderBlockSize;
  }

  /**
   * Applies this endpoint's {@code SETTINGS_MAX_FRAME_SIZE} once the peer acknowledged it.
   *
   * @param maxFrameSize 16384..16777215
   * @throws IllegalArgumentException if out of that range
   */
  public void setMaxFrameSize(int maxFrameSize) {
    if (maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
      throw new IllegalArgumentException("SETTINGS_MAX_FRAME_SIZE must be " + MIN_MAX_FRAME_SIZE + ".."
          + MAX_MAX_FRAME_SIZE + ", got " + maxFrameSize);
    }
    this.maxFrameSize = maxFrameSize;
  }

  /**
   * The current frame size limit.
   *
   * @return this endpoint's SETTINGS_MAX_FRAME_SIZE in force
   */
  public int maxFrameSize() {
    return maxFrameSize;
  }

  /**
   * Parses the next frame at the head of {@code in}.
   *
   * @param in the connection's input
   * @return the frame, {@code NeedMore}, or the error the frame is
   * @throws IllegalStateException if the previous DATA frame's data was neither taken nor discarded
   */
  public Http2ParseResult parse(IOBufferReader in) {
    if (dataPending) {
      throw new IllegalStateException("the previous DATA frame's data must be taken with takeData or discardData "
          + "before the next frame is parsed");
    }
    while (true) {
      if (in.readAvail() < FRAME_HEADER_LENGTH) {
        return NEED_MORE;
      }
      in.copyTo(header, 0, FRAME_HEADER_LENGTH, 0);
      int length = (header[0] & 0xFF) << 16 | (header[1] & 0xFF) << 8 | (header[2] & 0xFF);
      int type = header[3] & 0xFF;
      int flags = header[4] & 0xFF;
      // The reserved bit is ignored on receipt (RFC 9113, section 4.1).
      int streamId = ((header[5] & 0x7F) << 24) | (header[6] & 0xFF) << 16 | (header[7] & 0xFF) << 8
          | (header[8] & 0xFF);
      if (continuationStream != 0 && (type != Http2Frame.TYPE_CONTINUATION || streamId != continuationStream)) {
        return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "frame of type " + type + " on stream " + streamId
            + " inside the header block of stream " + continuationStream
            + ": only its CONTINUATION frames may follow (RFC 9113, section 6.10)");
      }
      if (length > maxFrameSize) {
        return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR, "frame of " + length
            + " octets exceeds SETTINGS_MAX_FRAME_SIZE " + maxFrameSize + " (RFC 9113, section 4.2)");
      }
      if (in.readAvail() < FRAME_HEADER_LENGTH + (long) length) {
        return NEED_MORE;
      }
      in.consume(FRAME_HEADER_LENGTH);
      if (type == Http2Frame.TYPE_DATA) {
        return data(in, length, flags, streamId);
      }
      if (type > Http2Frame.TYPE_CONTINUATION) {
        in.consume(length);
        continue;
      }
      byte[] payload = new byte[length];
      in.read(payload, 0, length);
      return switch (type) {
        case Http2Frame.TYPE_HEADERS -> headers(payload, flags, streamId);
        case Http2Frame.TYPE_PRIORITY -> priority(payload, streamId);
        case Http2Frame.TYPE_RST_STREAM -> rstStream(payload, streamId);
        case Http2Frame.TYPE_SETTINGS -> settings(payload, flags, streamId);
        case Http2Frame.TYPE_PUSH_PROMISE -> pushPromise(payload, flags, streamId);
        case Http2Frame.TYPE_PING -> ping(payload, flags, streamId);
        case Http2Frame.TYPE_GOAWAY -> goAway(payload, streamId);
        case Http2Frame.TYPE_WINDOW_UPDATE -> windowUpdate(payload, streamId);
        default -> continuation(payload, flags, streamId);
      };
    }
  }

  /**
   * Appends the data of the DATA frame just parsed to {@code dst} by reference (no copy for pieces of 128 octets
   * or more) and consumes it and its padding from {@code in}.
   *
   * @param in the input the frame was parsed from
   * @param dst where the data goes
   * @throws IllegalStateException if no DATA frame's data is pending
   */
  public void takeData(IOBufferReader in, IOBuffer dst) {
    requireDataPending();
    dst.write(in, pendingData);
    in.consume((long) pendingData + pendingPadding);
    dataPending = false;
  }

  /**
   * Consumes the data and padding of the DATA frame just parsed without keeping them (e.g. for a closed stream; the
   * octets still count against the connection's flow control window).
   *
   * @param in the input the frame was parsed from
   * @throws IllegalStateException if no DATA frame's data is pending
   */
  public void discardData(IOBufferReader in) {
    requireDataPending();
    in.consume((long) pendingData + pendingPadding);
    dataPending = false;
  }

  private void requireDataPending() {
    if (!dataPending) {
      throw new IllegalStateException("no DATA frame's data is pending: parse must have returned a Data frame");
    }
  }

  private Http2ParseResult data(IOBufferReader in, int length, int flags, int streamId) {
    if (streamId == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "DATA on stream 0 (RFC 9113, section 6.1)");
    }
    int padding = 0;
    int padField = 0;
    if ((flags & Http2Frame.FLAG_PADDED) != 0) {
      if (length < 1) {
        return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
            "padded DATA without room for the Pad Length field (RFC 9113, section 6.1)");
      }
      padding = in.byteAt(0) & 0xFF;
      padField = 1;
      if (padding >= length) {
        return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "DATA padding of " + padding
            + " octets is not shorter than its payload of " + length + " (RFC 9113, section 6.1)");
      }
      in.consume(1);
    }
    pendingData = length - padField - padding;
    pendingPadding = padding;
    dataPending = true;
    return frame(new Http2Frame.Data(streamId, (flags & Http2Frame.FLAG_END_STREAM) != 0, pendingData, length));
  }

  private Http2ParseResult headers(byte[] p, int flags, int streamId) {
    if (streamId == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0 (RFC 9113, section 6.2)");
    }
    int pos = 0;
    int padding = 0;
    if ((flags & Http2Frame.FLAG_PADDED) != 0) {
      if (p.length < 1) {
        return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
            "padded HEADERS without room for the Pad Length field (RFC 9113, section 6.2)");
      }
      padding = p[pos++] & 0xFF;
    }
    Http2Frame.Priority priority = null;
    if ((flags & Http2Frame.FLAG_PRIORITY) != 0) {
      if (p.length - pos < 5) {
        return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
            "HEADERS with the PRIORITY flag shorter than its priority fields (RFC 9113, section 6.2)");
      }
      priority = readPriority(p, pos);
      pos += 5;
    }
    if (padding > p.length - pos) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "HEADERS padding of " + padding
          + " octets exceeds the " + (p.length - pos) + " octets left for it (RFC 9113, section 6.2)");
    }
    boolean endHeaders = (flags & Http2Frame.FLAG_END_HEADERS) != 0;
    Http2ParseResult bound = startHeaderBlock(p.length, endHeaders, streamId);
    if (bound != null) {
      return bound;
    }
    return frame(new Http2Frame.Headers(streamId, (flags & Http2Frame.FLAG_END_STREAM) != 0, endHeaders, priority,
        Arrays.copyOfRange(p, pos, p.length - padding)));
  }

  private Http2ParseResult priority(byte[] p, int streamId) {
    if (streamId == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0 (RFC 9113, section 6.3)");
    }
    if (p.length != 5) {
      return new Http2ParseResult.StreamError(streamId, Http2ErrorCode.FRAME_SIZE_ERROR,
          "PRIORITY of " + p.length + " octets, must be 5 (RFC 9113, section 6.3)");
    }
    Http2Frame.Priority priority = readPriority(p, 0);
    if (priority.dependency() == streamId) {
      return new Http2ParseResult.StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR,
          "stream " + streamId + " depends on itself (RFC 9113, section 5.3.1)");
    }
    return frame(new Http2Frame.PriorityFrame(streamId, priority));
  }

  private Http2ParseResult rstStream(byte[] p, int streamId) {
    if (streamId == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0 (RFC 9113, section 6.4)");
    }
    if (p.length != 4) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "RST_STREAM of " + p.length + " octets, must be 4 (RFC 9113, section 6.4)");
    }
    return frame(new Http2Frame.RstStream(streamId, readInt(p, 0)));
  }

  private Http2ParseResult settings(byte[] p, int flags, int streamId) {
    if (streamId != 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "SETTINGS on stream " + streamId + ", must be 0 (RFC 9113, section 6.5)");
    }
    boolean ack = (flags & Http2Frame.FLAG_ACK) != 0;
    if (ack && p.length != 0) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "SETTINGS ACK with a payload of " + p.length + " octets (RFC 9113, section 6.5)");
    }
    if (p.length % 6 != 0) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "SETTINGS of " + p.length + " octets, not a multiple of 6 (RFC 9113, section 6.5)");
    }
    List<Http2Frame.Setting> settings = new ArrayList<>(p.length / 6);
    for (int pos = 0; pos < p.length; pos += 6) {
      int id = (p[pos] & 0xFF) << 8 | (p[pos + 1] & 0xFF);
      long value = readInt(p, pos + 2) & 0xffff_ffffL;
      Http2Setting setting = Http2Setting.of(id);
      if (setting == null) {
        continue;
      }
      switch (setting) {
        case ENABLE_PUSH -> {
          if (value > 1) {
            return connectionError(Http2ErrorCode.PROTOCOL_ERROR,
                "SETTINGS_ENABLE_PUSH " + value + ", must be 0 or 1 (RFC 9113, section 6.5.2)");
          }
        }
        case INITIAL_WINDOW_SIZE -> {
          if (value > MAX_WINDOW) {
            return connectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE " + value
                + " exceeds " + MAX_WINDOW + " (RFC 9113, section 6.5.2)");
          }
        }
        case MAX_FRAME_SIZE -> {
          if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
            return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE " + value
                + " outside " + MIN_MAX_FRAME_SIZE + ".." + MAX_MAX_FRAME_SIZE + " (RFC 9113, section 6.5.2)");
          }
        }
        default -> {
          // HEADER_TABLE_SIZE, MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE: any 32-bit value.
        }
      }
      settings.add(new Http2Frame.Setting(setting, value));
    }
    return frame(new Http2Frame.Settings(ack, settings));
  }

  private Http2ParseResult pushPromise(byte[] p, int flags, int streamId) {
    if (streamId == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE on stream 0 (RFC 9113, section 6.6)");
    }
    int pos = 0;
    int padding = 0;
    if ((flags & Http2Frame.FLAG_PADDED) != 0) {
      if (p.length < 1) {
        return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
            "padded PUSH_PROMISE without room for the Pad Length field (RFC 9113, section 6.6)");
      }
      padding = p[pos++] & 0xFF;
    }
    if (p.length - pos < 4) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "PUSH_PROMISE shorter than its Promised Stream ID (RFC 9113, section 6.6)");
    }
    int promised = readInt(p, pos) & 0x7fff_ffff;
    pos += 4;
    if (padding > p.length - pos) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE padding of " + padding
          + " octets exceeds the " + (p.length - pos) + " octets left for it (RFC 9113, section 6.6)");
    }
    boolean endHeaders = (flags & Http2Frame.FLAG_END_HEADERS) != 0;
    Http2ParseResult bound = startHeaderBlock(p.length, endHeaders, streamId);
    if (bound != null) {
      return bound;
    }
    return frame(new Http2Frame.PushPromise(streamId, endHeaders, promised,
        Arrays.copyOfRange(p, pos, p.length - padding)));
  }

  private Http2ParseResult ping(byte[] p, int flags, int streamId) {
    if (streamId != 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "PING on stream " + streamId + ", must be 0 (RFC 9113, section 6.7)");
    }
    if (p.length != 8) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "PING of " + p.length + " octets, must be 8 (RFC 9113, section 6.7)");
    }
    long data = (readInt(p, 0) & 0xffff_ffffL) << 32 | (readInt(p, 4) & 0xffff_ffffL);
    return frame(new Http2Frame.Ping((flags & Http2Frame.FLAG_ACK) != 0, data));
  }

  private Http2ParseResult goAway(byte[] p, int streamId) {
    if (streamId != 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "GOAWAY on stream " + streamId + ", must be 0 (RFC 9113, section 6.8)");
    }
    if (p.length < 8) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "GOAWAY of " + p.length + " octets, must be at least 8 (RFC 9113, section 6.8)");
    }
    return frame(new Http2Frame.GoAway(readInt(p, 0) & 0x7fff_ffff, readInt(p, 4), Arrays.copyOfRange(p, 8,
        p.length)));
  }

  private Http2ParseResult windowUpdate(byte[] p, int streamId) {
    if (p.length != 4) {
      return connectionError(Http2ErrorCode.FRAME_SIZE_ERROR,
          "WINDOW_UPDATE of " + p.length + " octets, must be 4 (RFC 9113, section 6.9)");
    }
    int increment = readInt(p, 0) & 0x7fff_ffff;
    if (increment == 0) {
      String message = "WINDOW_UPDATE with increment 0 (RFC 9113, section 6.9)";
      return streamId == 0 ? connectionError(Http2ErrorCode.PROTOCOL_ERROR, message)
          : new Http2ParseResult.StreamError(streamId, Http2ErrorCode.PROTOCOL_ERROR, message);
    }
    return frame(new Http2Frame.WindowUpdate(streamId, increment));
  }

  private Http2ParseResult continuation(byte[] p, int flags, int streamId) {
    if (continuationStream == 0) {
      return connectionError(Http2ErrorCode.PROTOCOL_ERROR, "CONTINUATION on stream " + streamId
          + " without a preceding HEADERS or PUSH_PROMISE lacking END_HEADERS (RFC 9113, section 6.10)");
    }
    headerBlockSize += FRAME_HEADER_LENGTH + p.length;
    if (headerBlockSize > maxHeaderBlockSize) {
      return headerBlockTooLarge();
    }
    boolean endHeaders = (flags & Http2Frame.FLAG_END_HEADERS) != 0;
    if (endHeaders) {
      continuationStream = 0;
    }
    return frame(new Http2Frame.Continuation(streamId, endHeaders, p));
  }

  /** Starts counting a header block; returns the error if its first frame already exceeds the bound. */
  private Http2ParseResult startHeaderBlock(int payloadLength, boolean endHeaders, int streamId) {
    headerBlockSize = FRAME_HEADER_LENGTH + (long) payloadLength;
    if (headerBlockSize > maxHeaderBlockSize) {
      return headerBlockTooLarge();
    }
    continuationStream = endHeaders ? 0 : streamId;
    return null;
  }

  private Http2ParseResult headerBlockTooLarge() {
    return connectionError(Http2ErrorCode.ENHANCE_YOUR_CALM, "header block frames carry more than "
        + maxHeaderBlockSize + " octets (header block bound, docs/http2.md)");
  }

  private static Http2Frame.Priority readPriority(byte[] p, int pos) {
    int word = readInt(p, pos);
    return new Http2Frame.Priority(word < 0, word & 0x7fff_ffff, p[pos + 4] & 0xFF);
  }

  private static int readInt(byte[] p, int pos) {
    return (p[pos] & 0xFF) << 24 | (p[pos + 1] & 0xFF) << 16 | (p[pos + 2] & 0xFF) << 8 | (p[pos + 3] & 0xFF);
  }

  private static Http2ParseResult frame(Http2Frame frame) {
    return new Http2ParseResult.Frame(frame);
  }

  private static Http2ParseResult connectionError(Http2ErrorCode code, String message) {
    return new Http2ParseResult.ConnectionError(code, message);
  }
}
