package dev.vconn.domain.http2.hpack;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Set;

/**
 * Encodes header lists into HPACK header blocks (RFC 7541) for one HTTP/2 connection.
 *
 * <p>Indexing decisions, in this order, per field:
 * <ol>
 *   <li>Sensitive fields are sent as never-indexed literals (section 6.2.3), so neither this table nor any
 *       intermediary's stores them: fields flagged {@link HeaderField#sensitive()}, {@code authorization},
 *       {@code proxy-authorization}, and {@code cookie} values shorter than 20 octets (short values are guessable
 *       through compression side channels, section 7.1.3).</li>
 *   <li>A field equal to a static or dynamic table entry is sent as an index.</li>
 *   <li>Fields whose values rarely repeat ({@code :path}, {@code content-length}, {@code date}, {@code etag},
 *       {@code age}, {@code last-modified}, {@code location}, {@code set-cookie}, {@code content-range},
 *       {@code if-modified-since}, {@code if-none-match}, {@code range}) and fields larger than three quarters of the
 *       table are sent as literals without indexing, so they do not evict useful entries.</li>
 *   <li>Everything else is sent as a literal with incremental indexing.</li>
 * </ol>
 * Literal names use a table index when one exists. Strings are Huffman-coded when that is shorter.
 *
 * <p>One instance per connection, used by its continuation only.
 */
public final class HpackEncoder {

  /** The protocol's initial table size (RFC 9113, section 6.5.2), and the largest this encoder uses. */
  public static final int DEFAULT_TABLE_SIZE = 4096;

  private static final Set<String> NOT_INDEXED = Set.of(":path", "content-length", "date", "etag", "age",
      "last-modified", "location", "set-cookie", "content-range", "if-modified-since", "if-none-match", "range");
  private static final int SHORT_COOKIE = 20;

  private final int ownMaxTableSize;
  private final DynamicTable table;
  /** Smallest size chosen since the last block, or -1 when no change is pending (RFC 7541, section 4.2). */
  private int pendingMinSize = -1;
  private int pendingSize = -1;

  /** Creates an encoder with the protocol's initial 4096-octet table. */
  public HpackEncoder() {
    this(DEFAULT_TABLE_SIZE);
  }

  /**
   * Creates an encoder that never uses a table larger than {@code ownMaxTableSize}, whatever the peer allows.
   *
   * @param ownMaxTableSize the upper bound of the table size, at least 0
   * @throws IllegalArgumentException if negative
   */
  public HpackEncoder(int ownMaxTableSize) {
    if (ownMaxTableSize < 0) {
      throw new IllegalArgumentException("ownMaxTableSize must be >= 0, got " + ownMaxTableSize);
    }
    this.ownMaxTableSize = ownMaxTableSize;
    int initial = Math.min(DEFAULT_TABLE_SIZE, ownMaxTableSize);
    this.table = new DynamicTable(initial);
    if (initial != DEFAULT_TABLE_SIZE) {
      pendingMinSize = initial;
      pendingSize = initial;
    }
  }

  /**
   * Applies the peer's {@code SETTINGS_HEADER_TABLE_SIZE}: the table shrinks at once, and the next block starts with
   * the size update(s) that tell the peer (RFC 7541, section 4.2).
   *
   * @param peerMaxTableSize the peer's setting, at least 0
   * @throws IllegalArgumentException if negative
   */
  public void setMaxTableSize(int peerMaxTableSize) {
    if (peerMaxTableSize < 0) {
      throw new IllegalArgumentException("peerMaxTableSize must be >= 0, got " + peerMaxTableSize);
    }
    int size = Math.min(peerMaxTableSize, ownMaxTableSize);
    if (size == table.maxSize() && pendingSize < 0) {
      return;
    }
    table.setMaxSize(size);
    pendingMinSize = pendingMinSize < 0 ? size : Math.min(pendingMinSize, size);
    pendingSize = size;
  }

  /**
   * Encodes one header list as one header block.
   *
   * @param fields the fields in order
   * @return the block
   */
  public byte[] encode(List<HeaderField> fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (pendingSize >= 0) {
      if (pendingMinSize < pendingSize) {
        writeInt(out, 0x20, 5, pendingMinSize);
      }
      writeInt(out, 0x20, 5, pendingSize);
      pendingMinSize = -1;
      pendingSize = -1;
    }
    for (HeaderField f : fields) {
      encodeField(f, out);
    }
    return out.toByteArray();
  }

  /** The dynamic table's current size in octets. */
  long tableSize() {
    return table.size();
  }

  private void encodeField(HeaderField f, ByteArrayOutputStream out) {
    String name = f.name();
    String value = f.value();
    if (isSensitive(f)) {
      writeLiteral(out, 0x10, 4, nameIndex(name), f);
      return;
    }
    int index = StaticTable.indexOf(name, value);
    if (index == 0) {
      int dynamic = table.indexOf(name, value);
      index = dynamic == 0 ? 0 : StaticTable.LENGTH + dynamic;
    }
    if (index != 0) {
      writeInt(out, 0x80, 7, index);
      return;
    }
    if (NOT_INDEXED.contains(name) || f.size() > table.maxSize() * 3L / 4) {
      writeLiteral(out, 0x00, 4, nameIndex(name), f);
      return;
    }
    writeLiteral(out, 0x40, 6, nameIndex(name), f);
    table.add(new HeaderField(name, value));
  }

  private static boolean isSensitive(HeaderField f) {
    return f.sensitive()
        || f.name().equals("authorization")
        || f.name().equals("proxy-authorization")
        || (f.name().equals("cookie") && f.value().length() < SHORT_COOKIE);
  }

  private int nameIndex(String name) {
    int index = StaticTable.indexOfName(name);
    if (index != 0) {
      return index;
    }
    int dynamic = table.indexOfName(name);
    return dynamic == 0 ? 0 : StaticTable.LENGTH + dynamic;
  }

  private static void writeLiteral(ByteArrayOutputStream out, int pattern, int prefixBits, int nameIndex,
      HeaderField f) {
    writeInt(out, pattern, prefixBits, nameIndex);
    if (nameIndex == 0) {
      writeString(out, f.name());
    }
    writeString(out, f.value());
  }

  /** Writes a string literal (RFC 7541, section 5.2), Huffman-coded when that is shorter. */
  static void writeString(ByteArrayOutputStream out, String s) {
    int huffmanLength = Huffman.encodedLength(s);
    if (huffmanLength < s.length()) {
      writeInt(out, 0x80, 7, huffmanLength);
      Huffman.encode(s, out);
    } else {
      writeInt(out, 0x00, 7, s.length());
      for (int i = 0; i < s.length(); i++) {
        out.write(s.charAt(i));
      }
    }
  }

  /**
   * Writes an integer with an N-bit prefix (RFC 7541, section 5.1).
   *
   * @param pattern the representation bits above the prefix
   */
  static void writeInt(ByteArrayOutputStream out, int pattern, int prefixBits, int value) {
    int max = (1 << prefixBits) - 1;
    if (value < max) {
      out.write(pattern | value);
      return;
    }
    out.write(pattern | max);
    int rest = value - max;
    while (rest >= 0x80) {
      out.write((rest & 0x7F) | 0x80);
      rest >>>= 7;
    }
    out.write(rest);
  }
}
