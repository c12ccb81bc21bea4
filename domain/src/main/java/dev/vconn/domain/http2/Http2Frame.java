package dev.vconn.domain.http2;

import java.util.List;

/**
 * A parsed HTTP/2 frame (RFC 9113, section 6). Padding is removed; fields the parser validated are typed. Byte
 * arrays inside frames belong to the frame's receiver.
 */
public sealed interface Http2Frame {

  /** Frame type DATA (RFC 9113, section 6.1). */
  int TYPE_DATA = 0x0;
  /** Frame type HEADERS (section 6.2). */
  int TYPE_HEADERS = 0x1;
  /** Frame type PRIORITY (section 6.3). */
  int TYPE_PRIORITY = 0x2;
  /** Frame type RST_STREAM (section 6.4). */
  int TYPE_RST_STREAM = 0x3;
  /** Frame type SETTINGS (section 6.5). */
  int TYPE_SETTINGS = 0x4;
  /** Frame type PUSH_PROMISE (section 6.6). */
  int TYPE_PUSH_PROMISE = 0x5;
  /** Frame type PING (section 6.7). */
  int TYPE_PING = 0x6;
  /** Frame type GOAWAY (section 6.8). */
  int TYPE_GOAWAY = 0x7;
  /** Frame type WINDOW_UPDATE (section 6.9). */
  int TYPE_WINDOW_UPDATE = 0x8;
  /** Frame type CONTINUATION (section 6.10). */
  int TYPE_CONTINUATION = 0x9;

  /** Flag END_STREAM of DATA and HEADERS. */
  int FLAG_END_STREAM = 0x1;
  /** Flag ACK of SETTINGS and PING. */
  int FLAG_ACK = 0x1;
  /** Flag END_HEADERS of HEADERS, PUSH_PROMISE and CONTINUATION. */
  int FLAG_END_HEADERS = 0x4;
  /** Flag PADDED of DATA, HEADERS and PUSH_PROMISE. */
  int FLAG_PADDED = 0x8;
  /** Flag PRIORITY of HEADERS. */
  int FLAG_PRIORITY = 0x20;

  /**
   * The stream the frame belongs to; 0 for the connection.
   *
   * @return the stream identifier
   */
  int streamId();

  /**
   * A DATA frame. Its data octets are not copied: after the parser returns it they are the next {@code dataLength}
   * readable octets of the parser's input, to be taken with {@link Http2FrameParser#takeData} or
   * {@link Http2FrameParser#discardData}.
   *
   * @param streamId the stream
   * @param endStream END_STREAM
   * @param dataLength the data octets, padding excluded
   * @param flowControlledLength the frame's payload length, padding included: what counts against flow control
   *     windows (RFC 9113, section 6.9.1)
   */
  record Data(int streamId, boolean endStream, int dataLength, int flowControlledLength) implements Http2Frame {}

  /**
   * Priority information of a PRIORITY frame or a HEADERS frame with the PRIORITY flag. vconn accepts and ignores
   * it (RFC 9113, section 5.3.2).
   *
   * @param exclusive the E bit
   * @param dependency the stream depended on
   * @param weight the weight field (0..255; weight minus one)
   */
  record Priority(boolean exclusive, int dependency, int weight) {}

  /**
   * A HEADERS frame. A stream depending on itself is a stream error of type PROTOCOL_ERROR (RFC 9113, section
   * 5.3.1) that the session raises after decoding the block (the dynamic table must stay in sync), see
   * {@link #dependsOnItself()}.
   *
   * @param streamId the stream
   * @param endStream END_STREAM
   * @param endHeaders END_HEADERS: no CONTINUATION follows
   * @param priority the priority fields, or null without the PRIORITY flag
   * @param fragment the header block fragment
   */
  record Headers(int streamId, boolean endStream, boolean endHeaders, Priority priority, byte[] fragment)
      implements Http2Frame {

    /**
     * Whether the priority fields name the frame's own stream.
     *
     * @return true for a self-dependency
     */
    public boolean dependsOnItself() {
      return priority != null && priority.dependency() == streamId;
    }
  }

  /**
   * A PRIORITY frame (accepted and ignored).
   *
   * @param streamId the stream
   * @param priority the priority fields
   */
  record PriorityFrame(int streamId, Priority priority) implements Http2Frame {}

  /**
   * A RST_STREAM frame.
   *
   * @param streamId the stream
   * @param errorCode the code on the wire (see {@link Http2ErrorCode#of(int)})
   */
  record RstStream(int streamId, int errorCode) implements Http2Frame {}

  /**
   * One SETTINGS parameter.
   *
   * @param setting the parameter
   * @param value its value, 0..2^32-1, already validated (RFC 9113, section 6.5.2)
   */
  record Setting(Http2Setting setting, long value) {}

  /**
   * A SETTINGS frame (stream 0). Parameters with unknown identifiers are dropped; the rest keep their order.
   *
   * @param ack the ACK flag (then there are no parameters)
   * @param settings the parameters in order
   */
  record Settings(boolean ack, List<Setting> settings) implements Http2Frame {

    /** Makes the list unmodifiable. */
    public Settings {
      settings = List.copyOf(settings);
    }

    @Override
    public int streamId() {
      return 0;
    }
  }

  /**
   * A PUSH_PROMISE frame. Only servers push, so a server receiving one treats it as a connection error of type
   * PROTOCOL_ERROR (RFC 9113, section 8.4); it is parsed so the session can say so.
   *
   * @param streamId the associated stream
   * @param endHeaders END_HEADERS
   * @param promisedStreamId the promised stream
   * @param fragment the header block fragment
   */
  record PushPromise(int streamId, boolean endHeaders, int promisedStreamId, byte[] fragment)
      implements Http2Frame {}

  /**
   * A PING frame (stream 0).
   *
   * @param ack the ACK flag
   * @param opaqueData the 8 opaque octets, big-endian
   */
  record Ping(boolean ack, long opaqueData) implements Http2Frame {

    @Override
    public int streamId() {
      return 0;
    }
  }

  /**
   * A GOAWAY frame (stream 0).
   *
   * @param lastStreamId the last stream the sender may have processed
   * @param errorCode the code on the wire (see {@link Http2ErrorCode#of(int)})
   * @param debugData the additional debug data
   */
  record GoAway(int lastStreamId, int errorCode, byte[] debugData) implements Http2Frame {

    @Override
    public int streamId() {
      return 0;
    }
  }

  /**
   * A WINDOW_UPDATE frame.
   *
   * @param streamId the stream, or 0 for the connection window
   * @param increment the window increment, 1..2^31-1
   */
  record WindowUpdate(int streamId, int increment) implements Http2Frame {}

  /**
   * A CONTINUATION frame.
   *
   * @param streamId the stream
   * @param endHeaders END_HEADERS
   * @param fragment the header block fragment
   */
  record Continuation(int streamId, boolean endHeaders, byte[] fragment) implements Http2Frame {}
}
