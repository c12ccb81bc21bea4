package dev.vconn.domain.http2;

/** The error codes of RST_STREAM and GOAWAY frames (RFC 9113, section 7). */
public enum Http2ErrorCode {
  NO_ERROR(0x0),
  PROTOCOL_ERROR(0x1),
  INTERNAL_ERROR(0x2),
  FLOW_CONTROL_ERROR(0x3),
  SETTINGS_TIMEOUT(0x4),
  STREAM_CLOSED(0x5),
  FRAME_SIZE_ERROR(0x6),
  REFUSED_STREAM(0x7),
  CANCEL(0x8),
  COMPRESSION_ERROR(0x9),
  CONNECT_ERROR(0xa),
  ENHANCE_YOUR_CALM(0xb),
  INADEQUATE_SECURITY(0xc),
  HTTP_1_1_REQUIRED(0xd);

  private static final Http2ErrorCode[] BY_CODE = values();

  private final int code;

  Http2ErrorCode(int code) {
    this.code = code;
  }

  /**
   * The code on the wire.
   *
   * @return the 32-bit code
   */
  public int code() {
    return code;
  }

  /**
   * The error for a code received on the wire. Unknown codes must not trigger special behaviour; RFC 9113 section 7
   * allows treating them as {@link #INTERNAL_ERROR}, which this does.
   *
   * @param code the 32-bit code
   * @return the error
   */
  public static Http2ErrorCode of(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : INTERNAL_ERROR;
  }
}
