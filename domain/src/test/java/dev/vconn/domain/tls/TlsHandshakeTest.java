package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.testing.EventLog;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Handshakes over an in-process pair: both ways, session facts, delegated tasks. */
class TlsHandshakeTest extends TlsFixture {

    @Test
    void a_request_and_a_response_cross_the_tls_connection_both_ways() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), 5);
        EventLog clientWrite = new EventLog();
        send(c.client(), clientWrite, "hello");
        run();
        assertEquals("hello", atServer.text.toString());
        assertEquals(List.of(Event.READ_READY, Event.READ_COMPLETE).get(1), atServer.log.last().event());

        Collector atClient = new Collector(c.client(), 3);
        send(c.server(), new EventLog(), "ack");
        run();
        assertEquals("ack", atClient.text.toString());
        assertEquals(Event.READ_COMPLETE, atClient.log.last().event());
        assertEquals(Event.WRITE_COMPLETE, clientWrite.last().event());

        TlsSessionInfo client = c.client().sessionInfo().orElseThrow();
        TlsSessionInfo server = c.server().sessionInfo().orElseThrow();
        assertEquals("TLSv1.3", client.protocol());
        assertEquals(client.cipherSuite(), server.cipherSuite());
        assertEquals("http/1.1", client.applicationProtocol());
        assertEquals("http/1.1", server.applicationProtocol());
        assertEquals("localhost", server.serverName());
        assertEquals("localhost", client.serverName());
        assertEquals("CN=localhost", client.peerSubject());
        assertTrue(server.peerCertificates().isEmpty(), "no client certificate was asked for");
        assertTrue(delegatedTasks.get() > 0, "the engine's delegated tasks ran on the given executor");
        assertTrue(c.client().handshake().isDone());
        assertFalse(c.client().handshake().isCompletedExceptionally());
    }
}
