package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bodies of one transaction (Traffic Server's {@code HttpTunnel}): producers and consumers joined by buffers
 * with VIO backpressure. Three flows, each a producer and a consumer:
 *
 * <ul>
 *   <li>request body: the client's bytes ({@link ClientSide#requestBytes()}) are decoded into the origin's request
 *       buffer, which the origin's write VIO drains;
 *   <li>response body: the origin's bytes are decoded into the client's sink ({@link ClientSide#sendResponseHead}),
 *       or through the transform chain (in-process pairs, one per {@link Transform}) and then into it;
 *   <li>blind: a {@link BlindTunnel} splices the client and a CONNECT target both ways.
 * </ul>
 *
 * <p>Each move goes only as far as the buffers on the way have space ({@link BodySink#space()}), and the VIO of a
 * side is reenabled only when bytes were added for it. The tunnel decides nothing: what ends or fails a flow goes
 * to its {@link Owner}, the transaction machine, which also delivers every event to it. Runs under the session lock.
 */
final class HttpTunnel {

  /** What the tunnel reports to the transaction machine. */
  interface Owner {
    /** The whole request body, with its end, is in the origin's request buffer. */
    void requestBodyEnded();

    /** The client's request body is malformed (400, or 431 for a trailer section over the limits). */
    void requestBodyBad(BadMessageException e);

    /** The client ended its stream in the middle of the request body. */
    void requestBodyCutShort();

    /** The whole response body, with its end, is in the client's sink. */
    void responseBodyEnded();

    /** The origin's response body is malformed or ended before its framing said. */
    void responseBodyBad(String reason);

    /** A transform's VConn reported something other than progress or its end. */
    void transformFailed(String reason);
  }

  private final HttpTransaction t;
  private final ClientSide client;
  private HttpProxyConfig config;
  private final Owner owner;
  private long bodyLimit;

  // Response body.
  private BodySink clientSink;
  private boolean responseEnded;

  // Transform chain: the body goes into the first pair and the result comes out of the last.
  private List<VConnPair> transformPairs;
  private BodySink transformSink;
  private IOBuffer transformInBuffer;
  private WriteVio transformInWrite;
  private boolean transformInEnded;
  private IOBuffer transformOutBuffer;
  private IOBufferReader transformOutReader;
  private ReadVio transformOutRead;
  private boolean transformOutEos;

  // Blind tunnel.
  private BlindTunnel blind;

  HttpTunnel(HttpTransaction t, ClientSide client, HttpProxyConfig config, Owner owner, long bodyLimit) {
    this.t = t;
    this.client = client;
    this.config = config;
    this.owner = owner;
    this.bodyLimit = bodyLimit;
  }

  /**
   * Forgets the previous transaction's flows, for the session's next transaction on the same machine (the previous
   * one ended: {@link #stopResponse} closed its transforms, and a blind tunnel ends the session).
   */
  void reset(HttpProxyConfig config, long bodyLimit) {
    this.config = config;
    this.bodyLimit = bodyLimit;
    clientSink = null;
    responseEnded = false;
    transformPairs = null;
    transformSink = null;
    transformInBuffer = null;
    transformInWrite = null;
    transformInEnded = false;
    transformOutBuffer = null;
    transformOutReader = null;
    transformOutRead = null;
    transformOutEos = false;
    blind = null;
  }

  // ------------------------------------------------------------------------------------------------ request body

  /** Moves request body bytes from the client to the origin's buffer as far as its space allows. */
  void pumpRequestBody() {
    // After an error response the rest of the body is not read: decoding a bad body again (on the client's EOS, say)
    // would answer a second time, which aborts the connection and loses the error response already queued.
    if (t.requestSink == null || t.requestBodyDone || t.errorSent) {
      return;
    }
    IOBufferReader source = client.requestBytes();
    long consumed;
    try {
      consumed = t.requestBody.decode(source, t.requestSink);
    } catch (BadMessageException e) {
      owner.requestBodyBad(e);
      return;
    }
    t.bytesIn += consumed;
    if (t.replayReader != null && t.replayReader.readAvail() > t.requestHeadBytes + bodyLimit) {
      t.dropReplay(); // a long body is not kept for a retry: it would pin every block of it
    }
    boolean progressed = consumed > 0;
    if (t.requestBody.isDone()) {
      // Request trailers go on as received, minus the fields that may not be trailers; the origin gets them only if
      // the request is forwarded chunked, which it is exactly when it came chunked (docs/http.md, "Trailers").
      // Only a chunked body has trailers: the others make no empty sections (null is none).
      t.clientRequestTrailers = t.requestBody.isChunkedFraming() ? t.requestBody.trailers() : null;
      t.requestSink.end(t.clientRequestTrailers == null ? null
          : ProxyHeaderRules.forwardedTrailers(t.clientRequestTrailers));
      t.requestBodyDone = true;
      progressed = true;
      owner.requestBodyEnded();
    } else if (client.requestBytesEnded() && source.readAvail() == 0) {
      owner.requestBodyCutShort();
      return;
    }
    // Only after adding bytes: reenabling a write whose buffer is empty gets WRITE_READY at once, which calls back
    // here, and the two would spin without ever letting the loop idle.
    if (progressed && t.originWrite != null) {
      t.originWrite.reenable();
    }
    client.wantRequestBytes();
  }

  // ------------------------------------------------------------------------------------------------ response body

  /**
   * Starts the response body into {@code sink}, through the transform chain if {@code transformed}; the transforms'
   * VIOs report to {@code transformCont}, whose events go to {@link #transformEvent}.
   */
  void startResponse(BodySink sink, boolean transformed, Continuation transformCont) {
    clientSink = sink;
    if (transformed) {
      startTransforms(transformCont);
    }
  }

  /** The response body is over (ended, truncated or given up): nothing more moves into the client's sink. */
  void stopResponse() {
    responseEnded = true;
    closeTransforms();
  }

  private void startTransforms(Continuation transformCont) {
    List<Continuation> transforms = t.transformsSnapshot();
    List<VConnPair> pairs = new ArrayList<>();
    VConnPair.Options options = new VConnPair.Options("transform", t.id, config.bufferIndex(), 0,
        client.clientAddress());
    for (int i = 0; i <= transforms.size(); i++) {
      pairs.add(VConnPair.open(client.eventLoop(), options));
    }
    transformPairs = pairs;
    transformInBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    IOBufferReader transformInReader = transformInBuffer.allocReader();
    transformSink = new BodySink(transformInBuffer, transformInReader, bodyLimit, false);
    transformInWrite = pairs.get(0).active().write(transformCont, Long.MAX_VALUE, transformInReader);
    transformOutBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    transformOutReader = transformOutBuffer.allocReader();
    transformOutRead = pairs.get(pairs.size() - 1).passive().read(transformCont, Long.MAX_VALUE, transformOutBuffer);
    for (int i = 0; i < transforms.size(); i++) {
      Continuation c = transforms.get(i);
      Transform stage = new Transform(t.handle, c, pairs.get(i).passive(), pairs.get(i + 1).active(),
          config.blockPool());
      ContinuationScheduler.dispatch(client.eventLoop(), c, Event.IMMEDIATE, stage);
    }
  }

  /** An event of the transform chain's first write or last read. */
  void transformEvent(Event event, VIO vio) {
    if (transformPairs == null || (vio != transformInWrite && vio != transformOutRead)) {
      return; // no chain, or an event of an earlier transaction's chain
    }
    switch (event) {
      case READ_READY, WRITE_READY -> pumpResponse();
      case EOS -> {
        transformOutEos = true;
        pumpResponse();
      }
      case WRITE_COMPLETE -> {
        // The whole body went into the first transform: tell it no more is coming.
        transformPairs.get(0).active().shutdown(ShutdownHow.WRITE);
        pumpResponse();
      }
      default -> owner.transformFailed("response transform failed: " + event + " on " + vio.op());
    }
  }

  /** Moves response bytes as far as the buffers on the way allow; called on every event that may unblock it. */
  void pumpResponse() {
    if (clientSink == null || responseEnded) {
      return;
    }
    OriginConnection c = t.originConn;
    BodySink firstSink = transformPairs == null ? clientSink : transformSink;
    boolean sourceDone = t.responseBody.isDone();
    long sinkBefore = firstSink.written();
    if (!sourceDone) {
      try {
        long consumed = t.responseBody.decode(c.reader, firstSink);
        if (t.originEos && c.reader.readAvail() == 0 && !t.responseBody.isDone()) {
          t.responseBody.endOfStream();
        }
        sourceDone = t.responseBody.isDone();
        if (!t.originEos && (consumed > 0 || !sourceDone)) {
          t.originRead.reenable(); // never after EOS: a reenable repeats EOS (semantics.md rule 3.4) and would spin
        }
      } catch (BadMessageException e) {
        owner.responseBodyBad("bad response body from origin: " + e.getMessage());
        return;
      }
    }
    // Write VIOs are reenabled only when bytes were added: this runs on their WRITE_READY, and a reenable with an
    // empty buffer answers WRITE_READY at once, so an unconditional one spins while the origin is slow.
    boolean added = firstSink.written() != sinkBefore;
    if (transformPairs == null) {
      if (added) {
        client.responseBytesAdded();
      }
      if (sourceDone) {
        endResponse();
      }
      return;
    }
    if (added) {
      transformInWrite.reenable();
    }
    if (sourceDone && !transformInEnded) {
      transformInEnded = true;
      transformInWrite.setNBytes(transformSink.written());
      transformInWrite.reenable();
    }
    long n = Math.min(transformOutReader.readAvail(), clientSink.space());
    if (n > 0) {
      clientSink.write(transformOutReader, n);
      client.responseBytesAdded();
    }
    if (!transformOutEos) {
      transformOutRead.reenable();
    }
    if (transformOutEos && transformOutReader.readAvail() == 0) {
      endResponse();
    }
  }

  private void endResponse() {
    responseEnded = true;
    HttpHeaders trailers = t.responseBody.isChunkedFraming() ? t.responseBody.trailers() : null; // null: none
    t.serverResponseTrailers = trailers;
    // Trailers reach the client only if it said it takes them (TE: trailers) and the body goes to it chunked; a
    // transformed body gets them after its last transformed byte (docs/http.md, "Trailers").
    boolean passTrailers = trailers != null && ProxyHeaderRules.acceptsTrailers(t.clientRequest.headers());
    clientSink.end(passTrailers ? ProxyHeaderRules.forwardedTrailers(trailers) : null);
    owner.responseBodyEnded();
  }

  private void closeTransforms() {
    if (transformPairs == null) {
      return;
    }
    List<VConnPair> pairs = transformPairs;
    transformPairs = null;
    pairs.get(0).active().close();
    pairs.get(pairs.size() - 1).passive().close();
    transformInBuffer.close();
    transformOutBuffer.close();
  }

  // ------------------------------------------------------------------------------------------------ blind tunnel

  /**
   * Splices the client to {@code target} both ways until both ends are done (docs/http.md, "Tunnels"); the bytes
   * each side already sent or has queued go first: what the client side queued for the client, then
   * {@code targetReadAhead} (bytes already read from the target, or null). {@code onEnd} gets the result once, under
   * the tunnel's lock.
   */
  void startBlind(ClientSide.TunnelEnd clientEnd, VConn target, IOBufferReader targetReadAhead,
      Consumer<BlindTunnel.Result> onEnd) {
    IOBuffer joined = null;
    IOBufferReader toClient = clientEnd.toClient();
    if (targetReadAhead != null && targetReadAhead.readAvail() > 0) {
      joined = new IOBuffer(config.blockPool(), config.bufferIndex());
      IOBufferReader joinedReader = joined.allocReader();
      for (IOBufferReader part : new IOBufferReader[] {toClient, targetReadAhead}) {
        long n = part.readAvail();
        joined.write(part, n);
        part.consume(n);
      }
      toClient = joinedReader;
    }
    try {
      blind = new BlindTunnel(clientEnd.vconn(), target, config.blockPool(), clientEnd.fromClient(), toClient,
          config.timeouts().inactivity(), onEnd);
    } finally {
      if (joined != null) {
        joined.close(); // the tunnel took the bytes at construction
      }
    }
    blind.start();
  }

  /** Whether a blind tunnel was started: it owns the CONNECT target's VConn then. */
  boolean isBlind() {
    return blind != null;
  }

  /** Stops every flow and frees what the tunnel holds (a blind tunnel closes both its VConns). Idempotent. */
  void close() {
    stopResponse();
    if (blind != null) {
      blind.close();
    }
  }
}
