package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.EventLog;
import dev.vconn.domain.testing.WriteCountingVConn;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The end of a connection whose last response closes it (docs/tls.md, "Lingering close"): the last records and the
 * {@code close_notify} leave in one inner write, and a user that only drains afterwards ({@link
 * TlsVConn#discardInput()}) sees the peer's reset or close as EOS, not as a truncation, and gets none of its bytes.
 */
class TlsLingerTest extends TlsFixture {
    static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

    /** A client and a server over one pair, the server's writes counted, the handshake done. */
    record Counted(TlsVConn client, TlsVConn server, WriteCountingVConn serverInner, Collector atClient,
            Collector atServer) {
    }

    Counted connectCounted(String protocol) {
        VConnPair pair = pair(VConnPair.Options.defaults());
        WriteCountingVConn serverInner = new WriteCountingVConn(pair.passive());
        TlsVConn client = track(TlsVConn.client(pair.active(), clientContext().protocols(protocol).build(), pool,
                "localhost", 443));
        TlsVConn server = track(TlsVConn.server(serverInner, serverContext().build(), pool));
        Collector atClient = new Collector(client, Long.MAX_VALUE);
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        run();
        assertEquals(protocol, server.sessionInfo().orElseThrow().protocol(), "handshake done");
        serverInner.clearTransfers();
        return new Counted(client, server, serverInner, atClient, atServer);
    }

    /** The server writes its last response and, when the write completes, shuts down (and drains, if asked). */
    void lastResponse(Counted c, boolean drain) {
        EventLog serverWrite = new EventLog().onEvent((event, data) -> {
            if (event == Event.WRITE_COMPLETE) {
                c.server().shutdown(ShutdownHow.WRITE);
                if (drain) {
                    c.server().discardInput();
                }
            }
        });
        send(c.server(), serverWrite, RESPONSE);
        run();
        assertEquals(RESPONSE, c.atClient().text.toString());
        assertEquals(Event.EOS, c.atClient().log.last().event(), "the client read the close_notify");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void the_last_records_and_the_close_notify_leave_in_one_inner_write(String protocol) {
        Counted c = connectCounted(protocol);
        lastResponse(c, false);
        assertEquals(1, c.serverInner().transfers().size(),
                "response records and close_notify in one write: " + c.serverInner().transfers());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void a_reset_while_the_user_only_drains_ends_its_read_with_eos_and_no_truncation_error(String protocol) {
        Counted c = connectCounted(protocol);
        lastResponse(c, true);
        EventLog clientWrite = new EventLog();
        if (protocol.equals("TLSv1.3")) {
            send(c.client(), clientWrite, "GET /pipelined HTTP/1.1\r\n\r\n"); // TLS 1.3: the client may still write
            run();
        }
        c.client().abort(Errno.ECONNRESET, null); // the peer resets: no close_notify from it
        run();

        assertEquals(Event.EOS, c.atServer().log.last().event(), c.atServer().log.events().toString());
        assertEquals(0, c.atServer().log.count(Event.ERROR), "no truncation error while draining");
        assertNull(c.server().error(), "no error on the TLS VConn");
        assertEquals("", c.atServer().text.toString(), "what arrives while draining is dropped, not delivered");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void a_peer_that_closes_cleanly_while_the_user_drains_also_ends_the_read_with_eos(String protocol) {
        Counted c = connectCounted(protocol);
        lastResponse(c, true);
        c.client().close(); // close_notify (TLS 1.3: the client's own; TLS 1.2: already answered), then the close
        run();

        assertEquals(Event.EOS, c.atServer().log.last().event(), c.atServer().log.events().toString());
        assertEquals(0, c.atServer().log.count(Event.ERROR));
        assertNull(c.server().error());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void plaintext_decrypted_before_the_drain_still_reaches_the_user_first(String protocol) {
        Counted c = connectCounted(protocol);
        send(c.client(), new EventLog(), "early");
        run();
        assertEquals("early", c.atServer().text.toString());
        lastResponse(c, true);
        c.client().abort(Errno.ECONNRESET, null);
        run();
        assertEquals("early", c.atServer().text.toString());
        assertEquals(Event.EOS, c.atServer().log.last().event());
    }

    @Test
    void without_the_drain_a_reset_after_our_close_notify_is_still_a_truncation_error() {
        // The user still reads after its shutdown (a TLS 1.3 half-close): a cut stream is an error, as ever. (With
        // TLS 1.2 the peer's engine answers the close_notify with its own, so its read side ends cleanly first.)
        Counted c = connectCounted("TLSv1.3");
        lastResponse(c, false);
        c.client().abort(Errno.ECONNRESET, null);
        run();

        assertEquals(Event.ERROR, c.atServer().log.last().event(), c.atServer().log.events().toString());
        VConnError e = c.server().error();
        assertEquals(TlsVConn.EPROTO, e.errno());
        assertInstanceOf(SSLException.class, e.cause());
        assertTrue(e.cause().getMessage().contains("without close_notify"), e.toString());
    }
}
