package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The origin pool keeps idle connections per event loop: a connection is only handed to a transaction on its own loop
 * (docs/http.md, Origins), while the limits per origin count over all loops.
 */
class OriginPoolLoopTest {
  private static final String ORIGIN = "10.0.0.1:8080";
  private final VirtualTimeEventLoop loopA = new VirtualTimeEventLoop();
  private final VirtualTimeEventLoop loopB = new VirtualTimeEventLoop();
  private final BlockPool blocks = new BlockPool();
  private final List<VConnPair> pairs = new ArrayList<>();

  private OriginConnection connection(OriginPool pool, VirtualTimeEventLoop loop) {
    assertTrue(pool.reserve(ORIGIN));
    VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
    pairs.add(pair);
    return new OriginConnection(pair.active(), ORIGIN, blocks, 2, 1024, true);
  }

  /** Runs what is ready on both loops; no time passes (the origin idle timeout would retire the connections). */
  private void run() {
    loopA.runReady();
    loopB.runReady();
  }

  @AfterEach
  void closeAll() {
    pairs.forEach(p -> {
      p.active().close();
      p.passive().close();
    });
    run();
  }

  @Test
  void an_idle_connection_is_only_handed_to_a_transaction_on_its_own_loop() {
    OriginPool pool = new OriginPool(4, 0, HttpTimeouts.defaults());
    OriginConnection onA = connection(pool, loopA);
    OriginConnection onB = connection(pool, loopB);
    pool.release(onA);
    pool.release(onB);
    run();
    assertEquals(2, pool.idleCount());

    OriginConnection forB = pool.take(ORIGIN, loopB);
    assertSame(onB, forB, "loop B gets its own connection, not the more recently released one of loop A");
    assertNull(pool.take(ORIGIN, loopB), "loop A's connection is never handed to loop B");
    assertSame(onA, pool.take(ORIGIN, loopA));
    assertNull(pool.take(ORIGIN, loopA));
    assertEquals(0, pool.idleCount());
    assertEquals(2, pool.openCount(ORIGIN), "taken connections still count toward the origin's limit");
    pool.close(forB);
    pool.close(onA);
    assertEquals(0, pool.openCount(ORIGIN));
  }

  @Test
  void max_idle_per_origin_counts_the_idle_connections_of_every_loop() {
    OriginPool pool = new OriginPool(2, 0, HttpTimeouts.defaults());
    OriginConnection a1 = connection(pool, loopA);
    OriginConnection b1 = connection(pool, loopB);
    OriginConnection b2 = connection(pool, loopB);
    pool.release(a1);
    pool.release(b1);
    pool.release(b2); // a third idle connection to the origin: over the limit of 2, closed
    run();
    assertEquals(2, pool.idleCount());
    assertTrue(b2.isClosed());
    assertEquals(2, pool.openCount(ORIGIN), "the closed one gave its slot back");

    assertSame(b1, pool.take(ORIGIN, loopB));
    OriginConnection b3 = connection(pool, loopB);
    pool.release(b3); // room again: one idle left (on loop A)
    run();
    assertEquals(2, pool.idleCount());
    assertSame(b3, pool.take(ORIGIN, loopB));
    assertSame(a1, pool.take(ORIGIN, loopA));
    pool.close(b1);
    pool.close(b3);
    pool.close(a1);
    assertEquals(0, pool.openCount(ORIGIN));
  }

  @Test
  void max_connections_per_origin_counts_the_connections_of_every_loop() {
    OriginPool pool = new OriginPool(4, 2, HttpTimeouts.defaults());
    OriginConnection a1 = connection(pool, loopA);
    OriginConnection b1 = connection(pool, loopB);
    assertEquals(false, pool.reserve(ORIGIN), "two open, on two loops: at the limit");
    pool.release(a1);
    run();
    assertEquals(false, pool.reserve(ORIGIN), "an idle connection still counts");
    assertNull(pool.take(ORIGIN, loopB), "and loop B cannot take loop A's");
    pool.close();
    run();
    assertTrue(pool.reserve(ORIGIN), "closing the idle one freed its slot");
    pool.unreserve(ORIGIN);
    pool.close(b1);
    assertEquals(0, pool.openCount(ORIGIN));
  }

  @Test
  void a_connection_keeps_its_origins_counts_only_while_they_are_the_pools_and_the_limit_holds_after_they_were_dropped() {
    OriginPool pool = new OriginPool(1, 0, HttpTimeouts.defaults());
    VConnPair unreservedPair = VConnPair.open(loopA, VConnPair.Options.defaults());
    pairs.add(unreservedPair);
    // A connection the pool never reserved a slot for: its counts leave the pool whenever it is taken.
    OriginConnection unreserved = new OriginConnection(unreservedPair.active(), ORIGIN, blocks, 2, 1024, true);
    pool.release(unreserved);
    run();
    assertSame(unreserved, pool.take(ORIGIN, loopA));
    assertEquals(0, pool.idleCount());
    OriginConnection other = connection(pool, loopA); // new counts for the origin
    pool.release(other);
    run();
    pool.release(unreserved); // must be counted with the new counts: a second idle connection, over the limit of 1
    run();
    assertTrue(unreserved.isClosed(), "the limit of one idle connection per origin holds");
    assertEquals(1, pool.idleCount());
    assertSame(other, pool.take(ORIGIN, loopA));
    assertNull(pool.take(ORIGIN, loopA));
    pool.close(other);
    assertEquals(0, pool.openCount(ORIGIN));
    assertEquals(0, pool.idleCount());
  }

  @Test
  void releasing_and_taking_a_warm_connection_allocates_nothing_for_the_pools_bookkeeping() {
    OriginPool pool = new OriginPool(4, 0, HttpTimeouts.defaults());
    OriginConnection c = connection(pool, loopA);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int cycles = 20_000;
    long poolBytes = 0;
    long watchBytes = 0;
    for (int round = 0; round < 3; round++) { // the last round counts: the first ones get the code compiled
      long start = threads.getThreadAllocatedBytes(thread);
      for (int i = 0; i < cycles; i++) {
        pool.release(c);
        loopA.runReady();
        assertSame(c, pool.take(ORIGIN, loopA));
      }
      long middle = threads.getThreadAllocatedBytes(thread);
      // What a release does besides the pool's bookkeeping: post the watcher's read and set the idle timeout.
      for (int i = 0; i < cycles; i++) {
        c.idleRead = c.vconn.read(c.watcher(null), Long.MAX_VALUE, c.readBuffer);
        c.vconn.setInactivityTimeout(HttpTimeouts.defaults().originIdle());
        loopA.runReady();
        c.idleRead = null;
      }
      poolBytes = middle - start;
      watchBytes = threads.getThreadAllocatedBytes(thread) - middle;
    }
    assertTrue(poolBytes - watchBytes < cycles * 8L, (poolBytes - watchBytes) / cycles + " bytes per release and take"
        + " beyond the watcher's read: the pool's queues, counts and keys must be reused, not made per request");
    pool.close(c);
  }
}
