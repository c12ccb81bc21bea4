package dev.vconn.domain.buffer;

/**
 * Block size classes of the IOBuffer family, after Traffic Server's {@code BUFFER_SIZE_INDEX_*}: index {@code i}
 * gives blocks of {@code 128 << i} bytes, for {@code i} from {@link #MIN_INDEX} (128 B) to {@link #MAX_INDEX} (2 MiB).
 */
public final class BufferSizes {

  /** The smallest size index: blocks of 128 bytes. */
  public static final int MIN_INDEX = 0;

  /** The largest size index: blocks of 2 MiB. */
  public static final int MAX_INDEX = 14;

  /** The default size index (Traffic Server's {@code TSIOBufferCreate}): blocks of 32 KiB. */
  public static final int DEFAULT_INDEX = 8;

  /**
   * Pieces shorter than this many bytes are copied when one buffer is appended to another; pieces of this size or
   * more are shared by reference (Traffic Server's {@code MIN_BLOCK_TRANSFER_BYTES}).
   */
  public static final int COPY_THRESHOLD = 128;

  private BufferSizes() {}

  /**
   * Returns the block size of a size index.
   *
   * @param index a size index in {@code 0..14}
   * @return {@code 128 << index}
   * @throws IllegalArgumentException if {@code index} is outside {@code 0..14}
   */
  public static int blockSize(int index) {
    return 128 << checkIndex("index", index);
  }

  /**
   * Checks that a size index is in {@code 0..14}.
   *
   * @param field the name used in the error message
   * @param index the value to check
   * @return {@code index}
   * @throws IllegalArgumentException {@code "<field> must be in 0..14, was <index>"} if it is not
   */
  public static int checkIndex(String field, int index) {
    if (index < MIN_INDEX || index > MAX_INDEX) {
      throw new IllegalArgumentException(
          field + " must be in " + MIN_INDEX + ".." + MAX_INDEX + ", was " + index);
    }
    return index;
  }
}
