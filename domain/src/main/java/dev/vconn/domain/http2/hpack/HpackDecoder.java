package dev.vconn.domain.http2.hpack;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decodes HPACK header blocks (RFC 7541) of one HTTP/2 connection: every field representation of section 6, the
 * dynamic table and its size updates, Huffman-coded strings.
 *
 * <p>Limits, all in {@link Limits}: the dynamic table size this endpoint advertised
 * ({@code SETTINGS_HEADER_TABLE_SIZE}); the header list size it advertised ({@code SETTINGS_MAX_HEADER_LIST_SIZE}),
 * beyond which the block is still decoded to keep the table in sync but its fields are dropped and
 * {@link HeaderList#exceedsListLimit()} is set, so the session can answer 431 without breaking the connection; the
 * longest name or value; and a decompression-bomb bound on the decoded size of one block, beyond which decoding
 * stops with an {@link HpackException}.
 *
 * <p>One instance per connection, used by its continuation only. After an {@link HpackException} the table is out of
 * sync with the peer and the connection must end with {@code COMPRESSION_ERROR}.
 */
public final class HpackDecoder {

  /**
   * Decoding limits.
   *
   * @param maxTableSize the largest dynamic table size the peer's encoder may select (this endpoint's
   *     {@code SETTINGS_HEADER_TABLE_SIZE}), at least 0
   * @param maxHeaderListSize the header list size (RFC 7541 section 4.1 sizes: octets plus 32 per field) above which
   *     a block's fields are dropped and flagged, at least 1
   * @param maxStringLength the longest name or value in octets (after Huffman decoding), at least 1
   * @param maxDecodedSize the largest decoded size of one block; a larger block is a decompression bomb and fails
   *     with {@link HpackException}; at least {@code maxHeaderListSize}
   */
  public record Limits(int maxTableSize, int maxHeaderListSize, int maxStringLength, long maxDecodedSize) {

    /** 4 KiB table (the protocol default), 64 KiB header list, 16 KiB strings, 256 KiB decoded per block. */
    public static final Limits DEFAULT = new Limits(4096, 64 * 1024, 16 * 1024, 256 * 1024);

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException naming the limit that is out of range
     */
    public Limits {
      if (maxTableSize < 0) {
        throw new IllegalArgumentException("maxTableSize must be >= 0, got " + maxTableSize);
      }
      if (maxHeaderListSize < 1) {
        throw new IllegalArgumentException("maxHeaderListSize must be >= 1, got " + maxHeaderListSize);
      }
      if (maxStringLength < 1) {
        throw new IllegalArgumentException("maxStringLength must be >= 1, got " + maxStringLength);
      }
      if (maxDecodedSize < maxHeaderListSize) {
        throw new IllegalArgumentException("maxDecodedSize must be >= maxHeaderListSize (" + maxHeaderListSize
            + "), got " + maxDecodedSize);
      }
    }
  }

  /**
   * The fields of one decoded header block.
   *
   * @param fields the fields in order; empty when {@code exceedsListLimit}
   * @param listSize the decoded header list size (RFC 7541 section 4.1 sizes)
   * @param exceedsListLimit whether {@code listSize} exceeded {@link Limits#maxHeaderListSize()}
   */
  public record HeaderList(List<HeaderField> fields, long listSize, boolean exceedsListLimit) {

    /** Makes the field list unmodifiable. */
    public HeaderList {
      fields = List.copyOf(fields);
    }
  }

  private final Limits limits;
  private final DynamicTable table;
  /** This endpoint's current table size limit; the peer's size updates must not exceed it. */
  private int tableSizeLimit;
  /** Set when the limit dropped below the table's size: the next block must start with a size update. */
  private boolean sizeUpdateRequired;

  private byte[] buf;
  private int pos;
  private int end;

  /**
   * Creates a decoder whose dynamic table starts at {@code limits.maxTableSize()}.
   *
   * @param limits the decoding limits
   */
  public HpackDecoder(Limits limits) {
    this.limits = limits;
    this.tableSizeLimit = limits.maxTableSize();
    this.table = new DynamicTable(limits.maxTableSize());
  }

  /**
   * Applies a new {@code SETTINGS_HEADER_TABLE_SIZE} of this endpoint, once the peer acknowledged it. If it is below
   * the table's current maximum, the peer's next header block must start with a size update not above it
   * (RFC 7541, section 4.2).
   *
   * @param maxTableSize the new limit, at least 0
   * @throws IllegalArgumentException if negative
   */
  public void setMaxTableSize(int maxTableSize) {
    if (maxTableSize < 0) {
      throw new IllegalArgumentException("maxTableSize must be >= 0, got " + maxTableSize);
    }
    tableSizeLimit = maxTableSize;
    if (maxTableSize < table.maxSize()) {
      sizeUpdateRequired = true;
    }
  }

  /**
   * Decodes one complete header block (the fragments of a HEADERS or PUSH_PROMISE frame and its CONTINUATION frames,
   * concatenated).
   *
   * @param block the block's octets
   * @param off where the block starts
   * @param len the block's length
   * @return the decoded fields
   * @throws HpackException if the block is malformed or exceeds {@link Limits#maxStringLength()} or
   *     {@link Limits#maxDecodedSize()}
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code block}
   */
  public HeaderList decode(byte[] block, int off, int len) throws HpackException {
    Objects.checkFromIndexSize(off, len, block.length);
    buf = block;
    pos = off;
    end = off + len;
    try {
      return decodeBlock();
    } finally {
      buf = null;
    }
  }

  /** The dynamic table's current size in octets (RFC 7541, section 4.1). */
  long tableSize() {
    return table.size();
  }

  /** The dynamic table's current maximum size. */
  int tableMaxSize() {
    return table.maxSize();
  }

  /** The dynamic table's entries, newest first. */
  List<HeaderField> tableEntries() {
    List<HeaderField> entries = new ArrayList<>(table.length());
    for (int i = 1; i <= table.length(); i++) {
      entries.add(table.get(i));
    }
    return entries;
  }

  private HeaderList decodeBlock() throws HpackException {
    List<HeaderField> fields = new ArrayList<>();
    long listSize = 0;
    boolean atStart = true;
    while (pos < end) {
      int b = buf[pos] & 0xFF;
      if ((b & 0xE0) == 0x20) {
        if (!atStart) {
          throw new HpackException("dynamic table size update after a header field "
              + "(RFC 7541, section 4.2: only at the beginning of a header block)");
        }
        int newSize = readInt(5);
        if (newSize > tableSizeLimit) {
          throw new HpackException("dynamic table size update to " + newSize + " exceeds the limit "
              + tableSizeLimit + " (RFC 7541, section 6.3)");
        }
        table.setMaxSize(newSize);
        sizeUpdateRequired = false;
        continue;
      }
      if (sizeUpdateRequired) {
        throw new HpackException("header block must start with a dynamic table size update to at most "
            + tableSizeLimit + " (RFC 7541, section 4.2)");
      }
      atStart = false;
      HeaderField field;
      if ((b & 0x80) != 0) {
        field = lookup(readInt(7));
      } else if ((b & 0xC0) == 0x40) {
        field = readLiteral(6, false);
        table.add(field);
      } else {
        // 0000xxxx: without indexing; 0001xxxx: never indexed.
        field = readLiteral(4, (b & 0x10) != 0);
      }
      listSize += field.size();
      if (listSize > limits.maxDecodedSize()) {
        throw new HpackException("header block decodes to more than " + limits.maxDecodedSize()
            + " octets (decompression bound)");
      }
      if (listSize <= limits.maxHeaderListSize()) {
        fields.add(field);
      }
    }
    if (sizeUpdateRequired) {
      throw new HpackException("header block must start with a dynamic table size update to at most "
          + tableSizeLimit + " (RFC 7541, section 4.2)");
    }
    boolean exceeds = listSize > limits.maxHeaderListSize();
    return new HeaderList(exceeds ? List.of() : fields, listSize, exceeds);
  }

  private HeaderField readLiteral(int prefixBits, boolean sensitive) throws HpackException {
    int nameIndex = readInt(prefixBits);
    String name = nameIndex == 0 ? readString() : lookup(nameIndex).name();
    String value = readString();
    return new HeaderField(name, value, sensitive);
  }

  private HeaderField lookup(int index) throws HpackException {
    if (index == 0) {
      throw new HpackException("index 0 is not a valid table index (RFC 7541, section 6.1)");
    }
    if (index <= StaticTable.LENGTH) {
      return StaticTable.get(index);
    }
    int dynamicIndex = index - StaticTable.LENGTH;
    if (dynamicIndex > table.length()) {
      throw new HpackException("index " + index + " is beyond the " + StaticTable.LENGTH + " static and "
          + table.length() + " dynamic table entries (RFC 7541, section 2.3.3)");
    }
    return table.get(dynamicIndex);
  }

  /** Decodes one integer with an N-bit prefix from the start of {@code src} (the integer primitive alone). */
  static int decodeInteger(byte[] src, int prefixBits) throws HpackException {
    HpackDecoder d = new HpackDecoder(Limits.DEFAULT);
    d.buf = src;
    d.end = src.length;
    return d.readInt(prefixBits);
  }

  /**
   * Reads an integer with an N-bit prefix (RFC 7541, section 5.1) starting at the current octet, whose high bits
   * carry the representation type.
   */
  int readInt(int prefixBits) throws HpackException {
    int max = (1 << prefixBits) - 1;
    int value = buf[pos++] & max;
    if (value < max) {
      return value;
    }
    long result = max;
    int shift = 0;
    while (true) {
      if (pos >= end) {
        throw new HpackException("header block ends inside an integer (RFC 7541, section 5.1)");
      }
      int b = buf[pos++] & 0xFF;
      result += (long) (b & 0x7F) << shift;
      if (result > Integer.MAX_VALUE) {
        throw new HpackException("integer exceeds " + Integer.MAX_VALUE + " (RFC 7541, section 5.1)");
      }
      if ((b & 0x80) == 0) {
        return (int) result;
      }
      shift += 7;
      if (shift > 28) {
        throw new HpackException("integer exceeds " + Integer.MAX_VALUE + " (RFC 7541, section 5.1)");
      }
    }
  }

  /** Reads a string literal (RFC 7541, section 5.2). */
  private String readString() throws HpackException {
    if (pos >= end) {
      throw new HpackException("header block ends before a string literal (RFC 7541, section 5.2)");
    }
    boolean huffman = (buf[pos] & 0x80) != 0;
    int len = readInt(7);
    if (len > end - pos) {
      throw new HpackException("string literal of " + len + " octets runs past the end of the header block");
    }
    String s;
    if (huffman) {
      byte[] octets = Huffman.decode(buf, pos, len, limits.maxStringLength());
      s = new String(octets, StandardCharsets.ISO_8859_1);
    } else {
      if (len > limits.maxStringLength()) {
        throw new HpackException("string literal of " + len + " octets exceeds the limit "
            + limits.maxStringLength());
      }
      s = new String(buf, pos, len, StandardCharsets.ISO_8859_1);
    }
    pos += len;
    return s;
  }
}
