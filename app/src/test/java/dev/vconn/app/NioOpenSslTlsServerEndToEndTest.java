package dev.vconn.app;

import java.util.List;

/**
 * vconn-server over TLS on the nio transport with {@code --tls-engine openssl}: the same clients (curl, openssl
 * s_client with ALPN and SNI, the JDK's HttpClient) and https origins as with the JDK engine.
 */
class NioOpenSslTlsServerEndToEndTest extends TlsServerEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }

  @Override
  List<String> engineOptions() {
    return List.of("--tls-engine", "openssl");
  }
}
