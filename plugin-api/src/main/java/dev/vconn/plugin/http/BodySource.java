package dev.vconn.plugin.http;

/**
 * A response body produced piece by piece (sent chunked, or with Content-Length when its length is declared), pulled
 * as the proxy takes the bytes: the intercept asks for more only when what it queued was sent, so a large body never
 * sits in memory whole.
 *
 * <p>{@code dst} is a scratch array the intercept shares between the responses of one thread: it may hold bytes of an
 * earlier read (only the bytes a call returns are sent), and a source must not keep it after {@code read} returns.
 */
@FunctionalInterface
public interface BodySource {

  /**
   * Fills {@code dst} with the next bytes.
   *
   * @param dst where to put them
   * @return how many bytes were put (at least 1), or -1 at the end of the body
   */
  int read(byte[] dst);
}
