package dev.vconn.domain.http2;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http2.hpack.HeaderField;
import dev.vconn.domain.http2.hpack.HpackDecoder;
import dev.vconn.domain.http2.hpack.HpackEncoder;
import dev.vconn.domain.http2.hpack.HpackException;
import dev.vconn.domain.pair.VConnPair;
import java.io.ByteArrayOutputStream;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Test support: an HTTP/2 client speaking exact frames over a VConn (typically the active end of a pair whose
 * passive end runs an {@link Http2ServerSession}), and {@link Backend}, a scripted HTTP/1.1 server behind the
 * session's {@link Http2StreamConnector}. Not thread-safe beyond what the VConn rules give: drive it from the test
 * thread that runs the loop ({@code VirtualTimeEventLoop}).
 *
 * <p>By default the client acknowledges the server's SETTINGS and returns every DATA octet it reads with
 * WINDOW_UPDATE frames (stream and connection); {@link #holdWindow(int)} stops that for a stream (a slow reader).
 */
public final class Http2TestClient implements AutoCloseable {

  /**
   * One frame as received.
   *
   * @param type the frame type
   * @param flags the flags
   * @param streamId the stream
   * @param payload the payload octets
   * @param headers for HEADERS (with its CONTINUATION frames): the decoded fields, else null
   */
  public record Frame(int type, int flags, int streamId, byte[] payload, List<HeaderField> headers) {

    /** Whether END_STREAM is set (DATA, HEADERS). */
    public boolean endStream() {
      return (flags & Http2Frame.FLAG_END_STREAM) != 0 && (type == Http2Frame.TYPE_DATA
          || type == Http2Frame.TYPE_HEADERS);
    }

    /** The error code of RST_STREAM or GOAWAY. */
    public Http2ErrorCode errorCode() {
      int off = type == Http2Frame.TYPE_GOAWAY ? 4 : 0;
      return Http2ErrorCode.of(readInt(payload, off));
    }

    /** The last stream id of GOAWAY. */
    public int lastStreamId() {
      return readInt(payload, 0) & 0x7fff_ffff;
    }

    /** The value of a header field of a HEADERS frame, or null. */
    public String header(String name) {
      for (HeaderField f : headers) {
        if (f.name().equals(name)) {
          return f.value();
        }
      }
      return null;
    }

    /** A short description: type, stream, flags, and the code or fields. */
    @Override
    public String toString() {
      String name = switch (type) {
        case Http2Frame.TYPE_DATA -> "DATA(" + payload.length + ")";
        case Http2Frame.TYPE_HEADERS -> "HEADERS" + headers;
        case Http2Frame.TYPE_RST_STREAM -> "RST_STREAM " + errorCode();
        case Http2Frame.TYPE_SETTINGS -> "SETTINGS" + ((flags & 1) != 0 ? " ACK" : "");
        case Http2Frame.TYPE_PING -> "PING" + ((flags & 1) != 0 ? " ACK" : "");
        case Http2Frame.TYPE_GOAWAY -> "GOAWAY " + errorCode() + " last=" + lastStreamId();
        case Http2Frame.TYPE_WINDOW_UPDATE -> "WINDOW_UPDATE " + (readInt(payload, 0) & 0x7fff_ffff);
        default -> "type " + type;
      };
      return name + " stream=" + streamId + (endStream() ? " END_STREAM" : "");
    }
  }

  /** What a stream received: interim and final heads, body, trailers, end or reset. */
  public record Response(List<List<HeaderField>> interim, List<HeaderField> headers, byte[] body,
      List<HeaderField> trailers, boolean ended, Http2ErrorCode reset) {

    /** The :status of the final head, or -1. */
    public int status() {
      if (headers == null) {
        return -1;
      }
      for (HeaderField f : headers) {
        if (f.name().equals(":status")) {
          return Integer.parseInt(f.value());
        }
      }
      return -1;
    }

    /** A header of the final head, or null. */
    public String header(String name) {
      if (headers == null) {
        return null;
      }
      for (HeaderField f : headers) {
        if (f.name().equals(name)) {
          return f.value();
        }
      }
      return null;
    }

    /** The body as ISO-8859-1 text. */
    public String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  private final VConn vconn;
  private final IOBuffer out;
  private final IOBufferReader outReader;
  private final IOBuffer in;
  private final IOBufferReader inReader;
  private final Continuation cont = new Continuation(this::handle);
  private final ReadVio read;
  private final WriteVio write;
  private final HpackEncoder encoder = new HpackEncoder();
  private final HpackDecoder decoder = new HpackDecoder(new HpackDecoder.Limits(4096, 1 << 20, 1 << 20, 1 << 21));
  private final List<Frame> frames = new ArrayList<>();
  private final Set<Integer> held = new HashSet<>();
  private ByteArrayOutputStream block;
  private int blockType;
  private int blockFlags;
  private int blockStream;
  private boolean eos;
  private boolean closed;
  /** Acknowledge the server's SETTINGS automatically. */
  public boolean autoAckSettings = true;
  /** Return DATA octets with WINDOW_UPDATE automatically (except for held streams). */
  public boolean autoWindowUpdate = true;

  /**
   * A client on {@code vconn}; it reads everything the server sends.
   *
   * @param vconn the client's end of the connection
   * @param pool where its buffers come from
   */
  public Http2TestClient(VConn vconn, BlockPool pool) {
    this.vconn = vconn;
    out = new IOBuffer(pool);
    outReader = out.allocReader();
    in = new IOBuffer(pool);
    // A frame is parsed once whole: let the transport move a frame of the largest size ahead of this reader.
    in.setWaterMark(Http2FrameParser.MAX_MAX_FRAME_SIZE + Http2FrameParser.FRAME_HEADER_LENGTH);
    inReader = in.allocReader();
    read = vconn.read(cont, Long.MAX_VALUE, in);
    write = vconn.write(cont, Long.MAX_VALUE, outReader);
  }

  /** The connection preface (24 octets). */
  public static byte[] preface() {
    return Http2ServerSession.PREFACE.clone();
  }

  /** Sends the preface and an empty SETTINGS frame. */
  public Http2TestClient start() {
    return raw(preface()).settings();
  }

  /** Sends raw octets. */
  public Http2TestClient raw(byte[] bytes) {
    return send(b -> b.write(bytes));
  }

  /** Sends a frame with the given header fields and payload. */
  public Http2TestClient frame(int type, int flags, int streamId, byte[] payload) {
    return send(b -> {
      Http2FrameWriter.writeFrameHeader(b, payload.length, type, flags, streamId);
      b.write(payload);
    });
  }

  /** Sends SETTINGS with the given parameters. */
  public Http2TestClient settings(Http2Frame.Setting... settings) {
    return send(b -> Http2FrameWriter.writeSettings(b, List.of(settings)));
  }

  /** Sends a SETTINGS ACK. */
  public Http2TestClient settingsAck() {
    return send(Http2FrameWriter::writeSettingsAck);
  }

  /** Encodes {@code fields} with the client's HPACK encoder. */
  public byte[] encode(List<HeaderField> fields) {
    return encoder.encode(fields);
  }

  /** Sends HEADERS (split into CONTINUATION frames beyond 16384 octets). */
  public Http2TestClient headers(int streamId, boolean endStream, List<HeaderField> fields) {
    byte[] encoded = encoder.encode(fields);
    return send(b -> Http2FrameWriter.writeHeaders(b, streamId, endStream, encoded, 16_384));
  }

  /** Sends a GET request HEADERS with END_STREAM. */
  public Http2TestClient get(int streamId, String path) {
    return headers(streamId, true, request("GET", path));
  }

  /** The pseudo-headers of a request to {@code example.test} over https, plus {@code extra}. */
  public static List<HeaderField> request(String method, String path, HeaderField... extra) {
    List<HeaderField> fields = new ArrayList<>();
    fields.add(new HeaderField(":method", method));
    fields.add(new HeaderField(":scheme", "https"));
    fields.add(new HeaderField(":authority", "example.test"));
    fields.add(new HeaderField(":path", path));
    fields.addAll(List.of(extra));
    return fields;
  }

  /** Sends DATA. */
  public Http2TestClient data(int streamId, byte[] bytes, boolean endStream) {
    return frame(Http2Frame.TYPE_DATA, endStream ? Http2Frame.FLAG_END_STREAM : 0, streamId, bytes);
  }

  /** Sends DATA with ISO-8859-1 text. */
  public Http2TestClient data(int streamId, String text, boolean endStream) {
    return data(streamId, text.getBytes(StandardCharsets.ISO_8859_1), endStream);
  }

  /** Sends WINDOW_UPDATE. */
  public Http2TestClient windowUpdate(int streamId, int increment) {
    return send(b -> Http2FrameWriter.writeWindowUpdate(b, streamId, increment));
  }

  /** Sends RST_STREAM. */
  public Http2TestClient rst(int streamId, Http2ErrorCode code) {
    return send(b -> Http2FrameWriter.writeRstStream(b, streamId, code));
  }

  /** Sends PING. */
  public Http2TestClient ping(boolean ack, long data) {
    return send(b -> Http2FrameWriter.writePing(b, ack, data));
  }

  /** Sends GOAWAY. */
  public Http2TestClient goAway(int lastStreamId, Http2ErrorCode code) {
    return send(b -> Http2FrameWriter.writeGoAway(b, lastStreamId, code, new byte[0]));
  }

  /** Stops returning window for {@code streamId}: its DATA stays unacknowledged (a slow reader). */
  public void holdWindow(int streamId) {
    held.add(streamId);
  }

  /** Returns window for {@code streamId} again, granting {@code increment} now. */
  public void releaseWindow(int streamId, int increment) {
    held.remove(streamId);
    windowUpdate(streamId, increment);
  }

  private interface Writer {
    void write(IOBuffer b);
  }

  private Http2TestClient send(Writer w) {
    cont.lock().lock();
    try {
      w.write(out);
      write.reenable();
    } finally {
      cont.lock().unlock();
    }
    return this;
  }

  /** Every frame received so far, in order (CONTINUATION frames folded into their HEADERS). */
  public List<Frame> frames() {
    return List.copyOf(frames);
  }

  /** The frames of one type received so far. */
  public List<Frame> frames(int type) {
    return frames.stream().filter(f -> f.type() == type).toList();
  }

  /** The frames of one stream received so far. */
  public List<Frame> streamFrames(int streamId) {
    return frames.stream().filter(f -> f.streamId() == streamId).toList();
  }

  /** The GOAWAY received, or null. */
  public Frame goAwayFrame() {
    return frames.stream().filter(f -> f.type() == Http2Frame.TYPE_GOAWAY).findFirst().orElse(null);
  }

  /** Whether the server closed the connection. */
  public boolean eos() {
    return eos;
  }

  /** What stream {@code streamId} received so far. */
  public Response response(int streamId) {
    List<List<HeaderField>> interim = new ArrayList<>();
    List<HeaderField> head = null;
    List<HeaderField> trailers = null;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean ended = false;
    Http2ErrorCode reset = null;
    for (Frame f : streamFrames(streamId)) {
      switch (f.type()) {
        case Http2Frame.TYPE_HEADERS -> {
          String status = f.header(":status");
          if (head == null && status != null && status.startsWith("1")) {
            interim.add(f.headers());
          } else if (head == null) {
            head = f.headers();
          } else {
            trailers = f.headers();
          }
        }
        case Http2Frame.TYPE_DATA -> body.writeBytes(f.payload());
        case Http2Frame.TYPE_RST_STREAM -> reset = f.errorCode();
        default -> { }
      }
      ended |= f.endStream();
    }
    return new Response(interim, head, body.toByteArray(), trailers, ended, reset);
  }

  private void handle(Event event, Object data) {
    if (!(data instanceof VIO) || closed) {
      return;
    }
    if (data == read) {
      if (event == Event.READ_READY || event == Event.EOS) {
        parse();
      }
      if (event == Event.EOS || event == Event.ERROR) {
        eos = true;
      }
    }
  }

  private void parse() {
    while (inReader.readAvail() >= 9) {
      byte[] h = new byte[9];
      inReader.copyTo(h, 0, 9, 0);
      int len = (h[0] & 0xff) << 16 | (h[1] & 0xff) << 8 | (h[2] & 0xff);
      if (inReader.readAvail() < 9L + len) {
        return;
      }
      inReader.consume(9);
      byte[] payload = new byte[len];
      inReader.read(payload, 0, len);
      int type = h[3] & 0xff;
      int flags = h[4] & 0xff;
      int stream = readInt(h, 5) & 0x7fff_ffff;
      onFrame(type, flags, stream, payload);
    }
  }

  private void onFrame(int type, int flags, int stream, byte[] payload) {
    if (type == Http2Frame.TYPE_HEADERS || type == Http2Frame.TYPE_CONTINUATION) {
      if (type == Http2Frame.TYPE_HEADERS) {
        block = new ByteArrayOutputStream();
        blockType = type;
        blockFlags = flags;
        blockStream = stream;
      }
      if (block == null) {
        frames.add(new Frame(type, flags, stream, payload, null));
        return;
      }
      block.writeBytes(payload);
      if ((flags & Http2Frame.FLAG_END_HEADERS) != 0) {
        byte[] b = block.toByteArray();
        block = null;
        List<HeaderField> fields;
        try {
          fields = decoder.decode(b, 0, b.length).fields();
        } catch (HpackException e) {
          throw new IllegalStateException("the server sent a bad header block", e);
        }
        frames.add(new Frame(blockType, blockFlags, blockStream, b, fields));
      }
      return;
    }
    frames.add(new Frame(type, flags, stream, payload, null));
    if (type == Http2Frame.TYPE_SETTINGS && (flags & Http2Frame.FLAG_ACK) == 0 && autoAckSettings) {
      Http2FrameWriter.writeSettingsAck(out);
      write.reenable();
    }
    if (type == Http2Frame.TYPE_DATA && autoWindowUpdate && payload.length > 0) {
      Http2FrameWriter.writeWindowUpdate(out, 0, payload.length);
      if (!held.contains(stream) && (flags & Http2Frame.FLAG_END_STREAM) == 0) {
        Http2FrameWriter.writeWindowUpdate(out, stream, payload.length);
      }
      write.reenable();
    }
  }

  private static int readInt(byte[] b, int off) {
    return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
  }

  /** Closes the client's end and frees its buffers. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      vconn.close();
      inReader.free();
      in.close();
      outReader.free();
      out.close();
    }
  }

  /**
   * A scripted HTTP/1.1 server behind the session: {@link #connect} opens an in-process pair on the loop and serves
   * its passive end. Each arrival of request octets calls {@code respond} with everything received since the last
   * answer; a non-null result is written back as the response (then, if {@link #closeAfterResponse}, the connection is
   * closed once it is sent).
   */
  public static final class Backend implements Http2StreamConnector {
    private final EventLoop loop;
    private final BlockPool pool;
    private final Function<String, String> respond;
    /** Every pair opened, for leak checks. */
    public final List<VConnPair> pairs = new ArrayList<>();
    /** Every connection's received octets, in order. */
    public final List<StringBuilder> received = new ArrayList<>();
    /** Every connect call's (connectionId, clientAddress). */
    public final List<String> connects = new ArrayList<>();
    /** The server-side ends, in order. */
    public final List<Conn> conns = new ArrayList<>();
    /** Close each connection after its response was sent. */
    public boolean closeAfterResponse;
    /** Fail the next connect call (throw). */
    public boolean failConnect;
    /** Leave request octets unread (the in-process reader is slow) until {@link #resumeReading()}. */
    public boolean holdReading;

    /**
     * A backend on {@code loop}.
     *
     * @param loop the loop of the pairs
     * @param pool buffers
     * @param respond the script: request text so far to response text, or null to wait
     */
    public Backend(EventLoop loop, BlockPool pool, Function<String, String> respond) {
      this.loop = loop;
      this.pool = pool;
      this.respond = respond;
    }

    @Override
    public VConn connect(long connectionId, SocketAddress clientAddress) {
      connects.add(connectionId + " " + clientAddress);
      if (failConnect) {
        failConnect = false;
        throw new IllegalStateException("connect failed (scripted)");
      }
      VConnPair pair = VConnPair.open(loop, new VConnPair.Options("h2", connectionId, 8, 0, clientAddress));
      pairs.add(pair);
      StringBuilder sb = new StringBuilder();
      received.add(sb);
      conns.add(new Conn(pair.passive(), sb));
      return pair.active();
    }

    /** Whether every pair was freed (both ends closed). */
    public boolean allFreed() {
      return pairs.stream().allMatch(VConnPair::isFreed);
    }

    /** Reads what was held back by {@link #holdReading} and goes on reading. */
    public void resumeReading() {
      holdReading = false;
      for (Conn c : conns) {
        c.c.lock().lock();
        try {
          if (!c.done) {
            c.readAvailable();
            c.r.reenable();
          }
        } finally {
          c.c.lock().unlock();
        }
      }
    }

    /** Closes every server end. */
    public void closeAll() {
      conns.forEach(Conn::close);
    }

    /** One server end. */
    public final class Conn {
      final VConn vconn;
      final StringBuilder all;
      final StringBuilder pending = new StringBuilder();
      final IOBuffer cin = new IOBuffer(pool);
      final IOBufferReader cinReader = cin.allocReader();
      final IOBuffer cout = new IOBuffer(pool);
      final IOBufferReader coutReader = cout.allocReader();
      final Continuation c = new Continuation(this::handle);
      final WriteVio w;
      final ReadVio r;
      boolean closeWhenSent;
      boolean done;
      /** Whether the server end saw EOS or ERROR. */
      public boolean sawEnd;

      Conn(VConn vconn, StringBuilder all) {
        this.vconn = vconn;
        this.all = all;
        r = vconn.read(c, Long.MAX_VALUE, cin);
        w = vconn.write(c, Long.MAX_VALUE, coutReader);
      }

      /** Writes raw response octets now. */
      public void send(String text) {
        c.lock().lock();
        try {
          cout.write(text.getBytes(StandardCharsets.ISO_8859_1));
          w.reenable();
        } finally {
          c.lock().unlock();
        }
      }

      private void handle(Event event, Object data) {
        if (done) {
          return;
        }
        switch (event) {
          case READ_READY -> readAvailable();
          case WRITE_READY -> {
            if (closeWhenSent && coutReader.readAvail() == 0) {
              close();
            }
          }
          case EOS, ERROR -> {
            sawEnd = true;
            close();
          }
          default -> { }
        }
      }

      void readAvailable() {
        if (holdReading || cinReader.readAvail() == 0) {
          return;
        }
        byte[] b = new byte[(int) cinReader.readAvail()];
        cinReader.read(b, 0, b.length);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        all.append(s);
        pending.append(s);
        String answer = respond.apply(pending.toString());
        if (answer != null) {
          pending.setLength(0);
          cout.write(answer.getBytes(StandardCharsets.ISO_8859_1));
          w.reenable();
          if (closeAfterResponse) {
            closeWhenSent = true;
          }
        }
      }

      /** Closes this end and frees its buffers. */
      public void close() {
        if (!done) {
          done = true;
          vconn.close();
          cinReader.free();
          cin.close();
          coutReader.free();
          cout.close();
        }
      }
    }
  }
}
