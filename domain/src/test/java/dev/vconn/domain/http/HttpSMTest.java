package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpSM.State;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** The transaction machine's transition table (docs/http.md, "Code layout"). */
class HttpSMTest {

  @Test
  void an_illegal_transition_fails_fast_naming_both_states_and_changes_nothing() {
    HttpSM sm = new HttpSM(new HttpProxy(HttpProxyConfig.builder(new BlockPool()).build()), new IdleClient());
    assertEquals(State.NEW, sm.state());

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> sm.transition(State.RESPONSE_BODY));

    assertTrue(e.getMessage().contains("from NEW to RESPONSE_BODY"), e.getMessage());
    assertEquals(State.NEW, sm.state());
  }

  @Test
  void the_table_ends_in_done_through_txn_close_only() {
    assertEquals(Set.of(), HttpSM.allowedFrom(State.DONE));
    assertEquals(Set.of(State.DONE), HttpSM.allowedFrom(State.TXN_CLOSE_HOOK));
    for (State s : EnumSet.complementOf(EnumSet.of(State.TXN_CLOSE_HOOK, State.DONE))) {
      Set<State> next = HttpSM.allowedFrom(s);
      assertTrue(next.contains(State.TXN_CLOSE_HOOK), s + " must be able to end (abort, client gone): " + next);
      assertTrue(next.contains(State.SEND_RESPONSE_HOOK), s + " must be able to answer an error: " + next);
      assertTrue(!next.contains(State.DONE), s + " must not skip TXN_CLOSE: " + next);
    }
    assertEquals(EnumSet.of(State.RESPONSE_BODY, State.ERROR_RESPONSE, State.BLIND_TUNNEL, State.SEND_RESPONSE_HOOK,
        State.TXN_CLOSE_HOOK), HttpSM.allowedFrom(State.SEND_RESPONSE_HOOK));
  }

  /** A client side on which nothing may be called but what a machine needs to exist. */
  private static final class IdleClient implements ClientSide {
    private final EventLoop loop = new VirtualTimeEventLoop();
    private final ReentrantLock lock = new ReentrantLock();

    @Override
    public EventLoop eventLoop() {
      return loop;
    }

    @Override
    public ReentrantLock lock() {
      return lock;
    }

    private static UnsupportedOperationException unexpected() {
      return new UnsupportedOperationException("not expected in this test");
    }

    @Override
    public SocketAddress clientAddress() {
      throw unexpected();
    }

    @Override
    public SocketAddress localAddress() {
      throw unexpected();
    }

    @Override
    public Optional<TlsSessionInfo> clientTls() {
      throw unexpected();
    }

    @Override
    public boolean isInternal() {
      throw unexpected();
    }

    @Override
    public String pluginTag() {
      throw unexpected();
    }

    @Override
    public long pluginId() {
      throw unexpected();
    }

    @Override
    public boolean isClosed() {
      throw unexpected();
    }

    @Override
    public SessionHooks sessionHooks() {
      throw unexpected();
    }

    @Override
    public boolean isDraining() {
      throw unexpected();
    }

    @Override
    public IOBufferReader requestBytes() {
      throw unexpected();
    }

    @Override
    public boolean requestBytesEnded() {
      throw unexpected();
    }

    @Override
    public void wantRequestBytes() {
      throw unexpected();
    }

    @Override
    public void watchClient(boolean on) {
      throw unexpected();
    }

    @Override
    public void armTransactionTimer(Duration delay) {
      throw unexpected();
    }

    @Override
    public void cancelTransactionTimer() {
      throw unexpected();
    }

    @Override
    public void sendContinue() {
      throw unexpected();
    }

    @Override
    public BodySink sendResponseHead(HttpResponseHead head, long pendingLimit) {
      throw unexpected();
    }

    @Override
    public void sendResponse(HttpResponseHead head, byte[] body) {
      throw unexpected();
    }

    @Override
    public void responseBytesAdded() {
      throw unexpected();
    }

    @Override
    public boolean takeBackResponse() {
      throw unexpected();
    }

    @Override
    public void endResponse() {
      throw unexpected();
    }

    @Override
    public long responseBytesSent() {
      throw unexpected();
    }

    @Override
    public TunnelEnd handOverForTunnel(HttpResponseHead head) {
      throw unexpected();
    }

    @Override
    public void abort() {
      throw unexpected();
    }

    @Override
    public void close() {
      throw unexpected();
    }

    @Override
    public void transactionDone(boolean keepAlive) {
      throw unexpected();
    }

    @Override
    public void fail(Throwable e) {
      throw unexpected();
    }
  }
}
