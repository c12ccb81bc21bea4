package dev.vconn.domain.http;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/1 client connection (Traffic Server's {@code Http1ClientSession}): reads request heads, runs each on its
 * transaction machine ({@link HttpSM}, reused for the next request once the previous one ended: docs/http.md, "Object
 * lifetimes") and serves it as its {@link ClientSide}, writes the responses, and
 * keeps the connection alive between transactions (pipelining, half-close, linger, its keep-alive idle and header
 * timers). It knows nothing of origins, hooks or bodies in flight: those are the machine's and its tunnel's.
 *
 * <p>Everything runs under one lock, {@link #lock}, shared by the continuations of the session and of its
 * transactions (the client's, the origin's, the transforms' and the timers' events); those events may come from
 * different event loops (an origin connection is pinned to its own loop) but never at the same time. Any exception
 * thrown while handling an event aborts the session and frees everything: nothing escapes to the event loop.
 */
final class Http1ClientSession implements ClientSide {
  private static final Logger LOG = LoggerFactory.getLogger(Http1ClientSession.class);
  private static final byte[] CONTINUE_100 = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private enum Phase { SESSION_START, IDLE, TRANSACTION, TUNNEL, LINGER, CLOSED }

  /** What the session's one timer is for; TRANSACTION is the running transaction's ({@link #armTransactionTimer}). */
  private enum TimerKind { KEEP_ALIVE_IDLE, HEADER, LINGER, TRANSACTION }

  /** A control request from another thread. */
  private enum Control { DRAIN, CLOSE }

  private final HttpProxy proxy;
  private final HttpProxyConfig config;
  private final VConn client;
  private final EventLoop loop;
  private final ReentrantLock lock = new ReentrantLock();
  private final boolean internal;
  private final String pluginTag;
  private final long pluginId;
  private final SocketAddress clientAddress;
  /** {@link #clientAddress} as the forwarding fields write it, made on the first request that needs it. */
  private String clientNodeAddress;
  private boolean clientNodeAddressMade;
  /** The session hooks (SSN_START, SSN_CLOSE) and the {@link HttpSsn} plugins see. */
  private final SessionHooks ssnHooks;

  private final Continuation clientCont = new Continuation(this::onClientEvent, lock);
  private final Continuation controlCont = new Continuation(this::onControlEvent, lock);
  private final TimerSlot<TimerKind> timer;
  /** The read buffer and inactivity timer lent to intercepted transactions, made by the first one. */
  private InterceptSlot interceptSlot;

  private Phase phase = Phase.SESSION_START;
  private IOBuffer clientBuffer;
  private IOBufferReader clientReader;
  private ReadVio clientRead;
  private IOBuffer responseBuffer;
  private IOBufferReader responseReader;
  private WriteVio clientWrite;
  /** The sink of the response bodies, reset for each response (null before the first). */
  private BodySink responseSink;
  /** Where the current response head starts in the stream of the client write; -1 before it is written. */
  private long responseHeadAt = -1;
  private boolean clientEos;
  private boolean draining;
  /** The running transaction's machine, null between transactions. */
  private HttpSM txn;
  /** The session's machine, reused for each transaction once the previous one ended (docs/http.md). */
  private HttpSM machine;
  private long transactions;

  /** Octets read from the client before the session started (null when none); taken by {@link #startReading}. */
  private IOBufferReader alreadyRead;

  Http1ClientSession(HttpProxy proxy, VConn client, IOBufferReader alreadyRead, SocketAddress clientAddress) {
    this.proxy = proxy;
    this.alreadyRead = alreadyRead;
    this.config = proxy.config();
    this.client = client;
    this.loop = client.eventLoop();
    Optional<VConnPair.Options> identity = VConnPair.optionsOf(client);
    this.internal = identity.isPresent();
    this.pluginTag = identity.map(VConnPair.Options::tag).orElse(null);
    this.pluginId = identity.map(VConnPair.Options::id).orElse(0L);
    this.clientAddress = identity.isPresent() ? identity.get().clientAddress()
        : clientAddress != null ? clientAddress : client.remoteAddress();
    this.timer = new TimerSlot<>(loop, controlCont);
    this.ssnHooks = new SessionHooks(this, proxy.nextSessionId());
  }

  // ------------------------------------------------------------------------------------------------ life cycle

  /** Called by the acceptor with the new client VConn: access control, then the first read (all posted). */
  void start() {
    lock.lock();
    try {
      Optional<String> denial = config.accessControl().denial(clientAddress);
      if (denial.isPresent()) {
        proxy.stats.deniedConnections.increment();
        String reason = "access denied for client " + clientAddress + ": " + denial.get();
        LOG.debug("{}", reason);
        phase = Phase.CLOSED;
        dropAlreadyRead();
        client.abort(Errno.EACCES, new SecurityException(reason));
        return;
      }
      proxy.sessionOpened(this);
      // SSN_START hooks may hold the session: it reads nothing (and times nothing) until they are done.
      ssnHooks.start(this::startReading);
    } catch (RuntimeException e) {
      fail(e);
    } finally {
      lock.unlock();
    }
  }

  /** The session started: the first read, with the header timeout (under the lock). */
  private void startReading() {
    clientBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    // A head up to the limit must fit even when it is bigger than one block (docs/semantics.md, rule 3.5 read-ahead).
    clientBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L);
    clientReader = clientBuffer.allocReader();
    takeAlreadyRead();
    responseBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    responseReader = responseBuffer.allocReader();
    clientRead = client.read(clientCont, Long.MAX_VALUE, clientBuffer);
    enterIdle();
    if (phase == Phase.IDLE) {
      // The first head has the header timeout from the moment the session started (the connection opened and its
      // SSN_START hooks were done), not the keep-alive idle timeout: a connection that never sends a byte is not
      // held for the longer one.
      arm(TimerKind.HEADER);
    }
  }

  /** Moves the octets read before the session started into the client buffer, as if just read from the client. */
  private void takeAlreadyRead() {
    IOBufferReader early = alreadyRead;
    alreadyRead = null;
    if (early != null) {
      clientBuffer.write(early, early.readAvail()); // by reference where large: nothing is copied twice
      early.buffer().close();
    }
  }

  private void dropAlreadyRead() {
    if (alreadyRead != null) {
      alreadyRead.buffer().close();
      alreadyRead = null;
    }
  }

  /** From any thread: stop keeping the connection alive (graceful shutdown) or close it now. */
  void control(boolean closeNow) {
    ContinuationScheduler.dispatch(loop, controlCont, Event.IMMEDIATE, closeNow ? Control.CLOSE : Control.DRAIN);
  }

  /** A session hook continuation reenabled the session (any thread): continue on the loop, under the lock. */
  void resume(SessionHooks s, Event event) {
    ContinuationScheduler.dispatch(loop, controlCont, event, s);
  }

  HttpProxyConfig config() {
    return config;
  }

  /** The client connection (a {@code TlsVConn} for a TLS client). */
  VConn clientVConn() {
    return client;
  }

  // ------------------------------------------------------------------------------------------------ events

  private void onClientEvent(Event event, Object data) {
    // No guarded(() -> ...) wrapper in the event handlers: a capturing lambda would be an allocation per event.
    try {
      if (phase == Phase.CLOSED || !(data instanceof VIO vio) || vio.vconn() != client) {
        return;
      }
      switch (event) {
        case READ_READY -> clientReadable();
        case EOS -> {
          clientEos = true;
          if (phase == Phase.TRANSACTION && client.error() != null) {
            // Not a half-close (that carries no error): the client closed or reset the connection, so nobody is
            // left to answer. Without this a transaction waiting for an origin or a hook would hold it forever.
            clientGone("client closed the connection: " + HttpSM.describe(client.error()));
          } else {
            clientReadable();
          }
        }
        case WRITE_READY -> {
          if (txn != null) {
            txn.clientWritable();
          }
        }
        case WRITE_COMPLETE -> {
          if (txn != null) {
            txn.responseSent();
          }
        }
        case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
          if (txn == null) {
            close();
          } else {
            txn.clientStalled(); // it ignores a timeout while a hook holds it: the plugin's time
          }
        }
        case ERROR -> clientGone("client connection failed: " + HttpSM.describe(client.error()));
        default -> { }
      }
    } catch (RuntimeException | AssertionError e) {
      fail(e); // any exception aborts the session instead of escaping to the loop
    }
  }

  private void onControlEvent(Event event, Object data) {
    try {
      if (data instanceof SessionHooks s) {
        s.resume(event); // also after close: SSN_CLOSE is still owed
        return;
      }
      if (phase == Phase.CLOSED) {
        return;
      }
      if (TimerSlot.isToken(data)) {
        TimerKind kind = timer.fired(data);
        if (kind != null) {
          timerFired(kind);
        }
      } else if (data instanceof Control c) {
        if (c == Control.CLOSE) {
          close();
        } else {
          draining = true;
          if (phase == Phase.IDLE && clientReader.readAvail() == 0) {
            close();
          }
        }
      }
    } catch (RuntimeException | AssertionError e) {
      fail(e);
    }
  }

  @Override
  public void fail(Throwable e) {
    proxy.stats.internalErrors.increment(); // counted so tests (the fuzz oracle) and monitoring can see it
    LOG.error("HTTP session for {} failed; closing it", clientAddress, e);
    if (txn != null) {
      txn.internalError(e);
    }
    try {
      close();
    } catch (RuntimeException second) {
      e.addSuppressed(second);
      LOG.error("closing the failed session failed too", second);
    }
  }

  // ------------------------------------------------------------------------------------------------ requests

  private void clientReadable() {
    switch (phase) {
      case IDLE -> readRequestHead();
      case TRANSACTION -> txn.requestBytesArrived();
      case LINGER -> {
        clientReader.consume(clientReader.readAvail());
        if (clientEos) {
          close();
        } else {
          clientRead.reenable();
        }
      }
      default -> { }
    }
  }

  private void enterIdle() {
    phase = Phase.IDLE;
    // Between requests the session holds no block: the next request takes fresh ones (docs/semantics.md).
    clientBuffer.trim();
    responseBuffer.trim();
    clientBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L); // room for the next request head
    client.cancelInactivityTimeout();
    if (draining && clientReader.readAvail() == 0) {
      close();
      return;
    }
    arm(clientReader.readAvail() == 0 ? TimerKind.KEEP_ALIVE_IDLE : TimerKind.HEADER);
    readRequestHead();
  }

  private void readRequestHead() {
    HttpHeadParser.Result<HttpRequestHead> result = proxy.parser().parseRequest(clientReader);
    if (result instanceof HttpHeadParser.Parsed<HttpRequestHead> parsed) {
      cancelTimer();
      HttpRequestHead head = parsed.head();
      clientBuffer.setWaterMark(0); // a body needs only the block-sized read-ahead
      Set<String> connection = head.headers().connectionTokens();
      boolean keepAlive = !draining && (head.version() == HttpVersion.HTTP_1_1
          ? !connection.contains("close") : connection.contains("keep-alive"));
      beginTransaction().start(head, parsed.headBytes(), keepAlive);
    } else if (result instanceof HttpHeadParser.Rejected<HttpRequestHead> rejected) {
      cancelTimer();
      reject(rejected.status(), rejected.reason());
    } else if (clientEos) {
      close(); // the client left, between requests or in the middle of a head: nobody to answer
    } else {
      if (clientReader.readAvail() > 0 && timer.armed() == TimerKind.KEEP_ALIVE_IDLE) {
        arm(TimerKind.HEADER); // the head started: it now has the header timeout to complete
      }
      clientRead.reenable();
    }
  }

  /** No request head can be read: the machine only answers {@code status}, and the bytes so far are dropped. */
  private void reject(int status, String reason) {
    long bytesIn = clientReader.readAvail();
    clientReader.consume(bytesIn);
    beginTransaction().reject(status, reason, bytesIn);
  }

  /** The machine of the next transaction; it is the session's before it starts, as it may call back at once. */
  private HttpSM beginTransaction() {
    phase = Phase.TRANSACTION;
    transactions++;
    machine = machine != null && machine.reusable() ? machine.reuse() : new HttpSM(proxy, this);
    txn = machine;
    return txn;
  }

  private void clientGone(String reason) {
    clientEos = true;
    if (txn == null) {
      close();
    } else {
      txn.clientGone(reason);
    }
  }

  // ------------------------------------------------------------------------------------------------ ClientSide

  @Override
  public SocketAddress clientAddress() {
    return clientAddress;
  }

  /** Made once per connection: the client's address does not change while the session lives. */
  @Override
  public String clientNodeAddress() {
    if (!clientNodeAddressMade) {
      clientNodeAddress = ProxyHeaderRules.nodeAddress(clientAddress);
      clientNodeAddressMade = true;
    }
    return clientNodeAddress;
  }

  @Override
  public SocketAddress localAddress() {
    return client.localAddress();
  }

  @Override
  public boolean isInternal() {
    return internal;
  }

  @Override
  public String pluginTag() {
    return pluginTag;
  }

  @Override
  public long pluginId() {
    return pluginId;
  }

  @Override
  public Optional<TlsSessionInfo> clientTls() {
    return client instanceof TlsVConn tls ? tls.sessionInfo() : Optional.empty();
  }

  @Override
  public EventLoop eventLoop() {
    return loop;
  }

  @Override
  public ReentrantLock lock() {
    return lock;
  }

  @Override
  public boolean isClosed() {
    return phase == Phase.CLOSED;
  }

  @Override
  public SessionHooks sessionHooks() {
    return ssnHooks;
  }

  @Override
  public boolean isDraining() {
    return draining;
  }

  @Override
  public IOBufferReader requestBytes() {
    return clientReader;
  }

  @Override
  public boolean requestBytesEnded() {
    return clientEos;
  }

  @Override
  public void wantRequestBytes() {
    if (!clientEos) {
      clientRead.reenable(); // after EOS the rest is in the buffer; a reenable would only repeat EOS
    }
  }

  @Override
  public void watchClient(boolean on) {
    if (on) {
      client.setInactivityTimeout(config.timeouts().inactivity());
    } else {
      client.cancelInactivityTimeout();
    }
  }

  @Override
  public InterceptSlot interceptSlot() {
    if (interceptSlot == null) {
      interceptSlot = new InterceptSlot(config.blockPool(), config.bufferIndex(), loop, lock);
    }
    return interceptSlot;
  }

  /** The session's timer serves the transaction while it runs: the session arms none of its own meanwhile. */
  @Override
  public void armTransactionTimer(Duration delay) {
    timer.arm(TimerKind.TRANSACTION, delay);
  }

  @Override
  public void cancelTransactionTimer() {
    if (timer.armed() == TimerKind.TRANSACTION) {
      timer.cancel();
    }
  }

  @Override
  public void sendContinue() {
    writeToClient(CONTINUE_100);
  }

  @Override
  public BodySink sendResponseHead(HttpResponseHead head, long pendingLimit) {
    long headBytes = writeToClient(head);
    responseHeadAt = clientWrite.ndone() + responseReader.readAvail() - headBytes;
    boolean chunked = head.headers().isChunked();
    if (responseSink == null) {
      responseSink = new BodySink(responseBuffer, responseReader, pendingLimit, chunked);
    } else {
      responseSink.reset(responseBuffer, responseReader, pendingLimit, chunked); // the previous body ended
    }
    return responseSink;
  }

  @Override
  public void sendResponse(HttpResponseHead head, byte[] body) {
    writeToClient(head);
    if (body.length > 0) {
      responseBuffer.write(body);
    }
  }

  @Override
  public void responseBytesAdded() {
    clientWrite.reenable();
  }

  @Override
  public boolean takeBackResponse() {
    if (responseHeadAt < 0 || clientWrite == null || clientWrite.ndone() > responseHeadAt) {
      return false;
    }
    responseReader.consume(responseReader.readAvail()); // only this transaction's bytes wait there
    responseHeadAt = -1;
    return true;
  }

  /** Everything for this transaction is in the response buffer: WRITE_COMPLETE comes once it is all sent. */
  @Override
  public void endResponse() {
    long total = clientWrite.ndone() + responseReader.readAvail();
    clientWrite.setNBytes(total);
    clientWrite.reenable();
  }

  @Override
  public long responseBytesSent() {
    return clientWrite == null ? 0 : clientWrite.ndone();
  }

  @Override
  public TunnelEnd handOverForTunnel(HttpResponseHead head) {
    phase = Phase.TUNNEL;
    cancelTimer();
    // The head goes out as the tunnel's first bytes to the client; the client's bytes after the CONNECT head are in
    // clientReader already, and the tunnel sends them first the other way.
    head.writeTo(responseBuffer);
    return new TunnelEnd(client, clientReader, responseReader);
  }

  /** Stops all client I/O for a failed transaction (the session closes once TXN_CLOSE hooks are done). */
  @Override
  public void abort() {
    phase = Phase.LINGER;
    clientEos = true;
    client.abort(Errno.ECONNABORTED, null);
  }

  @Override
  public void transactionDone(boolean keepAlive) {
    txn = null;
    clientWrite = null;
    responseHeadAt = -1;
    if (phase == Phase.CLOSED) {
      ssnHooks.sessionEnded(); // the session closed while this transaction was ending: SSN_CLOSE follows TXN_CLOSE
      return;
    }
    if (phase == Phase.TUNNEL) {
      close(); // the tunnel closed the client connection
    } else if (keepAlive && (!clientEos || clientReader.readAvail() > 0)) {
      enterIdle(); // after a half-close, requests already pipelined are still answered
    } else {
      linger();
    }
  }

  // ------------------------------------------------------------------------------------------------ writes, ending

  private void writeToClient(byte[] bytes) {
    if (clientWrite == null || clientWrite.isComplete() || clientWrite.isRetired()) {
      clientWrite = client.write(clientCont, Long.MAX_VALUE, responseReader);
    }
    responseBuffer.write(bytes);
    clientWrite.reenable();
  }

  /** {@link #writeToClient(byte[])} for a response head, written into the buffer without an array of its own. */
  private long writeToClient(HttpResponseHead head) {
    if (clientWrite == null || clientWrite.isComplete() || clientWrite.isRetired()) {
      clientWrite = client.write(clientCont, Long.MAX_VALUE, responseReader);
    }
    long length = head.writeTo(responseBuffer);
    clientWrite.reenable();
    return length;
  }

  /** Done with the client: shut down our write side and read until it closes too, so it sees our last bytes. */
  private void linger() {
    if (clientEos || client.closeState() != CloseState.OPEN) {
      close();
      return;
    }
    phase = Phase.LINGER;
    client.shutdown(ShutdownHow.WRITE);
    if (client instanceof TlsVConn tls) {
      tls.discardInput(); // only drained from now on: the client's reset or close ends the linger as EOS (docs/tls.md)
    }
    arm(TimerKind.LINGER);
    clientReadable();
  }

  /** Closes the client connection and frees everything this session holds. Idempotent. */
  @Override
  public void close() {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    timer.release(); // a closed session keeps no timer (nor is held by one)
    dropAlreadyRead(); // closed before it started reading (an SSN_START hook refused it)
    if (txn != null) {
      txn.clientClosed(); // before the client closes: a tunnel's buffers go back only through the tunnel
    }
    client.close();
    if (clientBuffer != null) {
      clientBuffer.close();
      responseBuffer.close();
    }
    if (interceptSlot != null) {
      interceptSlot.sessionClosed(); // after the transaction's close above, which gives it back
    }
    proxy.sessionClosed(this);
    if (txn == null) {
      ssnHooks.sessionEnded(); // no transaction left to end: SSN_CLOSE now (else after its TXN_CLOSE)
    }
  }

  // ------------------------------------------------------------------------------------------------ timers

  private void arm(TimerKind kind) {
    cancelTimer();
    Duration delay = switch (kind) {
      case KEEP_ALIVE_IDLE -> config.timeouts().keepAliveIdle();
      case HEADER -> config.timeouts().header();
      case LINGER -> config.timeouts().linger();
      case TRANSACTION -> throw new IllegalArgumentException("the transaction timer has its own delay");
    };
    timer.arm(kind, delay);
  }

  private void cancelTimer() {
    timer.cancel();
  }

  private void timerFired(TimerKind kind) {
    switch (kind) {
      case KEEP_ALIVE_IDLE, LINGER -> close();
      case TRANSACTION -> {
        if (txn != null) {
          txn.transactionTimerFired();
        }
      }
      case HEADER -> {
        if (transactions == 0 && clientReader.readAvail() == 0) {
          close(); // never sent a byte: nothing to answer, closed silently like an idle keep-alive connection
          return;
        }
        reject(408, "request head not complete within " + config.timeouts().header().toMillis() + " ms");
      }
      default -> { }
    }
  }
}
