package dev.vconn.app.support;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.http.AccessLog;
import dev.vconn.domain.http.AccessLogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Collects access log records. A record is written when its transaction ends, which may be just after the client
 * has the whole response: tests wait for the records they expect (bounded), never for time to pass.
 */
public final class LogRecorder implements AccessLog {
  private final List<AccessLogRecord> records = new ArrayList<>();

  @Override
  public synchronized void log(AccessLogRecord record) {
    records.add(record);
    notifyAll();
  }

  /** The records so far. */
  public synchronized List<AccessLogRecord> records() {
    return List.copyOf(records);
  }

  /** Waits until {@code count} records match, at most {@link TestServer#WAIT}; returns the matching records. */
  public synchronized List<AccessLogRecord> await(Predicate<AccessLogRecord> match, int count)
      throws InterruptedException {
    long deadline = System.nanoTime() + TestServer.WAIT.toNanos();
    while (true) {
      List<AccessLogRecord> found = records.stream().filter(match).toList();
      if (found.size() >= count) {
        return found;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("expected " + count + " matching access log records within " + TestServer.WAIT + ", have " + records);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }
}
