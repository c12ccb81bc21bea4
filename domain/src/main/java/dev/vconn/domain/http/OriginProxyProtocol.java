package dev.vconn.domain.http;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Whether the proxy sends a PROXY protocol header (HAProxy's PROXY protocol) as the first octets of every new
 * connection to an origin, and which version (docs/http.md, "PROXY protocol towards origins").
 */
public enum OriginProxyProtocol {
  /** No header: the origin sees the proxy's connection only. */
  OFF,
  /** The version 1 text line: {@code PROXY TCP4|TCP6 src dst sport dport\r\n}, or {@code PROXY UNKNOWN\r\n}. */
  V1,
  /** The version 2 binary header: the {@code PROXY} command with a TCP over IPv4 or IPv6 address block, or none. */
  V2;

  /** The twelve octets every version 2 header starts with. */
  private static final byte[] V2_SIGNATURE = {
      0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

  /**
   * The setting of a configuration value.
   *
   * @param value {@code off}, {@code v1} or {@code v2}, any case
   * @return the setting
   * @throws IllegalArgumentException naming the accepted values
   */
  public static OriginProxyProtocol parse(String value) {
    Objects.requireNonNull(value, "value");
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "off" -> OFF;
      case "v1" -> V1;
      case "v2" -> V2;
      default -> throw new IllegalArgumentException("a PROXY protocol version towards origins is off, v1 or v2, was '"
          + value + "'");
    };
  }

  /**
   * The header announcing a client connection. When {@code source} is not an IP address and port (an in-process
   * client, a Unix socket, none), the header names no addresses: {@code PROXY UNKNOWN} in version 1, the unspecified
   * family with no address block in version 2. When {@code destination} is not an IP address and port, the
   * unspecified address of the source's family with port 0 stands in for it. When the two families differ, both are
   * sent as IPv6 (an IPv4 address as {@code ::ffff:a.b.c.d}).
   *
   * @param source the client's address and port (what access control and the access log see)
   * @param destination the address and port the client connected to on the proxy
   * @return the octets to send; empty for {@link #OFF}
   */
  public byte[] header(SocketAddress source, SocketAddress destination) {
    if (this == OFF) {
      return new byte[0];
    }
    InetSocketAddress src = ipOf(source);
    if (src == null) {
      return this == V1 ? "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII) : v2(null, null, false);
    }
    InetSocketAddress dst = ipOf(destination);
    if (dst == null) {
      dst = new InetSocketAddress(unspecified(src.getAddress() instanceof Inet6Address), 0);
    }
    boolean six = src.getAddress() instanceof Inet6Address || dst.getAddress() instanceof Inet6Address;
    if (this == V2) {
      return v2(src, dst, six);
    }
    String line = "PROXY " + (six ? "TCP6 " : "TCP4 ") + text(src.getAddress(), six) + " "
        + text(dst.getAddress(), six) + " " + src.getPort() + " " + dst.getPort() + "\r\n";
    return line.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] v2(InetSocketAddress src, InetSocketAddress dst, boolean six) {
    int addressBytes = src == null ? 0 : six ? 36 : 12;
    byte[] out = new byte[16 + addressBytes];
    System.arraycopy(V2_SIGNATURE, 0, out, 0, 12);
    out[12] = 0x21; // version 2, PROXY command
    out[13] = (byte) (src == null ? 0x00 : six ? 0x21 : 0x11); // UNSPEC, or TCP over IPv6 / IPv4
    out[14] = (byte) (addressBytes >>> 8);
    out[15] = (byte) addressBytes;
    if (src != null) {
      int len = six ? 16 : 4;
      System.arraycopy(octets(src.getAddress(), six), 0, out, 16, len);
      System.arraycopy(octets(dst.getAddress(), six), 0, out, 16 + len, len);
      int ports = 16 + 2 * len;
      out[ports] = (byte) (src.getPort() >>> 8);
      out[ports + 1] = (byte) src.getPort();
      out[ports + 2] = (byte) (dst.getPort() >>> 8);
      out[ports + 3] = (byte) dst.getPort();
    }
    return out;
  }

  /** An IP address and port, or null for anything else (an unresolved name counts as anything else). */
  private static InetSocketAddress ipOf(SocketAddress a) {
    return a instanceof InetSocketAddress i && i.getAddress() != null ? i : null;
  }

  private static InetAddress unspecified(boolean six) {
    try {
      return InetAddress.getByAddress(new byte[six ? 16 : 4]);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // a literal length of 4 or 16 always forms an address
    }
  }

  /** The address's octets, an IPv4 one mapped into IPv6 when {@code six}. */
  private static byte[] octets(InetAddress a, boolean six) {
    byte[] raw = a.getAddress();
    if (!six || raw.length == 16) {
      return raw;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xFF;
    mapped[11] = (byte) 0xFF;
    System.arraycopy(raw, 0, mapped, 12, 4);
    return mapped;
  }

  /** The address as version 1 text: dotted quad, or IPv6 groups without a scope (IPv4 mapped when {@code six}). */
  private static String text(InetAddress a, boolean six) {
    if (a instanceof Inet4Address) {
      return six ? "::ffff:" + a.getHostAddress() : a.getHostAddress();
    }
    String s = a.getHostAddress();
    int scope = s.indexOf('%');
    return scope < 0 ? s : s.substring(0, scope);
  }
}
