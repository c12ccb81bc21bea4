package dev.vconn.plugin.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpRequestHead;
import dev.vconn.domain.http.HttpVersion;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * An HTTP/1.1 client over one in-process connection into the proxy ({@link HttpConnector}, Traffic Server's
 * {@code TSHttpConnect} as its fetcher and multiplexer plugins use it): no socket, the requests go straight into the
 * HTTP state machine, which logs them with the connect options' tag and id ({@code pitag}, {@code piid},
 * {@code cqint=1}).
 *
 * <p>The connection is kept alive: requests given to {@link #send} are queued and written one at a time, each once
 * the previous response is complete, so every response is matched to its request. Responses are parsed with
 * {@link ResponseParser} (Content-Length, chunked or until the end). Nothing blocks: each future completes on the
 * connection's event loop. The connection ends, failing the requests still queued, when a response says
 * {@code Connection: close} (or a request did), when the proxy closes it (its keep-alive timeout, a graceful stop),
 * on a malformed response, a body over the limit, an error, no progress for the inactivity timeout while a request
 * is outstanding, or {@link #close()}; {@link #isOpen()} tells, and a new client is opened then.
 *
 * <pre>{@code
 * InProcessClient client = InProcessClient.open(context.httpConnector(),
 *     HttpConnectOptions.builder().tag("my-plugin").id(1).build(), context.blockPool(), 1 << 20,
 *     Duration.ofSeconds(30));
 * client.get("/a", "localhost").thenCompose(a -> client.get("/b", "localhost")).whenComplete((b, e) -> client.close());
 * }</pre>
 */
public final class InProcessClient implements AutoCloseable {

  /** One request waiting for its turn. */
  private record Pending(String method, byte[] bytes, boolean close, CompletableFuture<ResponseParser.Response> result) {}

  /** The marker {@link #close()} dispatches. */
  private static final Object CLOSE = new Object();

  private final Handler handler = new Handler();
  private final Continuation self = new Continuation(handler);
  private final long maxBody;
  private final Duration inactivity;
  private final HttpLimits limits = HttpLimits.defaults();
  private volatile boolean open = true;
  private VConn vconn;

  private InProcessClient(long maxBody, Duration inactivity) {
    this.maxBody = maxBody;
    this.inactivity = Objects.requireNonNull(inactivity, "inactivity");
  }

  /**
   * Opens a connection.
   *
   * @param connector the connector into the proxy
   * @param options the connection's tag, id and client address
   * @param pool where the buffers come from (the transport's pool)
   * @param maxBody the largest response body accepted
   * @param inactivity how long an outstanding request may make no progress
   * @return the client
   * @throws IllegalStateException if the transport or the proxy is closed
   */
  public static InProcessClient open(HttpConnector connector, HttpConnectOptions options, BlockPool pool,
      long maxBody, Duration inactivity) {
    Objects.requireNonNull(pool, "pool");
    InProcessClient client = new InProcessClient(maxBody, inactivity);
    VConn vconn = connector.connect(options);
    // Events may start as soon as the VIOs exist: set up under the continuation's lock so they wait for it.
    client.self.lock().lock();
    try {
      client.vconn = vconn;
      client.handler.start(pool);
    } catch (RuntimeException e) {
      client.handler.end("cannot start: " + e.getMessage());
      throw e;
    } finally {
      client.self.lock().unlock();
    }
    return client;
  }

  /**
   * One {@code GET target} with {@code Connection: close} on a new connection, which ends after the response: what
   * a fetcher that sends one request per connection (and so one {@code piid} per request) does.
   *
   * @param connector the connector into the proxy
   * @param options the connection's tag, id and client address
   * @param target the request target, visible US-ASCII, starting with {@code /}
   * @param host the Host field value
   * @param pool where the buffers come from
   * @param maxBody the largest response body accepted
   * @param inactivity how long the exchange may make no progress
   * @return the response; fails as {@link #send} does
   */
  public static CompletableFuture<ResponseParser.Response> fetch(HttpConnector connector, HttpConnectOptions options,
      String target, String host, BlockPool pool, long maxBody, Duration inactivity) {
    HttpRequestHead request = new HttpRequestHead("GET", target, HttpVersion.HTTP_1_1,
        new HttpHeaders().add(HttpHeaders.HOST, host).add(HttpHeaders.CONNECTION, "close"));
    InProcessClient client;
    try {
      client = open(connector, options, pool, maxBody, inactivity);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return client.send(request, new byte[0]);
  }

  /**
   * Sends {@code GET target} with {@code Host: host}, keeping the connection alive.
   *
   * @param target the request target, visible US-ASCII, starting with {@code /}
   * @param host the Host field value
   * @return the response
   * @throws IllegalArgumentException if the target or host is not acceptable in a request head
   */
  public CompletableFuture<ResponseParser.Response> get(String target, String host) {
    return send(new HttpRequestHead("GET", target, HttpVersion.HTTP_1_1,
        new HttpHeaders().add(HttpHeaders.HOST, host)), new byte[0]);
  }

  /**
   * Queues a request. Its framing is the client's: {@code Content-Length} is set to the body's length (left out
   * for an empty body) and any {@code Transfer-Encoding} is removed.
   *
   * @param request the request head
   * @param body the body, possibly empty
   * @return the response, completed on the connection's loop; failed with an {@link IllegalStateException} saying
   *     why if the connection ended first or the response was malformed
   */
  public CompletableFuture<ResponseParser.Response> send(HttpRequestHead request, byte[] body) {
    HttpHeaders headers = HttpHeaders.copyOf(request.headers());
    headers.remove(HttpHeaders.TRANSFER_ENCODING);
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    if (body.length > 0) {
      headers.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length));
    }
    HttpRequestHead head = new HttpRequestHead(request.method(), request.target(), request.version(), headers);
    byte[] headBytes = head.toBytes();
    byte[] bytes = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
    System.arraycopy(body, 0, bytes, headBytes.length, body.length);
    boolean close = request.version() != HttpVersion.HTTP_1_1 || headers.connectionTokens().contains("close");
    Pending p = new Pending(head.method(), bytes, close, new CompletableFuture<>());
    if (!open) {
      p.result().completeExceptionally(new IllegalStateException("the in-process connection is closed"));
      return p.result();
    }
    try {
      // The connection's state is the loop's: carry the request there, under the continuation's lock.
      ContinuationScheduler.dispatch(vconn.eventLoop(), self, Event.IMMEDIATE, p);
    } catch (RuntimeException e) {
      p.result().completeExceptionally(new IllegalStateException("the in-process connection's loop is gone", e));
    }
    return p.result();
  }

  /**
   * Whether the connection still takes requests.
   *
   * @return false once it ended
   */
  public boolean isOpen() {
    return open;
  }

  /** Ends the connection, failing the requests not yet answered; idempotent, returns at once. */
  @Override
  public void close() {
    if (!open) {
      return;
    }
    try {
      ContinuationScheduler.dispatch(vconn.eventLoop(), self, Event.IMMEDIATE, CLOSE);
    } catch (RuntimeException e) {
      open = false; // the loop is gone, and the transport with it
    }
  }

  /** The connection's state, touched only under the continuation's lock. */
  private final class Handler implements EventHandler {
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private IOBuffer in;
    private IOBufferReader inReader;
    private IOBuffer out;
    private WriteVio write;
    private ReadVio read;
    private Pending current;
    private ResponseParser parser;
    private boolean ended;

    void start(BlockPool pool) {
      out = new IOBuffer(pool);
      IOBufferReader outReader = out.allocReader();
      in = new IOBuffer(pool);
      inReader = in.allocReader();
      in.setWaterMark(limits.maxHeaderBytes() + 1L); // a head bigger than one block must fit whole
      write = vconn.write(self, Long.MAX_VALUE, outReader);
      read = vconn.read(self, Long.MAX_VALUE, in);
    }

    @Override
    public void handle(Event event, Object data) {
      if (ended) {
        if (data instanceof Pending p) {
          p.result().completeExceptionally(new IllegalStateException("the in-process connection is closed"));
        }
        return;
      }
      try {
        switch (event) {
          case IMMEDIATE -> {
            if (data instanceof Pending p) {
              queue.add(p);
              next();
            } else if (data == CLOSE) {
              end("the client closed the connection");
            }
          }
          case READ_READY -> readResponse(false);
          case EOS -> {
            readResponse(true);
            end("the proxy closed the connection");
          }
          case WRITE_READY, WRITE_COMPLETE -> { } // requests are small and written whole
          case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
            if (data instanceof VIO) {
              end("no progress on the in-process connection");
            }
          }
          default -> {
            if (data instanceof VIO) {
              end("in-process connection failed: " + describe(vconn.error()));
            }
          }
        }
      } catch (ResponseParser.BadResponseException e) {
        end(e.getMessage() + (e.getMessage().startsWith("connection ended") ? ": " + describe(vconn.error()) : ""));
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    /** Writes the next queued request if none is outstanding. */
    private void next() {
      if (current != null || queue.isEmpty()) {
        return;
      }
      current = queue.poll();
      parser = new ResponseParser(current.method(), limits, maxBody);
      vconn.setInactivityTimeout(inactivity);
      out.write(current.bytes());
      write.reenable();
      read.reenable();
    }

    private void readResponse(boolean eos) throws ResponseParser.BadResponseException {
      if (current == null) {
        if (inReader.readAvail() > 0) {
          end("the proxy sent bytes while no request was outstanding");
        }
        return;
      }
      ResponseParser.Response response = parser.parse(inReader, eos);
      if (response == null) {
        if (!eos) {
          read.reenable();
        }
        return;
      }
      Pending done = current;
      current = null;
      parser = null;
      if (!response.keepAlive() || done.close()) {
        end("the connection closed after a response"); // free the buffers before the caller sees the response
      } else {
        vconn.cancelInactivityTimeout();
      }
      done.result().complete(response);
      if (!ended) {
        next();
      }
    }

    private void fail(RuntimeException e) {
      IllegalStateException failure = new IllegalStateException("in-process client failed: " + e, e);
      endWith(failure);
    }

    private void end(String reason) {
      endWith(new IllegalStateException(reason));
    }

    /** Closes the connection and its buffers; fails every request not yet answered. */
    private void endWith(IllegalStateException failure) {
      if (ended) {
        return;
      }
      ended = true;
      open = false;
      if (vconn != null) {
        vconn.close();
      }
      if (in != null) {
        in.close();
      }
      if (out != null) {
        out.close();
      }
      if (current != null) {
        current.result().completeExceptionally(failure);
        current = null;
      }
      for (Pending p : queue) {
        p.result().completeExceptionally(failure);
      }
      queue.clear();
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
