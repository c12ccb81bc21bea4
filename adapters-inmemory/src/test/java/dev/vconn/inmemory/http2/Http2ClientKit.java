package dev.vconn.inmemory.http2;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.Http2FrameParser;
import dev.vconn.domain.http2.Http2ParseResult;
import dev.vconn.domain.http2.Http2Setting;
import dev.vconn.domain.http2.hpack.HeaderField;
import dev.vconn.domain.http2.hpack.HpackDecoder;
import dev.vconn.domain.http2.hpack.HpackEncoder;
import dev.vconn.domain.http2.hpack.HpackException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client side of HTTP/2 for tests, in one place: encodes what a client sends (any frame, valid or not, as exact
 * octets; HEADERS through a client {@link HpackEncoder}, split into CONTINUATION frames) and decodes what the server
 * sends with the domain's {@link Http2FrameParser} and {@link HpackDecoder}, which also check the server's framing:
 * a server frame the parser refuses, or a header block the decoder refuses, is recorded in {@link #violation()}.
 *
 * <p>Encoding methods are static where no state is involved; {@link #headers} uses this kit's encoder (the dynamic
 * table is per connection), so one kit belongs to one connection. Not thread-safe: the test thread and the loop
 * use it one after the other (the loop is driven by the test thread).
 */
public final class Http2ClientKit {
  /** The client connection preface (RFC 9113, section 3.4). */
  public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
  /** The initial SETTINGS_MAX_FRAME_SIZE of every endpoint (RFC 9113, section 6.5.2). */
  public static final int DEFAULT_MAX_FRAME = 16_384;

  /** One complete header block the server sent (HEADERS and its CONTINUATION frames). */
  public record Block(int streamId, boolean endStream, List<HeaderField> fields) {
    /** The value of the first field named {@code name}, or null. */
    public String get(String name) {
      for (HeaderField f : fields) {
        if (f.name().equals(name)) {
          return f.value();
        }
      }
      return null;
    }
  }

  /** What the server sent on one stream, in order. */
  public static final class StreamSeen {
    /** Header blocks: response header(s), then trailers. */
    public final List<Block> blocks = new ArrayList<>();
    /** DATA octets. */
    public final ByteArrayOutputStream body = new ByteArrayOutputStream();
    /** Whether END_STREAM came (on HEADERS or DATA). */
    public boolean endStream;
    /** The first RST_STREAM's code, or null. */
    public Http2ErrorCode reset;
    /** How many RST_STREAM frames came. */
    public int resets;
    /** DATA frames received (empty ones included). */
    public int dataFrames;

    /** The final response's status (the first block whose :status is not 1xx), or -1. */
    public int status() {
      Block b = finalHead();
      return b == null ? -1 : Integer.parseInt(b.get(":status"));
    }

    /** The final response's header block, or null. */
    public Block finalHead() {
      for (Block b : blocks) {
        String s = b.get(":status");
        if (s != null && !s.startsWith("1")) {
          return b;
        }
      }
      return null;
    }

    /** The body as ISO-8859-1 text. */
    public String bodyText() {
      return body.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
      return "blocks=" + blocks + " body=" + body.size() + "B endStream=" + endStream + " reset=" + reset
          + (resets > 1 ? " (" + resets + " RST_STREAM frames)" : "");
    }
  }

  private final HpackEncoder encoder = new HpackEncoder();
  private final HpackDecoder decoder = new HpackDecoder(new HpackDecoder.Limits(4096, 1 << 20, 1 << 20, 4 << 20));
  private final Http2FrameParser parser = new Http2FrameParser(1 << 22);
  private final IOBuffer dataSink;
  private final IOBufferReader dataReader;
  private final List<Http2Frame> frames = new ArrayList<>();
  private final Map<Integer, StreamSeen> streams = new LinkedHashMap<>();
  private final ByteArrayOutputStream pendingBlock = new ByteArrayOutputStream();
  private int pendingStream;
  private boolean pendingEndStream;
  private String violation;
  private final Map<Integer, Integer> windowUsed = new LinkedHashMap<>();

  /**
   * A kit whose decoder moves DATA through a buffer of {@code pool}; {@link #close()} frees it.
   *
   * @param pool the pool
   */
  public Http2ClientKit(BlockPool pool) {
    this.dataSink = new IOBuffer(pool);
    this.dataReader = dataSink.allocReader();
  }

  // ------------------------------------------------------------------------------------------------ encoding

  /** A frame with exactly these header fields and payload (the length field says {@code payload.length}). */
  public static byte[] frame(int type, int flags, int streamId, byte[] payload) {
    return concat(frameHeader(payload.length, type, flags, streamId), payload);
  }

  /** A 9-octet frame header; {@code length} need not match what follows (for lying-length cases). */
  public static byte[] frameHeader(int length, int type, int flags, int streamId) {
    return new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length, (byte) type, (byte) flags,
        (byte) (streamId >>> 24), (byte) (streamId >>> 16), (byte) (streamId >>> 8), (byte) streamId};
  }

  /** The fields of a request: {@code :method}, {@code :scheme http}, {@code :authority}, {@code :path}. */
  public static List<HeaderField> request(String method, String path) {
    return List.of(new HeaderField(":method", method), new HeaderField(":scheme", "http"),
        new HeaderField(":authority", "h2.test"), new HeaderField(":path", path));
  }

  /** {@code fields} then {@code name: value} pairs. */
  public static List<HeaderField> with(List<HeaderField> fields, String... nameValues) {
    List<HeaderField> all = new ArrayList<>(fields);
    for (int i = 0; i < nameValues.length; i += 2) {
      all.add(new HeaderField(nameValues[i], nameValues[i + 1]));
    }
    return all;
  }

  /** Encodes {@code fields} as one header block with this connection's encoder. */
  public byte[] block(List<HeaderField> fields) {
    return encoder.encode(fields);
  }

  /** HEADERS with END_HEADERS; CONTINUATION frames once the block exceeds the default frame size. */
  public byte[] headers(int streamId, boolean endStream, List<HeaderField> fields) {
    return headers(streamId, endStream, fields, DEFAULT_MAX_FRAME);
  }

  /** HEADERS, then CONTINUATION frames, each fragment at most {@code maxFragment} octets. */
  public byte[] headers(int streamId, boolean endStream, List<HeaderField> fields, int maxFragment) {
    return headerFrames(streamId, endStream, block(fields), maxFragment);
  }

  /** An encoded block as HEADERS and CONTINUATION frames, each fragment at most {@code maxFragment} octets. */
  public static byte[] headerFrames(int streamId, boolean endStream, byte[] block, int maxFragment) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int first = Math.min(block.length, maxFragment);
    int flags = (endStream ? Http2Frame.FLAG_END_STREAM : 0) | (first == block.length ? Http2Frame.FLAG_END_HEADERS
        : 0);
    out.writeBytes(frame(Http2Frame.TYPE_HEADERS, flags, streamId, Arrays.copyOfRange(block, 0, first)));
    for (int pos = first; pos < block.length; pos += maxFragment) {
      int end = Math.min(block.length, pos + maxFragment);
      out.writeBytes(continuation(streamId, end == block.length, Arrays.copyOfRange(block, pos, end)));
    }
    return out.toByteArray();
  }

  /** A HEADERS frame carrying {@code fragment} as it is, with the given flags. */
  public static byte[] headersFrame(int streamId, int flags, byte[] fragment) {
    return frame(Http2Frame.TYPE_HEADERS, flags, streamId, fragment);
  }

  /** A CONTINUATION frame. */
  public static byte[] continuation(int streamId, boolean endHeaders, byte[] fragment) {
    return frame(Http2Frame.TYPE_CONTINUATION, endHeaders ? Http2Frame.FLAG_END_HEADERS : 0, streamId, fragment);
  }

  /** A DATA frame without padding. */
  public static byte[] data(int streamId, boolean endStream, byte[] data) {
    return frame(Http2Frame.TYPE_DATA, endStream ? Http2Frame.FLAG_END_STREAM : 0, streamId, data);
  }

  /** A DATA frame of ISO-8859-1 text. */
  public static byte[] data(int streamId, boolean endStream, String text) {
    return data(streamId, endStream, text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** SETTINGS with {@code (identifier, value)} pairs, in order. */
  public static byte[] settings(long... idValue) {
    byte[] p = new byte[idValue.length / 2 * 6];
    for (int i = 0; i < idValue.length / 2; i++) {
      int id = (int) idValue[2 * i];
      long v = idValue[2 * i + 1];
      p[6 * i] = (byte) (id >>> 8);
      p[6 * i + 1] = (byte) id;
      p[6 * i + 2] = (byte) (v >>> 24);
      p[6 * i + 3] = (byte) (v >>> 16);
      p[6 * i + 4] = (byte) (v >>> 8);
      p[6 * i + 5] = (byte) v;
    }
    return frame(Http2Frame.TYPE_SETTINGS, 0, 0, p);
  }

  /** The identifier of {@code s} as a {@code long}, for {@link #settings}. */
  public static long id(Http2Setting s) {
    return s.id();
  }

  /** An empty SETTINGS frame with ACK. */
  public static byte[] settingsAck() {
    return frame(Http2Frame.TYPE_SETTINGS, Http2Frame.FLAG_ACK, 0, new byte[0]);
  }

  /** A PING on stream 0. */
  public static byte[] ping(boolean ack, long opaque) {
    return frame(Http2Frame.TYPE_PING, ack ? Http2Frame.FLAG_ACK : 0, 0, long8(opaque));
  }

  /** RST_STREAM. */
  public static byte[] rstStream(int streamId, Http2ErrorCode code) {
    return frame(Http2Frame.TYPE_RST_STREAM, 0, streamId, int4(code.code()));
  }

  /** WINDOW_UPDATE; the increment's reserved bit is whatever {@code increment}'s top bit is. */
  public static byte[] windowUpdate(int streamId, int increment) {
    return frame(Http2Frame.TYPE_WINDOW_UPDATE, 0, streamId, int4(increment));
  }

  /** PRIORITY. */
  public static byte[] priority(int streamId, int dependency, boolean exclusive, int weight) {
    byte[] p = concat(int4(dependency | (exclusive ? 0x8000_0000 : 0)), new byte[] {(byte) weight});
    return frame(Http2Frame.TYPE_PRIORITY, 0, streamId, p);
  }

  /** GOAWAY without debug data. */
  public static byte[] goAway(int lastStreamId, Http2ErrorCode code) {
    return frame(Http2Frame.TYPE_GOAWAY, 0, 0, concat(int4(lastStreamId), int4(code.code())));
  }

  /** The octets of {@code parts}, concatenated. */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Big-endian 32 bits. */
  public static byte[] int4(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  private static byte[] long8(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (56 - 8 * i));
    }
    return b;
  }

  // ------------------------------------------------------------------------------------------------ decoding

  /**
   * Parses every whole server frame at the head of {@code in}, consuming it. After a frame the parser refuses,
   * nothing more is parsed (the stream is out of sync) and {@link #violation()} says why.
   *
   * @param in what the server sent, not yet parsed
   */
  public void decode(IOBufferReader in) {
    while (violation == null) {
      Http2ParseResult r = parser.parse(in);
      if (r instanceof Http2ParseResult.NeedMore) {
        return;
      } else if (r instanceof Http2ParseResult.Frame f) {
        accept(f.frame(), in);
      } else {
        violation("the server sent a malformed frame: " + r);
      }
    }
  }

  private void accept(Http2Frame f, IOBufferReader in) {
    frames.add(f);
    if (f instanceof Http2Frame.Data d) {
      parser.takeData(in, dataSink);
      byte[] bytes = new byte[d.dataLength()];
      dataReader.read(bytes, 0, bytes.length);
      StreamSeen s = seen(d.streamId());
      s.body.writeBytes(bytes);
      s.dataFrames++;
      if (d.flowControlledLength() > 0) {
        windowUsed.merge(d.streamId(), d.flowControlledLength(), Integer::sum);
      }
      s.endStream |= d.endStream();
    } else if (f instanceof Http2Frame.Headers h) {
      pendingStream = h.streamId();
      pendingEndStream = h.endStream();
      pendingBlock.reset();
      pendingBlock.writeBytes(h.fragment());
      if (h.endHeaders()) {
        endBlock();
      }
    } else if (f instanceof Http2Frame.Continuation c) {
      pendingBlock.writeBytes(c.fragment());
      if (c.endHeaders()) {
        endBlock();
      }
    } else if (f instanceof Http2Frame.RstStream r) {
      StreamSeen s = seen(r.streamId());
      if (s.reset == null) {
        s.reset = Http2ErrorCode.of(r.errorCode());
      }
      s.resets++;
    } else if (f instanceof Http2Frame.PushPromise p) {
      violation("the server pushed although the client never enabled it: " + p);
    }
  }

  private void endBlock() {
    byte[] block = pendingBlock.toByteArray();
    try {
      HpackDecoder.HeaderList list = decoder.decode(block, 0, block.length);
      StreamSeen s = seen(pendingStream);
      s.blocks.add(new Block(pendingStream, pendingEndStream, list.fields()));
      s.endStream |= pendingEndStream;
    } catch (HpackException e) {
      violation("the server sent a header block the decoder refuses: " + e.getMessage());
    }
  }

  private void violation(String what) {
    if (violation == null) {
      violation = what;
    }
  }

  private StreamSeen seen(int id) {
    return streams.computeIfAbsent(id, k -> new StreamSeen());
  }

  /** Applies the client's own SETTINGS_MAX_FRAME_SIZE to the decoder once the server acknowledged it. */
  public void setMaxFrameSize(int size) {
    parser.setMaxFrameSize(size);
  }

  /** Window used by DATA per stream since the last call (flow-controlled octets), then forgotten. */
  public Map<Integer, Integer> takeWindowUsed() {
    Map<Integer, Integer> m = new LinkedHashMap<>(windowUsed);
    windowUsed.clear();
    return m;
  }

  /** Applies the client's own SETTINGS_HEADER_TABLE_SIZE to the decoder (once the server acknowledged it). */
  public void setHeaderTableSize(int size) {
    decoder.setMaxTableSize(size);
  }

  /** Every frame the server sent, in order (CONTINUATION frames included; unknown types skipped). */
  public List<Http2Frame> frames() {
    return frames;
  }

  /** Frames of type {@code type}, in order. */
  public <T extends Http2Frame> List<T> frames(Class<T> type) {
    return frames.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** What the server sent on stream {@code id} (empty if nothing). */
  public StreamSeen stream(long id) {
    return streams.getOrDefault((int) id, new StreamSeen());
  }

  /** The GOAWAY frames the server sent. */
  public List<Http2Frame.GoAway> goAways() {
    return frames(Http2Frame.GoAway.class);
  }

  /** The first GOAWAY's error, or null if none came. */
  public Http2ErrorCode goAwayCode() {
    List<Http2Frame.GoAway> g = goAways();
    return g.isEmpty() ? null : Http2ErrorCode.of(g.get(0).errorCode());
  }

  /** The first way the server broke framing or HPACK, or null. */
  public String violation() {
    return violation;
  }

  /** Frees the decoder's buffer. */
  public void close() {
    dataSink.close();
  }

  /** A short text of one frame. */
  public static String show(Http2Frame f) {
    if (f instanceof Http2Frame.GoAway g) {
      return "GoAway[last=" + g.lastStreamId() + ", " + Http2ErrorCode.of(g.errorCode()) + ", debug="
          + new String(g.debugData(), StandardCharsets.ISO_8859_1) + "]";
    }
    if (f instanceof Http2Frame.RstStream r) {
      return "RstStream[" + r.streamId() + ", " + Http2ErrorCode.of(r.errorCode()) + "]";
    }
    if (f instanceof Http2Frame.Headers h) {
      return "Headers[" + h.streamId() + ", endStream=" + h.endStream() + ", endHeaders=" + h.endHeaders() + ", "
          + h.fragment().length + " B]";
    }
    if (f instanceof Http2Frame.Continuation c) {
      return "Continuation[" + c.streamId() + ", endHeaders=" + c.endHeaders() + ", " + c.fragment().length + " B]";
    }
    return f.toString();
  }

  /** A short text of every frame received, for failure messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Http2Frame f : frames) {
      sb.append("\n    ").append(show(f));
    }
    for (Map.Entry<Integer, StreamSeen> e : streams.entrySet()) {
      sb.append("\n    stream ").append(e.getKey()).append(": ").append(e.getValue());
    }
    if (violation != null) {
      sb.append("\n    violation: ").append(violation);
    }
    return sb.toString();
  }
}
