package dev.vconn.plugin.http;

/**
 * A response body produced piece by piece (sent chunked), pulled as the proxy takes the bytes: the intercept asks for
 * more only when what it queued was sent, so a large body never sits in memory whole.
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
