package dev.vconn.domain.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.testing.BytePattern;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Traffic Server's PluginVC regression suite ({@code EXCLUSIVE_REGRESSION_TEST(PVC)} driving
 * {@code NetVCTest} over a 32 KiB pair), ported to vconn's pair on the virtual-time loop.
 *
 * <p>Each end sends a rolling byte pattern, adds a fixed number of bytes per WRITE_READY, checks every byte it
 * reads, shuts down a direction when it ends and closes once both have ended. The expected end event of each
 * direction is part of the case. After every case both ends are closed, the pair is freed and every block is
 * back in the pool.
 */
class PluginVcRegressionTest {
    /**
     * One end's script.
     *
     * @param send           bytes the end writes into its buffer in total
     * @param writeNBytes    nbytes of its write VIO
     * @param readNBytes     nbytes of its read VIO
     * @param bytesPerReady  bytes added per WRITE_READY
     * @param timeoutSeconds the inactivity timeout (the active timeout is 5 s longer)
     * @param readEnd        the expected last event of the read VIO
     * @param writeEnd       the expected last event of the write VIO
     */
    record Script(long send, long writeNBytes, long readNBytes, int bytesPerReady, int timeoutSeconds, Event readEnd,
            Event writeEnd) {
    }

    static Stream<Arguments> cases() {
        Event rc = Event.READ_COMPLETE;
        Event wc = Event.WRITE_COMPLETE;
        return Stream.of(
                // basic: 2000 bytes each way.
                Arguments.of("basic", new Script(2000, 2000, 2000, 50, 10, rc, wc),
                        new Script(2000, 2000, 2000, 50, 10, rc, wc)),
                // basic2: asymmetric sizes.
                Arguments.of("basic2", new Script(10001, 10001, 5001, 1024, 10, rc, wc),
                        new Script(5001, 5001, 10001, 1024, 10, rc, wc)),
                // large: 1 MB and 500 KB, 8 KB per WRITE_READY.
                Arguments.of("large", new Script(1_000_000, 1_000_000, 500_000, 8192, 10, rc, wc),
                        new Script(500_000, 500_000, 1_000_000, 8192, 10, rc, wc)),
                // larget: the same with 40 KB chunks (more than one 32 KB block per WRITE_READY).
                Arguments.of("larget", new Script(1_000_000, 1_000_000, 500_000, 40_000, 10, rc, wc),
                        new Script(500_000, 500_000, 1_000_000, 40_000, 10, rc, wc)),
                // eos: the passive end posts a 6000-byte read but receives 4000, then EOS once the active end
                // shuts down its write side.
                Arguments.of("eos", new Script(4000, 4000, 10, 8192, 10, rc, wc),
                        new Script(10, 10, 6000, 8192, 10, Event.EOS, wc)),
                // werr: the passive end finishes and closes early; the active writer, 3990 bytes short, gets ERROR.
                Arguments.of("werr", new Script(4000, 4000, 10, 129, 10, rc, Event.ERROR),
                        new Script(10, 10, 10, 129, 10, rc, wc)),
                // itimeout: the active end declares 8000 bytes but sends 6000: its writer gets INACTIVITY_TIMEOUT,
                // and the passive reader, 2000 short, gets EOS when the active end gives up.
                Arguments.of("itimeout", new Script(6000, 8000, 10, 512, 10, rc, Event.INACTIVITY_TIMEOUT),
                        new Script(10, 10, 8000, 512, 20, Event.EOS, wc)),
                // smallt: one byte per WRITE_READY (every piece is copied, never shared).
                Arguments.of("smallt", new Script(400, 400, 500, 1, 15, rc, wc),
                        new Script(500, 500, 400, 1, 15, rc, wc)),
                // overflow: a million one-byte writes; tiny pieces are copied so no chain of tiny blocks builds up.
                Arguments.of("overflow", new Script(1_000_000, 1_000_000, 50, 1, 20, rc, wc),
                        new Script(50, 50, 1_000_000, 1024, 20, rc, wc)));
    }

    private final BlockPool pool = new BlockPool();
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();

    @AfterEach
    void poolIsEmpty() {
        assertEquals(0, pool.outstanding(), "blocks still outstanding: " + pool);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void regressionCase(String name, Script activeScript, Script passiveScript) {
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
        End active = new End("active", pair.active(), activeScript, new BytePattern(1), new BytePattern(2));
        End passive = new End("passive", pair.passive(), passiveScript, new BytePattern(2), new BytePattern(1));
        active.start();
        passive.start();

        loop.runUntil(() -> active.closed && passive.closed, Duration.ofMinutes(2));

        active.check(passive);
        passive.check(active);
        assertTrue(pair.isFreed(), "the pair is freed once both ends are closed");
        assertEquals(0, loop.timerCount(), "no timer left behind by closed ends");
    }

    /** One end running its script. */
    private final class End {
        final String name;
        final VConn vc;
        final Script script;
        final BytePattern sendPattern;
        final BytePattern receivePattern;
        final IOBuffer readBuffer = new IOBuffer(pool);
        final IOBufferReader readReader = readBuffer.allocReader();
        final IOBuffer writeBuffer = new IOBuffer(pool);
        final IOBufferReader writeReader = writeBuffer.allocReader();
        final Continuation continuation = new Continuation(this::handle);
        ReadVio readVio;
        WriteVio writeVio;
        long added;
        long received;
        Event readEnd;
        Event writeEnd;
        long readNDoneAtEnd;
        long writeNDoneAtEnd;
        boolean closed;
        String failure;

        End(String name, VConn vc, Script script, BytePattern sendPattern, BytePattern receivePattern) {
            this.name = name;
            this.vc = vc;
            this.script = script;
            this.sendPattern = sendPattern;
            this.receivePattern = receivePattern;
        }

        void start() {
            vc.setInactivityTimeout(Duration.ofSeconds(script.timeoutSeconds()));
            vc.setActiveTimeout(Duration.ofSeconds(script.timeoutSeconds() + 5L));
            readVio = vc.read(continuation, script.readNBytes(), readBuffer);
            writeVio = vc.write(continuation, script.writeNBytes(), writeReader);
        }

        void handle(Event event, Object data) {
            try {
                if (data == readVio) {
                    onRead(event);
                } else if (data == writeVio) {
                    onWrite(event);
                } else {
                    failure = name + ": event " + event + " for an unknown VIO " + data;
                }
            } catch (AssertionError e) {
                failure = name + ": " + e.getMessage();
            }
        }

        void onRead(Event event) {
            received += receivePattern.consumeAndCheck(readReader, received);
            if (readEnd != null) {
                failure = name + ": read event " + event + " after its end event " + readEnd;
                return;
            }
            if (event == Event.READ_READY) {
                return; // consumed inside the callback: no reenable needed
            }
            readEnd = event;
            readNDoneAtEnd = readVio.ndone();
            vc.shutdown(ShutdownHow.READ);
            finishIfDone();
        }

        void onWrite(Event event) {
            if (writeEnd != null) {
                failure = name + ": write event " + event + " after its end event " + writeEnd;
                return;
            }
            if (event == Event.WRITE_READY) {
                int n = (int) Math.min(script.bytesPerReady(), script.send() - added);
                if (n > 0) {
                    sendPattern.write(writeBuffer, added, n);
                    added += n;
                }
                return;
            }
            writeEnd = event;
            writeNDoneAtEnd = writeVio.ndone();
            vc.shutdown(ShutdownHow.WRITE);
            finishIfDone();
        }

        void finishIfDone() {
            if (readEnd != null && writeEnd != null && !closed) {
                closed = true;
                vc.close();
                readBuffer.close();
                writeBuffer.close();
            }
        }

        void check(End peer) {
            assertNull(failure, failure);
            assertTrue(closed, name + " did not finish: read end " + readEnd + ", write end " + writeEnd
                    + ", received " + received + ", sent " + added);
            assertEquals(CloseState.CLOSED, vc.closeState());
            assertEquals(script.readEnd(), readEnd, name + " read end");
            assertEquals(script.writeEnd(), writeEnd, name + " write end");
            if (readEnd == Event.READ_COMPLETE) {
                assertEquals(script.readNBytes(), received, name + " bytes received");
                assertEquals(script.readNBytes(), readNDoneAtEnd, name + " read ndone == nbytes at COMPLETE");
            } else if (readEnd == Event.EOS) {
                long expected = Math.min(peer.script.send(), peer.script.writeNBytes());
                assertEquals(expected, received, name + " received everything the peer sent before EOS");
            }
            if (writeEnd == Event.WRITE_COMPLETE) {
                assertEquals(script.writeNBytes(), writeNDoneAtEnd, name + " write ndone == nbytes at COMPLETE");
            }
            assertEquals(received, readNDoneAtEnd, name + " read ndone counts exactly the bytes delivered");
        }
    }
}
