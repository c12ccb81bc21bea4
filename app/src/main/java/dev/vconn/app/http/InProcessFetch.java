package dev.vconn.app.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpRequestHead;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpVersion;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One GET through the proxy over an in-process connection ({@link HttpConnector}, Traffic Server's
 * {@code TSHttpConnect} as its fetcher and multiplexer plugins use it): no socket, the request goes straight into
 * the HTTP state machine, which logs it with the connect options' tag and id ({@code pitag}, {@code piid},
 * {@code cqint=1}).
 *
 * <p>It writes the request, reads the response head and body (Content-Length, chunked or until the end), closes
 * the connection (which the caller of {@code connect} owns) and completes the future; never blocks. The future
 * fails on a malformed or truncated response, a body over the limit, an error or no progress for the inactivity
 * timeout.
 */
public final class InProcessFetch implements EventHandler {

  /**
   * A response.
   *
   * @param status the status
   * @param headers the header fields as the proxy sent them
   * @param body the decoded body
   */
  public record Response(int status, HttpHeaders headers, byte[] body) {}

  private final CompletableFuture<Response> result = new CompletableFuture<>();
  private final HttpHeadParser parser = new HttpHeadParser();
  private final String method;
  private final long maxBody;
  private final Continuation self;
  private VConn vconn;
  private IOBuffer in;
  private IOBufferReader inReader;
  private IOBuffer out;
  private ReadVio read;
  private HttpResponseHead head;
  private BodyReader body;
  private final ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
  private boolean finished;

  private InProcessFetch(String method, long maxBody) {
    this.method = method;
    this.maxBody = maxBody;
    this.self = new Continuation(this);
  }

  /**
   * Sends {@code GET target} with {@code Host: host} and {@code Connection: close} over a new in-process
   * connection.
   *
   * @param connector the transport's connector into the proxy
   * @param options the connection's tag, id and client address
   * @param target the request target, visible US-ASCII, starting with {@code /}
   * @param host the Host field value
   * @param pool where the buffers come from
   * @param maxBody the largest response body accepted
   * @param inactivity how long the exchange may make no progress
   * @return the response, completed on the connection's event loop
   * @throws IllegalArgumentException if the target or host is not acceptable in a request head
   * @throws IllegalStateException if the transport is closed
   */
  public static CompletableFuture<Response> get(HttpConnector connector, HttpConnectOptions options, String target,
      String host, BlockPool pool, long maxBody, Duration inactivity) {
    HttpRequestHead request = new HttpRequestHead("GET", target, HttpVersion.HTTP_1_1,
        new HttpHeaders().add(HttpHeaders.HOST, host).add(HttpHeaders.CONNECTION, "close"));
    InProcessFetch fetch = new InProcessFetch(request.method(), maxBody);
    VConn vconn = connector.connect(options);
    // Events may start as soon as the VIOs exist: set up under the continuation's lock so they wait for it.
    fetch.self.lock().lock();
    try {
      fetch.start(vconn, request.toBytes(), Objects.requireNonNull(pool, "pool"), inactivity);
    } catch (RuntimeException e) {
      fetch.finish(null, e);
    } finally {
      fetch.self.lock().unlock();
    }
    return fetch.result;
  }

  private void start(VConn v, byte[] request, BlockPool pool, Duration inactivity) {
    vconn = v;
    out = new IOBuffer(pool);
    IOBufferReader outReader = out.allocReader();
    out.write(request);
    in = new IOBuffer(pool);
    inReader = in.allocReader();
    in.setWaterMark(parser.limits().maxHeaderBytes() + 1L); // a head bigger than one block must fit whole
    vconn.setInactivityTimeout(inactivity);
    vconn.write(self, request.length, outReader);
    read = vconn.read(self, Long.MAX_VALUE, in);
  }

  @Override
  public void handle(Event event, Object data) {
    if (finished || !(data instanceof VIO)) {
      return;
    }
    try {
      switch (event) {
        case READ_READY -> readResponse(false);
        case EOS -> readResponse(true);
        case WRITE_READY, WRITE_COMPLETE -> { } // the request is small; nothing to add
        case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> fail("no progress on the in-process connection");
        default -> fail("in-process connection failed: " + describe(vconn.error()));
      }
    } catch (BodyReader.BadBodyException e) {
      fail("bad response: " + e.getMessage());
    } catch (RuntimeException e) {
      finish(null, e);
    }
  }

  private void readResponse(boolean eos) throws BodyReader.BadBodyException {
    while (head == null) {
      HttpHeadParser.Result<HttpResponseHead> r = parser.parseResponse(inReader);
      if (r instanceof HttpHeadParser.Rejected<HttpResponseHead> rejected) {
        fail("bad response head: " + rejected.reason());
        return;
      }
      if (!(r instanceof HttpHeadParser.Parsed<HttpResponseHead> parsed)) {
        if (eos) {
          // Access control denial ends the connection before any byte: say why.
          fail("connection ended before a response: " + describe(vconn.error()));
        } else {
          read.reenable();
        }
        return;
      }
      if (!parsed.head().isInformational()) {
        head = parsed.head();
        body = BodyReader.forResponse(method, head);
      }
    }
    boolean done = body.read(inReader, bodyBytes);
    if (bodyBytes.size() > maxBody) {
      fail("response body larger than " + maxBody + " bytes");
      return;
    }
    if (!done && eos) {
      body.endOfStream(); // fine only for a body that ends with the connection
      done = true;
    }
    if (done) {
      finish(new Response(head.status(), head.headers(), bodyBytes.toByteArray()), null);
    } else {
      read.reenable();
    }
  }

  private void fail(String reason) {
    finish(null, new IllegalStateException(reason));
  }

  private void finish(Response response, Throwable failure) {
    finished = true;
    vconn.close();
    if (in != null) {
      in.close();
    }
    if (out != null) {
      out.close();
    }
    if (failure == null) {
      result.complete(response);
    } else {
      result.completeExceptionally(failure);
    }
  }

  private static String describe(VConnError error) {
    if (error == null) {
      return "closed";
    }
    String cause = error.cause() == null ? "" : ": " + error.cause().getMessage();
    return Errno.name(error.errno()) + (error.message() == null ? "" : " (" + error.message() + ")") + cause;
  }
}
