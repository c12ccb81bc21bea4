package dev.vconn.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ResourceLeakDetectorFactory} whose detectors remember every leak they report (and still log it). It must
 * be installed before Netty's buffer classes are initialised, which {@link NettyLeakCheck} (before every test class)
 * and {@link NettyHarness}'s static initialiser do; {@code LeakRecorderTest} proves that it sees a planted leak.
 */
final class LeakRecorder extends ResourceLeakDetectorFactory {
    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();
    private static boolean installed;

    private LeakRecorder() {
    }

    /** Installs the recorder as Netty's leak detector factory (once). */
    static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new LeakRecorder());
            installed = true;
        }
    }

    /** The leaks reported so far. */
    static List<String> reports() {
        return List.copyOf(REPORTS);
    }

    /** Forgets the reports (after a test that leaks on purpose). */
    static void clear() {
        REPORTS.clear();
    }

    /**
     * Lets the detector look for collected, unreleased buffers: a garbage collection, then an allocation (a
     * paranoid detector polls its reference queue on every allocation it tracks).
     */
    static void poll() {
        System.gc();
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(1);
        probe.release();
        ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(1);
        heap.release();
    }

    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
            long maxActive) {
        return new Recording<>(resource, samplingInterval);
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
        return new Recording<>(resource, samplingInterval);
    }

    private static final class Recording<T> extends ResourceLeakDetector<T> {
        Recording(Class<?> resourceType, int samplingInterval) {
            super(resourceType, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            REPORTS.add(resourceType + " leaked:" + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            REPORTS.add(resourceType + " leaked (untraced)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
