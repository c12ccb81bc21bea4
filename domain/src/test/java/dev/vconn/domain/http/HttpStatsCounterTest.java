package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * HttpStats.Counter, the per-thread cells behind the proxy's counters: exact under concurrent adds, with more adding
 * threads than it has cells, and it keeps the adds of threads that ended.
 */
class HttpStatsCounterTest {

  @Test
  void concurrent_adds_from_more_threads_than_cells_sum_exactly() throws InterruptedException {
    HttpStats.Counter counter = new HttpStats.Counter();
    HttpStats.Counter other = new HttpStats.Counter();
    int threads = 40; // more than the counter's 16 cells: some threads share the LongAdder
    int rounds = 20_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int amount = t + 1;
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < rounds; i++) {
          counter.add(amount);
          counter.increment();
          counter.decrement();
          other.increment();
        }
      }, "adder-" + t);
      thread.start();
      started.add(thread);
    }
    start.countDown();
    for (Thread thread : started) {
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertFalse(thread.isAlive(), thread.getName() + " did not finish");
    }
    long expected = (long) rounds * threads * (threads + 1) / 2;
    assertEquals(expected, counter.sum(), "every add counted once, also after the threads ended");
    assertEquals((long) rounds * threads, other.sum());
    counter.add(-expected);
    assertEquals(0, counter.sum());
  }

  @Test
  void a_new_counter_is_zero_and_one_thread_reads_its_own_adds_at_once() {
    HttpStats.Counter counter = new HttpStats.Counter();
    assertEquals(0, counter.sum());
    for (int i = 1; i <= 100; i++) {
      counter.add(i);
      assertEquals((long) i * (i + 1) / 2, counter.sum());
    }
    counter.decrement();
    assertEquals(5049, counter.sum());
  }
}
