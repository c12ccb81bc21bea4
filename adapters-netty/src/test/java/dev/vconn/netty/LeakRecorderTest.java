package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The leak check can fail: a buffer dropped without release is reported by the recorder NettyLeakCheck reads. */
class LeakRecorderTest {
    @Test
    void the_paranoid_detector_reports_a_planted_leak_to_the_recorder() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
        List<String> before = LeakRecorder.reports();
        assertEquals(List.of(), before, "no leak before the planted one");
        plantLeak();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (LeakRecorder.reports().isEmpty() && System.nanoTime() < deadline) {
            LeakRecorder.poll();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        List<String> reports = LeakRecorder.reports();
        LeakRecorder.clear(); // the leak was on purpose: the class check after this test must not count it
        assertTrue(!reports.isEmpty(), "the planted leak was reported");
        assertTrue(reports.get(0).contains("ByteBuf"), reports.get(0));
    }

    private static void plantLeak() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
        // dropped without release()
    }
}
