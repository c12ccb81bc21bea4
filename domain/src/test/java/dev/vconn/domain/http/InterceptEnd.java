package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;

/**
 * The passive end of an intercept's pair as the intercepts of these tests hold it from {@code NET_ACCEPT} on: the
 * VConn, an unbounded read into a buffer of its own, and a buffer for what the intercept sends.
 */
final class InterceptEnd {
  final VConn vconn;
  final IOBuffer in;
  final IOBufferReader inReader;
  final IOBuffer out;
  private boolean closed;

  /** Takes the VConn {@code NET_ACCEPT} delivered and posts {@code cont}'s read. */
  InterceptEnd(Object accepted, BlockPool pool, Continuation cont) {
    vconn = (VConn) accepted;
    in = new IOBuffer(pool);
    inReader = in.allocReader();
    out = new IOBuffer(pool);
    vconn.read(cont, Long.MAX_VALUE, in);
  }

  /** Reads everything readable, as ISO-8859-1 text. */
  String readText() {
    byte[] b = new byte[(int) inReader.readAvail()];
    inReader.read(b, 0, b.length);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Sends {@code text} with a write of exactly its length. */
  void send(Continuation cont, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    IOBufferReader outReader = out.allocReader();
    out.write(bytes);
    vconn.write(cont, bytes.length, outReader);
  }

  /** Closes the VConn and frees both buffers; idempotent. */
  void close() {
    if (!closed) {
      closed = true;
      vconn.close();
      in.close();
      out.close();
    }
  }
}
