package dev.vconn.app;

import dev.vconn.domain.http.OriginProxyProtocol;
import dev.vconn.domain.http.ProxyProtocolMode;
import java.time.Duration;
import java.util.Objects;

/**
 * The PROXY protocol on vconn-server's listeners and towards origins (docs/server.md, "PROXY protocol").
 *
 * @param listener what the plain-text listener ({@code --listen}) expects before the client's first octet
 * @param tlsListener what the TLS listener ({@code --tls-listen}) expects, in plain text before the TLS handshake;
 *     never {@link ProxyProtocolMode#OPTIONAL}, which would have to read the first octets of a client hello to tell
 * @param headerTimeout how long a connection has to send its whole header
 * @param origin the header sent first on every new origin connection, naming the client; applied by a reload
 */
public record ProxyProtocolSettings(ProxyProtocolMode listener, ProxyProtocolMode tlsListener,
    Duration headerTimeout, OriginProxyProtocol origin) {

  /**
   * Listener settings without a header towards origins.
   *
   * @param listener what the plain-text listener expects
   * @param tlsListener what the TLS listener expects
   * @param headerTimeout how long a connection has to send its whole header
   */
  public ProxyProtocolSettings(ProxyProtocolMode listener, ProxyProtocolMode tlsListener, Duration headerTimeout) {
    this(listener, tlsListener, headerTimeout, OriginProxyProtocol.OFF);
  }

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException for an optional header on the TLS listener or a timeout that is not positive
   */
  public ProxyProtocolSettings {
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(tlsListener, "tlsListener");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    Objects.requireNonNull(origin, "origin");
    if (tlsListener == ProxyProtocolMode.OPTIONAL) {
      throw new IllegalArgumentException("the TLS listener cannot take an optional PROXY protocol header (telling "
          + "would read octets of the TLS handshake): use v1, v2, any or off");
    }
    if (headerTimeout.isZero() || headerTimeout.isNegative()) {
      throw new IllegalArgumentException("the PROXY protocol header timeout must be positive, was " + headerTimeout);
    }
  }

  /**
   * No PROXY protocol on any listener nor towards origins.
   *
   * @return the default
   */
  public static ProxyProtocolSettings off() {
    return new ProxyProtocolSettings(ProxyProtocolMode.OFF, ProxyProtocolMode.OFF, Duration.ofSeconds(5));
  }
}
