package dev.vconn.domain.http;

import java.net.SocketAddress;
import java.util.Optional;

/**
 * Decides whether a client may use the proxy, on its address (Traffic Server's {@code ip_allow}). For in-process
 * clients the address is the {@code clientAddress} of their connect options. A denied network client is
 * disconnected at once; a denied in-process client gets EOS on its read and ERROR on its write, and the reason is
 * the cause of {@link dev.vconn.domain.VConn#error()}.
 */
@FunctionalInterface
public interface AccessControl {

  /**
   * Checks a client.
   *
   * @param client the client's address, possibly null when unknown
   * @return empty to allow, or the reason for the denial
   */
  Optional<String> denial(SocketAddress client);

  /**
   * Allows everybody.
   *
   * @return a rule that denies nobody
   */
  static AccessControl allowAll() {
    return client -> Optional.empty();
  }
}
