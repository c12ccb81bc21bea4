package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.EventLog;
import java.io.ByteArrayOutputStream;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plaintext through TLS over an in-process pair: bulk, backpressure, fragmentation, close_notify, truncation. */
class TlsDataTest extends TlsFixture {
    static final long MIB = 1024 * 1024;

    Conn connect(String protocol) {
        return connect(clientContext().protocols(protocol).build(), serverContext().build(), "localhost");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void sixteen_mib_each_way_at_once_arrive_in_order_and_complete_exactly_once(String protocol) {
        Conn c = connect(protocol);
        Receiver atServer = new Receiver(c.server(), 16 * MIB, 1);
        Receiver atClient = new Receiver(c.client(), 16 * MIB, 2);
        Sender fromClient = new Sender(c.client(), 16 * MIB, 1);
        Sender fromServer = new Sender(c.server(), 16 * MIB, 2);
        run();

        assertEquals(protocol, c.client().sessionInfo().orElseThrow().protocol());
        assertEquals(16 * MIB, atServer.received);
        assertEquals(16 * MIB, atClient.received);
        for (EventLog log : new EventLog[] {atServer.log, atClient.log}) {
            assertEquals(1, log.count(Event.READ_COMPLETE), log.events().toString());
            assertEquals(Event.READ_COMPLETE, log.last().event());
            assertEquals(16 * MIB, log.last().ndone());
            assertNull(log.lockViolation());
        }
        for (Sender s : new Sender[] {fromClient, fromServer}) {
            assertEquals(1, s.log.count(Event.WRITE_COMPLETE));
            assertEquals(Event.WRITE_COMPLETE, s.log.last().event());
            assertEquals(16 * MIB, s.vio.ndone());
        }
    }

    @Test
    void a_reader_that_does_not_consume_stalls_the_writer_with_bounded_buffering() {
        Conn c = connect();
        Receiver atServer = new Receiver(c.server(), 4 * MIB, 3);
        atServer.paused = true;
        Sender fromClient = new Sender(c.client(), 4 * MIB, 3);
        run();

        long blockSize = atServer.in.blockSize();
        assertTrue(atServer.reader.readAvail() > 0, "some plaintext arrived");
        assertTrue(atServer.maxUnconsumed <= Math.max(atServer.in.waterMark(), blockSize),
                "at most max(water mark, block size) unconsumed plaintext: " + atServer.maxUnconsumed);
        // Plaintext in the reader's buffer + one staged record + ciphertext in the pair and both record buffers
        // (each bounded at 128 KiB: the inner read-ahead and the queued records, docs/tls.md, "Data path").
        long inFlight = fromClient.vio.ndone();
        assertTrue(inFlight < 3 * blockSize + 2 * 128 * 1024 + 2 * 16 * 1024,
                "the writer stalled after " + inFlight + " bytes");
        assertTrue(pool.outstanding() < 24, "bounded blocks in use while stalled: " + pool);
        long stalledAt = inFlight;
        run();
        assertEquals(stalledAt, fromClient.vio.ndone(), "nothing moves while the reader does not consume");

        atServer.resume();
        run();
        assertEquals(4 * MIB, atServer.received);
        assertEquals(Event.WRITE_COMPLETE, fromClient.log.last().event());
    }

    @Test
    void records_delivered_one_byte_at_a_time_still_handshake_and_carry_data() {
        VConnPair clientSide = pair(VConnPair.Options.defaults());
        VConnPair serverSide = pair(VConnPair.Options.defaults());
        TlsVConn client = track(TlsVConn.client(clientSide.active(), clientContext().build(), pool, "localhost", 443));
        TlsVConn server = track(TlsVConn.server(serverSide.passive(), serverContext().build(), pool));
        Trickle toServer = new Trickle(clientSide.passive(), serverSide.active());
        Trickle toClient = new Trickle(serverSide.active(), clientSide.passive());
        Receiver atServer = new Receiver(server, 40_000, 4);
        Receiver atClient = new Receiver(client, 40_000, 5);
        new Sender(client, 40_000, 4);
        new Sender(server, 40_000, 5);
        run();

        assertEquals(40_000, atServer.received);
        assertEquals(40_000, atClient.received);
        assertEquals(Event.READ_COMPLETE, atServer.log.last().event());
        assertTrue(toServer.forwarded > 40_000 && toClient.forwarded > 40_000,
                "every record byte went through the one-byte relay: " + toServer.forwarded + ", " + toClient.forwarded);
        clientSide.passive().close();
        serverSide.active().close();
        toServer.in.close();
    }

    @Test
    void a_pair_with_128_byte_read_ahead_still_carries_whole_records() {
        VConnPair.Options tiny = new VConnPair.Options("tiny", 1, 0, 0, null); // 128-byte blocks, water mark 0
        Conn c = connect(clientContext().build(), serverContext().build(), "localhost", tiny);
        Receiver atServer = new Receiver(c.server(), 200_000, 6);
        Receiver atClient = new Receiver(c.client(), 200_000, 7);
        new Sender(c.client(), 200_000, 6);
        new Sender(c.server(), 200_000, 7);
        run();
        assertEquals(200_000, atServer.received);
        assertEquals(200_000, atClient.received);
        assertEquals(Event.READ_COMPLETE, atClient.log.last().event());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void shutdown_write_sends_close_notify_and_the_peer_reads_eos_after_the_data(String protocol) {
        Conn c = connect(protocol);
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        EventLog clientWrite = new EventLog().onEvent((event, data) -> {
            if (event == Event.WRITE_COMPLETE) {
                c.client().shutdown(ShutdownHow.WRITE);
            }
        });
        send(c.client(), clientWrite, "last words");
        run();

        assertEquals("last words", atServer.text.toString());
        assertEquals(Event.EOS, atServer.log.last().event(), atServer.log.events().toString());
        assertEquals(1, atServer.log.count(Event.EOS));
        assertNull(c.server().error(), "a clean close_notify is no error");
        assertTrue(c.pair().active().isWriteShutdown(), "the inner write side is shut after the close_notify");
    }

    @Test
    void after_a_write_shutdown_tls_1_3_still_reads_the_peers_answer() {
        Conn c = connect("TLSv1.3");
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        send(c.client(), new EventLog().onEvent((event, data) -> {
            if (event == Event.WRITE_COMPLETE) {
                c.client().shutdown(ShutdownHow.WRITE);
            }
        }), "request");
        run();
        assertEquals(Event.EOS, atServer.log.last().event());

        send(c.server(), new EventLog().onEvent((event, data) -> {
            if (event == Event.WRITE_COMPLETE) {
                c.server().shutdown(ShutdownHow.WRITE);
            }
        }), "response");
        run();
        assertEquals("response", atClient.text.toString());
        assertEquals(Event.EOS, atClient.log.last().event());
    }

    @Test
    void tls_1_2_answers_close_notify_with_its_own_so_both_reads_end_and_later_writes_fail_with_epipe() {
        Conn c = connect("TLSv1.2");
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        send(c.client(), new EventLog().onEvent((event, data) -> {
            if (event == Event.WRITE_COMPLETE) {
                c.client().shutdown(ShutdownHow.WRITE);
            }
        }), "request");
        run();
        assertEquals("request", atServer.text.toString());
        assertEquals(Event.EOS, atServer.log.last().event());
        assertEquals(Event.EOS, atClient.log.last().event(), "the server's engine answered with close_notify");

        EventLog late = new EventLog();
        send(c.server(), late, "too late");
        run();
        assertEquals(Event.ERROR, late.last().event());
        assertEquals(dev.vconn.domain.Errno.EPIPE, c.server().error().errno(), c.server().error().toString());
    }

    @Test
    void close_sends_close_notify_so_the_peer_reads_eos() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        send(c.client(), new EventLog(), "x");
        run();
        c.client().close();
        run();
        assertEquals("x", atServer.text.toString());
        assertEquals(Event.EOS, atServer.log.last().event(), "close_notify arrived before the transport closed");
        assertEquals(0, atServer.log.count(Event.ERROR), "no truncation error");
    }

    @Test
    void the_inner_connection_closed_without_close_notify_is_a_truncation_error_not_eos() {
        Conn c = connect();
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        EventLog serverWrite = new EventLog();
        send(c.server(), serverWrite, "partial");
        run();
        assertEquals("partial", atClient.text.toString());

        c.pair().passive().close(); // the server's transport goes away; no close_notify was sent
        run();
        assertEquals(Event.ERROR, atClient.log.last().event(), atClient.log.events().toString());
        assertEquals(0, atClient.log.count(Event.EOS));
        VConnError e = c.client().error();
        assertEquals(TlsVConn.EPROTO, e.errno());
        assertInstanceOf(SSLException.class, e.cause());
        assertTrue(e.cause().getMessage().contains("without close_notify"), e.toString());
    }

    @Test
    void records_lying_whole_in_a_block_nobody_else_sees_are_decrypted_where_they_lie() {
        VConnPair clientSide = pair(VConnPair.Options.defaults());
        VConnPair serverSide = pair(VConnPair.Options.defaults());
        TlsVConn client = track(TlsVConn.client(clientSide.active(), clientContext().build(), pool, "localhost", 443));
        TlsVConn server = track(TlsVConn.server(serverSide.passive(), serverContext().build(), pool));
        // Copies into fresh 128 KiB blocks and lets go of them once the pair took them: the server's record buffer
        // then holds blocks of its own, as a socket read gives.
        Relay toServer = new Relay(clientSide.passive(), serverSide.active(), false);
        Relay toClient = new Relay(serverSide.active(), clientSide.passive(), false);
        Receiver atServer = new Receiver(server, 4 * MIB, 8);
        new Sender(client, 4 * MIB, 8);
        run();

        assertEquals(4 * MIB, atServer.received, "every byte arrived and matched the pattern");
        // Records the pair's pushes cut in two (each push is a block of its own) are still copied; the others not.
        long records = 4 * MIB / 16384;
        assertTrue(server.recordsCopied() < records,
                "records lying whole in one block were decrypted without a copy; copied " + server.recordsCopied()
                        + " of " + records);
        toServer.close();
        toClient.close();
        clientSide.passive().close();
        serverSide.active().close();
    }

    @Test
    void records_in_blocks_shared_with_another_buffer_are_copied_first_so_the_shared_bytes_stay_as_they_were() {
        VConnPair clientSide = pair(VConnPair.Options.defaults());
        VConnPair serverSide = pair(VConnPair.Options.defaults());
        TlsVConn client = track(TlsVConn.client(clientSide.active(), clientContext().build(), pool, "localhost", 443));
        TlsVConn server = track(TlsVConn.server(serverSide.passive(), serverContext().build(), pool));
        // Forwards by block reference and keeps a reader on everything it forwarded: every block the server's record
        // buffer gets is shared with the relay's buffer, whose bytes must still be the ciphertext afterwards.
        Relay toServer = new Relay(clientSide.passive(), serverSide.active(), true);
        Relay toClient = new Relay(serverSide.active(), clientSide.passive(), false);
        Receiver atServer = new Receiver(server, MIB, 9);
        new Sender(client, MIB, 9);
        run();

        assertEquals(MIB, atServer.received);
        byte[] kept = new byte[(int) toServer.witness.readAvail()];
        toServer.witness.read(kept, 0, kept.length);
        assertArrayEquals(toServer.forwarded.toByteArray(), kept, "the shared blocks were not written into");
        assertTrue(server.recordsCopied() >= MIB / 16384, "every record copied: " + server.recordsCopied());
        toServer.close();
        toClient.close();
        clientSide.passive().close();
        serverSide.active().close();
    }

    /**
     * Forwards bytes from one VConn to another: either by copy into fresh 128 KiB blocks that it gives back once the
     * receiver took them, or by block reference while a witness reader keeps every forwarded block.
     */
    final class Relay {
        final IOBuffer in = buffer();
        final IOBufferReader inReader = in.allocReader();
        final IOBuffer out = new IOBuffer(pool, 10);
        final IOBufferReader outReader = out.allocReader();
        final IOBufferReader witness;
        final ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        final boolean byReference;
        final ReadVio readVio;
        final WriteVio writeVio;
        boolean scheduled;

        Relay(VConn from, VConn to, boolean byReference) {
            this.byReference = byReference;
            this.witness = byReference ? out.allocReader() : null;
            readVio = from.read(new EventLog().onEvent((event, data) -> kick()).continuation(), Long.MAX_VALUE, in);
            writeVio = to.write(new EventLog().onEvent((event, data) -> {
                if (!byReference && outReader.readAvail() == 0) {
                    out.trim(); // the receiver took everything: its record buffer alone holds those blocks now
                }
                kick();
            }).continuation(), Long.MAX_VALUE, outReader);
        }

        void kick() {
            if (!scheduled) {
                scheduled = true;
                loop.execute(this::step);
            }
        }

        private void step() {
            scheduled = false;
            if (out.isClosed() || outReader.readAvail() > 0 || inReader.readAvail() == 0) {
                return;
            }
            int n = (int) inReader.readAvail();
            if (byReference) {
                byte[] copy = new byte[n];
                inReader.copyTo(copy, 0, n, 0);
                forwarded.write(copy, 0, n);
                out.write(inReader, n);
                inReader.consume(n);
            } else {
                byte[] copy = new byte[n];
                inReader.read(copy, 0, n);
                out.write(copy);
            }
            readVio.reenable();
            writeVio.reenable();
        }

        void close() {
            out.close();
        }
    }
}
