package dev.vconn.domain.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a PROXY protocol header from the octets received so far (HAProxy's PROXY protocol specification), and says
 * how many more octets to read <i>at least</i> before a header can be complete. The stage that reads the connection
 * ({@link ProxyProtocolStage}) asks for no more than that, so it never reads an octet past the header's end.
 *
 * <p>Version 1: one line {@code PROXY TCP4|TCP6|UNKNOWN src dst sport dport CRLF}, at most 107 octets, single
 * spaces, addresses in their numeric form, ports decimal 0..65535. Version 2: the 12-octet signature, the
 * version/command octet (version 2; {@code LOCAL} or {@code PROXY}), the family/protocol octet, the 16-bit length
 * of what follows, the addresses of the family, then TLVs, which are skipped.
 */
final class ProxyProtocolParser {
  /** The longest version 1 line, CRLF included. */
  static final int V1_MAX = 107;
  /** The shortest version 1 line: {@code PROXY UNKNOWN CRLF}. */
  static final int V1_MIN = 15;
  /** The fixed part of a version 2 header: signature, version/command, family/protocol, length. */
  static final int V2_FIXED = 16;
  /**
   * The most address and TLV octets a version 2 header may carry here. Real balancers send a few dozen (the
   * addresses and a TLV or two); the field allows 65535, which would let every connection hold 64 KiB.
   */
  static final int V2_MAX_PAYLOAD = 4096;
  static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);

  private ProxyProtocolParser() {}

  /** What the octets read so far amount to. */
  sealed interface Step permits NeedMore, Done, NotAHeader, Invalid {}

  /** @param atLeast octets that must still arrive before the header can be complete (at least 1) */
  record NeedMore(int atLeast) implements Step {}

  /** @param header the header @param length its length in octets; what follows belongs to the next stage */
  record Done(ProxyProtocolHeader header, int length) implements Step {}

  /** The octets do not start a header of a version the mode accepts, and the mode makes the header optional. */
  record NotAHeader() implements Step {}

  /** @param reason why the octets are not a valid header */
  record Invalid(String reason) implements Step {}

  /** How many octets to read first: never more than the shortest header the mode accepts. */
  static int firstRead(ProxyProtocolMode mode) {
    return mode == ProxyProtocolMode.V2 ? V2_FIXED : V1_MIN;
  }

  /**
   * Examines {@code b[0..len)}, the first octets of a connection.
   *
   * @param mode the versions accepted and whether the header may be missing; not {@link ProxyProtocolMode#OFF}
   */
  static Step examine(byte[] b, int len, ProxyProtocolMode mode) {
    if (len == 0) {
      return new NeedMore(firstRead(mode));
    }
    boolean v1 = mode != ProxyProtocolMode.V2 && startsWith(b, len, V1_PREFIX);
    boolean v2 = mode != ProxyProtocolMode.V1 && startsWith(b, len, V2_SIGNATURE);
    if (v1) {
      return examineV1(b, len);
    }
    if (v2) {
      return examineV2(b, len);
    }
    if (mode == ProxyProtocolMode.OPTIONAL) {
      return new NotAHeader();
    }
    return new Invalid("the connection does not start with a PROXY protocol "
        + (mode == ProxyProtocolMode.V1 ? "version 1 line" : mode == ProxyProtocolMode.V2 ? "version 2 signature"
            : "header"));
  }

  /** Whether the first {@code min(len, prefix.length)} octets are those of {@code prefix}. */
  private static boolean startsWith(byte[] b, int len, byte[] prefix) {
    for (int i = 0; i < Math.min(len, prefix.length); i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------------ version 1

  private static Step examineV1(byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      if (i >= V1_MAX) {
        return new Invalid("version 1 line longer than " + V1_MAX + " octets");
      }
      int c = b[i] & 0xff;
      if (c == '\n') {
        if (i == 0 || b[i - 1] != '\r') {
          return new Invalid("version 1 line ends in LF without CR");
        }
        return parseV1(new String(b, 0, i - 1, StandardCharsets.US_ASCII), i + 1);
      }
      if (c == '\r' ? i + 1 < len && b[i + 1] != '\n' : c < 0x20 || c > 0x7e) {
        return new Invalid("version 1 line holds a control or non-ASCII octet at " + i);
      }
    }
    if (len >= V1_MAX) {
      return new Invalid("version 1 line longer than " + V1_MAX + " octets");
    }
    int need = v1LowerBound(new String(b, 0, len, StandardCharsets.US_ASCII));
    if (need < 0) {
      return new Invalid("version 1 line is malformed: " + printable(b, len));
    }
    return new NeedMore(Math.max(1, Math.min(need, V1_MAX - len)));
  }

  /**
   * The fewest octets that can complete a version 1 line starting with {@code s} (no LF in it yet), or -1 if no
   * valid line starts so. Each field still to come needs its shortest form ({@code 0.0.0.0}, {@code ::}, one port
   * digit), each separator one space, the end CRLF.
   */
  private static int v1LowerBound(String s) {
    if (s.length() < V1_PREFIX.length) {
      return V1_MIN - s.length();
    }
    if (s.endsWith("\r")) {
      return 1;
    }
    String[] parts = s.substring(V1_PREFIX.length).split(" ", -1);
    String proto = parts[0];
    if (parts.length == 1) {
      boolean known = "TCP4".startsWith(proto) || "TCP6".startsWith(proto) || "UNKNOWN".startsWith(proto);
      return known ? Math.max(V1_MIN - s.length(), 2) : -1;
    }
    if (proto.equals("UNKNOWN")) {
      return 2; // anything may follow UNKNOWN up to CRLF
    }
    int[] min = switch (proto) {
      case "TCP4" -> new int[] {7, 7, 1, 1};
      case "TCP6" -> new int[] {2, 2, 1, 1};
      default -> null;
    };
    int field = parts.length - 2;
    if (min == null || field > 3) {
      return -1;
    }
    int need = Math.max(min[field] - parts[parts.length - 1].length(), 0) + (3 - field) + 2;
    for (int f = field + 1; f < 4; f++) {
      need += min[f];
    }
    return need;
  }

  private static Step parseV1(String line, int length) {
    String[] parts = line.split(" ", -1);
    if (parts.length >= 2 && parts[1].equals("UNKNOWN")) {
      return new Done(new ProxyProtocolHeader(1, false, null, null), length);
    }
    if (parts.length != 6 || !parts[1].equals("TCP4") && !parts[1].equals("TCP6")) {
      return new Invalid("version 1 line is not PROXY TCP4|TCP6|UNKNOWN src dst sport dport: " + line);
    }
    boolean v4 = parts[1].equals("TCP4");
    InetAddress src = v4 ? ipv4(parts[2]) : ipv6(parts[2]);
    InetAddress dst = v4 ? ipv4(parts[3]) : ipv6(parts[3]);
    int sport = port(parts[4]);
    int dport = port(parts[5]);
    if (src == null || dst == null) {
      return new Invalid("version 1 line has an address that is not " + parts[1] + ": " + line);
    }
    if (sport < 0 || dport < 0) {
      return new Invalid("version 1 line has a port that is not 0..65535: " + line);
    }
    return new Done(new ProxyProtocolHeader(1, false, new InetSocketAddress(src, sport),
        new InetSocketAddress(dst, dport)), length);
  }

  /** A dotted quad of decimal octets without leading zeros, or null. */
  private static InetAddress ipv4(String s) {
    String[] octets = s.split("\\.", -1);
    if (octets.length != 4) {
      return null;
    }
    byte[] a = new byte[4];
    for (int i = 0; i < 4; i++) {
      int v = decimal(octets[i], 3);
      if (v < 0 || v > 255) {
        return null;
      }
      a[i] = (byte) v;
    }
    try {
      return InetAddress.getByAddress(a);
    } catch (UnknownHostException e) {
      return null; // four octets are always an address
    }
  }

  /** An IPv6 address in text form (hex digits, colons, an embedded dotted quad), never a name to resolve; or null. */
  private static InetAddress ipv6(String s) {
    if (s.indexOf(':') < 0) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
        return null;
      }
    }
    try {
      return InetAddress.getByName(s); // a literal with a colon is parsed, never looked up
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static int port(String s) {
    int v = decimal(s, 5);
    return v > 65535 ? -1 : v;
  }

  /** A decimal number of 1..maxDigits digits without a leading zero, or -1. */
  private static int decimal(String s, int maxDigits) {
    if (s.isEmpty() || s.length() > maxDigits || s.length() > 1 && s.charAt(0) == '0') {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static String printable(byte[] b, int len) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < len; i++) {
      int c = b[i] & 0xff;
      s.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return s.toString();
  }

  // ------------------------------------------------------------------------------------------------ version 2

  private static Step examineV2(byte[] b, int len) {
    if (len < V2_FIXED) {
      return new NeedMore(V2_FIXED - len);
    }
    int version = (b[12] & 0xf0) >> 4;
    int command = b[12] & 0x0f;
    if (version != 2) {
      return new Invalid("version 2 signature with version " + version);
    }
    if (command > 1) {
      return new Invalid("version 2 command " + command + " is neither LOCAL (0) nor PROXY (1)");
    }
    int family = (b[13] & 0xf0) >> 4;
    int protocol = b[13] & 0x0f;
    int payload = (b[14] & 0xff) << 8 | b[15] & 0xff;
    if (payload > V2_MAX_PAYLOAD) {
      return new Invalid("version 2 header of " + payload + " address and TLV octets, more than "
          + V2_MAX_PAYLOAD);
    }
    int total = V2_FIXED + payload;
    if (len < total) {
      return new NeedMore(total - len);
    }
    if (command == 0) {
      return new Done(new ProxyProtocolHeader(2, true, null, null), total); // LOCAL: the block is ignored
    }
    int need = switch (family) {
      case 0 -> 0; // UNSPEC: the real addresses count
      case 1 -> 12; // INET: 4 + 4 + 2 + 2
      case 2 -> 36; // INET6: 16 + 16 + 2 + 2
      case 3 -> 216; // UNIX: 108 + 108
      default -> -1;
    };
    if (need < 0) {
      return new Invalid("version 2 address family " + family + " is not UNSPEC, INET, INET6 or UNIX");
    }
    if (payload < need) {
      return new Invalid("version 2 family " + family + " needs " + need + " address octets, the length says "
          + payload);
    }
    if (family == 0 || family == 3) {
      return new Done(new ProxyProtocolHeader(2, false, null, null), total);
    }
    if (protocol != 1) {
      return new Invalid("version 2 protocol " + protocol + " is not STREAM (TCP) on a TCP listener");
    }
    int alen = family == 1 ? 4 : 16;
    try {
      InetAddress src = InetAddress.getByAddress(Arrays.copyOfRange(b, 16, 16 + alen));
      InetAddress dst = InetAddress.getByAddress(Arrays.copyOfRange(b, 16 + alen, 16 + 2 * alen));
      int ports = 16 + 2 * alen;
      int sport = (b[ports] & 0xff) << 8 | b[ports + 1] & 0xff;
      int dport = (b[ports + 2] & 0xff) << 8 | b[ports + 3] & 0xff;
      return new Done(new ProxyProtocolHeader(2, false, new InetSocketAddress(src, sport),
          new InetSocketAddress(dst, dport)), total);
    } catch (UnknownHostException e) {
      return new Invalid("version 2 address: " + e.getMessage()); // lengths 4 and 16 are always addresses
    }
  }
}
