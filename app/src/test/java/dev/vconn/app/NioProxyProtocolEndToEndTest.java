package dev.vconn.app;

/** The PROXY protocol and forwarding fields on vconn-server's listeners, on the nio transport. */
class NioProxyProtocolEndToEndTest extends ProxyProtocolEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }
}
