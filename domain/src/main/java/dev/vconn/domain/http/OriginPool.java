package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VIO;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Keep-alive connections to origins, per {@code host:port}: at most {@code maxIdle} idle ones each, closed after
 * the origin idle timeout or as soon as the origin closes them or sends anything while idle. {@link #take} checks a
 * connection again before handing it out, since its watcher may not have had the event yet. Also counts the open
 * connections per origin for {@code maxConnectionsPerOrigin}. Thread-safe: sessions on every loop share it. A take
 * and a release each hold this pool's monitor once, and find an origin's counts through the connection rather than
 * by its key (docs/http.md, Origins).
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
  /**
   * The idle connections pinned to one loop, per origin: those that announced nobody, and per announced client
   * those that announced one. A take or release looks them up by the loop, origin and owner objects it has: no key
   * object is made per request.
   */
  private static final class LoopIdle {
    final Map<String, ArrayDeque<OriginConnection>> forAnybody = new HashMap<>();
    final Map<String, Map<String, ArrayDeque<OriginConnection>>> byOwner = new HashMap<>();
    /** An emptied queue kept for the next origin that needs one: a queue that empties and refills makes none. */
    ArrayDeque<OriginConnection> spare;

    /** The origins' queues of {@code owner} (null: anybody); null if there is none and {@code create} is false. */
    Map<String, ArrayDeque<OriginConnection>> origins(String owner, boolean create) {
      if (owner == null) {
        return forAnybody;
      }
      return create ? byOwner.computeIfAbsent(owner, o -> new HashMap<>()) : byOwner.get(owner);
    }
  }

  /**
   * What the pool counts per origin, over all loops. A connection keeps its origin's counts once it found them
   * ({@link OriginConnection#counts}): they stay in {@link #counts} while it is open (its open count holds them).
   */
  static final class OriginCounts {
    /** Idle connections (what {@code maxIdle} bounds). */
    int idle;
    /** Open connections and connects under way (what {@code maxOpen} bounds). */
    int open;
    /** Left {@link #counts} (all counts 0): a connection that kept them looks them up again. */
    boolean dropped;
  }

  private final int maxIdle;
  private final int maxOpen;
  private final HttpTimeouts timeouts;
  /** One entry per loop that has pooled a connection (a handful: the transports' loops), kept for the pool's life. */
  private final Map<EventLoop, LoopIdle> idle = new HashMap<>();
  /** Per origin while it has an idle or open connection; no entry (all counts 0) otherwise. */
  private final Map<String, OriginCounts> counts = new HashMap<>();
  private boolean closed;
  /** What an idle connection's watcher runs on an event (one object for every release). */
  private final BiConsumer<OriginConnection, Object> retireOnEvent = this::retire;

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
      LoopIdle onLoop = idle.get(loop);
      Map<String, ArrayDeque<OriginConnection>> origins = onLoop == null ? null : onLoop.origins(owner, false);
      ArrayDeque<OriginConnection> q = origins == null ? null : origins.get(key);
      while (q != null && !q.isEmpty()) {
        OriginConnection c = q.pollLast(); // the most recently used is the least likely to have timed out
        idleRemoved(onLoop, origins, c, q);
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

  /**
   * Bookkeeping after {@code c} left {@code q}, its queue in {@code origins} of {@code onLoop} (under this pool's
   * monitor): an emptied queue is dropped (kept as the loop's spare), and so are maps and counts left empty, so
   * origins and announced clients that are gone leave nothing behind.
   */
  private void idleRemoved(LoopIdle onLoop, Map<String, ArrayDeque<OriginConnection>> origins, OriginConnection c,
      ArrayDeque<OriginConnection> q) {
    if (q.isEmpty()) {
      origins.remove(c.key);
      onLoop.spare = q;
      if (c.owner != null && origins.isEmpty()) {
        onLoop.byOwner.remove(c.owner);
      }
    }
    OriginCounts n = countsOf(c);
    if (n != null) {
      n.idle--;
      dropIfUnused(c.key, n);
    }
  }

  /**
   * The counts of {@code c}'s origin, null if there are none (under this pool's monitor): looked up once per
   * connection, not per take and release.
   */
  private OriginCounts countsOf(OriginConnection c) {
    OriginCounts n = c.counts;
    if (n == null || n.dropped) {
      n = counts.get(c.key);
      c.counts = n;
    }
    return n;
  }

  private void dropIfUnused(String key, OriginCounts n) {
    if (n.idle <= 0 && n.open <= 0) {
      counts.remove(key);
      n.dropped = true;
    }
  }

  /** Reserves a slot for a new connection to {@code key}; false if the origin is at its limit. */
  synchronized boolean reserve(String key) {
    OriginCounts n = counts.get(key);
    if (maxOpen > 0 && n != null && n.open >= maxOpen) {
      return false;
    }
    if (n == null) {
      n = new OriginCounts();
      counts.put(key, n);
    }
    n.open++;
    return true;
  }

  /** Gives back a slot reserved for a connection that was never made or was closed. */
  synchronized void unreserve(String key) {
    OriginCounts n = counts.get(key);
    if (n != null && n.open > 0) {
      n.open--;
      dropIfUnused(key, n);
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
    if (c.reader.readAvail() != 0 || maxIdle <= 0) {
      close(c); // bytes nobody asked for are never handed to the next request
      return;
    }
    Continuation watcher = c.watcher(retireOnEvent);
    // Hold the watcher's lock until the connection is in the idle set, so its first event finds it there.
    watcher.lock().lock();
    try {
      // Watch it while idle: any byte, EOS, error or the idle timeout retires it. Posted before the limits are
      // checked, so one pass of this pool's monitor per release decides and adds (a connection the limits refuse
      // is closed with its read, which costs no more than the close alone).
      c.idleRead = c.vconn.read(watcher, Long.MAX_VALUE, c.readBuffer);
      c.vconn.setInactivityTimeout(timeouts.originIdle());
      boolean keep;
      synchronized (this) {
        OriginCounts n = countsOf(c);
        keep = !closed && (n == null ? 0 : n.idle) < maxIdle;
        if (keep) {
          idleAdded(c);
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

  /** Puts {@code c} into its loop's idle set (under this pool's monitor). */
  private void idleAdded(OriginConnection c) {
    LoopIdle onLoop = idle.computeIfAbsent(c.vconn.eventLoop(), l -> new LoopIdle());
    Map<String, ArrayDeque<OriginConnection>> origins = onLoop.origins(c.owner, true);
    ArrayDeque<OriginConnection> q = origins.get(c.key);
    if (q == null) {
      q = onLoop.spare != null ? onLoop.spare : new ArrayDeque<>();
      onLoop.spare = null;
      origins.put(c.key, q);
    }
    q.addLast(c);
    OriginCounts n = countsOf(c);
    if (n == null) {
      n = new OriginCounts();
      counts.put(c.key, n);
      c.counts = n;
    }
    n.idle++;
  }

  /** The watcher of an idle connection got an event (runs under the watcher's lock). */
  private void retire(OriginConnection c, Object data) {
    if (data instanceof VIO vio && vio.isRetired()) {
      return; // a session took it and posted its own read
    }
    synchronized (this) {
      LoopIdle onLoop = idle.get(c.vconn.eventLoop());
      Map<String, ArrayDeque<OriginConnection>> origins = onLoop == null ? null : onLoop.origins(c.owner, false);
      ArrayDeque<OriginConnection> q = origins == null ? null : origins.get(c.key);
      if (q == null || !q.remove(c)) {
        return; // taken meanwhile
      }
      idleRemoved(onLoop, origins, c, q);
    }
    c.close();
    unreserve(c.key);
  }

  /** How many idle connections there are, over all origins. */
  synchronized int idleCount() {
    return counts.values().stream().mapToInt(n -> n.idle).sum();
  }

  /** Closes every idle connection and refuses new ones. */
  void close() {
    List<OriginConnection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (LoopIdle onLoop : idle.values()) {
        onLoop.forAnybody.values().forEach(all::addAll);
        onLoop.byOwner.values().forEach(origins -> origins.values().forEach(all::addAll));
      }
      idle.clear();
      for (OriginCounts n : counts.values()) {
        n.idle = 0;
      }
      counts.values().removeIf(n -> {
        n.dropped = n.open <= 0;
        return n.dropped;
      });
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
    return counts.values().stream().mapToInt(n -> n.open).sum();
  }

  /** Unused hook for tests: how many connections are open to {@code key}. */
  synchronized int openCount(String key) {
    OriginCounts n = counts.get(key);
    return n == null ? 0 : n.open;
  }

}
