package dev.vconn.domain.http;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link HttpProxy}, updated as connections and transactions end; safe to read from any thread.
 * {@link #snapshot()} has the totals; the other accessors break them down (by kind and status class, by plugin tag,
 * origin connections, tunnels, TLS handshakes) and give the latency histograms, for vconn-server's {@code /metrics}
 * (docs/server.md, Metrics).
 */
public final class HttpStats {

  /**
   * A consistent-enough copy of the counters (each read once).
   *
   * @param connections client connections accepted (network and in-process)
   * @param activeConnections client connections open now
   * @param inProcessConnections in-process client connections accepted
   * @param networkConnections network client connections accepted
   * @param deniedConnections connections refused by access control
   * @param transactions transactions ended
   * @param inProcessTransactions transactions of in-process clients
   * @param networkTransactions transactions of network clients
   * @param errorResponses responses the proxy generated with a 4xx or 5xx status
   * @param bytesIn bytes read from clients
   * @param bytesOut bytes written to clients
   * @param internalErrors sessions closed because handling an event threw (a bug: logged as "HTTP session ...
   *     failed"); 0 in a healthy proxy
   */
  public record Snapshot(long connections, long activeConnections, long inProcessConnections,
      long networkConnections, long deniedConnections, long transactions, long inProcessTransactions,
      long networkTransactions, long errorResponses, long bytesIn, long bytesOut, long internalErrors) {}

  // Counted on the event loops, several times per transaction: Counter adds without an atomic instruction.
  final Counter connections = new Counter();
  final Counter activeConnections = new Counter();
  final Counter inProcessConnections = new Counter();
  final Counter deniedConnections = new Counter();
  final Counter transactions = new Counter();
  final Counter inProcessTransactions = new Counter();
  final Counter errorResponses = new Counter();
  final Counter bytesIn = new Counter();
  final Counter bytesOut = new Counter();
  final Counter internalErrors = new Counter();
  private final Map<String, LongAdder> tlsConnections = new ConcurrentHashMap<>();
  final Counter tlsHandshakeFailures = new Counter();
  final Counter activeInProcessConnections = new Counter();
  /** Ended transactions by kind (0 network, 1 in-process) and status class (status / 100, 0 for none sent). */
  private final Counter[][] transactionsByClass = new Counter[2][6];
  private final Map<String, LongAdder> inProcessTransactionsByTag = new ConcurrentHashMap<>();
  final Counter originConnects = new Counter();
  final Counter originConnectFailures = new Counter();
  final Counter originReuses = new Counter();
  final Counter originRetries = new Counter();
  final Counter originResponseFailures = new Counter();
  final Counter connectTunnels = new Counter();
  final Counter upgradeTunnels = new Counter();
  final Counter openTunnels = new Counter();
  final Histogram transactionDuration = new Histogram();
  final Histogram originFirstByte = new Histogram();

  HttpStats() {
    for (Counter[] byClass : transactionsByClass) {
      for (int i = 0; i < byClass.length; i++) {
        byClass[i] = new Counter();
      }
    }
  }

  /**
   * A sum that threads add to without an atomic read-modify-write: each adding thread owns a cell (claimed once, in
   * a slot chosen by its thread id) that only it writes, with a release store; a read adds up the cells. A thread
   * that finds no free slot adds to a shared {@link LongAdder}. Exact like a {@code LongAdder}: every add is counted
   * once, and a read sees at least every add that happened before it. A thread's cell stays when the thread ends, so
   * its adds stay counted.
   */
  static final class Counter {
    private static final int SLOTS = 16; // a power of two; more adding threads than slots share the LongAdder
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Cell[].class);
    private final Cell[] cells = new Cell[SLOTS];
    private final LongAdder shared = new LongAdder();

    /** Adds one. */
    void increment() {
      add(1);
    }

    /** Subtracts one. */
    void decrement() {
      add(-1);
    }

    /** Adds {@code x}. */
    void add(long x) {
      long id = Thread.currentThread().getId();
      Cell c = (Cell) SLOT.getAcquire(cells, home(id));
      if (c != null && c.owner == id) {
        c.add(x);
      } else {
        addSlowly(id, x);
      }
    }

    /** A thread whose cell is not in its home slot: finds or claims one, else adds to the shared adder. */
    private void addSlowly(long id, long x) {
      int home = home(id);
      for (int k = 0; k < SLOTS; k++) {
        int slot = (home + k) & (SLOTS - 1);
        Cell c = (Cell) SLOT.getAcquire(cells, slot);
        if (c == null) {
          Cell mine = new Cell(id);
          c = SLOT.compareAndSet(cells, slot, null, mine) ? mine : (Cell) SLOT.getAcquire(cells, slot);
        }
        if (c.owner == id) {
          c.add(x);
          return;
        }
      }
      shared.add(x);
    }

    private static int home(long id) {
      return (int) ((id * 0x9E3779B97F4A7C15L) >>> 60); // SLOTS = 16: the top 4 bits of a Fibonacci hash
    }

    /** The sum of every add so far. */
    long sum() {
      long total = shared.sum();
      for (int slot = 0; slot < SLOTS; slot++) {
        Cell c = (Cell) SLOT.getAcquire(cells, slot);
        if (c != null) {
          total += c.value();
        }
      }
      return total;
    }

    /** One thread's part of a counter: written only by that thread, read by any. */
    private static final class Cell {
      private static final VarHandle VALUE;

      static {
        try {
          VALUE = MethodHandles.lookup().findVarHandle(Cell.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
          throw new ExceptionInInitializerError(e);
        }
      }

      final long owner;
      private long value;

      Cell(long owner) {
        this.owner = owner;
      }

      /** Called by the owner thread only: a plain read of its own last write, then a release store. */
      void add(long x) {
        VALUE.setRelease(this, value + x);
      }

      long value() {
        return (long) VALUE.getAcquire(this);
      }
    }
  }

  /** Counts a client connection whose TLS handshake finished. */
  void tlsHandshake(TlsSessionInfo info) {
    tlsConnections.computeIfAbsent(info.protocol() + " " + info.cipherSuite(), k -> new LongAdder()).increment();
  }

  /** Counts an ended transaction by kind, status class and (in-process) plugin tag. */
  void transactionEnded(boolean inProcess, int status, String pluginTag) {
    transactionsByClass[inProcess ? 1 : 0][status >= 100 && status <= 599 ? status / 100 : 0].increment();
    if (inProcess) {
      inProcessTransactionsByTag.computeIfAbsent(pluginTag == null ? "-" : pluginTag, k -> new LongAdder())
          .increment();
    }
  }

  /**
   * Ended transactions of one kind whose response had a status of one class.
   *
   * @param inProcess in-process clients, else network clients
   * @param statusClass 1 to 5 for 1xx to 5xx; 0 for transactions that sent no response (the client went away)
   * @return the count
   * @throws IllegalArgumentException if the class is not in 0..5
   */
  public long transactions(boolean inProcess, int statusClass) {
    if (statusClass < 0 || statusClass > 5) {
      throw new IllegalArgumentException("statusClass must be in 0..5, was " + statusClass);
    }
    return transactionsByClass[inProcess ? 1 : 0][statusClass].sum();
  }

  /**
   * Ended transactions of in-process clients by their plugin tag ({@code pitag}; {@code -} for none).
   *
   * @return counts by tag, sorted by tag
   */
  public Map<String, Long> inProcessTransactionsByTag() {
    Map<String, Long> counts = new TreeMap<>();
    inProcessTransactionsByTag.forEach((k, v) -> counts.put(k, v.sum()));
    return counts;
  }

  /**
   * In-process client connections open now ({@link Snapshot#activeConnections()} counts both kinds).
   *
   * @return the count
   */
  public long activeInProcessConnections() {
    return activeInProcessConnections.sum();
  }

  /**
   * Client connections whose TLS handshake failed or was cut off before it finished.
   *
   * @return the count
   */
  public long tlsHandshakeFailures() {
    return tlsHandshakeFailures.sum();
  }

  /**
   * What happened on the way to origins (intercepts not included).
   *
   * @param connects new connections made to origins
   * @param connectFailures connection attempts that failed or timed out (each attempt of a retried request)
   * @param reuses requests sent on a pooled keep-alive connection
   * @param retries requests sent again on a new connection after a failed attempt
   * @param responseFailures transactions that got no sound response from the origin (answered 502 or 504, or cut off
   *     mid-response) after their retries
   */
  public record OriginCounts(long connects, long connectFailures, long reuses, long retries, long responseFailures) {}

  /**
   * Reads the origin counters.
   *
   * @return the counts
   */
  public OriginCounts origins() {
    return new OriginCounts(originConnects.sum(), originConnectFailures.sum(), originReuses.sum(),
        originRetries.sum(), originResponseFailures.sum());
  }

  /**
   * Blind tunnels started (docs/http.md, Tunnels).
   *
   * @param upgrade upgrades ({@code 101 Switching Protocols}), else CONNECT tunnels
   * @return the count
   */
  public long tunnels(boolean upgrade) {
    return (upgrade ? upgradeTunnels : connectTunnels).sum();
  }

  /**
   * Blind tunnels open now.
   *
   * @return the count
   */
  public long openTunnels() {
    return openTunnels.sum();
  }

  /**
   * From the first byte of the request head to the end of the transaction.
   *
   * @return the histogram's counts
   */
  public Histogram.Snapshot transactionDuration() {
    return transactionDuration.snapshot();
  }

  /**
   * From the first byte of the request head until the origin's response head was read (transactions that reached
   * an origin; intercepts not included).
   *
   * @return the histogram's counts
   */
  public Histogram.Snapshot originFirstByte() {
    return originFirstByte.snapshot();
  }

  /**
   * Durations counted into fixed buckets (upper bounds from 1 ms to 60 s, and one for longer), lock-free.
   */
  public static final class Histogram {
    /** The buckets' upper bounds in seconds, ascending; a last bucket takes everything longer. */
    public static final List<Double> UPPER_BOUNDS_SECONDS = List.of(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);
    private static final long[] UPPER_BOUNDS_NANOS =
        UPPER_BOUNDS_SECONDS.stream().mapToLong(s -> Math.round(s * 1e9)).toArray();

    private final Counter[] buckets = new Counter[UPPER_BOUNDS_NANOS.length + 1];
    private final Counter sumNanos = new Counter();

    Histogram() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new Counter();
      }
    }

    void record(long nanos) {
      long n = Math.max(0, nanos);
      int i = 0;
      while (i < UPPER_BOUNDS_NANOS.length && n > UPPER_BOUNDS_NANOS[i]) {
        i++;
      }
      buckets[i].increment();
      sumNanos.add(n);
    }

    /**
     * What was recorded.
     *
     * @param cumulativeCounts per upper bound of {@link #UPPER_BOUNDS_SECONDS}, how many durations were at most
     *     that long, then (one more element) all of them
     * @param sumSeconds the durations' sum
     */
    public record Snapshot(List<Long> cumulativeCounts, double sumSeconds) {
      /**
       * Copies the counts.
       *
       * @param cumulativeCounts the cumulative counts, one more than there are upper bounds
       * @param sumSeconds the sum
       */
      public Snapshot {
        cumulativeCounts = List.copyOf(cumulativeCounts);
      }

      /**
       * How many durations were recorded: the last cumulative count.
       *
       * @return the count
       */
      public long count() {
        return cumulativeCounts.get(cumulativeCounts.size() - 1);
      }
    }

    Snapshot snapshot() {
      // The count is the sum of the buckets read here, so it always equals the last cumulative count.
      List<Long> cumulative = new ArrayList<>(buckets.length);
      long total = 0;
      for (Counter b : buckets) {
        total += b.sum();
        cumulative.add(total);
      }
      return new Snapshot(cumulative, sumNanos.sum() / 1e9);
    }
  }

  /**
   * Client connections whose TLS handshake finished, by protocol and cipher suite.
   *
   * @return counts keyed {@code "TLSv1.3 TLS_AES_128_GCM_SHA256"}, sorted by key; empty without TLS clients
   */
  public Map<String, Long> tlsConnections() {
    Map<String, Long> counts = new TreeMap<>();
    tlsConnections.forEach((k, v) -> counts.put(k, v.sum()));
    return counts;
  }

  /**
   * Reads the counters.
   *
   * @return a snapshot
   */
  public Snapshot snapshot() {
    long c = connections.sum();
    long ic = inProcessConnections.sum();
    long t = transactions.sum();
    long it = inProcessTransactions.sum();
    return new Snapshot(c, activeConnections.sum(), ic, c - ic, deniedConnections.sum(), t, it, t - it,
        errorResponses.sum(), bytesIn.sum(), bytesOut.sum(), internalErrors.sum());
  }
}
