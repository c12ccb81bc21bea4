package dev.vconn.app;

/** vconn-server end to end on the netty transport. */
class NettyServerEndToEndTest extends ServerEndToEndTest {
  @Override
  String transport() {
    return "netty";
  }
}
