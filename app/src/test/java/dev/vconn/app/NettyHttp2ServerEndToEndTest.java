package dev.vconn.app;

/** vconn-server speaking HTTP/2 on the netty transport. */
class NettyHttp2ServerEndToEndTest extends Http2ServerEndToEndTest {
  @Override
  String transport() {
    return "netty";
  }
}
