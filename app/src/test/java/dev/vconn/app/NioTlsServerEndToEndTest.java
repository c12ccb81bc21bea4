package dev.vconn.app;

/** vconn-server over TLS on the nio transport. */
class NioTlsServerEndToEndTest extends TlsServerEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }
}
