package dev.vconn.app;

/** vconn-server over TLS on the netty transport. */
class NettyTlsServerEndToEndTest extends TlsServerEndToEndTest {
  @Override
  String transport() {
    return "netty";
  }
}
