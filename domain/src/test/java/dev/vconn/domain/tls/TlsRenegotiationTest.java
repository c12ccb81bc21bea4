package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.EventLog;
import org.junit.jupiter.api.Test;

/** vconn never renegotiates: a TLS 1.2 renegotiation is an ERROR; a TLS 1.3 key update is simply handled. */
class TlsRenegotiationTest extends TlsFixture {

    RawTlsPeer rawClient(VConnPair pair, String protocol) throws Exception {
        TlsContext ctx = clientContext().protocols(protocol).build();
        RawTlsPeer raw = new RawTlsPeer(track(pair.active()), ctx.newEngine("localhost", 443), buffer(), buffer());
        raw.start();
        return raw;
    }

    @Test
    void a_tls_1_2_renegotiation_by_the_client_is_refused_with_an_error() throws Exception {
        VConnPair pair = pair(VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(), serverContext().build(), pool));
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        RawTlsPeer raw = rawClient(pair, "TLSv1.2");
        run();
        raw.send("before");
        run();
        assertEquals("before", atServer.text.toString());
        assertEquals("TLSv1.2", server.sessionInfo().orElseThrow().protocol());

        raw.engine.beginHandshake(); // renegotiation
        raw.pump();
        run();
        assertEquals(Event.ERROR, atServer.log.last().event(), atServer.log.events().toString());
        assertEquals(TlsVConn.EPROTO, server.error().errno());
        assertTrue(server.error().cause().getMessage().contains("renegotiation refused"), server.error().toString());
    }

    @Test
    void a_tls_1_3_key_update_is_answered_and_data_keeps_flowing() throws Exception {
        VConnPair pair = pair(VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(), serverContext().build(), pool));
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        RawTlsPeer raw = rawClient(pair, "TLSv1.3");
        run();
        raw.send("one");
        run();
        raw.engine.beginHandshake(); // TLS 1.3: a KeyUpdate
        raw.pump();
        raw.send("two");
        run();
        assertEquals("onetwo", atServer.text.toString());
        send(server, new EventLog(), "answer");
        run();
        assertEquals("answer", raw.received.toString(), "the server's records after the update decrypt");
        assertEquals(0, atServer.log.count(Event.ERROR));
    }
}
