package dev.vconn.domain.http2;

/** What {@link Http2FrameParser#parse} found at the head of its input. */
public sealed interface Http2ParseResult {

  /** Not a whole frame buffered yet: call again when more octets arrived. Nothing was consumed. */
  record NeedMore() implements Http2ParseResult {}

  /**
   * A valid frame, consumed (for DATA: its data remains to be taken).
   *
   * @param frame the frame
   */
  record Frame(Http2Frame frame) implements Http2ParseResult {}

  /**
   * A connection error (RFC 9113, section 5.4.1): the session sends GOAWAY with {@code code} and closes. The parser
   * must not be used afterwards.
   *
   * @param code the error code for GOAWAY
   * @param message names the rule the frame broke
   */
  record ConnectionError(Http2ErrorCode code, String message) implements Http2ParseResult {}

  /**
   * A stream error (RFC 9113, section 5.4.2): the frame was consumed and the session sends RST_STREAM with
   * {@code code} on {@code streamId}; the connection goes on.
   *
   * @param streamId the stream
   * @param code the error code for RST_STREAM
   * @param message names the rule the frame broke
   */
  record StreamError(int streamId, Http2ErrorCode code, String message) implements Http2ParseResult {}
}
