package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.ports.contract.Streams.KIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Shutdown, close and abort on socket VConns made by the transport.
 *
 * <ul>
 *   <li>semantics.md rule 3.4 and {@code VConn#shutdown}: a write shutdown gives the peer's reader EOS after every byte
 *       written before it, at once (no peer reenable needed); a read shutdown retires that read VIO (no more
 *       events, timeouts included) and the other direction stays usable.</li>
 *   <li>rule 3.4: EOS only to reads with {@code ntodo > 0}, again after a reenable; a writer never gets EOS — a
 *       closed peer gives it ERROR, again after a reenable (Traffic Server statements 20, 28).</li>
 *   <li>{@code VConn#close}/{@code abort}: the peer's reader gets EOS (bytes sent before the close delivered first)
 *       and its writer ERROR; abort records its code and cause; close is idempotent; close states follow
 *       {@code TSVConnClosedGet} (0, 1, -1).</li>
 *   <li>rule 3.7: read/write on a closed VConn, or on a shut direction, throws {@link IllegalStateException}
 *       naming the rule (Traffic Server statement 31 makes it an assertion).</li>
 *   <li>rule 2.4: after {@code close()} returns no new callback starts — closing from inside a callback, and
 *       closing from a foreign thread that holds the continuation's lock while both directions stream, over many
 *       rounds ({@code docs/threading.md}).</li>
 *   <li>docs/semantics.md, rule 5.2: buffers belong to whoever made them; closing the VConn leaves them usable.</li>
 * </ul>
 *
 * <p>Writing to a closed <i>socket</i> peer may succeed a few times before the reset comes back; the helpers here
 * keep writing (a {@link Streams.Sender} refills on every WRITE_READY) within a bounded wait.
 */
public abstract class ShutdownCloseContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(41);
    private static final BytePattern DOWN = new BytePattern(42);

    @Test
    void a_write_shutdown_inside_write_complete_gives_the_peer_eos_after_every_byte_written_before_it()
            throws Exception {
        Connected c = connected();
        int n = 100 * 1024;
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP));
        in.start(c.server(), Long.MAX_VALUE);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, n)).onEvent((e, d) -> {
            if (e == Event.WRITE_COMPLETE) {
                c.client().shutdown(ShutdownHow.WRITE);
            }
        });
        WriteVio vio = out.start(c.client(), n);

        await("EOS at the peer", in::finished);
        settle();
        assertNull(in.failure());
        assertEquals(n, in.received(), "every byte written before the shutdown arrived, in order");
        assertEquals(1, in.count(EOS));
        assertEquals(EOS, in.last());
        assertEquals(0, in.count(READ_COMPLETE) + in.count(ERROR));
        assertTrue(c.client().isWriteShutdown());
        assertFalse(c.client().isReadShutdown());
        assertNull(c.client().writeVio(), "the shut direction has no VIO");
        assertTrue(vio.isRetired());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> c.client().write(new Recorder().continuation(), 1, out.reader()));
        assertTrue(e.getMessage().contains("shut down (docs/semantics.md, rule 3.7)"), e.getMessage());
    }

    @Test
    void a_write_shutdown_reaches_an_idle_peer_reader_without_any_reenable() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        settle();
        assertEquals(List.of(), in.recorder().events());
        c.client().shutdown(ShutdownHow.WRITE);
        await("EOS", () -> in.recorder().saw(EOS));
        settle();
        assertEquals(List.of(EOS), in.recorder().events());
        assertEquals(0, in.vio().ndone());
    }

    @Test
    void a_write_shutdown_leaves_the_other_direction_usable() throws Exception {
        Connected c = connected();
        Reading serverIn = postRead(c.server(), 100);
        c.client().shutdown(ShutdownHow.WRITE);
        await("EOS", () -> serverIn.recorder().saw(EOS));

        Reading clientIn = postRead(c.client(), 1000);
        Sent back = send(c.server(), DOWN, 0, 1000);
        await("the reverse direction still flows", () -> clientIn.recorder().saw(READ_COMPLETE)
                && back.recorder().saw(Event.WRITE_COMPLETE));
        assertEquals(1000, clientIn.drain(DOWN, 0));
        assertEquals(0, back.recorder().count(ERROR));
    }

    @Test
    void a_read_shutdown_retires_the_read_vio_and_no_event_follows() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        c.server().shutdown(ShutdownHow.READ);
        assertTrue(in.vio().isRetired(), "retired at once");
        assertNull(c.server().readVio());
        assertTrue(c.server().isReadShutdown());
        assertFalse(c.server().isWriteShutdown());
        send(c.client(), UP, 0, 1000);
        settle();
        assertEquals(List.of(), in.recorder().events(), "no event for a shut direction");
        assertEquals(0, in.vio().ndone());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> c.server().read(new Recorder().continuation(), 10, in.buffer()));
        assertTrue(e.getMessage().contains("shut down (docs/semantics.md, rule 3.7)"), e.getMessage());
    }

    @Test
    void a_read_shutdown_leaves_the_write_direction_usable() throws Exception {
        Connected c = connected();
        c.server().shutdown(ShutdownHow.READ);
        Reading clientIn = postRead(c.client(), 2000);
        Sent out = send(c.server(), DOWN, 0, 2000);
        await("the write direction still flows", () -> clientIn.recorder().saw(READ_COMPLETE));
        assertEquals(2000, clientIn.drain(DOWN, 0));
        await("WRITE_COMPLETE", () -> out.recorder().saw(Event.WRITE_COMPLETE));
    }

    @Test
    void a_read_shutdown_sends_nothing_the_peer_writer_goes_on_until_this_side_closes_with_bytes_unread()
            throws Exception {
        // Linux's shutdown(SHUT_RD): no ERROR to the writer (only the in-process pair gives one at once).
        Connected c = connected();
        c.server().shutdown(ShutdownHow.READ);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, Long.MAX_VALUE));
        out.start(c.client(), Long.MAX_VALUE);
        await("the client's writer makes progress", () -> out.ndone() > 0);
        settle();
        assertEquals(0, out.count(ERROR), "nothing reaches the writer; it is held once the buffers fill");
        c.server().close(); // with the client's bytes unread: a reset
        await("ERROR at the writer once the read-shut side closed", () -> out.count(ERROR) > 0);
        out.stop();
        assertEquals(0, out.count(EOS), "a writer never gets EOS");
        assertTrue(Set.of(Errno.EPIPE, Errno.ECONNRESET).contains(c.client().error().errno()),
                () -> "a reset: " + c.client().error());
    }

    @Test
    void after_a_peer_abort_the_reader_gets_the_bytes_sent_before_it_then_eos_with_econnreset() throws Exception {
        // Linux keeps what reached the receive buffer before a reset readable; the reset comes after it.
        Connected c = connected();
        Sent toClient = send(c.server(), DOWN, 0, 2000);
        await("WRITE_COMPLETE", () -> toClient.recorder().saw(Event.WRITE_COMPLETE));
        settle();
        c.server().abort(Errno.ECONNABORTED, null);
        settle();
        Reading in = postRead(c.client(), Long.MAX_VALUE);
        await("EOS", () -> in.recorder().saw(EOS));
        settle();
        assertEquals(2000, in.vio().ndone(), "the bytes sent before the reset are read first");
        assertEquals(2000, in.drain(DOWN, 0));
        assertEquals(1, in.recorder().count(EOS));
        assertEquals(0, in.recorder().count(ERROR), "a reset reads as EOS");
        assertNotNull(c.client().error(), "the reset is readable from error()");
        assertEquals(Errno.ECONNRESET, c.client().error().errno(), () -> "ECONNRESET: " + c.client().error());
    }

    @Test
    void shutdown_both_retires_both_vios_and_the_peer_reader_gets_eos() throws Exception {
        Connected c = connected();
        Reading serverIn = postRead(c.server(), 100);
        // The client's read and write share one lock: shutting down while holding it, no callback of either
        // can be running, so "nothing after the shutdown" is exact even with real threads.
        ReentrantLock lock = new ReentrantLock();
        IOBuffer in = buffer();
        in.allocReader();
        Recorder reader = recorder(lock);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder(lock);
        int readerEvents;
        int writerEvents;
        ReadVio rv;
        WriteVio wv;
        lock.lock();
        try {
            rv = c.client().read(reader.continuation(), 100, in);
            wv = c.client().write(writer.continuation(), 100, outReader);
            c.client().shutdown(ShutdownHow.BOTH);
            readerEvents = reader.count();
            writerEvents = writer.count();
        } finally {
            lock.unlock();
        }
        assertTrue(rv.isRetired());
        assertTrue(wv.isRetired());
        assertTrue(c.client().isReadShutdown() && c.client().isWriteShutdown());
        assertTrue(c.client().isOpen(), "a shut-down VConn must still be closed");
        await("EOS at the peer", () -> serverIn.recorder().saw(EOS));
        settle();
        assertEquals(0, readerEvents + writerEvents, "the VIOs were posted and shut under the lock: no event yet");
        assertEquals(List.of(), reader.events(), "no event after the shutdown");
        assertEquals(List.of(), writer.events(), "no event after the shutdown");
        assertEquals(List.of(EOS), serverIn.recorder().events());
    }

    @Test
    void eos_is_reported_again_after_a_reenable_and_not_without_one() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        send(c.client(), UP, 0, 10);
        await("10 bytes", () -> in.vio().ndone() == 10);
        c.client().shutdown(ShutdownHow.WRITE);
        await("EOS", () -> in.recorder().saw(EOS));
        settle();
        assertEquals(1, in.recorder().count(EOS), "EOS is not repeated without a reenable");
        in.vio().reenable();
        await("EOS again", () -> in.recorder().count(EOS) == 2);
        settle();
        assertEquals(2, in.recorder().count(EOS), "one reenable, one more EOS (docs/semantics.md, rule 3.4)");
        assertEquals(0, in.recorder().count(READ_COMPLETE) + in.recorder().count(ERROR));
        assertEquals(10, in.drain(UP, 0));
    }

    @Test
    void eos_already_waiting_with_the_bytes_comes_once_to_a_reader_that_reenables_inside_read_ready()
            throws Exception {
        Connected c = connected();
        Sent out = send(c.client(), UP, 0, 5000);
        await("WRITE_COMPLETE", () -> out.recorder().saw(Event.WRITE_COMPLETE));
        c.client().shutdown(ShutdownHow.WRITE);
        settle(); // the bytes and the end of the stream wait at the server before its read is posted
        assertEosOnceWhenTheReaderReenablesInsideReadReady(c.server(), UP, 5000);
    }

    @Test
    void a_completed_read_gets_no_eos_when_the_peer_closes_afterwards() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        Sent out = send(c.client(), UP, 0, 100);
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE) && out.recorder().saw(Event.WRITE_COMPLETE));
        c.client().close();
        settle();
        in.vio().reenable();
        settle();
        assertReadyThenComplete(in.recorder().entries(), READ_READY, READ_COMPLETE, 100);
        assertEquals(0, in.recorder().count(EOS), "EOS only to reads with ntodo > 0");
    }

    @Test
    void close_gives_the_peer_reader_eos_after_the_bytes_sent_before_it() throws Exception {
        Connected c = connected();
        int n = 10 * 1024;
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP));
        in.start(c.server(), Long.MAX_VALUE);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, n)).onEvent((e, d) -> {
            if (e == Event.WRITE_COMPLETE) {
                c.client().close();
            }
        });
        out.start(c.client(), n);
        await("EOS at the peer", in::finished);
        settle();
        assertNull(in.failure());
        assertEquals(n, in.received(), "bytes sent before the close were delivered first");
        assertEquals(1, in.count(EOS));
        assertEquals(0, in.count(ERROR) + in.count(READ_COMPLETE));
        assertEquals(CloseState.CLOSED, c.client().closeState());
    }

    @Test
    void close_gives_the_peer_writer_error_never_eos_and_error_again_after_a_reenable() throws Exception {
        Connected c = connected();
        Streams.Sender out = tracked(new Streams.Sender(buffer(), DOWN, Long.MAX_VALUE));
        WriteVio vio = out.start(c.server(), Long.MAX_VALUE);
        await("the server's writer makes progress", () -> out.ndone() > 0);
        c.client().close();

        // A socket peer may accept a few writes before its reset comes back; the sender keeps writing.
        await("ERROR at the writer", () -> out.count(ERROR) > 0 || out.failure() != null);
        settle();
        assertNull(out.failure(), "a writer never gets EOS");
        assertEquals(0, out.count(EOS));
        assertEquals(1, out.count(ERROR), "ERROR once, then nothing until a reenable");
        assertEquals(ERROR, out.last());
        VConnError error = c.server().error();
        assertNotNull(error, "the reason is readable from the VConn");
        assertTrue(Set.of(Errno.EPIPE, Errno.ECONNRESET).contains(error.errno()),
                "writing to a closed peer fails with EPIPE or ECONNRESET: " + error);
        vio.reenable();
        await("ERROR again after a reenable", () -> out.count(ERROR) == 2);
        settle();
        assertEquals(2, out.count(ERROR), "docs/semantics.md, rule 3.4: ERROR is reported again per reenable, once");
        out.stop();
    }

    @Test
    void abort_records_its_code_and_cause_and_the_peer_reader_gets_eos_or_error_and_never_hangs()
            throws Exception {
        Connected c = connected();
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP));
        in.start(c.server(), Long.MAX_VALUE);
        Sent out = send(c.client(), UP, 0, 1000);
        await("1000 bytes across", () -> in.received() == 1000 && out.recorder().saw(Event.WRITE_COMPLETE));
        RuntimeException cause = new RuntimeException("contract abort");
        c.client().abort(Errno.ECONNABORTED, cause);

        assertEquals(CloseState.ABORTED, c.client().closeState());
        assertEquals(-1, c.client().closeState().code());
        assertFalse(c.client().isOpen());
        assertNotNull(c.client().error());
        assertEquals(Errno.ECONNABORTED, c.client().error().errno());
        assertSame(cause, c.client().error().cause());
        await("EOS or ERROR at the peer reader", in::finished);
        settle();
        assertNull(in.failure());
        assertEquals(1, in.count(EOS) + in.count(ERROR), "exactly one of EOS or ERROR, once");
        if (in.count(ERROR) > 0) {
            assertNotNull(c.server().error(), "an ERROR's reason is readable from the VConn");
        }
        assertEquals(1000, in.received());
    }

    @Test
    void a_write_to_a_peer_that_reset_the_connection_fails_naming_the_reset() throws Exception {
        // While the write streams, and posted after the reset arrived: both fail naming the peer's reset.
        Connected c = connected();
        assertWriteErrorNamesTheReset(c, true);
    }

    @Test
    void a_write_posted_after_the_peer_reset_the_connection_fails_naming_the_reset() throws Exception {
        Connected c = connected();
        assertWriteErrorNamesTheReset(c, false);
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        if (t != null) {
            t.printStackTrace(new java.io.PrintWriter(w));
        }
        return w.toString();
    }

    private void assertWriteErrorNamesTheReset(Connected c, boolean streaming) {
        AtomicReference<VConnError> atError = new AtomicReference<>();
        Streams.Sender out = tracked(new Streams.Sender(buffer(), DOWN, Long.MAX_VALUE)).onEvent((e, d) -> {
            if (e == ERROR && atError.get() == null) {
                atError.set(c.server().error()); // no read is posted: this is the write's own error
            }
        });
        if (streaming) {
            out.start(c.server(), Long.MAX_VALUE);
            await("the server's writer makes progress", () -> out.ndone() > 0);
        }
        c.client().abort(Errno.ECONNABORTED, null); // a socket abort is a reset (SO_LINGER 0)
        if (!streaming) {
            settle(); // the reset has arrived before the write is posted
            out.start(c.server(), Long.MAX_VALUE);
        }
        await("ERROR at the writer", () -> atError.get() != null || out.failure() != null);
        out.stop();
        VConnError error = atError.get();
        assertNotNull(error, "the writer got ERROR and the VConn says why");
        boolean namesReset = error.errno() == Errno.ECONNRESET
                || error.message().toLowerCase(java.util.Locale.ROOT).contains("reset");
        for (Throwable t = error.cause(); t != null && !namesReset; t = t.getCause()) {
            namesReset = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("reset");
        }
        boolean named = namesReset;
        assertTrue(named && Set.of(Errno.EPIPE, Errno.ECONNRESET).contains(error.errno()),
                () -> "a write to a reset peer is ECONNRESET, or EPIPE saying the peer reset the connection, not a "
                        + "local shutdown: " + error + stackTrace(error.cause()));
    }

    @Test
    void abort_gives_the_peer_writer_error_never_eos() throws Exception {
        Connected c = connected();
        Streams.Sender out = tracked(new Streams.Sender(buffer(), DOWN, Long.MAX_VALUE));
        out.start(c.server(), Long.MAX_VALUE);
        await("the server's writer makes progress", () -> out.ndone() > 0);
        c.client().abort(Errno.ECONNRESET, null);
        await("ERROR at the writer", () -> out.count(ERROR) > 0 || out.failure() != null);
        settle();
        assertNull(out.failure(), "a writer never gets EOS");
        assertEquals(1, out.count(ERROR));
        assertNotNull(c.server().error());
        out.stop();
    }

    @Test
    void read_and_write_on_a_closed_vconn_throw_naming_the_rule() throws Exception {
        Connected c = connected();
        IOBuffer buf = buffer();
        IOBufferReader reader = buf.allocReader();
        c.client().close();
        IllegalStateException read = assertThrows(IllegalStateException.class,
                () -> c.client().read(new Recorder().continuation(), 10, buf));
        assertTrue(read.getMessage().contains("closed"), read.getMessage());
        IllegalStateException write = assertThrows(IllegalStateException.class,
                () -> c.client().write(new Recorder().continuation(), 10, reader));
        assertTrue(write.getMessage().contains("closed"), write.getMessage());
        assertNull(c.client().readVio());
        assertNull(c.client().writeVio());
    }

    @Test
    void close_is_idempotent_an_abort_after_it_changes_nothing_and_the_peer_hears_once() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        c.client().close();
        c.client().close();
        c.client().abort(Errno.ECONNRESET, new RuntimeException("late"));
        assertEquals(CloseState.CLOSED, c.client().closeState(), "the first close wins");
        assertEquals(1, c.client().closeState().code());
        assertNull(c.client().error(), "an abort after close records nothing");
        await("EOS at the peer", () -> in.recorder().saw(EOS) || in.recorder().saw(ERROR));
        settle();
        assertEquals(List.of(EOS), in.recorder().events(), "one close, one EOS");
    }

    @Test
    void close_states_follow_traffic_server_and_a_closed_vconn_has_no_vios() throws Exception {
        Connected c = connected();
        assertEquals(CloseState.OPEN, c.client().closeState());
        assertEquals(0, c.client().closeState().code());
        assertTrue(c.client().isOpen());
        ReentrantLock lock = new ReentrantLock();
        IOBuffer in = buffer();
        in.allocReader();
        Recorder reader = recorder(lock);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        UP.write(out, 0, 100);
        Recorder writer = recorder(lock);
        ReadVio rv;
        WriteVio wv;
        int before;
        lock.lock(); // closing under the lock: no callback of either VIO can run in between, so none may follow
        try {
            rv = c.client().read(reader.continuation(), 100, in);
            wv = c.client().write(writer.continuation(), 100, outReader);
            c.client().close();
            before = reader.count() + writer.count();
        } finally {
            lock.unlock();
        }
        assertEquals(CloseState.CLOSED, c.client().closeState());
        assertEquals(1, c.client().closeState().code());
        assertFalse(c.client().isOpen());
        assertTrue(rv.isRetired(), "close retires the read VIO at once");
        assertTrue(wv.isRetired(), "close retires the write VIO at once");
        assertNull(c.client().readVio());
        assertNull(c.client().writeVio());
        await("both directions count as shut once the close is processed",
                () -> c.client().isReadShutdown() && c.client().isWriteShutdown());
        c.server().abort(Errno.ECONNABORTED, null);
        assertEquals(CloseState.ABORTED, c.server().closeState());
        assertEquals(-1, c.server().closeState().code());
        settle();
        assertEquals(0, before, "posted and closed under the lock: no event could come before the close");
        assertEquals(List.of(), reader.events(), "no event after close");
        assertEquals(List.of(), writer.events(), "no event after close");
    }

    @Test
    void closing_leaves_the_callers_buffers_usable() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        send(c.client(), UP, 0, 100);
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE));
        c.server().close();
        settle();
        assertEquals(100, in.drain(UP, 0), "the buffer and its bytes outlive the VConn (docs/semantics.md, rule 5.2)");
        in.buffer().write(new byte[] {1, 2, 3});
        assertEquals(3, in.reader().readAvail());
    }

    @Test
    void no_callback_follows_a_close_made_inside_a_callback_while_both_directions_stream() throws Exception {
        Connected c = connected();
        ReentrantLock lock = new ReentrantLock();
        AtomicBoolean closed = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        BiConsumer<Event, Object> lateCheck = (e, d) -> {
            if (closed.get()) {
                late.incrementAndGet();
            }
        };
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), lock, DOWN)).onEvent((e, d) -> {
            lateCheck.accept(e, d);
            if (!closed.get() && d instanceof ReadVio vio && vio.ndone() >= 64 * KIB) {
                c.client().close();
                closed.set(true);
            }
        });
        Streams.Sender out = tracked(new Streams.Sender(buffer(), lock, UP, Long.MAX_VALUE)).onEvent(lateCheck);
        Streams.Receiver serverIn = tracked(new Streams.Receiver(buffer(), UP));
        Streams.Sender serverOut = tracked(new Streams.Sender(buffer(), DOWN, Long.MAX_VALUE));
        serverIn.start(c.server(), Long.MAX_VALUE);
        serverOut.start(c.server(), Long.MAX_VALUE);
        in.start(c.client(), Long.MAX_VALUE);
        out.start(c.client(), Long.MAX_VALUE);

        await("the client closes itself from READ_READY", closed::get);
        await("the server hears of it", () -> serverIn.finished() && serverOut.finished());
        settle();
        assertEquals(0, late.get(), "docs/semantics.md, rule 2.4: no callback after close() returns");
        assertEquals(CloseState.CLOSED, c.client().closeState());
        assertNull(in.failure());
        assertNull(out.failure());
        serverOut.stop();
    }

    @Test
    void no_callback_follows_a_close_made_by_a_foreign_thread_holding_the_lock_while_both_directions_stream()
            throws Exception {
        // With real threads the loop races the closer; on virtual time the test thread drives the loop while the
        // foreign thread closes (harness.await lets foreign posts in).
        int rounds = harness.capabilities().contains(Capability.REAL_THREADS) ? 30 : 8;
        for (int round = 0; round < rounds; round++) {
            closeUnderLoad(round);
        }
    }

    private void closeUnderLoad(int round) throws Exception {
        Connected c = connected();
        ReentrantLock lock = new ReentrantLock();
        AtomicBoolean closed = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        CountDownLatch flowing = new CountDownLatch(1);
        BiConsumer<Event, Object> lateCheck = (e, d) -> {
            if (closed.get()) {
                late.incrementAndGet();
            }
        };
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), lock, DOWN)).onEvent((e, d) -> {
            lateCheck.accept(e, d);
            if (d instanceof ReadVio vio && vio.ndone() >= 32 * KIB) {
                flowing.countDown();
            }
        });
        Streams.Sender out = tracked(new Streams.Sender(buffer(), lock, UP, Long.MAX_VALUE)).onEvent(lateCheck);
        Streams.Receiver serverIn = tracked(new Streams.Receiver(buffer(), UP));
        Streams.Sender serverOut = tracked(new Streams.Sender(buffer(), DOWN, Long.MAX_VALUE));
        serverIn.start(c.server(), Long.MAX_VALUE);
        serverOut.start(c.server(), Long.MAX_VALUE);
        in.start(c.client(), Long.MAX_VALUE);
        out.start(c.client(), Long.MAX_VALUE);

        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> closerFailure = new AtomicReference<>();
        Thread closer = new Thread(() -> {
            try {
                if (!flowing.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("round " + round + ": the streams never started flowing");
                }
                lock.lock();
                try {
                    c.client().close();
                    closed.set(true);
                } finally {
                    lock.unlock();
                }
            } catch (Throwable t) {
                closerFailure.set(t);
            } finally {
                done.set(true);
            }
        }, "contract-foreign-closer-" + round);
        closer.setDaemon(true);
        closer.start();
        await("round " + round + ": the foreign thread closed the client", done::get);
        closer.join(WAIT.toMillis());
        assertNull(closerFailure.get());
        await("round " + round + ": the server hears of it", () -> serverIn.finished() && serverOut.finished());
        settle();
        assertEquals(0, late.get(), "round " + round + ": a callback started after close() returned (rule 2.4)");
        assertNull(in.failure());
        assertNull(out.failure());
        serverOut.stop();
        c.server().close();
    }
}
