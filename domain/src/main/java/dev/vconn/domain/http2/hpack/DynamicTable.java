package dev.vconn.domain.http2.hpack;

/**
 * The dynamic table of RFC 7541 section 2.3.2 and section 4: a FIFO of fields, newest at index 1, whose size (sum of
 * {@link HeaderField#size()}) never exceeds its maximum; adding evicts the oldest entries first, and an entry larger
 * than the maximum empties the table (section 4.4).
 */
final class DynamicTable {

  private HeaderField[] ring = new HeaderField[16];
  /** Position in {@link #ring} of the oldest entry. */
  private int head;
  private int count;
  private long size;
  private int maxSize;

  DynamicTable(int maxSize) {
    this.maxSize = maxSize;
  }

  int length() {
    return count;
  }

  /** The current size in octets (RFC 7541, section 4.1). */
  long size() {
    return size;
  }

  int maxSize() {
    return maxSize;
  }

  /** The entry at dynamic index {@code index}, 1 (newest) .. {@link #length()}. */
  HeaderField get(int index) {
    return ring[(head + count - index) & (ring.length - 1)];
  }

  /** Changes the maximum size, evicting the oldest entries until the table fits (RFC 7541, section 4.3). */
  void setMaxSize(int maxSize) {
    this.maxSize = maxSize;
    evictUntil(maxSize);
  }

  /** Adds a field as the newest entry (RFC 7541, section 4.4). */
  void add(HeaderField field) {
    int fieldSize = field.size();
    if (fieldSize > maxSize) {
      evictUntil(0);
      return;
    }
    evictUntil(maxSize - fieldSize);
    if (count == ring.length) {
      HeaderField[] bigger = new HeaderField[ring.length * 2];
      for (int i = 0; i < count; i++) {
        bigger[i] = ring[(head + i) & (ring.length - 1)];
      }
      ring = bigger;
      head = 0;
    }
    ring[(head + count) & (ring.length - 1)] = field;
    count++;
    size += fieldSize;
  }

  /** Dynamic index (1-based) of an entry equal in name and value, or 0. */
  int indexOf(String name, String value) {
    for (int i = 1; i <= count; i++) {
      HeaderField f = get(i);
      if (f.name().equals(name) && f.value().equals(value)) {
        return i;
      }
    }
    return 0;
  }

  /** Dynamic index (1-based) of an entry with this name, or 0. */
  int indexOfName(String name) {
    for (int i = 1; i <= count; i++) {
      if (get(i).name().equals(name)) {
        return i;
      }
    }
    return 0;
  }

  private void evictUntil(long target) {
    while (size > target) {
      HeaderField oldest = ring[head];
      ring[head] = null;
      head = (head + 1) & (ring.length - 1);
      count--;
      size -= oldest.size();
    }
  }
}
