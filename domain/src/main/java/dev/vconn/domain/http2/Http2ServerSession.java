package dev.vconn.domain.http2;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.BadMessageException;
import dev.vconn.domain.http.BodyDecoder;
import dev.vconn.domain.http.ChunkedEncoder;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http2.hpack.HeaderField;
import dev.vconn.domain.http2.hpack.HpackDecoder;
import dev.vconn.domain.http2.hpack.HpackEncoder;
import dev.vconn.domain.http2.hpack.HpackException;
import java.io.ByteArrayOutputStream;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP/2 server connection (RFC 9113) over any VConn: socket, TLS, in-process pair end. Each client stream
 * becomes one HTTP/1.1 transaction on an in-process connection opened with the {@link Http2StreamConnector} (or
 * reused from the session's idle pool); see docs/http2.md, "The session".
 *
 * <p>Flow control is VIO backpressure: a stream's request DATA is credited back to the client (WINDOW_UPDATE) only as
 * it moves into the in-process connection's write buffer, which its reader drains; a stream's response body is read
 * from its in-process connection only while the client's windows and the stream's buffer have room, so a slow reader
 * of one stream never stalls the others.
 *
 * <p>Threading: everything runs on the client connection's loop under the session's one lock (docs/threading.md);
 * the in-process connections' continuations share that lock, so their events are serialised with the client's even
 * if they arrive from another loop. The public methods are thread-safe and post to the loop. Timers (idle,
 * zero-window stall, closing linger) run on the loop's clock.
 */
public final class Http2ServerSession {

  /** The client connection preface (RFC 9113, section 3.4). */
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  /** How long a closing session waits for its last frames (GOAWAY) to reach the client before it closes anyway. */
  static final Duration CLOSE_LINGER = Duration.ofSeconds(5);

  /** Closed streams remembered per session to tell frames in flight after a reset from protocol errors. */
  static final int MAX_CLOSED_REMEMBERED = 1024;

  /** Idle in-process connections kept per session at most. */
  static final int MAX_IDLE_IN_PROCESS = 32;

  private static final Object START = new Object();
  private static final Object DRAIN = new Object();
  private static final Object CLOSE = new Object();

  private final VConn client;
  private final EventLoop loop;
  private final Http2StreamConnector connector;
  private final Http2Config config;
  private final BlockPool blockPool;
  private final long connectionId;
  private final SocketAddress clientAddress;
  private final ReentrantLock lock = new ReentrantLock();
  private final Continuation cont;
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private final Http2FrameParser parser;
  private final HpackDecoder decoder;
  private final HpackEncoder encoder = new HpackEncoder();
  private final HttpHeadParser headParser = new HttpHeadParser();
  private final HttpLimits limits = HttpLimits.defaults();

  /** The octets of {@code alreadyRead}, copied by {@link #start}, or null. */
  private byte[] alreadyRead;
  private IOBuffer in;
  private IOBufferReader inReader;
  private IOBuffer out;
  private IOBufferReader outReader;
  private ReadVio clientRead;
  private WriteVio clientWrite;

  private final Map<Integer, Stream> streams = new LinkedHashMap<>();
  private final ArrayDeque<InProc> idle = new ArrayDeque<>();
  private final List<InProc> inProcs = new ArrayList<>();
  private final ArrayDeque<Stream> sendQueue = new ArrayDeque<>();
  /** Recently closed streams: true if the server reset them (see {@link #rememberClosed}). */
  private final Map<Integer, Boolean> closedStreams = new LinkedHashMap<>();

  private boolean prefaceReceived;
  private boolean clientSettingsReceived;
  private boolean settingsAcked;
  private int lastStreamId;
  /** The last stream id named in the GOAWAY we sent, or -1. */
  private int goAwayLastStreamId = -1;
  private boolean peerGoneAway;
  private boolean draining;
  /** No more input is processed; the last frames are being flushed before the client connection closes. */
  private boolean closing;
  private boolean finished;
  private boolean inputPaused;
  private boolean inputActive;

  private long connRecvWindow = Http2Config.DEFAULT_WINDOW;
  private long connSendWindow = Http2Config.DEFAULT_WINDOW;
  private long peerInitialWindow = Http2Config.DEFAULT_WINDOW;
  private int peerMaxFrameSize = Http2FrameParser.MIN_MAX_FRAME_SIZE;

  /** The header block being collected from HEADERS and CONTINUATION frames. */
  private ByteArrayOutputStream headerBlock;
  private int headerBlockStream;
  private boolean headerBlockEndStream;
  private boolean headerBlockSelfDependent;

  private long floodWindowStart;
  private int resetsInWindow;
  private int settingsInWindow;
  private int pingsInWindow;
  private long lastFrameNanos;

  private Object idleToken;
  private ScheduledAction idleAction;
  private Object stallToken;
  private ScheduledAction stallAction;
  private long stallDeadline = Long.MAX_VALUE;
  private Object lingerToken;
  private ScheduledAction lingerAction;

  private Http2ServerSession(VConn client, IOBufferReader alreadyRead, Http2StreamConnector connector,
      Http2Config config, BlockPool blockPool, long connectionId, SocketAddress clientAddress) {
    this.client = Objects.requireNonNull(client, "client");
    this.loop = client.eventLoop();
    if (alreadyRead != null) {
      this.alreadyRead = new byte[(int) alreadyRead.readAvail()];
      alreadyRead.read(this.alreadyRead, 0, this.alreadyRead.length);
      alreadyRead.free();
    }
    this.connector = Objects.requireNonNull(connector, "connector");
    this.config = Objects.requireNonNull(config, "config");
    this.blockPool = Objects.requireNonNull(blockPool, "blockPool");
    this.connectionId = connectionId;
    this.clientAddress = clientAddress;
    this.cont = new Continuation(this::handleClient, lock);
    this.parser = new Http2FrameParser(config.maxHeaderBlockSize());
    // Until the client acknowledges our SETTINGS its encoder may use the protocol's 4096-octet table.
    int table = Math.max(4096, config.headerTableSize());
    this.decoder = new HpackDecoder(new HpackDecoder.Limits(table, config.maxHeaderListSize(),
        HpackDecoder.Limits.DEFAULT.maxStringLength(),
        Math.max(HpackDecoder.Limits.DEFAULT.maxDecodedSize(), config.maxHeaderListSize())));
  }

  /**
   * Starts serving. Takes ownership of {@code client}: the session closes it.
   *
   * @param client the client connection, open; the session posts its own read and write, replacing any VIO posted
   *     before (such as the read of an h2c preface detector)
   * @param alreadyRead octets already read from the client (the preface consumed by h2c detection, bytes read past a
   *     PROXY header), or null; the connection preface is expected at the start of these octets followed by the
   *     stream; {@code start} copies and consumes these octets and frees the reader before it returns (the caller
   *     closes the reader's buffer whenever it likes)
   * @param connector opens one in-process connection per stream
   * @param config settings and limits
   * @param blockPool the pool every buffer of the session comes from
   * @param connectionId the distinct number of this client connection ({@code piid} in the access log)
   * @param clientAddress the real client's address, or null
   * @return the running session
   */
  public static Http2ServerSession start(VConn client, IOBufferReader alreadyRead, Http2StreamConnector connector,
      Http2Config config, BlockPool blockPool, long connectionId, SocketAddress clientAddress) {
    Http2ServerSession s =
        new Http2ServerSession(client, alreadyRead, connector, config, blockPool, connectionId, clientAddress);
    ContinuationScheduler.dispatch(s.loop, s.cont, Event.IMMEDIATE, START);
    return s;
  }

  /** Graceful: GOAWAY NO_ERROR with the last stream id, in-flight streams finish, then close. Idempotent. */
  public void drain() {
    ContinuationScheduler.dispatch(loop, cont, Event.IMMEDIATE, DRAIN);
  }

  /** Aborts every stream and closes the connection now. Idempotent. */
  public void close() {
    if (loop.inEventLoop() && lock.tryLock()) {
      try {
        abortNow();
      } finally {
        lock.unlock();
      }
      return;
    }
    ContinuationScheduler.dispatch(loop, cont, Event.IMMEDIATE, CLOSE);
  }

  /**
   * Completes once the client connection and every stream's in-process VConn are closed and every buffer of the
   * session returned.
   *
   * @return the future, never failed
   */
  public CompletableFuture<Void> closed() {
    return closed;
  }

  /**
   * Streams currently open (for tests and stats): opened by the client and not yet closed.
   *
   * @return the number of streams not yet closed
   */
  public int openStreams() {
    lock.lock();
    try {
      return streams.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Idle in-process connections in the session's pool (for tests and stats).
   *
   * @return the number of pooled connections
   */
  public int idleInProcessConnections() {
    lock.lock();
    try {
      return idle.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The client connection's distinct number.
   *
   * @return the id passed to {@link #start}
   */
  public long connectionId() {
    return connectionId;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Client connection events

  private void handleClient(Event event, Object data) {
    if (finished) {
      return;
    }
    try {
      if (data == START) {
        begin();
      } else if (data == DRAIN) {
        drainNow();
      } else if (data == CLOSE) {
        abortNow();
      } else if (event == Event.TIMEOUT) {
        onTimer(data);
      } else if (data == clientRead && clientRead != null) {
        onClientRead(event);
      } else if (data == clientWrite && clientWrite != null) {
        onClientWrite(event);
      }
      flush();
    } catch (RuntimeException e) {
      // A bug must not leak the connection: fail it like an internal error.
      connectionError(Http2ErrorCode.INTERNAL_ERROR, "internal error: " + e);
      flush();
      throw e;
    }
  }

  private void begin() {
    in = new IOBuffer(blockPool);
    // The parser returns a frame once it is buffered whole: let the transport move the largest frame ahead of us.
    in.setWaterMark(config.maxFrameSize() + Http2FrameParser.FRAME_HEADER_LENGTH);
    inReader = in.allocReader();
    out = new IOBuffer(blockPool);
    outReader = out.allocReader();
    if (alreadyRead != null) {
      in.write(alreadyRead);
      alreadyRead = null;
    }
    lastFrameNanos = loop.nanoTime();
    floodWindowStart = lastFrameNanos;
    if (!client.isOpen()) {
      finish();
      return;
    }
    // The server's connection preface: SETTINGS first (RFC 9113, section 3.4), then the connection window.
    List<Http2Frame.Setting> settings = List.of(
        new Http2Frame.Setting(Http2Setting.HEADER_TABLE_SIZE, config.headerTableSize()),
        new Http2Frame.Setting(Http2Setting.ENABLE_PUSH, 0),
        new Http2Frame.Setting(Http2Setting.MAX_CONCURRENT_STREAMS, config.maxConcurrentStreams()),
        new Http2Frame.Setting(Http2Setting.INITIAL_WINDOW_SIZE, config.initialWindowSize()),
        new Http2Frame.Setting(Http2Setting.MAX_FRAME_SIZE, config.maxFrameSize()),
        new Http2Frame.Setting(Http2Setting.MAX_HEADER_LIST_SIZE, config.maxHeaderListSize()));
    Http2FrameWriter.writeSettings(out, settings);
    if (config.connectionWindowSize() > Http2Config.DEFAULT_WINDOW) {
      Http2FrameWriter.writeWindowUpdate(out, 0, config.connectionWindowSize() - Http2Config.DEFAULT_WINDOW);
      connRecvWindow = config.connectionWindowSize();
    }
    clientWrite = client.write(cont, Long.MAX_VALUE, outReader);
    clientRead = client.read(cont, Long.MAX_VALUE, in);
    armIdle();
    processInput();
  }

  private void onClientRead(Event event) {
    switch (event) {
      case READ_READY, READ_COMPLETE -> processInput();
      case EOS -> {
        processInput();
        if (!closing && !finished) {
          // The client sends no more: like a GOAWAY from it, the open streams are answered, then the session closes
          // (a client that closed altogether makes the next write fail, which aborts).
          clientRead = null;
          if (!prefaceReceived || headerBlock != null) {
            closeConnection(false);
            return;
          }
          peerGoneAway = true;
          maybeFinishDrain();
        }
      }
      case ERROR -> abortNow();
      default -> { }
    }
  }

  private void onClientWrite(Event event) {
    if (event == Event.ERROR) {
      abortNow();
      return;
    }
    if (closing) {
      if (outReader.readAvail() == 0) {
        finish();
      }
      return;
    }
    pumpSend();
    if (inputPaused && out.maxReadAvail() < outputPauseBound()) {
      inputPaused = false;
      processInput();
      if (clientRead != null) {
        clientRead.reenable();
      }
    }
  }

  private void flush() {
    if (clientWrite != null && out != null && !finished && outReader.readAvail() > 0) {
      clientWrite.reenable();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Input: preface and frames

  private void processInput() {
    if (inputActive) {
      return;
    }
    inputActive = true;
    try {
      while (!closing && !finished) {
        if (!prefaceReceived) {
          if (!checkPreface()) {
            return;
          }
          continue;
        }
        if (out.maxReadAvail() >= outputPauseBound()) {
          // The client does not read what we send (PING ACKs, SETTINGS ACKs, responses): stop reading from it.
          inputPaused = true;
          return;
        }
        Http2ParseResult r = parser.parse(inReader);
        if (r instanceof Http2ParseResult.NeedMore) {
          return;
        }
        lastFrameNanos = loop.nanoTime();
        if (r instanceof Http2ParseResult.ConnectionError ce) {
          connectionError(ce.code(), ce.message());
          return;
        }
        if (r instanceof Http2ParseResult.StreamError se) {
          streamError(se.streamId(), se.code());
          continue;
        }
        onFrame(((Http2ParseResult.Frame) r).frame());
      }
    } finally {
      inputActive = false;
      if (clientRead != null && !finished) {
        clientRead.reenable();
      }
    }
  }

  private long outputPauseBound() {
    return Math.max(256 * 1024, 4L * peerMaxFrameSize);
  }

  private boolean checkPreface() {
    int avail = (int) Math.min(inReader.readAvail(), PREFACE.length);
    for (int i = 0; i < avail; i++) {
      if (inReader.byteAt(i) != PREFACE[i]) {
        connectionError(Http2ErrorCode.PROTOCOL_ERROR, "invalid connection preface (RFC 9113, section 3.4)");
        return false;
      }
    }
    if (avail < PREFACE.length) {
      return false;
    }
    inReader.consume(PREFACE.length);
    prefaceReceived = true;
    return true;
  }

  private void onFrame(Http2Frame frame) {
    if (!clientSettingsReceived) {
      if (!(frame instanceof Http2Frame.Settings s) || s.ack()) {
        if (frame instanceof Http2Frame.Data) {
          parser.discardData(inReader);
        }
        connectionError(Http2ErrorCode.PROTOCOL_ERROR,
            "the client's connection preface must continue with SETTINGS (RFC 9113, section 3.4)");
        return;
      }
      clientSettingsReceived = true;
    }
    if (frame instanceof Http2Frame.Data d) {
      onData(d);
    } else if (frame instanceof Http2Frame.Headers h) {
      onHeaders(h);
    } else if (frame instanceof Http2Frame.Continuation c) {
      onContinuation(c);
    } else if (frame instanceof Http2Frame.RstStream r) {
      onRstStream(r);
    } else if (frame instanceof Http2Frame.Settings s) {
      onSettings(s);
    } else if (frame instanceof Http2Frame.PushPromise) {
      connectionError(Http2ErrorCode.PROTOCOL_ERROR, "a client sent PUSH_PROMISE (RFC 9113, section 8.4)");
    } else if (frame instanceof Http2Frame.Ping p) {
      onPing(p);
    } else if (frame instanceof Http2Frame.GoAway g) {
      onGoAway(g);
    } else if (frame instanceof Http2Frame.WindowUpdate w) {
      onWindowUpdate(w);
    }
    // PRIORITY frames are accepted and ignored (RFC 9113, section 5.3.2).
  }

  private boolean countFlood(int which) {
    long now = loop.nanoTime();
    if (now - floodWindowStart >= config.resetInterval().toNanos()) {
      floodWindowStart = now;
      resetsInWindow = 0;
      settingsInWindow = 0;
      pingsInWindow = 0;
    }
    boolean over = switch (which) {
      case 0 -> ++resetsInWindow > config.maxResetsPerInterval();
      case 1 -> ++settingsInWindow > config.maxSettingsPerInterval();
      default -> ++pingsInWindow > config.maxPingsPerInterval();
    };
    if (over) {
      String what = which == 0 ? "stream resets" : which == 1 ? "SETTINGS frames" : "PING frames";
      connectionError(Http2ErrorCode.ENHANCE_YOUR_CALM, "too many " + what + " per " + config.resetInterval());
    }
    return over;
  }

  private void onSettings(Http2Frame.Settings s) {
    if (s.ack()) {
      if (!settingsAcked) {
        settingsAcked = true;
        parser.setMaxFrameSize(config.maxFrameSize());
        decoder.setMaxTableSize(config.headerTableSize());
      }
      return;
    }
    if (countFlood(1)) {
      return;
    }
    for (Http2Frame.Setting setting : s.settings()) {
      switch (setting.setting()) {
        case HEADER_TABLE_SIZE -> encoder.setMaxTableSize((int) Math.min(Integer.MAX_VALUE, setting.value()));
        case INITIAL_WINDOW_SIZE -> {
          long delta = setting.value() - peerInitialWindow;
          peerInitialWindow = setting.value();
          for (Stream st : streams.values()) {
            st.sendWindow += delta;
            if (st.sendWindow > Http2FrameParser.MAX_WINDOW) {
              connectionError(Http2ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE makes stream "
                  + st.id + "'s window exceed 2^31-1 (RFC 9113, section 6.9.2)");
              return;
            }
          }
        }
        case MAX_FRAME_SIZE -> peerMaxFrameSize = (int) setting.value();
        default -> { }
      }
    }
    Http2FrameWriter.writeSettingsAck(out);
    pumpSend();
  }

  private void onPing(Http2Frame.Ping p) {
    if (p.ack() || countFlood(2)) {
      return;
    }
    Http2FrameWriter.writePing(out, true, p.opaqueData());
  }

  private void onGoAway(Http2Frame.GoAway g) {
    peerGoneAway = true;
    maybeFinishDrain();
  }

  private void onWindowUpdate(Http2Frame.WindowUpdate w) {
    if (w.streamId() == 0) {
      connSendWindow += w.increment();
      if (connSendWindow > Http2FrameParser.MAX_WINDOW) {
        connectionError(Http2ErrorCode.FLOW_CONTROL_ERROR,
            "WINDOW_UPDATE makes the connection window exceed 2^31-1 (RFC 9113, section 6.9.1)");
        return;
      }
      pumpSend();
      return;
    }
    Stream s = streams.get(w.streamId());
    if (s == null) {
      if (w.streamId() > lastStreamId) {
        connectionError(Http2ErrorCode.PROTOCOL_ERROR,
            "WINDOW_UPDATE on idle stream " + w.streamId() + " (RFC 9113, section 5.1)");
      }
      return;
    }
    s.sendWindow += w.increment();
    if (s.sendWindow > Http2FrameParser.MAX_WINDOW) {
      resetStream(s, Http2ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    pumpSend();
  }

  private void onRstStream(Http2Frame.RstStream r) {
    Stream s = streams.get(r.streamId());
    if (s == null && r.streamId() > lastStreamId) {
      connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "RST_STREAM on idle stream " + r.streamId() + " (RFC 9113, section 6.4)");
      return;
    }
    if (countFlood(0)) {
      return;
    }
    if (s != null) {
      s.resetByClient = true;
      closeStream(s, false);
    }
  }

  private void onData(Http2Frame.Data d) {
    int flow = d.flowControlledLength();
    connRecvWindow -= flow;
    if (connRecvWindow < 0) {
      parser.discardData(inReader);
      connectionError(Http2ErrorCode.FLOW_CONTROL_ERROR,
          "DATA exceeds the connection's flow control window (RFC 9113, section 6.9.1)");
      return;
    }
    Stream s = streams.get(d.streamId());
    if (s == null || s.remoteEnded) {
      parser.discardData(inReader);
      creditConnection(flow);
      if (s == null && d.streamId() > lastStreamId) {
        connectionError(Http2ErrorCode.PROTOCOL_ERROR,
            "DATA on idle stream " + d.streamId() + " (RFC 9113, section 5.1)");
      } else if (s != null) {
        resetStream(s, Http2ErrorCode.STREAM_CLOSED);
      } else if (d.streamId() > goAwayLastStreamIdOrMax() || Boolean.TRUE.equals(closedStreams.get(d.streamId()))) {
        // A stream we ignored after our GOAWAY (RFC 9113, section 6.8) or reset ourselves: frames the client sent
        // before it saw our RST_STREAM are ignored (RFC 9113, section 5.1, "closed").
        return;
      } else {
        writeRst(d.streamId(), Http2ErrorCode.STREAM_CLOSED);
      }
      return;
    }
    s.recvWindow -= flow;
    s.received += d.dataLength();
    Http2ErrorCode bad = null;
    if (s.recvWindow < 0) {
      bad = Http2ErrorCode.FLOW_CONTROL_ERROR;
    } else if (s.declaredLength >= 0 && (s.received > s.declaredLength
        || d.endStream() && s.received != s.declaredLength)) {
      bad = Http2ErrorCode.PROTOCOL_ERROR; // content-length and DATA disagree (RFC 9113, section 8.1.1)
    }
    if (bad != null || s.inProc == null || s.inProc.writeFailed) {
      parser.discardData(inReader);
      creditConnection(flow);
      if (bad != null) {
        resetStream(s, bad);
      } else {
        s.recvWindow += flow;
        creditStream(s, flow);
        s.remoteEnded |= d.endStream();
      }
      return;
    }
    parser.takeData(inReader, s.staging);
    int padding = flow - d.dataLength();
    if (padding > 0) {
      creditConnection(padding);
      s.recvWindow += padding;
      if (!d.endStream()) {
        creditStream(s, padding);
      }
    }
    if (d.endStream()) {
      s.remoteEnded = true;
    }
    pumpRequest(s);
  }

  private int goAwayLastStreamIdOrMax() {
    return goAwayLastStreamId < 0 ? Integer.MAX_VALUE : goAwayLastStreamId;
  }

  private void onHeaders(Http2Frame.Headers h) {
    headerBlock = new ByteArrayOutputStream(Math.max(64, h.fragment().length));
    headerBlock.writeBytes(h.fragment());
    headerBlockStream = h.streamId();
    headerBlockEndStream = h.endStream();
    headerBlockSelfDependent = h.dependsOnItself();
    if (h.endHeaders()) {
      headerBlockDone();
    }
  }

  private void onContinuation(Http2Frame.Continuation c) {
    if (headerBlock == null || c.streamId() != headerBlockStream) {
      connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "CONTINUATION without a header block to continue (RFC 9113, section 6.10)");
      return;
    }
    headerBlock.writeBytes(c.fragment());
    if (c.endHeaders()) {
      headerBlockDone();
    }
  }

  private void headerBlockDone() {
    byte[] block = headerBlock.toByteArray();
    headerBlock = null;
    int id = headerBlockStream;
    boolean endStream = headerBlockEndStream;
    HpackDecoder.HeaderList list;
    try {
      list = decoder.decode(block, 0, block.length);
    } catch (HpackException e) {
      connectionError(Http2ErrorCode.COMPRESSION_ERROR, "header block: " + e.getMessage());
      return;
    }
    if ((id & 1) == 0) {
      connectionError(Http2ErrorCode.PROTOCOL_ERROR,
          "HEADERS on even stream " + id + ": clients open odd streams (RFC 9113, section 5.1.1)");
      return;
    }
    Stream existing = streams.get(id);
    if (existing != null) {
      onTrailers(existing, list, endStream);
      return;
    }
    if (id <= lastStreamId) {
      Boolean resetBySelf = closedStreams.get(id);
      if (id > goAwayLastStreamIdOrMax() || Boolean.TRUE.equals(resetBySelf)) {
        return; // ignored after our GOAWAY or our RST_STREAM (RFC 9113, sections 6.8 and 5.1)
      }
      if (resetBySelf == null) {
        connectionError(Http2ErrorCode.PROTOCOL_ERROR, "HEADERS opening stream " + id + " after stream "
            + lastStreamId + ": new stream identifiers must increase (RFC 9113, section 5.1.1)");
      } else {
        connectionError(Http2ErrorCode.STREAM_CLOSED, "HEADERS on closed stream " + id + " (RFC 9113, section 5.1)");
      }
      return;
    }
    lastStreamId = id;
    if (goAwayLastStreamId >= 0) {
      return; // after our GOAWAY new streams are ignored (RFC 9113, section 6.8)
    }
    if (headerBlockSelfDependent) {
      writeRst(id, Http2ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (streams.size() >= config.maxConcurrentStreams()) {
      writeRst(id, Http2ErrorCode.REFUSED_STREAM);
      countFlood(0);
      return;
    }
    if (list.exceedsListLimit()) {
      // RFC 9113, section 10.5.1: answer 431 rather than tear the connection down.
      respondLocally(id, 431, endStream);
      return;
    }
    Http2Mapping.Request request;
    try {
      request = Http2Mapping.request(list.fields());
    } catch (Http2Mapping.MalformedException e) {
      writeRst(id, Http2ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (endStream && request.contentLength() > 0) {
      writeRst(id, Http2ErrorCode.PROTOCOL_ERROR); // content-length but no DATA (RFC 9113, section 8.1.1)
      return;
    }
    if (request.method().equals("CONNECT")) {
      respondLocally(id, 501, endStream); // tunnels over HTTP/2 streams are not mapped (docs/http2.md)
      return;
    }
    openStream(id, request, endStream);
  }

  private void onTrailers(Stream s, HpackDecoder.HeaderList list, boolean endStream) {
    if (s.remoteEnded) {
      resetStream(s, Http2ErrorCode.STREAM_CLOSED);
      return;
    }
    if (!endStream) {
      resetStream(s, Http2ErrorCode.PROTOCOL_ERROR); // a second HEADERS must end the stream (RFC 9113, 8.1)
      return;
    }
    HttpHeaders trailers;
    try {
      if (list.exceedsListLimit()) {
        throw new Http2Mapping.MalformedException("trailers exceed SETTINGS_MAX_HEADER_LIST_SIZE");
      }
      trailers = Http2Mapping.requestTrailers(list.fields());
    } catch (Http2Mapping.MalformedException e) {
      resetStream(s, Http2ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (s.declaredLength >= 0 && s.received != s.declaredLength) {
      resetStream(s, Http2ErrorCode.PROTOCOL_ERROR);
      return;
    }
    s.requestTrailers = trailers;
    s.remoteEnded = true;
    pumpRequest(s);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Streams

  private void openStream(int id, Http2Mapping.Request request, boolean endStream) {
    Stream s = new Stream(id, request.method());
    s.remoteEnded = endStream;
    s.declaredLength = request.contentLength();
    s.framing = Http2Mapping.framing(request, endStream);
    s.recvWindow = settingsAcked ? config.initialWindowSize()
        : Math.max(config.initialWindowSize(), Http2Config.DEFAULT_WINDOW);
    s.sendWindow = peerInitialWindow;
    streams.put(id, s);
    cancelIdle();
    InProc ip = idle.pollFirst();
    if (ip == null) {
      VConn vconn;
      try {
        vconn = connector.connect(connectionId, clientAddress);
      } catch (RuntimeException e) {
        vconn = null;
      }
      if (vconn == null || !vconn.isOpen()) {
        if (vconn != null) {
          vconn.close();
        }
        s.failed = true;
        sendLocalResponse(s, 502);
        return;
      }
      ip = new InProc(vconn);
      inProcs.add(ip);
    }
    ip.stream = s;
    s.inProc = ip;
    ip.reqOut.write(Http2Mapping.requestHead(request, s.framing));
    if (s.framing == Http2Mapping.Framing.CHUNKED) {
      s.chunked = new ChunkedEncoder(ip.reqOut);
    }
    s.requestWritten = s.framing == Http2Mapping.Framing.NONE;
    ip.write.reenable();
    feedResponse(s);
  }

  /** Moves request body octets from the stream's staging buffer into the in-process connection, as it drains. */
  private void pumpRequest(Stream s) {
    InProc ip = s.inProc;
    if (ip == null || s.closed) {
      return;
    }
    if (ip.writeFailed) {
      dropStaging(s);
      return;
    }
    long moved = 0;
    long room = config.streamBufferSize() - ip.reqOut.maxReadAvail();
    while (room > 0 && s.stagingReader.readAvail() > 0) {
      long n = Math.min(Math.min(room, s.stagingReader.readAvail()), 16 * 1024);
      if (s.chunked != null) {
        s.chunked.writeChunk(s.stagingReader, n);
      } else {
        ip.reqOut.write(s.stagingReader, n);
      }
      s.stagingReader.consume(n);
      moved += n;
      room -= n;
    }
    if (moved > 0) {
      s.recvWindow += moved;
      creditConnection(moved);
      if (!s.remoteEnded) {
        creditStream(s, moved);
      }
    }
    if (s.remoteEnded && !s.requestWritten && s.stagingReader.readAvail() == 0) {
      if (s.chunked != null) {
        if (s.requestTrailers != null) {
          s.chunked.writeLastChunk(s.requestTrailers);
        } else {
          s.chunked.writeLastChunk();
        }
      }
      s.requestWritten = true;
      moved++;
    }
    if (moved > 0) {
      ip.write.reenable();
    }
    maybeComplete(s);
  }

  private void dropStaging(Stream s) {
    long n = s.stagingReader.readAvail();
    if (n > 0) {
      s.stagingReader.consume(n);
      creditConnection(n);
      s.recvWindow += n;
    }
  }

  private void creditConnection(long n) {
    if (n <= 0) {
      return;
    }
    connRecvWindow += n;
    if (!closing) {
      Http2FrameWriter.writeWindowUpdate(out, 0, (int) n);
    }
  }

  private void creditStream(Stream s, long n) {
    if (n > 0 && !closing && !s.closed) {
      Http2FrameWriter.writeWindowUpdate(out, s.id, (int) n);
    }
  }

  /** Reads the in-process connection's response into the stream: heads become HEADERS, the body is buffered. */
  private void feedResponse(Stream s) {
    InProc ip = s.inProc;
    if (ip == null || s.closed || s.failed) {
      return;
    }
    long consumed = 0;
    try {
      while (s.decoder == null) {
        HttpHeadParser.Result<HttpResponseHead> r = headParser.parseResponse(ip.respInReader);
        if (r instanceof HttpHeadParser.NeedMore<HttpResponseHead>) {
          if (ip.eos) {
            inProcFailed(s, "the in-process connection ended before a response head");
          }
          return;
        }
        if (r instanceof HttpHeadParser.Rejected<HttpResponseHead> rej) {
          inProcFailed(s, "bad response head: " + rej.reason());
          return;
        }
        HttpHeadParser.Parsed<HttpResponseHead> p = (HttpHeadParser.Parsed<HttpResponseHead>) r;
        consumed += p.headBytes();
        HttpResponseHead head = p.head();
        if (head.status() == 101) {
          inProcFailed(s, "101 Switching Protocols cannot be carried on an HTTP/2 stream (RFC 9113, section 8.6)");
          return;
        }
        if (head.isInformational()) {
          writeHeaders(s, Http2Mapping.responseFields(head), false);
          continue;
        }
        s.responseHead = head;
        s.decoder = BodyDecoder.forResponse(s.method, head, limits);
        boolean noBody = s.decoder.isDone();
        if (noBody) {
          s.responseComplete = true;
        }
        writeHeaders(s, Http2Mapping.responseFields(head), noBody);
        s.headersSent = true;
        if (noBody) {
          s.localEnded = true;
          maybeComplete(s);
          return;
        }
      }
      while (!s.responseComplete) {
        long space = config.streamBufferSize() - s.respBody.maxReadAvail();
        if (space <= 0) {
          break;
        }
        long before = ip.respInReader.readAvail();
        s.decoder.decode(ip.respInReader, new BodyDecoder.Target() {
          @Override
          public long space() {
            return config.streamBufferSize() - s.respBody.maxReadAvail();
          }

          @Override
          public void write(IOBufferReader from, long n) {
            s.respBody.write(from, n);
            from.consume(n);
          }
        });
        long used = before - ip.respInReader.readAvail();
        consumed += used;
        if (s.decoder.isDone()) {
          s.responseComplete = true;
          s.responseTrailers = s.decoder.trailers();
          break;
        }
        if (ip.eos && ip.respInReader.readAvail() == 0) {
          s.decoder.endOfStream();
          s.responseComplete = true;
          break;
        }
        if (used == 0) {
          break;
        }
      }
    } catch (BadMessageException e) {
      inProcFailed(s, "bad response body: " + e.getMessage());
      return;
    } finally {
      if (consumed > 0 && ip.read != null) {
        ip.read.reenable();
      }
    }
    if (s.respBody.maxReadAvail() > 0 || s.responseComplete) {
      queueSend(s);
    }
  }

  private void queueSend(Stream s) {
    if (!s.queued && !s.closed) {
      s.queued = true;
      sendQueue.addLast(s);
    }
  }

  /** Writes response DATA of every stream while the client's windows and the output bound allow, round robin. */
  private void pumpSend() {
    if (closing || finished || sendQueue.isEmpty()) {
      return;
    }
    long outBound = Math.max(64 * 1024, 2L * (peerMaxFrameSize + Http2FrameParser.FRAME_HEADER_LENGTH));
    boolean progress = true;
    while (progress && !sendQueue.isEmpty() && out.maxReadAvail() < outBound) {
      progress = false;
      int rounds = sendQueue.size();
      for (int i = 0; i < rounds && out.maxReadAvail() < outBound; i++) {
        Stream s = sendQueue.pollFirst();
        s.queued = false;
        if (s.closed) {
          continue;
        }
        long avail = s.respBody.maxReadAvail();
        if (avail > 0) {
          long n = Math.min(Math.min(avail, peerMaxFrameSize), Math.min(s.sendWindow, connSendWindow));
          if (n <= 0) {
            if (s.stallSince < 0) {
              s.stallSince = loop.nanoTime();
              armStall(s.stallSince + config.zeroWindowTimeout().toNanos());
            }
            queueSend(s);
            continue;
          }
          s.stallSince = -1;
          boolean last = n == avail && s.responseComplete && s.responseTrailers.isEmpty();
          Http2FrameWriter.writeData(out, s.id, last, s.respBodyReader, (int) n, peerMaxFrameSize);
          s.sendWindow -= n;
          connSendWindow -= n;
          progress = true;
          if (last) {
            s.localEnded = true;
            maybeComplete(s);
            continue;
          }
          feedResponse(s);
          queueSend(s);
          continue;
        }
        if (s.responseComplete && !s.localEnded) {
          if (!s.responseTrailers.isEmpty()) {
            writeHeaders(s, Http2Mapping.responseTrailers(s.responseTrailers), true);
          } else {
            Http2FrameWriter.writeFrameHeader(out, 0, Http2Frame.TYPE_DATA, Http2Frame.FLAG_END_STREAM, s.id);
          }
          s.localEnded = true;
          progress = true;
          maybeComplete(s);
        }
      }
    }
  }

  private void writeHeaders(Stream s, List<HeaderField> fields, boolean endStream) {
    Http2FrameWriter.writeHeaders(out, s.id, endStream, encoder.encode(fields), peerMaxFrameSize);
  }

  /** A response the session makes itself, on a stream that reaches no in-process connection. */
  private void respondLocally(int id, int status, boolean requestEnded) {
    List<HeaderField> fields = List.of(new HeaderField(":status", Integer.toString(status)),
        new HeaderField("content-length", "0"));
    Http2FrameWriter.writeHeaders(out, id, true, encoder.encode(fields), peerMaxFrameSize);
    if (!requestEnded) {
      writeRst(id, Http2ErrorCode.NO_ERROR); // the response is complete; the request body is not wanted (8.1)
    }
  }

  private void sendLocalResponse(Stream s, int status) {
    List<HeaderField> fields = List.of(new HeaderField(":status", Integer.toString(status)),
        new HeaderField("content-length", "0"));
    writeHeaders(s, fields, true);
    s.headersSent = true;
    s.localEnded = true;
    s.responseComplete = true;
    maybeComplete(s);
  }

  /** The in-process side failed: 502 if nothing was sent yet, else RST_STREAM INTERNAL_ERROR. */
  private void inProcFailed(Stream s, String why) {
    s.failed = true;
    if (!s.headersSent && !s.localEnded) {
      closeInProc(s, true);
      sendLocalResponse(s, 502);
    } else {
      resetStream(s, Http2ErrorCode.INTERNAL_ERROR);
    }
  }

  private void maybeComplete(Stream s) {
    if (s.closed || !s.localEnded) {
      return;
    }
    if (!s.remoteEnded) {
      // RFC 9113, section 8.1: the response is complete, the rest of the request is not needed.
      writeRst(s.id, Http2ErrorCode.NO_ERROR);
      closeStream(s, false);
      return;
    }
    closeStream(s, false);
  }

  private void streamError(int id, Http2ErrorCode code) {
    Stream s = streams.get(id);
    if (s != null) {
      resetStream(s, code);
    } else {
      writeRst(id, code);
    }
  }

  private void resetStream(Stream s, Http2ErrorCode code) {
    writeRst(s.id, code);
    s.failed = true;
    closeStream(s, true);
  }

  private void writeRst(int id, Http2ErrorCode code) {
    rememberClosed(id, true);
    if (!closing && !finished) {
      Http2FrameWriter.writeRstStream(out, id, code);
    }
  }

  /** Closes a stream: frees its buffers, returns its in-process connection to the pool or closes it. */
  private void closeStream(Stream s, boolean abortInProc) {
    if (s.closed) {
      return;
    }
    s.closed = true;
    streams.remove(s.id);
    rememberClosed(s.id, false);
    long held = s.stagingReader.readAvail();
    if (held > 0) {
      s.stagingReader.consume(held);
      creditConnection(held);
    }
    InProc ip = s.inProc;
    if (ip != null) {
      boolean reusable = !abortInProc && !s.failed && !s.resetByClient && s.responseComplete && s.requestWritten
          && s.decoder != null && !s.decoder.isCloseDelimited() && s.responseHead != null
          && Http2Mapping.keepAlive(s.responseHead) && !ip.eos && !ip.writeFailed
          && ip.respInReader.readAvail() == 0 && ip.reqOutReader.readAvail() == 0 && ip.vconn.isOpen()
          && !draining && idle.size() < Math.min(MAX_IDLE_IN_PROCESS, config.maxConcurrentStreams());
      if (reusable) {
        ip.stream = null;
        s.inProc = null;
        idle.addLast(ip);
      } else {
        closeInProc(s, abortInProc || s.resetByClient || s.failed);
      }
    }
    s.free();
    if (streams.isEmpty()) {
      armIdle();
    }
    maybeFinishDrain();
  }

  /**
   * Remembers a closed stream (bounded: the oldest are forgotten): whether the server reset it, so the client's
   * frames in flight are ignored, or it closed otherwise.
   */
  private void rememberClosed(int id, boolean resetBySelf) {
    if (resetBySelf) {
      closedStreams.put(id, Boolean.TRUE);
    } else {
      closedStreams.putIfAbsent(id, Boolean.FALSE);
    }
    if (closedStreams.size() > MAX_CLOSED_REMEMBERED) {
      Iterator<Integer> oldest = closedStreams.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  private void closeInProc(Stream s, boolean abort) {
    InProc ip = s.inProc;
    if (ip == null) {
      return;
    }
    s.inProc = null;
    ip.stream = null;
    releaseInProc(ip, abort);
  }

  private void releaseInProc(InProc ip, boolean abort) {
    idle.remove(ip);
    inProcs.remove(ip);
    if (abort) {
      ip.vconn.abort(Errno.ECONNRESET, new java.io.IOException("HTTP/2 stream reset"));
    } else {
      ip.vconn.close();
    }
    ip.free();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // In-process connection events

  private void handleInProc(InProc ip, Event event, Object data) {
    if (finished || ip.freed) {
      return;
    }
    try {
      Stream s = ip.stream;
      if (data == ip.write) {
        if (event == Event.ERROR) {
          ip.writeFailed = true;
          if (s != null) {
            dropStaging(s);
            feedResponse(s);
          }
        } else if (s != null) {
          pumpRequest(s);
        }
      } else if (data == ip.read) {
        switch (event) {
          case READ_READY, READ_COMPLETE -> {
            if (s == null) {
              releaseInProc(ip, false); // an idle connection must say nothing
            } else {
              feedResponse(s);
            }
          }
          case EOS -> {
            ip.eos = true;
            if (s == null) {
              releaseInProc(ip, false);
            } else {
              feedResponse(s);
            }
          }
          case ERROR -> {
            ip.eos = true;
            if (s == null) {
              releaseInProc(ip, false);
            } else if (!s.responseComplete) {
              inProcFailed(s, "the in-process connection failed: " + ip.vconn.error());
            }
          }
          default -> { }
        }
      }
      pumpSend();
      flush();
    } catch (RuntimeException e) {
      connectionError(Http2ErrorCode.INTERNAL_ERROR, "internal error: " + e);
      flush();
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Timers

  private void armIdle() {
    if (closing || finished) {
      return;
    }
    cancelIdle();
    long remaining = lastFrameNanos + config.idleTimeout().toNanos() - loop.nanoTime();
    idleToken = new Object();
    idleAction = ContinuationScheduler.schedule(loop, cont, Event.TIMEOUT, idleToken,
        Duration.ofNanos(Math.max(1, remaining)));
  }

  private void cancelIdle() {
    if (idleAction != null) {
      idleAction.cancel();
      idleAction = null;
    }
    idleToken = null;
  }

  private void armStall(long deadline) {
    if (stallAction != null && stallDeadline <= deadline) {
      return;
    }
    if (stallAction != null) {
      stallAction.cancel();
    }
    stallDeadline = deadline;
    stallToken = new Object();
    stallAction = ContinuationScheduler.schedule(loop, cont, Event.TIMEOUT, stallToken,
        Duration.ofNanos(Math.max(1, deadline - loop.nanoTime())));
  }

  private void onTimer(Object token) {
    if (token == null) {
      return;
    }
    if (token == idleToken) {
      idleAction = null;
      idleToken = null;
      if (!streams.isEmpty()) {
        return;
      }
      if (loop.nanoTime() - lastFrameNanos >= config.idleTimeout().toNanos()) {
        goAway(Http2ErrorCode.NO_ERROR, "idle timeout");
        closeConnection(true);
      } else {
        armIdle();
      }
    } else if (token == stallToken) {
      stallAction = null;
      stallToken = null;
      stallDeadline = Long.MAX_VALUE;
      onStallCheck();
    } else if (token == lingerToken) {
      lingerAction = null;
      finish();
    }
  }

  private void onStallCheck() {
    long now = loop.nanoTime();
    long timeout = config.zeroWindowTimeout().toNanos();
    long next = Long.MAX_VALUE;
    boolean connectionStalled = false;
    for (Stream s : List.copyOf(streams.values())) {
      if (s.stallSince < 0) {
        continue;
      }
      if (s.sendWindow > 0 && connSendWindow > 0) {
        s.stallSince = -1;
        continue;
      }
      if (now - s.stallSince >= timeout) {
        if (s.sendWindow <= 0) {
          resetStream(s, Http2ErrorCode.FLOW_CONTROL_ERROR);
        } else {
          connectionStalled = true;
        }
      } else {
        next = Math.min(next, s.stallSince + timeout);
      }
    }
    if (connectionStalled) {
      connectionError(Http2ErrorCode.FLOW_CONTROL_ERROR,
          "the client kept the connection's flow control window at zero for " + config.zeroWindowTimeout());
      return;
    }
    if (next != Long.MAX_VALUE) {
      armStall(next);
    }
    pumpSend();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Connection end

  private void goAway(Http2ErrorCode code, String debug) {
    if (goAwayLastStreamId >= 0 && code == Http2ErrorCode.NO_ERROR) {
      return;
    }
    goAwayLastStreamId = lastStreamId;
    Http2FrameWriter.writeGoAway(out, lastStreamId, code,
        debug == null ? new byte[0] : debug.getBytes(StandardCharsets.ISO_8859_1));
  }

  private void drainNow() {
    if (closing || finished) {
      return;
    }
    draining = true;
    if (out != null) {
      goAway(Http2ErrorCode.NO_ERROR, null);
    }
    maybeFinishDrain();
  }

  private void maybeFinishDrain() {
    if ((draining || peerGoneAway) && streams.isEmpty() && !closing && !finished) {
      if (out != null && goAwayLastStreamId < 0) {
        goAway(Http2ErrorCode.NO_ERROR, null);
      }
      closeConnection(true);
    }
  }

  private void connectionError(Http2ErrorCode code, String message) {
    if (closing || finished || out == null) {
      return;
    }
    goAwayLastStreamId = -1;
    goAway(code, message);
    closeConnection(true);
  }

  /** Stops reading, aborts every stream, flushes what is queued for the client (when asked) and closes. */
  private void closeConnection(boolean flushFirst) {
    if (closing || finished) {
      return;
    }
    closing = true;
    cancelIdle();
    if (stallAction != null) {
      stallAction.cancel();
      stallAction = null;
    }
    abortStreams();
    if (clientRead != null) {
      clientRead.cancel();
    }
    if (!flushFirst || clientWrite == null || outReader.readAvail() == 0 || !client.isOpen()
        || client.isWriteShutdown()) {
      finish();
      return;
    }
    lingerToken = new Object();
    lingerAction = ContinuationScheduler.schedule(loop, cont, Event.TIMEOUT, lingerToken, CLOSE_LINGER);
    clientWrite.reenable();
  }

  private void abortNow() {
    if (finished) {
      return;
    }
    closing = true;
    abortStreams();
    finish();
  }

  private void abortStreams() {
    for (Stream s : List.copyOf(streams.values())) {
      s.failed = true;
      closeStream(s, true);
    }
    for (InProc ip : List.copyOf(inProcs)) {
      releaseInProc(ip, false);
    }
    sendQueue.clear();
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    closing = true;
    cancelIdle();
    if (stallAction != null) {
      stallAction.cancel();
      stallAction = null;
    }
    if (lingerAction != null) {
      lingerAction.cancel();
      lingerAction = null;
    }
    for (Stream s : List.copyOf(streams.values())) {
      s.failed = true;
      closeStream(s, true);
    }
    for (InProc ip : List.copyOf(inProcs)) {
      releaseInProc(ip, false);
    }
    client.close();
    clientRead = null;
    clientWrite = null;
    alreadyRead = null;
    if (in != null) {
      inReader.free();
      in.close();
      outReader.free();
      out.close();
      in = null;
      out = null;
    }
    closed.complete(null);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  /** One client stream (RFC 9113, section 5.1): open, half-closed (remote) or closed (then removed). */
  private final class Stream {
    final int id;
    final String method;
    long recvWindow;
    long sendWindow;
    long declaredLength = -1;
    long received;
    boolean remoteEnded;
    boolean localEnded;
    boolean closed;
    boolean failed;
    boolean resetByClient;
    boolean queued;
    long stallSince = -1;
    InProc inProc;
    // request direction
    Http2Mapping.Framing framing;
    ChunkedEncoder chunked;
    HttpHeaders requestTrailers;
    boolean requestWritten;
    final IOBuffer staging;
    final IOBufferReader stagingReader;
    // response direction
    HttpResponseHead responseHead;
    BodyDecoder decoder;
    boolean headersSent;
    boolean responseComplete;
    HttpHeaders responseTrailers = new HttpHeaders();
    final IOBuffer respBody;
    final IOBufferReader respBodyReader;
    private boolean freed;

    Stream(int id, String method) {
      this.id = id;
      this.method = method;
      staging = new IOBuffer(blockPool);
      stagingReader = staging.allocReader();
      respBody = new IOBuffer(blockPool);
      respBodyReader = respBody.allocReader();
    }

    void free() {
      if (freed) {
        return;
      }
      freed = true;
      stagingReader.free();
      staging.close();
      respBodyReader.free();
      respBody.close();
    }
  }

  /** An in-process connection: the request goes out through {@code reqOut}, the response comes in {@code respIn}. */
  private final class InProc {
    final VConn vconn;
    final Continuation inProcCont;
    final IOBuffer reqOut;
    final IOBufferReader reqOutReader;
    final IOBuffer respIn;
    final IOBufferReader respInReader;
    final WriteVio write;
    final ReadVio read;
    Stream stream;
    boolean eos;
    boolean writeFailed;
    boolean freed;

    InProc(VConn vconn) {
      this.vconn = vconn;
      this.inProcCont = Continuation.sharingLockWith(cont, (e, d) -> handleInProc(this, e, d));
      reqOut = new IOBuffer(blockPool);
      reqOutReader = reqOut.allocReader();
      respIn = new IOBuffer(blockPool);
      // The head parser needs a whole response head buffered (docs/semantics.md, rule 3.5 bounds the read-ahead).
      respIn.setWaterMark(limits.maxHeaderBytes() + 1L);
      respInReader = respIn.allocReader();
      write = vconn.write(inProcCont, Long.MAX_VALUE, reqOutReader);
      read = vconn.read(inProcCont, Long.MAX_VALUE, respIn);
    }

    void free() {
      if (freed) {
        return;
      }
      freed = true;
      reqOutReader.free();
      reqOut.close();
      respInReader.free();
      respIn.close();
    }
  }

  @Override
  public String toString() {
    return "Http2ServerSession[id=" + connectionId + ", streams=" + streams.size() + "]";
  }
}
