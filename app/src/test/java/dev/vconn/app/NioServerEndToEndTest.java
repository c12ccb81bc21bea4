package dev.vconn.app;

/** vconn-server end to end on the nio transport. */
class NioServerEndToEndTest extends ServerEndToEndTest {
  @Override
  String transport() {
    return "nio";
  }
}
