package dev.vconn.domain.pair;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.testing.EventLog;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pair's rules (semantics.md 6.1–6.6) and the Traffic Server statements there about the pair; where vconn
 * deliberately differs from Traffic Server, the test says so and {@code docs/semantics.md} explains why.
 */
class PairSemanticsTest extends PairFixture {

    @Test
    void a_fresh_end_is_open_and_reports_its_vios() {
        // Traffic Server statement 5; unlike 6 (PluginVC answers null), readVio()/writeVio() return the current VIOs.
        VConnPair pair = pair();
        assertEquals(CloseState.OPEN, pair.active().closeState());
        assertEquals(0, pair.active().closeState().code());
        IOBuffer in = buffer();
        in.allocReader();
        ReadVio vio = pair.active().read(new EventLog().continuation(), 10, in);
        assertSame(vio, pair.active().readVio());
        assertNull(pair.active().writeVio());
    }

    @Test
    void the_client_address_is_the_active_local_and_the_passive_remote_address() {
        InetSocketAddress client = new InetSocketAddress("10.1.2.3", 4567);
        VConnPair pair = pair(new VConnPair.Options("fetcher", 7, 8, 0, client));
        assertEquals(client, pair.active().localAddress());
        assertEquals(client, pair.passive().remoteAddress());
        assertEquals("fetcher", pair.options().tag());
        assertEquals(7, pair.options().id());
    }

    @Test
    void pairs_opened_with_shared_options_and_their_own_ids_each_read_as_made_with_their_id() {
        InetSocketAddress client = new InetSocketAddress("10.1.2.3", 4567);
        VConnPair.Options shared = new VConnPair.Options("intercept", 0, 8, 0, client);
        VConnPair first = VConnPair.open(loop, shared, 41);
        VConnPair second = VConnPair.open(loop, shared, 42);
        assertEquals(new VConnPair.Options("intercept", 41, 8, 0, client), first.options());
        assertEquals(new VConnPair.Options("intercept", 42, 8, 0, client),
                VConnPair.optionsOf(second.passive()).orElseThrow());
        assertSame(first.options(), first.options(), "made once");
        assertEquals(0, shared.id(), "the shared options are left as they are");
        VConnPair third = VConnPair.open(loop, shared, 0);
        assertSame(shared, third.options(), "no copy when the ids agree");
        assertEquals(client, second.active().localAddress());
        assertEquals(client, second.passive().remoteAddress());
        assertTrue(second.toString().contains("id=42"), second.toString());
        for (VConnPair p : List.of(first, second, third)) {
            p.active().close();
            p.passive().close();
        }
        loop.runUntilIdle();
        assertTrue(first.isFreed() && second.isFreed() && third.isFreed());
    }

    @Test
    void a_write_posted_before_the_peer_reads_is_held_then_delivered() {
        // docs/semantics.md, rule 6.4; Traffic Server >= 9.1.4 answers ERROR here (statement 19).
        VConnPair pair = pair();
        EventLog writer = new EventLog();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(5000, 1));
        pair.active().write(writer.continuation(), 5000, outReader);
        loop.runUntilIdle();
        assertEquals(List.of(), writer.events(), "held: no ERROR, no progress");
        assertEquals(5000, outReader.readAvail());

        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        EventLog reader = new EventLog();
        pair.passive().read(reader.continuation(), 5000, in);
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_COMPLETE), writer.events());
        assertEquals(List.of(READ_COMPLETE), reader.events());
        byte[] got = new byte[5000];
        inReader.read(got, 0, got.length);
        assertArrayEquals(bytes(5000, 1), got);
    }

    @Test
    void after_each_transfer_the_writer_hears_before_the_reader() {
        // Traffic Server statement 17.
        VConnPair pair = pair();
        List<String> order = new ArrayList<>();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        Continuation reader = new Continuation((e, d) -> {
            order.add("reader " + e.name());
            inReader.consume(inReader.readAvail());
        });
        pair.passive().read(reader, 100_000, in);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(100_000, 2));
        pair.active().write(new Continuation((e, d) -> order.add("writer " + e.name())), 100_000, outReader);
        loop.runUntilIdle();
        assertEquals("writer WRITE_READY", order.get(0), order.toString());
        assertEquals("reader READ_READY", order.get(1), order.toString());
        assertEquals(List.of("writer WRITE_COMPLETE", "reader READ_COMPLETE"), order.subList(order.size() - 2, order.size()));
        for (int i = 0; i + 1 < order.size(); i += 2) {
            assertTrue(order.get(i).startsWith("writer") && order.get(i + 1).startsWith("reader"), order.toString());
        }
    }

    @Test
    void a_write_shutdown_reaches_an_idle_peer_reader_at_once() {
        // docs/semantics.md, rule 6.5; Traffic Server tells the peer only at its next pass (statement 21).
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        pair.passive().read(reader.continuation(), 100, in);
        loop.runUntilIdle();
        assertEquals(List.of(), reader.events());
        pair.active().shutdown(ShutdownHow.WRITE);
        loop.runReady(); // no reenable, no timer: the shutdown itself wakes the peer
        assertEquals(List.of(EOS), reader.events());
        assertTrue(pair.active().isWriteShutdown());
        assertFalse(pair.active().isReadShutdown());
    }

    @Test
    void a_read_shutdown_gives_the_peer_writer_error_even_with_nothing_to_write() {
        // Traffic Server: a writer never gets EOS (rule 3.4).
        VConnPair pair = pair();
        EventLog writer = new EventLog();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        pair.passive().write(writer.continuation(), 100, outReader);
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_READY), writer.events(), "one WRITE_READY asks for data");
        pair.active().shutdown(ShutdownHow.READ);
        loop.runReady();
        assertEquals(List.of(WRITE_READY, ERROR), writer.events());
        assertEquals(dev.vconn.domain.Errno.EPIPE, pair.passive().error().errno());
    }

    @Test
    void shutdown_retires_that_directions_vio_and_no_event_follows_for_it() {
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        ReadVio vio = pair.passive().read(reader.continuation(), 100, in);
        pair.passive().shutdown(ShutdownHow.READ);
        assertTrue(vio.isRetired());
        pair.active().close();
        loop.runUntilIdle();
        assertEquals(List.of(), reader.events(), "no EOS for a shut-down direction");
    }

    @Test
    void closing_gives_the_peers_reader_eos_and_its_writer_error_and_drops_unmoved_bytes() {
        // Traffic Server statement 20.
        VConnPair pair = pair();
        // The active end writes 100 KiB, but the passive reader only has room for one block.
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        EventLog passiveReader = new EventLog();
        pair.passive().read(passiveReader.continuation(), Long.MAX_VALUE, in);
        EventLog passiveWriter = new EventLog();
        IOBuffer pout = buffer();
        pair.passive().write(passiveWriter.continuation(), 10, pout.allocReader());
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(100 * 1024, 3));
        pair.active().write(new EventLog().continuation(), 100 * 1024, outReader);
        loop.runUntilIdle();
        assertEquals(32 * 1024, inReader.readAvail());

        pair.active().close();
        loop.runUntilIdle();
        assertEquals(EOS, passiveReader.last().event());
        assertEquals(ERROR, passiveWriter.last().event());
        inReader.consume(inReader.readAvail());
        pair.passive().readVio().reenable();
        loop.runUntilIdle();
        assertEquals(0, inReader.readAvail(), "bytes the closed writer had not moved are dropped");
        assertEquals(EOS, passiveReader.last().event());
    }

    @Test
    void the_pair_is_freed_only_when_both_ends_are_closed() {
        // Traffic Server statement 23.
        List<VConnPair> freed = new ArrayList<>();
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults(), freed::add);
        pair.active().close();
        loop.runUntilIdle();
        assertFalse(pair.isFreed());
        assertEquals(List.of(), freed);
        pair.passive().close();
        pair.passive().close();
        loop.runUntilIdle();
        assertTrue(pair.isFreed());
        assertEquals(List.of(pair), freed, "freed once");
    }

    @Test
    void pieces_under_128_bytes_are_copied_and_larger_ones_shared() {
        // Traffic Server statement 16.
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);

        IOBuffer small = buffer();
        IOBufferReader smallReader = small.allocReader();
        small.write(bytes(127, 1));
        long before = pool.outstanding();
        pair.active().write(new EventLog().continuation(), 127, smallReader);
        loop.runUntilIdle();
        assertEquals(before + 1, pool.outstanding(), "127 bytes copied into a block of the reader's own");
        inReader.consume(127);

        IOBuffer large = buffer();
        IOBufferReader largeReader = large.allocReader();
        large.write(bytes(128, 2));
        pair.passive().readVio().reenable();
        loop.runUntilIdle();
        long afterSmall = pool.outstanding();
        pair.active().write(new EventLog().continuation(), 128, largeReader);
        loop.runUntilIdle();
        assertEquals(128, inReader.readAvail());
        assertTrue(pool.outstanding() <= afterSmall, "128 bytes moved by reference, no new block: " + pool);
        byte[] got = new byte[128];
        inReader.read(got, 0, 128);
        assertArrayEquals(bytes(128, 2), got);
    }

    @Test
    void a_write_with_an_empty_buffer_asks_once_and_data_added_in_the_callback_goes_out_in_the_same_pass() {
        // Traffic Server statement 30 (NetVC) as the canonical rule; unlike PluginVC (18) no extra WRITE_READY follows
        // a WRITE_READY that reported progress.
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
        loop.runUntilIdle();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        int[] calls = {0};
        EventLog writer = new EventLog().onEvent((e, d) -> {
            if (e == WRITE_READY && calls[0]++ == 0) {
                out.write(bytes(1000, 4));
            }
        });
        pair.active().write(writer.continuation(), 5000, outReader);
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_READY, WRITE_READY), writer.events(), "ask for data, then progress; no third");
        assertEquals(1000, inReader.readAvail());
        assertEquals(1000, writer.entries().get(1).ndone());

        out.write(bytes(4000, 5));
        pair.active().writeVio().reenable();
        loop.runUntilIdle();
        assertEquals(WRITE_COMPLETE, writer.last().event());
    }

    @Test
    void eos_is_not_repeated_without_a_reenable() {
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        pair.passive().read(reader.continuation(), 100, in);
        pair.active().shutdown(ShutdownHow.WRITE);
        loop.runUntilIdle();
        assertEquals(List.of(EOS), reader.events());
        // Other activity on the same end runs more passes; the parked read must stay quiet.
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(10, 1));
        pair.passive().write(new EventLog().continuation(), 10, outReader);
        IOBuffer back = buffer();
        back.allocReader();
        pair.active().read(new EventLog().continuation(), 10, back);
        loop.runUntilIdle();
        assertEquals(List.of(EOS), reader.events());
    }

    @Test
    void cancel_then_a_new_read_picks_up_where_the_stream_is() {
        // Traffic Server statement 26: the cancel idiom; here an explicit cancel().
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        EventLog first = new EventLog();
        ReadVio vio = pair.passive().read(first.continuation(), 10, in);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(30, 6));
        pair.active().write(new EventLog().continuation(), 30, outReader);
        loop.runUntilIdle();
        assertEquals(READ_COMPLETE, first.last().event());
        vio.cancel();
        vio.cancel(); // idempotent
        EventLog second = new EventLog();
        pair.passive().read(second.continuation(), 20, in);
        loop.runUntilIdle();
        assertEquals(READ_COMPLETE, second.last().event());
        byte[] got = new byte[30];
        inReader.read(got, 0, 30);
        assertArrayEquals(bytes(30, 6), got);
    }

    @Test
    void vio_accessors_after_close_return_frozen_values() {
        // Traffic Server statement 47: accessors must not crash after close.
        VConnPair pair = pair();
        IOBuffer in = buffer();
        in.allocReader();
        ReadVio vio = pair.passive().read(new EventLog().continuation(), 100, in);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(40, 1));
        WriteVio w = pair.active().write(new EventLog().continuation(), 40, outReader);
        loop.runUntilIdle();
        pair.passive().close();
        loop.runUntilIdle();
        assertTrue(vio.isRetired());
        assertEquals(40, vio.ndone());
        assertEquals(60, vio.ntodo());
        assertEquals(40, w.ndone());
        assertNull(pair.passive().readVio(), "a closed VConn keeps no VIO, so no continuation");
        vio.reenable();
        vio.setNBytes(50); // ignored on a retired VIO
        assertEquals(100, vio.nbytes());
        loop.runUntilIdle();
    }

    @Test
    void events_carry_their_vio_and_every_io_event_code_matches_traffic_server() {
        assertEquals(100, READ_READY.code());
        assertEquals(101, WRITE_READY.code());
        assertEquals(102, READ_COMPLETE.code());
        assertEquals(103, WRITE_COMPLETE.code());
        assertEquals(104, EOS.code());
        assertEquals(3, ERROR.code());
        assertEquals(105, Event.INACTIVITY_TIMEOUT.code());
        assertEquals(106, Event.ACTIVE_TIMEOUT.code());
        assertEquals(Event.NET_ACCEPT, Event.fromCode(202));
        VConnPair pair = pair();
        IOBuffer in = buffer();
        in.allocReader();
        EventLog reader = new EventLog();
        ReadVio vio = pair.passive().read(reader.continuation(), 5, in);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(5, 1));
        pair.active().write(new EventLog().continuation(), 5, outReader);
        loop.runUntilIdle();
        assertSame(vio, reader.last().data());
    }
    @Test
    void buffers_belong_to_their_maker_closing_the_vconn_leaves_them_usable() {
        // docs/semantics.md, rule 5.2: buffers and readers belong to whoever made them; a VConn never frees them.
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        pair.passive().read(new EventLog().continuation(), 1000, in);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(300, 9));
        pair.active().write(new EventLog().continuation(), 1000, outReader);
        loop.runUntilIdle();
        long blocks = pool.outstanding();
        pair.active().close();
        pair.passive().close();
        loop.runUntilIdle();
        assertEquals(blocks, pool.outstanding(), "closing the VConns released none of the user's blocks");
        assertFalse(in.isClosed());
        byte[] got = new byte[300];
        assertEquals(300, inReader.read(got, 0, 300));
        assertArrayEquals(bytes(300, 9), got);
        out.write(bytes(10, 1)); // still writable
    }
    @Test
    void reenables_are_coalesced_into_one_pass() {
        // TS statement 38: INKVConnInternal schedules one event per reenable; vconn coalesces them (like the
        // Terminus), so a burst of reenables before the loop runs reports EOS once.
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        ReadVio vio = pair.passive().read(reader.continuation(), 100, in);
        pair.active().shutdown(ShutdownHow.WRITE);
        loop.runUntilIdle();
        assertEquals(List.of(EOS), reader.events());
        for (int i = 0; i < 100; i++) {
            vio.reenable();
        }
        loop.runUntilIdle();
        assertEquals(List.of(EOS, EOS), reader.events());
    }
}
