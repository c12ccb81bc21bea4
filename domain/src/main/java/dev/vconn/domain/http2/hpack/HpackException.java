package dev.vconn.domain.http2.hpack;

/**
 * A header block could not be decoded, or exceeded a decoding limit. The decoder's state is no longer in sync with
 * the peer's encoder afterwards, so HTTP/2 treats every such failure as a connection error of type
 * {@code COMPRESSION_ERROR} (RFC 9113, section 4.3).
 */
public final class HpackException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message names the rule the block broke
   */
  public HpackException(String message) {
    super(message);
  }
}
