package dev.vconn.app;

/** The PROXY protocol and forwarding fields on vconn-server's listeners, on the netty transport. */
class NettyProxyProtocolEndToEndTest extends ProxyProtocolEndToEndTest {
  @Override
  String transport() {
    return "netty";
  }
}
