package dev.vconn.plugin.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.ChunkedEncoder;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpRequestHead;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpStatus;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one intercepted transaction ({@link HttpTxn#intercept}, Traffic Server's
 * {@code TSHttpTxnServerIntercept}): on NET_ACCEPT it reads the request the proxy forwards (head, then the body by
 * its Content-Length or chunked framing), asks an {@link InterceptHandler} for the response, writes it as HTTP/1.1
 * (Content-Length for a whole body and for a {@link BodySource} of declared length, chunked for one without) and
 * closes the VConn once everything was taken (WRITE_COMPLETE). A source of declared length is held to it (see
 * {@link InterceptResponse}): the body stops at the length, and a source that ends early leaves the body short, so
 * the proxy sees the connection close before the end of the body.
 *
 * <p>All events arrive on one continuation, so the VIO events and the handler's later answer (re-dispatched to the
 * VConn's loop) never run at the same time. A streamed body is produced only as the proxy takes it: at most
 * {@value #MAX_PENDING} bytes wait in the write buffer, and each WRITE_READY tops them up. The source fills one
 * scratch array per thread, copied into the write buffer before the next source runs.
 */
public final class InterceptServer implements EventHandler {
  private static final Logger LOG = LoggerFactory.getLogger(InterceptServer.class);
  /** How much of a streamed body may wait to be taken by the proxy. */
  static final long MAX_PENDING = 64 * 1024;
  private static final int CHUNK = 16 * 1024;
  /**
   * What a {@link BodySource} fills: one per thread, since its bytes are copied into the write buffer before
   * {@link #pump()} returns (a fresh 16 KiB array per response was a third of the bytes vconn-server allocated).
   */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[CHUNK]);

  /** What the handler's stage completed with, carried to the loop. */
  private record Answer(InterceptResponse response, Throwable failure) {}

  private final InterceptHandler handler;
  private final BlockPool pool;
  private final HttpHeadParser parser;
  private final long maxBody;
  private Continuation self;

  private VConn vconn;
  private IOBuffer in;
  private IOBufferReader inReader;
  private IOBuffer out;
  private IOBufferReader outReader;
  private ReadVio read;
  private WriteVio write;
  private HttpRequestHead head;
  private BodyReader body;
  private final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
  private boolean requestDone;
  private BodySource source;
  /** The chunk encoder of a streamed body without a declared length, else null. */
  private ChunkedEncoder chunks;
  /** How much of a streamed body of declared length is still to come. */
  private long left;
  private boolean closed;

  private InterceptServer(InterceptHandler handler, BlockPool pool, HttpLimits limits, long maxBody) {
    this.handler = Objects.requireNonNull(handler, "handler");
    this.pool = Objects.requireNonNull(pool, "pool");
    // The forwarded head may be a little longer than what the client sent: the proxy adds a Via field.
    this.parser = new HttpHeadParser(new HttpLimits(limits.maxRequestLineBytes(), limits.maxHeaderBytes() + 1024,
        limits.maxHeaderCount() + 1));
    this.maxBody = maxBody;
  }

  /**
   * A continuation to pass to {@link HttpTxn#intercept}: one per transaction.
   *
   * @param handler answers the request
   * @param pool where the buffers come from (the transport's pool)
   * @param limits the proxy's head limits (the forwarded head fits them, plus the proxy's Via field)
   * @param maxBody the largest request body accepted; a larger one is answered with 413
   * @return the server continuation
   */
  public static Continuation continuation(InterceptHandler handler, BlockPool pool, HttpLimits limits,
      long maxBody) {
    InterceptServer server = new InterceptServer(handler, pool, limits, maxBody);
    server.self = new Continuation(server);
    return server.self;
  }

  @Override
  public void handle(Event event, Object data) {
    if (closed) {
      return;
    }
    try {
      switch (event) {
        case NET_ACCEPT -> {
          if (data instanceof VConn v) {
            start(v);
          }
        }
        case IMMEDIATE -> {
          if (data instanceof Answer a) {
            answered(a);
          }
        }
        case READ_READY -> readRequest();
        case EOS -> {
          // The proxy closes its end only when the transaction is over (or aborted): nobody is left to answer.
          readRequest();
          if (!closed) {
            close();
          }
        }
        case WRITE_READY -> pump();
        case WRITE_COMPLETE -> close();
        default -> {
          if (data instanceof VIO) {
            close(); // ERROR or a timeout: the transaction is going away
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("intercept failed; closing it", e);
      close();
    }
  }

  private void start(VConn v) {
    vconn = v;
    in = new IOBuffer(pool);
    inReader = in.allocReader();
    // A forwarded head larger than one block must still fit before any of it can be consumed.
    in.setWaterMark(parser.limits().maxHeaderBytes() + 1L);
    out = new IOBuffer(pool);
    outReader = out.allocReader();
    read = vconn.read(self, Long.MAX_VALUE, in);
  }

  private void readRequest() {
    if (requestDone) {
      inReader.consume(inReader.readAvail()); // nothing more is expected; keep reading to notice the close
      return;
    }
    if (head == null) {
      HttpHeadParser.Result<HttpRequestHead> r = parser.parseRequest(inReader);
      if (r instanceof HttpHeadParser.Rejected<HttpRequestHead> rejected) {
        finishRequest(InterceptResponse.error(rejected.status(), rejected.reason()));
        return;
      }
      if (!(r instanceof HttpHeadParser.Parsed<HttpRequestHead> parsed)) {
        read.reenable();
        return;
      }
      head = parsed.head();
      try {
        body = BodyReader.forRequest(head.headers());
      } catch (BodyReader.BadBodyException e) {
        finishRequest(InterceptResponse.error(400, e.getMessage()));
        return;
      }
    }
    boolean done;
    try {
      done = body.read(inReader, bodyBytes);
    } catch (BodyReader.BadBodyException e) {
      finishRequest(InterceptResponse.error(400, e.getMessage()));
      return;
    }
    if (bodyBytes.size() > maxBody) {
      finishRequest(InterceptResponse.error(413, "request body larger than " + maxBody + " bytes"));
      return;
    }
    if (!done) {
      read.reenable();
      return;
    }
    requestDone = true;
    InterceptRequest request = new InterceptRequest(head, bodyBytes.toByteArray(), vconn.remoteAddress());
    CompletionStage<InterceptResponse> stage;
    try {
      stage = handler.handle(request);
    } catch (RuntimeException e) {
      answered(new Answer(null, e));
      return;
    }
    // The answer may come from any thread: continue on the VConn's loop, under this continuation's lock.
    stage.whenComplete((response, failure) ->
        ContinuationScheduler.dispatch(vconn.eventLoop(), self, Event.IMMEDIATE, new Answer(response, failure)));
  }

  /** Answers without asking the handler (the request itself was unacceptable). */
  private void finishRequest(InterceptResponse response) {
    requestDone = true;
    inReader.consume(inReader.readAvail());
    respond(response);
  }

  private void answered(Answer a) {
    if (a.failure() != null || a.response() == null) {
      LOG.warn("intercept handler failed for {}", head == null ? "?" : head.target(), a.failure());
      respond(InterceptResponse.error(500, "the plugin failed"));
    } else {
      respond(a.response());
    }
  }

  private void respond(InterceptResponse r) {
    if (write != null) {
      return; // already answering
    }
    boolean headRequest = head != null && head.method().equals("HEAD");
    HttpHeaders headers = HttpHeaders.copyOf(r.headers());
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    headers.remove(HttpHeaders.TRANSFER_ENCODING);
    if (r.body() != null) {
      headers.set(HttpHeaders.CONTENT_LENGTH, Long.toString(r.body().length));
    } else if (r.length() >= 0) {
      headers.set(HttpHeaders.CONTENT_LENGTH, Long.toString(r.length()));
    } else {
      headers.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
    }
    out.write(new HttpResponseHead(HttpVersion.HTTP_1_1, r.status(), HttpStatus.reason(r.status()), headers)
        .toBytes());
    if (headRequest) {
      write = vconn.write(self, outReader.readAvail(), outReader);
    } else if (r.body() != null) {
      out.write(r.body());
      write = vconn.write(self, outReader.readAvail(), outReader);
    } else {
      source = r.source();
      left = r.length();
      chunks = left < 0 ? new ChunkedEncoder(out) : null;
      write = vconn.write(self, Long.MAX_VALUE, outReader);
      pump();
    }
  }

  /** Tops up a streamed body to {@link #MAX_PENDING} bytes waiting; ends it when the source is done. */
  private void pump() {
    if (source == null || write == null) {
      return;
    }
    byte[] scratch = SCRATCH.get();
    while (outReader.readAvail() < MAX_PENDING) {
      if (left == 0) {
        endBody();
        break;
      }
      int n = source.read(scratch);
      if (n == 0) {
        throw new IllegalStateException("BodySource.read returned 0 bytes (it must return at least 1, or -1)");
      }
      if (n < 0) {
        if (chunks != null) {
          chunks.writeLastChunk();
        } else {
          LOG.warn("the body source of {} ended {} bytes before its declared length; the response is cut short",
              head == null ? "?" : head.target(), left);
        }
        endBody();
        break;
      }
      if (chunks != null) {
        chunks.writeChunk(scratch, 0, n);
        continue;
      }
      if (n > left) {
        LOG.warn("the body source of {} gave {} bytes past its declared length; they are not sent",
            head == null ? "?" : head.target(), n - left);
        n = (int) left;
      }
      out.write(scratch, 0, n);
      left -= n;
    }
    write.reenable();
  }

  /**
   * No more body: WRITE_COMPLETE comes once the proxy took everything in the buffer, and the close that follows
   * ends the message (or, for a body of declared length cut short, shows the proxy a body that ended early).
   */
  private void endBody() {
    source = null;
    write.setNBytes(write.ndone() + outReader.readAvail());
  }

  private void close() {
    closed = true;
    if (vconn != null) {
      vconn.close();
      in.close();
      out.close();
    }
  }
}
