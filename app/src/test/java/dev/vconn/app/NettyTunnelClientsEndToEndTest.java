package dev.vconn.app;

/** Real tunnel clients (JDK WebSocket, curl --proxytunnel) through vconn-server on the netty transport. */
class NettyTunnelClientsEndToEndTest extends TunnelClientsEndToEndTest {
  @Override
  String transport() {
    return "netty";
  }
}
