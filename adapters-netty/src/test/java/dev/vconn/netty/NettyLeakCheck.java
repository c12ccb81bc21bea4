package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs around every test class of this module (registered through JUnit's extension auto-detection): installs the
 * {@link LeakRecorder} before the class and, after it, lets Netty's paranoid leak detector look for collected but
 * unreleased buffers and fails the class if it reported any.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    private static final int ROUNDS = 3;

    /** Used by JUnit. */
    public NettyLeakCheck() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LeakRecorder.install();
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel(),
                "the test run sets io.netty.leakDetection.level=paranoid (surefire systemPropertyVariables)");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (int i = 0; i < ROUNDS; i++) {
            LeakRecorder.poll();
            // The reference handler thread enqueues cleared references on its own; give it a moment each round.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        LeakRecorder.poll();
        assertEquals(List.of(), LeakRecorder.reports(),
                "Netty's leak detector reported leaks during " + context.getDisplayName());
    }
}
