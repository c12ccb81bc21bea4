package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Bytes move exactly as the VIO rules say, on socket VConns made by the transport ({@link #connect()}).
 *
 * <ul>
 *   <li>rule 3.1: a new read/write returns a new VIO and retires the old one (no more events, counters frozen,
 *       reenable a no-op); {@code cancel()} replaces Traffic Server's {@code do_io(nullptr)} idiom (Traffic
 *       Server statements 13 and 26).</li>
 *   <li>docs/semantics.md, rule 3.2: {@code nbytes == 0} produces no events (Traffic Server statement 11).</li>
 *   <li>rule 3.3: a transport never moves more than {@code ntodo}; READ_COMPLETE / WRITE_COMPLETE exactly once
 *       with {@code ndone == nbytes}, also after lowering {@code nbytes} to {@code ndone} and reenabling
 *       (Traffic Server statements 12 and 22 — where vconn deliberately differs).</li>
 *   <li>docs/semantics.md, rule 3.4: an unbounded read ends with EOS, never READ_COMPLETE (statement 46).</li>
 *   <li>semantics.md rule 3.5: consuming inside READ_READY keeps data flowing without a reenable (statement 29); one
 *       WRITE_READY asks for data when the write buffer is empty and bytes added inside it go out in the same pass
 *       (Traffic Server statement 30).</li>
 *   <li>rules 2.1 and 2.3: events carry their VIO, run on the VConn's loop under the continuation's lock,
 *       and public calls never call back synchronously.</li>
 *   <li>Traffic Server's tests: the rolling byte pattern of {@code NetVCTest} and the TSVConnFd gold test, here 64 MiB
 *       both ways at once, checked byte by byte.</li>
 * </ul>
 */
public abstract class DataPathContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(11);
    private static final BytePattern DOWN = new BytePattern(22);

    @Test
    void an_echo_returns_every_byte_in_order() throws Exception {
        Connected c = connected();
        long n = 256 * KIB;
        Streams.Echo echo = tracked(new Streams.Echo(buffer())).start(c.server(), n);
        Streams.Receiver back = tracked(new Streams.Receiver(buffer(), UP));
        back.start(c.client(), n);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, n));
        out.start(c.client(), n);

        await("256 KiB echoed", () -> back.finished() && echo.finished() && out.finished());
        assertNull(back.failure());
        assertNull(echo.failure());
        assertNull(out.failure());
        assertEquals(n, back.received(), "every byte came back, checked against the pattern");
        assertEquals(1, back.count(READ_COMPLETE));
        assertEquals(0, back.count(EOS) + back.count(ERROR));
        assertEquals(1, out.count(WRITE_COMPLETE));
        assertEquals(n, out.ndone());
        assertEquals(1, echo.count(READ_COMPLETE));
        assertEquals(1, echo.count(WRITE_COMPLETE));
        assertEquals(n, echo.readVio().ndone());
        assertEquals(n, echo.writeVio().ndone());
    }

    @Test
    void a_fixed_length_write_and_read_complete_exactly_once_with_ndone_equal_to_nbytes() throws Exception {
        Connected c = connected();
        int n = 5000;
        Reading in = postRead(c.server(), n);
        Sent out = send(c.client(), UP, 0, n);

        await("READ_COMPLETE and WRITE_COMPLETE",
                () -> in.recorder().saw(READ_COMPLETE) && out.recorder().saw(WRITE_COMPLETE));
        settle();
        in.vio().reenable();
        out.vio().reenable();
        settle();

        assertReadyThenComplete(in.recorder().entries(), READ_READY, READ_COMPLETE, n);
        assertReadyThenComplete(out.recorder().entries(), WRITE_READY, WRITE_COMPLETE, n);
        assertEquals(n, in.vio().ndone());
        assertEquals(n, out.vio().ndone());
        assertTrue(in.vio().isComplete());
        assertTrue(out.vio().isComplete());
        assertEquals(0, in.vio().ntodo());
        assertEquals(n, in.drain(UP, 0), "the bytes, in order");
        assertEquals(0, locked(out.recorder().continuation(), out.reader()::readAvail),
                "the writer's reader is consumed by exactly the bytes sent");
    }

    @Test
    void bulk_64_mib_both_ways_at_once_arrives_byte_for_byte() throws Exception {
        Connected c = connected();
        long n = 64 * MIB;
        ReentrantLock clientLock = new ReentrantLock();
        ReentrantLock serverLock = new ReentrantLock();
        Streams.Receiver clientIn = tracked(new Streams.Receiver(buffer(), clientLock, DOWN));
        Streams.Receiver serverIn = tracked(new Streams.Receiver(buffer(), serverLock, UP));
        Streams.Sender clientOut = tracked(new Streams.Sender(buffer(), clientLock, UP, n));
        Streams.Sender serverOut = tracked(new Streams.Sender(buffer(), serverLock, DOWN, n));
        clientIn.start(c.client(), n);
        serverIn.start(c.server(), n);
        clientOut.start(c.client(), n);
        serverOut.start(c.server(), n);

        List<Streams.Side> sides = List.of(clientIn, serverIn, clientOut, serverOut);
        await("64 MiB each way", Duration.ofMinutes(3), () -> sides.stream().allMatch(Streams.Side::finished)
                || sides.stream().anyMatch(s -> s.failure() != null));
        for (Streams.Side s : sides) {
            assertNull(s.failure());
        }
        assertEquals(n, serverIn.received(), "client to server: every byte checked");
        assertEquals(n, clientIn.received(), "server to client: every byte checked");
        assertEquals(1, serverIn.count(READ_COMPLETE));
        assertEquals(1, clientIn.count(READ_COMPLETE));
        assertEquals(1, clientOut.count(WRITE_COMPLETE));
        assertEquals(1, serverOut.count(WRITE_COMPLETE));
        assertEquals(n, clientOut.ndone());
        assertEquals(n, serverOut.ndone());
        for (Streams.Side s : sides) {
            assertEquals(0, s.count(EOS) + s.count(ERROR), () -> s + " saw EOS or ERROR");
        }
        assertTrue(serverIn.maxUnconsumed() <= 32 * KIB,
                "a reader consuming in its callbacks never has more than a block pushed at it (semantics.md rule 3.5): "
                        + serverIn.maxUnconsumed());
    }

    @Test
    void a_read_of_zero_bytes_gets_no_events_and_the_bytes_wait_for_the_next_read() throws Exception {
        Connected c = connected();
        IOBuffer in = buffer();
        Reading zero = postRead(c.server(), 0, in);
        Sent out = send(c.client(), UP, 0, 100);
        await("the client's write completes", () -> out.recorder().saw(WRITE_COMPLETE));
        settle();
        zero.vio().reenable();
        settle();
        assertEquals(List.of(), zero.recorder().events(), "docs/semantics.md rule 3.2: nbytes == 0 produces no events");
        assertEquals(0, zero.readAvail(), "nothing moves into a zero-byte read");
        assertEquals(0, zero.vio().ndone());
        assertFalse(zero.vio().isComplete(), "a zero-byte read does not complete");

        Recorder next = recorder();
        ReadVio vio = c.server().read(next.continuation(), 100, in);
        await("the next read completes", () -> next.saw(READ_COMPLETE));
        assertEquals(100, vio.ndone());
        assertEquals(100, zero.drain(UP, 0), "the bytes waited in the transport");
        assertEquals(List.of(), zero.recorder().events());
    }

    @Test
    void a_write_of_zero_bytes_gets_no_events_and_takes_nothing() throws Exception {
        Connected c = connected();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        UP.write(out, 0, 100);
        Recorder writer = recorder();
        WriteVio vio = c.client().write(writer.continuation(), 0, outReader);
        Reading in = postRead(c.server(), 100);
        settle();
        vio.reenable();
        settle();
        assertEquals(List.of(), writer.events(), "docs/semantics.md, rule 3.2: nbytes == 0 produces no events");
        assertEquals(0, vio.ndone());
        assertEquals(100, locked(writer.continuation(), outReader::readAvail), "nothing was taken from the reader");
        assertEquals(List.of(), in.recorder().events(), "nothing reached the peer");
        assertEquals(0, in.vio().ndone());
    }

    @Test
    void an_unbounded_read_ends_with_eos_after_the_peer_shuts_down_its_write_side_never_read_complete()
            throws Exception {
        Connected c = connected();
        int n = 100_000;
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP));
        in.start(c.server(), Long.MAX_VALUE);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, n));
        out.start(c.client(), n);
        await("the write completes", out::finished);
        assertTrue(out.completed());
        c.client().shutdown(ShutdownHow.WRITE);

        await("EOS", in::finished);
        settle();
        assertNull(in.failure());
        assertEquals(n, in.received(), "every byte written before the shutdown arrived before EOS");
        assertEquals(n, in.vio().ndone());
        assertEquals(1, in.count(EOS));
        assertEquals(EOS, in.last(), "nothing after EOS without a reenable");
        assertEquals(0, in.count(READ_COMPLETE), "an unbounded read never completes (Traffic Server statement 46)");
        assertEquals(0, in.count(ERROR));
    }

    @Test
    void lowering_nbytes_to_ndone_and_reenabling_completes_a_read() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        Sent out = send(c.client(), UP, 0, 100);
        await("100 bytes read", () -> in.vio().ndone() == 100 && out.recorder().saw(WRITE_COMPLETE));
        settle();
        assertFalse(in.recorder().saw(READ_COMPLETE));

        in.vio().setNBytes(100);
        in.vio().reenable();
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE));
        settle();
        in.vio().reenable();
        settle();
        // The READ_READYs came while nbytes was unbounded, so the last of them may already report ndone 100.
        List<Recorder.Entry> entries = in.recorder().entries();
        String seq = entries.stream().map(e -> e.event() + "@" + e.ndone()).toList().toString();
        assertEquals(1, in.recorder().count(READ_COMPLETE), () -> "docs/semantics.md, rule 3.3: exactly once: " + seq);
        assertEquals(READ_COMPLETE, in.recorder().last(), seq);
        assertEquals(100, entries.get(entries.size() - 1).ndone(), seq);
        long previous = 0;
        for (Recorder.Entry e : entries.subList(0, entries.size() - 1)) {
            assertEquals(READ_READY, e.event(), seq);
            assertTrue(e.ndone() > previous && e.ndone() <= 100, seq);
            previous = e.ndone();
        }
        assertEquals(100, previous, () -> "all 100 bytes were reported before the COMPLETE: " + seq);
        assertTrue(in.vio().isComplete());
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void lowering_nbytes_to_ndone_and_reenabling_completes_a_write_and_the_peer_sees_no_eos() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        UP.write(out, 0, 100);
        Recorder writer = recorder();
        WriteVio vio = c.client().write(writer.continuation(), Long.MAX_VALUE, outReader);
        await("100 bytes across", () -> vio.ndone() == 100 && in.vio().ndone() == 100);
        settle();
        assertEquals(0, writer.count(WRITE_COMPLETE));

        vio.setNBytes(vio.ndone());
        vio.reenable();
        await("WRITE_COMPLETE", () -> writer.saw(WRITE_COMPLETE));
        settle();
        vio.reenable();
        settle();
        assertEquals(1, writer.count(WRITE_COMPLETE), "docs/semantics.md, rule 3.3: exactly once");
        assertEquals(WRITE_COMPLETE, writer.last());
        assertEquals(0, writer.count(ERROR));
        assertTrue(in.recorder().events().stream().allMatch(e -> e == READ_READY),
                () -> "the stream is still open: the peer sees no EOS or COMPLETE: " + in.recorder().events());
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void a_second_read_retires_the_first_whose_counters_freeze_and_the_new_vio_gets_the_data() throws Exception {
        Connected c = connected();
        IOBuffer in = buffer();
        Reading first = postRead(c.server(), 100, in);
        send(c.client(), UP, 0, 50);
        await("50 bytes reported to the first read", () -> first.recorder().entries().stream()
                .anyMatch(e -> e.event() == READ_READY && e.ndone() == 50));
        int firstEvents = first.recorder().count();

        Recorder second = recorder();
        ReadVio vio = c.server().read(second.continuation(), 100, in);
        assertNotSame(first.vio(), vio, "docs/semantics.md, rule 3.1: a new read returns a new VIO");
        assertTrue(first.vio().isRetired());
        assertSame(vio, c.server().readVio());
        send(c.client(), UP, 50, 100);
        await("the second read completes", () -> second.saw(READ_COMPLETE));
        first.vio().reenable(); // a no-op on a retired VIO
        settle();

        assertEquals(firstEvents, first.recorder().count(), "a retired VIO gets no more events");
        assertEquals(50, first.vio().ndone(), "a retired VIO's counters freeze");
        assertFalse(first.vio().isComplete());
        assertReadyThenComplete(second.entries(), READ_READY, READ_COMPLETE, 100);
        assertEquals(150, first.drain(UP, 0), "both reads filled one stream, in order");
    }

    @Test
    void a_second_write_retires_the_first_and_only_the_new_one_sends() throws Exception {
        Connected c = connected();
        IOBuffer idle = buffer();
        IOBufferReader idleReader = idle.allocReader();
        Recorder first = recorder();
        WriteVio one = c.client().write(first.continuation(), 100, idleReader);
        await("the first write asks for data", () -> first.saw(WRITE_READY));

        Sent two = send(c.client(), UP, 0, 100);
        assertNotSame(one, two.vio());
        assertTrue(one.isRetired());
        assertSame(two.vio(), c.client().writeVio());
        locked(first.continuation(), () -> {
            DOWN.write(idle, 0, 100);
        });
        one.reenable(); // a no-op on a retired VIO
        Reading in = postRead(c.server(), 200);
        await("the second write completes", () -> two.recorder().saw(WRITE_COMPLETE) && in.vio().ndone() == 100);
        settle();
        assertEquals(List.of(WRITE_READY), first.events(), "the retired write got nothing more");
        assertEquals(0, one.ndone());
        assertEquals(100, locked(first.continuation(), idleReader::readAvail), "nothing taken from the old reader");
        assertEquals(100, in.vio().ndone(), "only the new write's bytes reached the peer");
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void cancel_retires_a_read_no_event_follows_and_the_bytes_wait_for_the_next_read() throws Exception {
        Connected c = connected();
        IOBuffer in = buffer();
        Reading first = postRead(c.server(), 100, in);
        first.vio().cancel();
        assertTrue(first.vio().isRetired());
        assertNull(c.server().readVio(), "no current read after cancel");
        Sent out = send(c.client(), UP, 0, 100);
        await("the client's write completes", () -> out.recorder().saw(WRITE_COMPLETE));
        settle();
        assertEquals(List.of(), first.recorder().events());
        assertEquals(0, first.readAvail());

        Recorder next = recorder();
        c.server().read(next.continuation(), 100, in);
        await("the next read completes", () -> next.saw(READ_COMPLETE));
        assertEquals(100, first.drain(UP, 0));
    }

    @Test
    void cancel_retires_a_write_and_nothing_more_is_sent() throws Exception {
        Connected c = connected();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        WriteVio vio = c.client().write(writer.continuation(), 100, outReader);
        await("the write asks for data", () -> writer.saw(WRITE_READY));
        vio.cancel();
        assertTrue(vio.isRetired());
        assertNull(c.client().writeVio());
        locked(writer.continuation(), () -> {
            UP.write(out, 0, 100);
        });
        vio.reenable();
        Reading in = postRead(c.server(), 100);
        settle();
        assertEquals(List.of(WRITE_READY), writer.events());
        assertEquals(List.of(), in.recorder().events(), "a cancelled write sends nothing");

        Recorder again = recorder();
        c.client().write(again.continuation(), 100, outReader);
        await("a new write sends the bytes", () -> in.recorder().saw(READ_COMPLETE) && again.saw(WRITE_COMPLETE));
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void a_read_never_takes_more_than_nbytes_and_the_rest_waits_for_the_next_read() throws Exception {
        Connected c = connected();
        IOBuffer in = buffer();
        Reading first = postRead(c.server(), 300, in);
        Sent out = send(c.client(), UP, 0, 1000);
        await("the first read completes", () -> first.recorder().saw(READ_COMPLETE)
                && out.recorder().saw(WRITE_COMPLETE));
        settle();
        first.vio().reenable();
        settle();
        assertReadyThenComplete(first.recorder().entries(), READ_READY, READ_COMPLETE, 300);
        assertEquals(300, first.readAvail(), "docs/semantics.md, rule 3.3: never more than ntodo");
        assertEquals(300, first.vio().ndone());

        Recorder rest = recorder();
        ReadVio vio = c.server().read(rest.continuation(), 700, in);
        await("the rest arrives with a new read", () -> rest.saw(READ_COMPLETE));
        assertReadyThenComplete(rest.entries(), READ_READY, READ_COMPLETE, 700);
        assertEquals(700, vio.ndone());
        assertEquals(1000, first.drain(UP, 0), "all 1000 bytes, in order, none lost or duplicated");
    }

    @Test
    void a_write_with_an_empty_buffer_asks_once_and_bytes_added_inside_write_ready_go_out_without_a_reenable()
            throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 5000);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        AtomicInteger calls = new AtomicInteger();
        Recorder writer = recorder().onEvent((e, d) -> {
            if (e == WRITE_READY && calls.getAndIncrement() == 0) {
                UP.write(out, 0, 1000);
            }
        });
        WriteVio vio = c.client().write(writer.continuation(), 5000, outReader);
        await("1000 bytes reach the peer without a reenable", () -> in.vio().ndone() == 1000);
        settle();
        List<Recorder.Entry> entries = writer.entries();
        assertEquals(WRITE_READY, entries.get(0).event());
        assertEquals(0, entries.get(0).ndone(), "the first WRITE_READY asks for data");
        assertReadyThenCompleteless(entries.subList(1, entries.size()), 1000);

        locked(writer.continuation(), () -> {
            UP.write(out, 1000, 4000);
        });
        vio.reenable();
        await("WRITE_COMPLETE", () -> writer.saw(WRITE_COMPLETE) && in.recorder().saw(READ_COMPLETE));
        assertEquals(5000, in.drain(UP, 0));
        assertEquals(1, writer.count(WRITE_COMPLETE));
    }

    /** Progress WRITE_READYs after the first: strictly increasing ndone ending at {@code upTo}, no repeated ask. */
    private static void assertReadyThenCompleteless(List<Recorder.Entry> entries, long upTo) {
        String seq = entries.stream().map(e -> e.event().name() + "@" + e.ndone()).toList().toString();
        assertFalse(entries.isEmpty(), "the bytes added in the callback were reported as progress");
        long previous = 0;
        for (Recorder.Entry e : entries) {
            assertEquals(WRITE_READY, e.event(), seq);
            assertTrue(e.ndone() > previous, () -> "one ask, then only progress (no second ask): " + seq);
            previous = e.ndone();
        }
        assertEquals(upTo, previous, seq);
    }

    @Test
    void events_carry_their_vio_and_run_on_the_vconns_loop_under_the_continuations_lock() throws Exception {
        Connected c = connected();
        List<String> problems = new CopyOnWriteArrayList<>();
        int n = 10_000;
        Reading serverIn = postRead(c.server(), n);
        Reading clientIn = postRead(c.client(), n);
        serverIn.recorder().onEvent(checker(c.server(), problems));
        clientIn.recorder().onEvent(checker(c.client(), problems));
        Sent clientOut = sendWatched(c.client(), UP, n, checker(c.client(), problems));
        Sent serverOut = sendWatched(c.server(), DOWN, n, checker(c.server(), problems));
        List<Recorder> all = List.of(serverIn.recorder(), clientIn.recorder(), clientOut.recorder(),
                serverOut.recorder());
        await("both directions complete", () -> serverIn.recorder().saw(READ_COMPLETE)
                && clientIn.recorder().saw(READ_COMPLETE) && clientOut.recorder().saw(WRITE_COMPLETE)
                && serverOut.recorder().saw(WRITE_COMPLETE));

        assertEquals(List.of(), problems);
        for (Recorder r : all) {
            assertNull(r.lockViolation());
        }
        assertEquals(serverIn.recorder().count(), serverIn.recorder().entriesFor(serverIn.vio()).size(),
                "every read event carries the read VIO");
        assertEquals(clientOut.recorder().count(), clientOut.recorder().entriesFor(clientOut.vio()).size(),
                "every write event carries the write VIO");
        assertTrue(transport.eventLoops().contains(c.client().eventLoop()), "pinned to one of the transport's loops");
        assertTrue(transport.eventLoops().contains(c.server().eventLoop()), "pinned to one of the transport's loops");
        assertEquals(1, threadsOf(serverIn.recorder(), serverOut.recorder()).size(),
                "all of a VConn's events on one thread");
        assertEquals(1, threadsOf(clientIn.recorder(), clientOut.recorder()).size(),
                "all of a VConn's events on one thread");
        assertEquals(n, serverIn.drain(UP, 0));
        assertEquals(n, clientIn.drain(DOWN, 0));
    }

    private Sent sendWatched(VConn from, BytePattern pattern, int n, BiConsumer<Event, Object> watch) {
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        pattern.write(out, 0, n);
        Recorder recorder = recorder().onEvent(watch);
        return new Sent(from.write(recorder.continuation(), n, reader), recorder, reader);
    }

    private static BiConsumer<Event, Object> checker(VConn vconn, List<String> problems) {
        return (e, d) -> {
            if (!(d instanceof VIO vio)) {
                problems.add(e + " carried " + d + " instead of its VIO");
                return;
            }
            if (vio.vconn() != vconn) {
                problems.add(e + " carried a VIO of another VConn");
            }
            if (!vconn.eventLoop().inEventLoop()) {
                problems.add(e + " ran off the VConn's loop, on " + Thread.currentThread());
            }
        };
    }

    private static Set<Thread> threadsOf(Recorder... recorders) {
        Set<Thread> threads = new HashSet<>();
        for (Recorder r : recorders) {
            r.entries().forEach(e -> threads.add(e.thread()));
        }
        return threads;
    }

    @Test
    void public_calls_never_call_back_synchronously() throws Exception {
        Connected c = connected();
        Thread caller = Thread.currentThread();
        AtomicBoolean inCall = new AtomicBoolean();
        List<String> synchronous = new CopyOnWriteArrayList<>();
        BiConsumer<Event, Object> watch = (e, d) -> {
            if (inCall.get() && Thread.currentThread() == caller) {
                synchronous.add(e.name());
            }
        };
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        Recorder reader = recorder().onEvent(watch);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        UP.write(out, 0, 100);
        Recorder writer = recorder().onEvent(watch);

        inCall.set(true);
        ReadVio rv = c.server().read(reader.continuation(), Long.MAX_VALUE, in);
        WriteVio wv = c.client().write(writer.continuation(), 200, outReader);
        inCall.set(false);
        await("100 bytes across", () -> rv.ndone() == 100 && wv.ndone() == 100);

        inCall.set(true);
        wv.reenable();
        rv.reenable();
        c.client().shutdown(ShutdownHow.WRITE);
        inCall.set(false);
        await("EOS", () -> reader.saw(EOS));

        inCall.set(true);
        rv.reenable();
        c.server().close();
        c.client().close();
        inCall.set(false);
        settle();
        assertEquals(List.of(), synchronous, "rule 2.3: read/write/reenable/shutdown/close never call back");
        assertEquals(100, locked(reader.continuation(), () -> UP.consumeAndCheck(inReader, 0)));
    }

    @Test
    void a_negative_nbytes_is_refused_naming_the_rule() throws Exception {
        Connected c = connected();
        IOBuffer in = buffer();
        IOBufferReader reader = in.allocReader();
        IllegalArgumentException read = assertThrows(IllegalArgumentException.class,
                () -> c.server().read(new Recorder().continuation(), -1, in));
        assertTrue(read.getMessage().contains("nbytes"), read.getMessage());
        IllegalArgumentException write = assertThrows(IllegalArgumentException.class,
                () -> c.client().write(new Recorder().continuation(), -1, reader));
        assertTrue(write.getMessage().contains("nbytes"), write.getMessage());
        assertNull(c.server().readVio(), "a refused read posts nothing");
        assertNull(c.client().writeVio(), "a refused write posts nothing");
    }
}
