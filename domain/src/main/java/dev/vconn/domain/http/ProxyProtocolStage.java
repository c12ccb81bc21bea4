package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front stage of a listener that receives connections through a load balancer speaking HAProxy's PROXY
 * protocol (docs/server.md, "PROXY protocol"): it reads the version 1 or 2 header each connection starts with, then
 * hands the connection to the next stage with the client address the header carries.
 *
 * <pre>{@code
 * ProxyProtocolStage stage = new ProxyProtocolStage(ProxyProtocolMode.ANY, Duration.ofSeconds(5),
 *     transport.blockPool(), proxy::accept);
 * transport.netAcceptor().listen(address, stage.acceptor());
 * }</pre>
 *
 * <ul>
 *   <li><b>No octet past the header.</b> Each read's {@code nbytes} is the fewest octets that can still complete
 *       the header (docs/semantics.md, rule 3.3: a transport never moves more), so in a required mode ({@code v1},
 *       {@code v2}, {@code any}) the next stage gets the connection positioned on the first octet after the header
 *       and {@code alreadyRead} is null. A TLS listener therefore wraps the connection in TLS in its next stage,
 *       and the handshake starts on the octet after the header. In {@link ProxyProtocolMode#OPTIONAL} a connection
 *       without a header has had its first octets read: they go to the next stage as {@code alreadyRead}.</li>
 *   <li><b>Rejections.</b> A connection whose first octets are not a valid header the mode accepts, that ends
 *       before the header does, or that has not sent the whole header within {@code timeout}, is closed without a
 *       response and counted ({@link #rejected()}).</li>
 *   <li><b>The address.</b> The next stage gets the header's source address, or null (the connection's own remote
 *       address counts) for a {@code LOCAL} command, {@code UNKNOWN}, an unspecified or UNIX family, and for a
 *       connection without a header in the optional mode.</li>
 * </ul>
 *
 * <p>Every connection is read under a continuation of its own, on the connection's event loop; the next stage is
 * called there, holding that continuation's lock, as an acceptor is.
 */
public final class ProxyProtocolStage {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocolStage.class);

  /**
   * What runs after the header: {@code HttpProxy::accept} has this shape, and so does any further front stage.
   */
  @FunctionalInterface
  public interface Next {
    /**
     * Takes over a connection.
     *
     * @param client the connection, positioned after the header (or after {@code alreadyRead})
     * @param alreadyRead octets read past the header, which the next stage owns (their buffer included); null
     *     when none, always in a required mode
     * @param clientAddress the header's source address, or null when the connection's own remote address counts
     */
    void accept(VConn client, IOBufferReader alreadyRead, SocketAddress clientAddress);
  }

  private final ProxyProtocolMode mode;
  private final Duration timeout;
  private final BlockPool pool;
  private final Next next;
  private final Continuation acceptor = new Continuation(this::onAccept);
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder withoutHeader = new LongAdder();
  /** The connections whose header is being read, closed by {@link #close()}. */
  private final Set<HeaderRead> reading = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Creates the stage.
   *
   * @param mode which headers are read and whether one is required; {@link ProxyProtocolMode#OFF} hands every
   *     connection on at once
   * @param timeout how long a connection has to send its whole header
   * @param pool where the header's buffer comes from
   * @param next the stage that takes the connection after the header
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public ProxyProtocolStage(ProxyProtocolMode mode, Duration timeout, BlockPool pool, Next next) {
    this.mode = Objects.requireNonNull(mode, "mode");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.next = Objects.requireNonNull(next, "next");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("the PROXY protocol header timeout must be positive, was " + timeout);
    }
  }

  /**
   * The continuation to listen with: NET_ACCEPT with a VConn starts reading its header; other events are ignored.
   *
   * @return the acceptor
   */
  public Continuation acceptor() {
    return acceptor;
  }

  /** @return the mode */
  public ProxyProtocolMode mode() {
    return mode;
  }

  /** @return connections handed on with a valid header */
  public long accepted() {
    return accepted.sum();
  }

  /** @return connections closed for a missing, invalid, truncated or late header */
  public long rejected() {
    return rejected.sum();
  }

  /** @return connections handed on without a header (the optional mode) */
  public long withoutHeader() {
    return withoutHeader.sum();
  }

  /**
   * Closes every connection whose header is still being read (on its loop, soon after this returns) and every one
   * accepted from now on: for a server that stops, after its listener is closed, so that no header read holds a
   * buffer past the stop. Connections already handed on are the next stage's. Idempotent.
   */
  public void close() {
    closed = true;
    for (HeaderRead r : List.copyOf(reading)) {
      ContinuationScheduler.dispatch(r.client.eventLoop(), r.cont, Event.IMMEDIATE, this);
    }
  }

  private void onAccept(Event event, Object data) {
    if (event == Event.NET_ACCEPT && data instanceof VConn vconn) {
      accept(vconn);
    }
  }

  /**
   * Reads the header of {@code client}, which the stage owns from now on. Call it on the client's event loop.
   *
   * @param client a new connection
   */
  public void accept(VConn client) {
    Objects.requireNonNull(client, "client");
    if (closed) {
      client.close();
      return;
    }
    if (mode == ProxyProtocolMode.OFF) {
      next.accept(client, null, null);
      return;
    }
    HeaderRead read = new HeaderRead(client);
    reading.add(read);
    read.start();
  }

  /** One connection's header being read. */
  private final class HeaderRead {
    private final VConn client;
    private final Continuation cont = new Continuation(this::onEvent);
    private final IOBuffer buffer = new IOBuffer(pool, 0);
    private final IOBufferReader reader = buffer.allocReader();
    private final byte[] octets = new byte[ProxyProtocolParser.V2_FIXED + ProxyProtocolParser.V2_MAX_PAYLOAD];
    private ReadVio read;
    private boolean done;

    HeaderRead(VConn client) {
      this.client = client;
      // The whole header stays in the buffer until it is complete: let a read fill it to the longest one.
      buffer.setWaterMark(octets.length);
    }

    void start() {
      cont.lock().lock();
      try {
        client.setActiveTimeout(timeout);
        read = client.read(cont, ProxyProtocolParser.firstRead(mode), buffer);
      } catch (RuntimeException e) {
        reject("the connection could not be read: " + e.getMessage());
      } finally {
        cont.lock().unlock();
      }
    }

    private void onEvent(Event event, Object data) {
      if (!done && event == Event.IMMEDIATE && data == ProxyProtocolStage.this) {
        reject("the listener is closing");
        return;
      }
      if (done || !(data instanceof VIO vio) || vio != read) {
        return;
      }
      switch (event) {
        case READ_READY, READ_COMPLETE -> examine(event == Event.READ_COMPLETE);
        case EOS -> reject("the connection ended before the PROXY protocol header did");
        case ERROR -> reject("the connection failed before the PROXY protocol header ended: " + client.error());
        case ACTIVE_TIMEOUT, INACTIVITY_TIMEOUT -> reject("no whole PROXY protocol header within " + timeout);
        default -> { }
      }
    }

    private void examine(boolean complete) {
      int len = (int) Math.min(reader.readAvail(), octets.length);
      reader.copyTo(octets, 0, len, 0);
      ProxyProtocolParser.Step step = ProxyProtocolParser.examine(octets, len, mode);
      if (step instanceof ProxyProtocolParser.NeedMore more) {
        if (complete) {
          read = client.read(cont, more.atLeast(), buffer); // the fewest octets that can complete the header
        } else {
          read.reenable();
        }
      } else if (step instanceof ProxyProtocolParser.Done header) {
        reader.consume(header.length());
        accepted.increment();
        handOn(header.header().clientAddress());
      } else if (step instanceof ProxyProtocolParser.NotAHeader) {
        withoutHeader.increment();
        handOn(null);
      } else {
        reject(((ProxyProtocolParser.Invalid) step).reason());
      }
    }

    /** Gives the connection, and any octets read past the header, to the next stage. */
    private void handOn(SocketAddress clientAddress) {
      done = true;
      reading.remove(this);
      read.cancel();
      client.cancelActiveTimeout();
      IOBufferReader rest = reader;
      if (reader.readAvail() == 0) {
        buffer.close();
        rest = null;
      }
      next.accept(client, rest, clientAddress);
    }

    private void reject(String reason) {
      done = true;
      reading.remove(this);
      rejected.increment();
      LOG.debug("closing the connection from {}: {}", client.remoteAddress(), reason);
      buffer.close();
      client.close(); // no response: the peer is a balancer speaking the wrong protocol, or not a balancer
    }
  }
}
