package dev.vconn.domain.pair;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.testing.EventLog;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** docs/semantics.md, rules 3.1–3.5 and 3.7, one nested class per rule, proven on the in-process pair. */
class VioRulesTest extends PairFixture {

    /** Writes {@code data} from the active end with a write VIO of {@code data.length} bytes. */
    WriteVio send(VConn from, EventLog log, byte[] data) {
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        out.write(data);
        return from.write(log.continuation(), data.length, reader);
    }

    static byte[] drain(IOBufferReader reader) {
        byte[] b = new byte[(int) reader.readAvail()];
        reader.read(b, 0, b.length);
        return b;
    }

    @Nested
    class Rule1_OneOperationPerDirection {
        @Test
        void a_second_read_returns_a_new_vio_and_retires_the_first() {
            VConnPair pair = pair();
            EventLog first = new EventLog();
            EventLog second = new EventLog();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            ReadVio one = pair.passive().read(first.continuation(), 100, in);
            ReadVio two = pair.passive().read(second.continuation(), 100, in);
            assertNotSame(one, two);
            assertTrue(one.isRetired());
            assertSame(two, pair.passive().readVio());

            send(pair.active(), new EventLog(), bytes(100, 1));
            loop.runUntilIdle();

            assertEquals(List.of(), first.events(), "a retired VIO gets no events");
            assertEquals(READ_COMPLETE, second.last().event());
            assertEquals(0, one.ndone(), "a retired VIO's counters freeze");
            assertEquals(100, two.ndone());
            one.reenable(); // a no-op
            loop.runUntilIdle();
            assertEquals(List.of(), first.events());
            assertEquals(100, reader.readAvail());
        }

        @Test
        void cancel_retires_the_operation_and_no_event_follows() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            in.allocReader();
            ReadVio vio = pair.passive().read(log.continuation(), 100, in);
            vio.cancel();
            assertTrue(vio.isRetired());
            assertNull(pair.passive().readVio());
            EventLog writer = new EventLog();
            send(pair.active(), writer, bytes(100, 1));
            loop.runUntilIdle();
            assertEquals(List.of(), log.events());
            assertEquals(0, writer.count(WRITE_COMPLETE), "with no read posted the write is held");
        }

        @Test
        void a_second_write_retires_the_first_whose_events_stop() {
            VConnPair pair = pair();
            EventLog first = new EventLog();
            EventLog second = new EventLog();
            WriteVio one = send(pair.active(), first, bytes(10, 1));
            WriteVio two = send(pair.active(), second, bytes(20, 2));
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), 20, in);
            loop.runUntilIdle();
            assertTrue(one.isRetired());
            assertEquals(List.of(), first.events());
            assertEquals(WRITE_COMPLETE, second.last().event());
            assertArrayEquals(bytes(20, 2), drain(reader));
        }
    }

    @Nested
    class Rule2_ZeroBytes {
        @Test
        void a_read_of_zero_bytes_gets_no_events_even_with_data_waiting() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            EventLog writer = new EventLog();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            send(pair.active(), writer, bytes(50, 1));
            pair.passive().read(log.continuation(), 0, in);
            loop.runUntilIdle();
            assertEquals(List.of(), log.events());
            assertEquals(0, reader.readAvail(), "nothing moves into a zero-byte read");
            assertEquals(List.of(), writer.events(), "the writer is held, not failed");
        }

        @Test
        void a_write_of_zero_bytes_gets_no_events() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer out = buffer();
            IOBufferReader reader = out.allocReader();
            out.write(bytes(10, 1));
            pair.active().write(log.continuation(), 0, reader);
            IOBuffer in = buffer();
            in.allocReader();
            pair.passive().read(new EventLog().continuation(), 10, in);
            loop.runUntilIdle();
            assertEquals(List.of(), log.events());
            assertEquals(10, reader.readAvail(), "nothing was taken from the reader");
        }
    }

    @Nested
    class Rule3_NeverMoreThanNTodo {
        @Test
        void a_read_never_takes_more_than_nbytes_and_completes_exactly_once() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            ReadVio vio = pair.passive().read(log.continuation(), 300, in);
            EventLog writer = new EventLog();
            send(pair.active(), writer, bytes(1000, 3));
            loop.runUntilIdle();
            assertEquals(300, reader.readAvail());
            assertEquals(300, vio.ndone());
            assertEquals(1, log.count(READ_COMPLETE));
            assertEquals(READ_COMPLETE, log.last().event());
            assertTrue(vio.isComplete());
            vio.reenable();
            loop.runUntilIdle();
            assertEquals(1, log.count(READ_COMPLETE), "COMPLETE is sent exactly once");
            assertEquals(0, writer.count(WRITE_COMPLETE), "the rest stays with the writer");

            // The rest moves only with a new read.
            EventLog rest = new EventLog();
            pair.passive().read(rest.continuation(), 700, in);
            loop.runUntilIdle();
            assertEquals(READ_COMPLETE, rest.last().event());
            assertArrayEquals(bytes(1000, 3), drain(reader));
            assertEquals(1, writer.count(WRITE_COMPLETE));
        }

        @Test
        void lowering_nbytes_to_ndone_and_reenabling_completes_a_write() {
            VConnPair pair = pair();
            EventLog writer = new EventLog();
            IOBuffer out = buffer();
            IOBufferReader outReader = out.allocReader();
            out.write(bytes(100, 1));
            WriteVio vio = pair.active().write(writer.continuation(), Long.MAX_VALUE, outReader);
            EventLog reader = new EventLog();
            IOBuffer in = buffer();
            in.allocReader();
            pair.passive().read(reader.continuation(), Long.MAX_VALUE, in);
            loop.runUntilIdle();
            assertEquals(100, vio.ndone());
            assertEquals(0, writer.count(WRITE_COMPLETE));

            vio.setNBytes(vio.ndone());
            loop.runUntilIdle();
            assertEquals(0, writer.count(WRITE_COMPLETE), "setNBytes alone only stores the value");
            vio.reenable();
            loop.runUntilIdle();
            assertEquals(1, writer.count(WRITE_COMPLETE), "rule 3.3: COMPLETE after lowering and reenabling");
            assertEquals(0, reader.count(EOS), "the peer sees no EOS: the stream is still open");
        }

        @Test
        void lowering_nbytes_to_ndone_and_reenabling_completes_a_read() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            in.allocReader();
            ReadVio vio = pair.passive().read(log.continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(42, 1));
            loop.runUntilIdle();
            vio.setNBytes(42);
            vio.reenable();
            loop.runUntilIdle();
            assertEquals(List.of(READ_READY, READ_COMPLETE), log.events());
        }

        @Test
        void nbytes_cannot_go_below_ndone_or_negative() {
            VConnPair pair = pair();
            IOBuffer in = buffer();
            in.allocReader();
            ReadVio vio = pair.passive().read(new EventLog().continuation(), 100, in);
            send(pair.active(), new EventLog(), bytes(50, 1));
            loop.runUntilIdle();
            IllegalArgumentException below = assertThrows(IllegalArgumentException.class, () -> vio.setNBytes(10));
            assertTrue(below.getMessage().contains("ndone"), below.getMessage());
            assertThrows(IllegalArgumentException.class, () -> vio.setNBytes(-1));
            assertEquals(100, vio.nbytes(), "a refused setNBytes changes nothing");
        }
    }

    @Nested
    class Rule4_EosAndError {
        @Test
        void eos_goes_to_a_read_with_ntodo_and_is_reported_again_after_reenable() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            ReadVio vio = pair.passive().read(log.continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(10, 1));
            loop.runUntilIdle();
            pair.active().close();
            loop.runUntilIdle();
            assertEquals(List.of(READ_READY, EOS), log.events());
            assertEquals(10, reader.readAvail(), "bytes moved before the close are still there");
            vio.reenable();
            loop.runUntilIdle();
            assertEquals(List.of(READ_READY, EOS, EOS), log.events(), "rule 3.4: a reenable reports EOS again");
        }

        @Test
        void a_completed_read_gets_no_eos() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            in.allocReader();
            pair.passive().read(log.continuation(), 10, in);
            send(pair.active(), new EventLog(), bytes(10, 1));
            loop.runUntilIdle();
            pair.active().close();
            loop.runUntilIdle();
            assertEquals(READ_COMPLETE, log.last().event());
            assertEquals(0, log.count(EOS));
        }

        @Test
        void an_unbounded_read_ends_with_eos_never_complete() {
            VConnPair pair = pair();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            EventLog log = new EventLog().onEvent((e, d) -> reader.consume(reader.readAvail()));
            pair.passive().read(log.continuation(), Long.MAX_VALUE, in);
            EventLog writer = new EventLog();
            send(pair.active(), writer, bytes(100_000, 1));
            loop.runUntilIdle();
            pair.active().shutdown(dev.vconn.domain.ShutdownHow.WRITE);
            loop.runUntilIdle();
            assertEquals(EOS, log.last().event());
            assertEquals(0, log.count(READ_COMPLETE));
            assertEquals(100_000, pair.passive().readVio().ndone());
        }

        @Test
        void a_writer_never_gets_eos_a_closed_peer_gives_it_error_with_code_and_reason() {
            VConnPair pair = pair();
            EventLog writer = new EventLog();
            IOBuffer out = buffer();
            IOBufferReader outReader = out.allocReader();
            out.write(bytes(10, 1));
            pair.active().write(writer.continuation(), 1000, outReader);
            IOBuffer in = buffer();
            in.allocReader();
            pair.passive().read(new EventLog().continuation(), 1000, in);
            loop.runUntilIdle();
            pair.passive().close();
            loop.runUntilIdle();
            assertEquals(0, writer.count(EOS));
            assertEquals(ERROR, writer.last().event());
            assertEquals(Errno.EPIPE, pair.active().error().errno());
            assertTrue(pair.active().error().message().contains("closed"), pair.active().error().message());
        }

        @Test
        void abort_passes_its_code_and_cause_to_the_peer() {
            VConnPair pair = pair();
            EventLog writer = new EventLog();
            EventLog reader = new EventLog();
            IOBuffer out = buffer();
            IOBufferReader outReader = out.allocReader();
            pair.active().write(writer.continuation(), 1000, outReader);
            IOBuffer in = buffer();
            in.allocReader();
            pair.active().read(reader.continuation(), 1000, in);
            loop.runUntilIdle();
            IllegalStateException cause = new IllegalStateException("plugin gave up");
            pair.passive().abort(Errno.ECONNABORTED, cause);
            loop.runUntilIdle();
            assertEquals(ERROR, writer.last().event());
            assertEquals(EOS, reader.last().event());
            assertEquals(Errno.ECONNABORTED, pair.active().error().errno());
            assertSame(cause, pair.active().error().cause());
            assertEquals(dev.vconn.domain.CloseState.ABORTED, pair.passive().closeState());
        }
    }

    @Nested
    class Rule5_HardBackpressure {
        @Test
        void a_reader_that_does_not_consume_gets_at_most_one_block_and_both_sides_go_silent() {
            VConnPair pair = pair();
            EventLog log = new EventLog();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            pair.passive().read(log.continuation(), Long.MAX_VALUE, in);
            EventLog writer = new EventLog();
            send(pair.active(), writer, bytes(200_000, 1));
            loop.runUntilIdle();
            assertEquals(32 * 1024, reader.readAvail(), "max(waterMark 0, blockSize(8)) = 32 KiB");
            int readerEvents = log.events().size();
            int writerEvents = writer.events().size();
            loop.runUntilIdle();
            assertEquals(readerEvents, log.events().size(), "silent while full");
            assertEquals(writerEvents, writer.events().size(), "silent while full");

            reader.consume(1000);
            pair.passive().readVio().reenable();
            loop.runUntilIdle();
            assertEquals(32 * 1024, reader.readAvail(), "consume + reenable resumes, up to the limit again");
            assertEquals(32 * 1024 + 1000, pair.passive().readVio().ndone());
        }

        @Test
        void consuming_inside_read_ready_keeps_data_flowing_without_reenable() {
            VConnPair pair = pair();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            long[] maxSeen = {0};
            EventLog log = new EventLog().onEvent((e, d) -> {
                maxSeen[0] = Math.max(maxSeen[0], reader.readAvail());
                reader.consume(reader.readAvail());
            });
            pair.passive().read(log.continuation(), 1_000_000, in);
            EventLog writer = new EventLog();
            send(pair.active(), writer, bytes(1_000_000, 1));
            loop.runUntilIdle();
            assertEquals(READ_COMPLETE, log.last().event());
            assertEquals(WRITE_COMPLETE, writer.last().event());
            assertTrue(maxSeen[0] <= 32 * 1024, "never more than one block ahead: " + maxSeen[0]);
        }

        @Test
        void the_readers_water_mark_raises_the_bound() {
            VConnPair pair = pair();
            IOBuffer in = buffer();
            in.setWaterMark(100_000);
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(300_000, 1));
            loop.runUntilIdle();
            assertEquals(100_000, reader.readAvail());
        }

        @Test
        void the_pairs_water_mark_bounds_bytes_in_flight() {
            VConnPair pair = pair(new VConnPair.Options("t", 1, 8, 100 * 1024, null));
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(300_000, 1));
            loop.runUntilIdle();
            assertEquals(100 * 1024, reader.readAvail(), "TS statement 15; unlike 24, the mark has effect");
        }

        @Test
        void the_readers_block_size_sets_the_block_bound_not_the_pairs_buffer_index() {
            VConnPair pair = pair(new VConnPair.Options("t", 1, 8, 0, null));
            IOBuffer in = buffer(2);
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(10_000, 1));
            loop.runUntilIdle();
            assertEquals(512, reader.readAvail(), "the reader's blockSize(2) = 512, as on a socket (rule 3.5)");
        }

        @Test
        void the_readers_own_water_mark_wins_over_the_pairs() {
            VConnPair pair = pair(new VConnPair.Options("t", 1, 8, 100 * 1024, null));
            IOBuffer in = buffer();
            in.setWaterMark(40_000);
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
            send(pair.active(), new EventLog(), bytes(300_000, 1));
            loop.runUntilIdle();
            assertEquals(40_000, reader.readAvail(), "the pair's water mark applies only to a buffer whose mark is 0");
        }

        @Test
        void a_writer_with_a_slow_reader_is_held_at_write_ready_without_queuing() {
            VConnPair pair = pair();
            IOBuffer in = buffer();
            IOBufferReader reader = in.allocReader();
            pair.passive().read(new EventLog().continuation(), Long.MAX_VALUE, in);
            IOBuffer out = buffer();
            IOBufferReader outReader = out.allocReader();
            // A well-behaved producer adds 8 KiB per WRITE_READY, only while its own buffer is below 16 KiB.
            EventLog writer = new EventLog().onEvent((e, d) -> {
                if (e == WRITE_READY && outReader.readAvail() < 16 * 1024) {
                    out.write(bytes(8 * 1024, 5));
                }
            });
            pair.active().write(writer.continuation(), Long.MAX_VALUE, outReader);
            loop.runUntilIdle();
            assertEquals(32 * 1024, reader.readAvail());
            assertTrue(outReader.readAvail() <= 24 * 1024, "producer held: " + outReader.readAvail());
            long events = writer.events().size();
            loop.runUntilIdle();
            assertEquals(events, writer.events().size(), "no event storm while the reader is full");
        }
    }

    @Nested
    class Rule7_MisuseFailsFast {
        @Test
        void read_or_write_on_a_closed_vconn_names_the_rule() {
            VConnPair pair = pair();
            pair.active().close();
            IOBuffer b = buffer();
            IOBufferReader r = b.allocReader();
            IllegalStateException read = assertThrows(IllegalStateException.class,
                    () -> pair.active().read(new EventLog().continuation(), 1, b));
            assertTrue(read.getMessage().contains("closed VConn (docs/semantics.md, rule 3.7)"), read.getMessage());
            IllegalStateException write = assertThrows(IllegalStateException.class,
                    () -> pair.active().write(new EventLog().continuation(), 1, r));
            assertTrue(write.getMessage().contains("closed VConn (docs/semantics.md, rule 3.7)"), write.getMessage());
        }

        @Test
        void negative_nbytes_is_refused() {
            VConnPair pair = pair();
            IOBuffer b = buffer();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pair.active().read(new EventLog().continuation(), -1, b));
            assertTrue(e.getMessage().contains("nbytes must be >= 0, was -1 (docs/semantics.md, rule 3.7)"),
                    e.getMessage());
            assertNull(pair.active().readVio(), "a refused read changes nothing");
        }

        @Test
        void read_after_shutdown_read_is_refused() {
            VConnPair pair = pair();
            pair.active().shutdown(dev.vconn.domain.ShutdownHow.READ);
            IOBuffer b = buffer();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pair.active().read(new EventLog().continuation(), 1, b));
            assertTrue(e.getMessage().contains("shut down (docs/semantics.md, rule 3.7)"), e.getMessage());
        }

        @Test
        void pair_options_out_of_range_are_refused_naming_the_field() {
            IllegalArgumentException index = assertThrows(IllegalArgumentException.class,
                    () -> new VConnPair.Options("t", 0, 15, 0, null));
            assertTrue(index.getMessage().contains("bufferIndex"), index.getMessage());
            IllegalArgumentException mark = assertThrows(IllegalArgumentException.class,
                    () -> new VConnPair.Options("t", 0, 8, -1, null));
            assertTrue(mark.getMessage().contains("waterMark"), mark.getMessage());
        }
    }

}
