package dev.vconn.domain.http;

import java.net.InetSocketAddress;

/**
 * A PROXY protocol header as a load balancer in front of the proxy sent it (HAProxy's PROXY protocol, versions 1
 * and 2; docs/server.md, "PROXY protocol").
 *
 * @param version 1 (the text line) or 2 (the binary header)
 * @param local true for a version 2 {@code LOCAL} command: the balancer's own connection (a health check), whose
 *     real addresses count
 * @param source the client's address and port the header carries; null when the connection's own address counts
 *     ({@code LOCAL}, {@code UNKNOWN}, an unspecified or UNIX family)
 * @param destination the address and port the client connected to, null when {@code source} is
 */
public record ProxyProtocolHeader(int version, boolean local, InetSocketAddress source,
    InetSocketAddress destination) {

  /** Checks the version and that the addresses come together. */
  public ProxyProtocolHeader {
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException("a PROXY protocol version is 1 or 2, was " + version);
    }
    if ((source == null) != (destination == null)) {
      throw new IllegalArgumentException("a PROXY protocol header carries both addresses or neither");
    }
  }

  /**
   * The address access control, the access log and the forwarding fields see for this client.
   *
   * @return the carried source, or null when the connection's own remote address counts
   */
  public InetSocketAddress clientAddress() {
    return source;
  }
}
