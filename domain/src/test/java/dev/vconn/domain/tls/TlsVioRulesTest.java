package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.testing.EventLog;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The VIO rules of docs/semantics.md hold for the plaintext VIOs of a TLS VConn. */
class TlsVioRulesTest extends TlsFixture {

    @Test
    void a_read_takes_exactly_nbytes_completes_once_and_the_rest_waits_for_the_next_read() {
        Conn c = connect();
        EventLog first = new EventLog();
        IOBuffer in = buffer();
        IOBufferReader reader = in.allocReader();
        ReadVio vio = c.server().read(first.continuation(), 10, in);
        send(c.client(), new EventLog(), "0123456789abcdefghijklmno");
        run();
        assertEquals(List.of(Event.READ_COMPLETE), first.events().subList(first.events().size() - 1,
                first.events().size()));
        assertEquals(1, first.count(Event.READ_COMPLETE));
        assertEquals(10, vio.ndone());
        assertEquals(10, reader.readAvail(), "never more than nbytes");
        vio.reenable();
        run();
        assertEquals(1, first.count(Event.READ_COMPLETE), "COMPLETE exactly once");

        Collector rest = new Collector(c.server(), 15);
        run();
        assertEquals("abcdefghijklmno", rest.text.toString());
        assertNull(first.lockViolation());
    }

    @Test
    void nbytes_zero_produces_no_events_and_handshakes_nothing() {
        Conn c = connect();
        EventLog log = new EventLog();
        c.server().read(log.continuation(), 0, buffer());
        run();
        assertEquals(List.of(), log.events());
        assertTrue(c.server().sessionInfo().isEmpty(), "no read or write wanted bytes: no handshake yet");
    }

    @Test
    void eos_is_reported_once_and_again_only_after_a_reenable() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        send(c.client(), new EventLog(), "x");
        run();
        c.client().shutdown(ShutdownHow.WRITE);
        run();
        assertEquals(1, atServer.log.count(Event.EOS));
        run();
        assertEquals(1, atServer.log.count(Event.EOS), "no repeat without a reenable");
        atServer.vio.reenable();
        run();
        assertEquals(2, atServer.log.count(Event.EOS), "reported again after a reenable");
    }

    @Test
    void no_callback_after_close_from_inside_a_callback() {
        Conn c = connect();
        EventLog log = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        log.onEvent((event, data) -> c.server().close());
        c.server().read(log.continuation(), Long.MAX_VALUE, in);
        EventLog write = new EventLog();
        c.server().write(write.continuation(), 100, buffer().allocReader());
        send(c.client(), new EventLog(), "first");
        run();
        int seen = log.events().size();
        assertEquals(1, seen, log.events().toString());
        send(c.client(), new EventLog(), "second");
        run();
        assertEquals(seen, log.events().size(), "nothing after close");
        assertTrue(write.events().stream().allMatch(e -> e == Event.WRITE_READY),
                "the write got at most its need-data READY before the close: " + write.events());
        assertThrows(IllegalStateException.class, () -> c.server().read(log.continuation(), 1, in));
    }

    @Test
    void an_abort_reaches_the_peer_as_an_error_not_a_clean_eos() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        send(c.client(), new EventLog(), "x");
        run();
        c.client().abort(dev.vconn.domain.Errno.ECONNABORTED, new RuntimeException("test abort"));
        run();
        assertEquals(Event.ERROR, atServer.log.last().event(), atServer.log.events().toString());
        assertEquals(0, atServer.log.count(Event.EOS));
        assertEquals(TlsVConn.EPROTO, c.server().error().errno());
    }

    @Test
    void a_write_completes_once_with_ndone_equal_to_nbytes() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        EventLog write = new EventLog();
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        out.write("hello, world".getBytes(StandardCharsets.US_ASCII));
        var vio = c.client().write(write.continuation(), 5, reader);
        run();
        assertEquals(1, write.count(Event.WRITE_COMPLETE));
        assertEquals(5, vio.ndone());
        assertEquals("hello", atServer.text.toString());
        assertEquals(7, reader.readAvail(), "the rest of the buffer stays");
    }

    @Test
    void an_inactivity_timeout_reaches_a_read_waiting_for_a_stalled_handshake() {
        var pair = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        // A handshake timeout far beyond the inactivity timeout, so only the latter is in play here.
        TlsVConn server = track(TlsVConn.server(pair.passive(),
                serverContext().handshakeTimeout(java.time.Duration.ofMinutes(5)).build(), pool));
        track(pair.active()); // a client that connects and never says hello
        EventLog log = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        server.read(log.continuation(), Long.MAX_VALUE, in);
        server.setInactivityTimeout(java.time.Duration.ofSeconds(10));
        loop.runUntil(() -> log.count(Event.INACTIVITY_TIMEOUT) > 0, java.time.Duration.ofMinutes(1));
        assertEquals(List.of(Event.INACTIVITY_TIMEOUT), log.events());
        assertEquals(java.time.Duration.ofSeconds(10), loop.elapsed());
        assertTrue(server.sessionInfo().isEmpty());
        server.close();
    }

    @Test
    void a_client_that_stalls_mid_handshake_is_failed_with_ETIMEDOUT_after_the_default_handshake_timeout() {
        var pair = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(), serverContext().build(), pool));
        Collector stalledClient = new Collector(track(pair.active()), Long.MAX_VALUE); // reads, never says hello
        server.startHandshake();
        EventLog log = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        server.read(log.continuation(), Long.MAX_VALUE, in);
        loop.runUntil(() -> log.count(Event.ERROR) > 0, java.time.Duration.ofMinutes(1));
        assertEquals(TlsContext.DEFAULT_HANDSHAKE_TIMEOUT, loop.elapsed());
        assertEquals(List.of(Event.ERROR), log.events());
        assertEquals(dev.vconn.domain.Errno.ETIMEDOUT, server.error().errno());
        assertTrue(server.error().cause() instanceof javax.net.ssl.SSLHandshakeException, server.error().toString());
        assertTrue(server.error().message().contains("handshake timeout"), server.error().message());
        run();
        assertEquals(1, stalledClient.log.count(Event.EOS), "the stalled client's connection is closed for it");
        server.close();
    }

    @Test
    void the_handshake_timeout_is_configurable_and_a_finished_handshake_cancels_it() {
        var pair = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(),
                serverContext().handshakeTimeout(java.time.Duration.ofSeconds(3)).build(), pool));
        track(pair.active());
        EventLog log = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        server.read(log.continuation(), Long.MAX_VALUE, in);
        loop.runUntil(() -> log.count(Event.ERROR) > 0, java.time.Duration.ofMinutes(1));
        assertEquals(java.time.Duration.ofSeconds(3), loop.elapsed());
        assertEquals(dev.vconn.domain.Errno.ETIMEDOUT, server.error().errno());
        server.close();

        Conn c = connect();
        c.client().startHandshake();
        c.server().startHandshake();
        loop.runReady();
        assertTrue(c.server().sessionInfo().isPresent());
        loop.runUntil(() -> false, java.time.Duration.ofSeconds(30));
        assertNull(c.server().error(), "no timeout after the handshake finished");
        assertNull(c.client().error());
        assertThrows(IllegalArgumentException.class, () -> serverContext().handshakeTimeout(java.time.Duration.ZERO));
    }
}
