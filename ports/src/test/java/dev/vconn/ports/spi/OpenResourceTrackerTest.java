package dev.vconn.ports.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** What a transport reports when it closes with things still open (rule 5.3: pairs with their tag and id). */
class OpenResourceTrackerTest {
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final OpenResourceTracker tracker = new OpenResourceTracker();

    @Test
    void pairs_left_open_are_logged_with_tag_and_id_and_which_ends_are_open_then_closed_on_demand() {
        VConnPair pair = VConnPair.open(loop, new VConnPair.Options("fetcher", 77, 8, 0, null), tracker::pairFreed);
        tracker.opened(pair);
        pair.active().close();
        loop.runUntilIdle();

        RecordingLogger log = new RecordingLogger();
        tracker.logLeftOpen(log, "nio");
        assertEquals(1, log.lines.size(), log.lines.toString());
        String line = log.lines.get(0);
        assertTrue(line.startsWith("WARN transport nio closed with a pair still open"), line);
        assertTrue(line.contains("tag=fetcher id=77"), line);
        assertTrue(line.contains("active closed, passive open"), line);

        tracker.closeAll();
        loop.runUntilIdle();
        assertTrue(tracker.isEmpty(), tracker.snapshot().toString());
        RecordingLogger after = new RecordingLogger();
        tracker.logLeftOpen(after, "nio");
        assertEquals(List.of(), after.lines, "nothing left to report");
    }

    /** An slf4j logger that keeps the formatted lines. */
    private static final class RecordingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        final List<String> lines = new ArrayList<>();

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern,
                Object[] arguments, Throwable throwable) {
            lines.add(level + " " + MessageFormatter.basicArrayFormat(messagePattern, arguments));
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }
}
