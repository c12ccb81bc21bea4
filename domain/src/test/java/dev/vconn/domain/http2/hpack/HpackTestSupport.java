package dev.vconn.domain.http2.hpack;

import java.util.HexFormat;

final class HpackTestSupport {

  private HpackTestSupport() {}

  /** Octets from hex as the RFC prints them (spaces ignored). */
  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  static String toHex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
