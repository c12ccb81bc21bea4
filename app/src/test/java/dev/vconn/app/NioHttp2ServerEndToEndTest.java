package dev.vconn.app;

/** vconn-server speaking HTTP/2 on the nio transport. */
class NioHttp2ServerEndToEndTest extends Http2ServerEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }
}
