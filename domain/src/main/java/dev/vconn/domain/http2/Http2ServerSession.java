package dev.vconn.domain.http2;

import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBufferReader;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * One HTTP/2 server connection (RFC 9113) over any VConn: socket, TLS, in-process pair end. Each client stream
 * becomes one HTTP/1.1 transaction on an in-process connection opened with the {@link Http2StreamConnector} (or
 * reused from the session's idle pool); see docs/http2.md, "The session".
 *
 * <p>Threading: everything runs on the client connection's loop under the session's lock (docs/threading.md); the
 * public methods are thread-safe and post to the loop.
 */
public final class Http2ServerSession {

  private Http2ServerSession() {
  }

  /**
   * Starts serving. Takes ownership of {@code client}: the session closes it.
   *
   * @param client the client connection, open, with no VIO posted
   * @param alreadyRead octets already read from the client (the preface consumed by h2c detection, bytes read past a
   *     PROXY header), or null; the connection preface is expected at the start of these octets followed by the
   *     stream; the session consumes and frees this reader
   * @param connector opens one in-process connection per stream
   * @param config settings and limits
   * @param blockPool the pool every buffer of the session comes from
   * @param connectionId the distinct number of this client connection ({@code piid} in the access log)
   * @param clientAddress the real client's address, or null
   * @return the running session
   */
  public static Http2ServerSession start(VConn client, IOBufferReader alreadyRead, Http2StreamConnector connector,
      Http2Config config, BlockPool blockPool, long connectionId, SocketAddress clientAddress) {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }

  /** Graceful: GOAWAY NO_ERROR with the last stream id, in-flight streams finish, then close. Idempotent. */
  public void drain() {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }

  /** Aborts every stream and closes the connection now. Idempotent. */
  public void close() {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }

  /**
   * Completes once the client connection and every stream's in-process VConn are closed and every buffer returned.
   *
   * @return the future, never failed
   */
  public CompletableFuture<Void> closed() {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }

  /**
   * Streams currently open (for tests and stats).
   *
   * @return the number of streams not yet closed
   */
  public int openStreams() {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }

  /**
   * The client connection's distinct number.
   *
   * @return the id passed to {@link #start}
   */
  public long connectionId() {
    throw new UnsupportedOperationException("Http2ServerSession is being built");
  }
}
