package dev.vconn.domain.http2;

/** The SETTINGS parameters defined by RFC 9113, section 6.5.2; parameters with other identifiers are ignored. */
public enum Http2Setting {
  HEADER_TABLE_SIZE(0x1),
  ENABLE_PUSH(0x2),
  MAX_CONCURRENT_STREAMS(0x3),
  INITIAL_WINDOW_SIZE(0x4),
  MAX_FRAME_SIZE(0x5),
  MAX_HEADER_LIST_SIZE(0x6);

  private final int id;

  Http2Setting(int id) {
    this.id = id;
  }

  /**
   * The identifier on the wire.
   *
   * @return the 16-bit identifier
   */
  public int id() {
    return id;
  }

  /**
   * The parameter with this identifier.
   *
   * @param id the 16-bit identifier
   * @return the parameter, or null for an identifier RFC 9113 does not define
   */
  static Http2Setting of(int id) {
    for (Http2Setting s : values()) {
      if (s.id == id) {
        return s;
      }
    }
    return null;
  }
}
