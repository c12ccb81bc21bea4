package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VIO;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keep-alive connections to origins, per {@code host:port}: at most {@code maxIdle} idle ones each, closed after
 * the origin idle timeout or as soon as the origin closes them or sends anything while idle. {@link #take} checks a
 * connection again before handing it out, since its watcher may not have had the event yet. Also counts the open
 * connections per origin for {@code maxConnectionsPerOrigin}. Thread-safe: sessions on every loop share it.
 *
 * <p>Idle connections are kept per event loop: {@link #take} hands out only a connection pinned to the caller's loop,
 * so a transaction and its origin connection run on one loop, with no hand-off or wake-up across loops (docs/http.md,
 * Origins). The limits ({@code maxIdle}, {@code maxOpen}) count over all loops.
 *
 * <p>A connection with an {@linkplain OriginConnection#owner owner} (the PROXY protocol header it announced) is
 * handed out only to a transaction whose client connection announces the same: it must never carry another client's
 * requests (docs/http.md, "PROXY protocol towards origins").
 */
final class OriginPool {
  /** Where idle connections wait: an origin on a loop, for one announced client or (owner null) for anybody. */
  private record IdleKey(EventLoop loop, String origin, String owner) {}

  private final int maxIdle;
  private final int maxOpen;
  private final HttpTimeouts timeouts;
  private final Map<IdleKey, Deque<OriginConnection>> idle = new HashMap<>();
  /** Idle connections per origin, over all loops (what {@code maxIdle} bounds). */
  private final Map<String, Integer> idlePerOrigin = new HashMap<>();
  private final Map<String, Integer> open = new HashMap<>();
  private boolean closed;

  OriginPool(int maxIdle, int maxOpen, HttpTimeouts timeouts) {
    this.maxIdle = maxIdle;
    this.maxOpen = maxOpen;
    this.timeouts = timeouts;
  }

  /**
   * An idle connection to {@code key} pinned to {@code loop} that announced {@code owner} (null: nobody), now owned
   * by the caller, or null. Connections that are no
   * longer sound (the origin closed or reset them, or sent bytes the watcher has not reported yet) are closed on the
   * way, never handed out: an unsolicited byte would otherwise be read as the next request's response.
   */
  OriginConnection take(String key, EventLoop loop, String owner) {
    List<OriginConnection> stale = null;
    OriginConnection found = null;
    synchronized (this) {
      IdleKey where = new IdleKey(loop, key, owner);
      Deque<OriginConnection> q = idle.get(where);
      while (q != null && !q.isEmpty()) {
        OriginConnection c = q.pollLast(); // the most recently used is the least likely to have timed out
        idleRemoved(where, q);
        if (c.isSoundWhileIdle()) {
          c.idleRead = null;
          found = c;
          break;
        }
        if (stale == null) {
          stale = new ArrayList<>();
        }
        stale.add(c);
      }
    }
    if (stale != null) {
      stale.forEach(this::closeIdle);
    }
    return found;
  }

  /** An idle connection to {@code key} pinned to {@code loop} that announced nobody (see the other {@code take}). */
  OriginConnection take(String key, EventLoop loop) {
    return take(key, loop, null);
  }

  /** Bookkeeping after a connection left {@code q}, the idle set of {@code where} (under this pool's monitor). */
  private void idleRemoved(IdleKey where, Deque<OriginConnection> q) {
    if (q.isEmpty()) {
      idle.remove(where);
    }
    int n = idlePerOrigin.getOrDefault(where.origin(), 0);
    if (n <= 1) {
      idlePerOrigin.remove(where.origin());
    } else {
      idlePerOrigin.put(where.origin(), n - 1);
    }
  }

  /** Reserves a slot for a new connection to {@code key}; false if the origin is at its limit. */
  synchronized boolean reserve(String key) {
    int n = open.getOrDefault(key, 0);
    if (maxOpen > 0 && n >= maxOpen) {
      return false;
    }
    open.put(key, n + 1);
    return true;
  }

  /** Gives back a slot reserved for a connection that was never made or was closed. */
  synchronized void unreserve(String key) {
    Integer n = open.get(key);
    if (n != null) {
      if (n <= 1) {
        open.remove(key);
      } else {
        open.put(key, n - 1);
      }
    }
  }

  /** Closes a connection that counted toward its origin's limit. */
  void close(OriginConnection c) {
    c.close();
    unreserve(c.key);
  }

  /**
   * Takes back a healthy connection whose last response was read whole. The caller must hold the lock of the
   * connection's current VIO continuations and have cancelled its write.
   */
  void release(OriginConnection c) {
    Continuation watcher = c.watcher(this::retire);
    // Hold the watcher's lock until the connection is in the idle set, so its first event finds it there.
    watcher.lock().lock();
    try {
      boolean keep;
      synchronized (this) {
        keep = !closed && idlePerOrigin.getOrDefault(c.key, 0) < maxIdle && c.reader.readAvail() == 0;
      }
      if (!keep) {
        close(c);
        return;
      }
      // Watch it while idle: any byte, EOS, error or the idle timeout retires it.
      c.idleRead = c.vconn.read(watcher, Long.MAX_VALUE, c.readBuffer);
      c.vconn.setInactivityTimeout(timeouts.originIdle());
      synchronized (this) {
        // The limit is checked again: another loop may have released a connection to this origin meanwhile.
        keep = !closed && idlePerOrigin.getOrDefault(c.key, 0) < maxIdle;
        if (keep) {
          idle.computeIfAbsent(new IdleKey(c.vconn.eventLoop(), c.key, c.owner), k -> new ArrayDeque<>()).addLast(c);
          idlePerOrigin.merge(c.key, 1, Integer::sum);
        }
      }
      if (!keep) {
        c.idleRead = null;
        close(c);
      }
    } finally {
      watcher.lock().unlock();
    }
  }

  /** The watcher of an idle connection got an event (runs under the watcher's lock). */
  private void retire(OriginConnection c, Object data) {
    if (data instanceof VIO vio && vio.isRetired()) {
      return; // a session took it and posted its own read
    }
    synchronized (this) {
      IdleKey where = new IdleKey(c.vconn.eventLoop(), c.key, c.owner);
      Deque<OriginConnection> q = idle.get(where);
      if (q == null || !q.remove(c)) {
        return; // taken meanwhile
      }
      idleRemoved(where, q);
    }
    c.close();
    unreserve(c.key);
  }

  /** How many idle connections there are, over all origins. */
  synchronized int idleCount() {
    return idle.values().stream().mapToInt(Deque::size).sum();
  }

  /** Closes every idle connection and refuses new ones. */
  void close() {
    List<OriginConnection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      idle.values().forEach(all::addAll);
      idle.clear();
      idlePerOrigin.clear();
    }
    all.forEach(this::closeIdle);
  }

  /** Closes a connection taken out of the idle set, under its watcher's lock so no pass is reading into it. */
  private void closeIdle(OriginConnection c) {
    Continuation w = c.watcher(null);
    w.lock().lock();
    try {
      c.close();
    } finally {
      w.lock().unlock();
    }
    unreserve(c.key);
  }

  /** How many connections are open (or being made), over all origins. */
  synchronized int openCount() {
    return open.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Unused hook for tests: how many connections are open to {@code key}. */
  synchronized int openCount(String key) {
    return open.getOrDefault(key, 0);
  }

}
