package dev.vconn.app;

/** Real tunnel clients (JDK WebSocket, curl --proxytunnel) through vconn-server on the nio transport. */
class NioTunnelClientsEndToEndTest extends TunnelClientsEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }
}
