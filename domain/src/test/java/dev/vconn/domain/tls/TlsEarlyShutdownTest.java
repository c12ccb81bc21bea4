package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.testing.EventLog;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A write shutdown before the handshake has finished (a side with nothing to send, found by the TLS simulation):
 * it ends only this side's write direction, like on any VConn; the close_notify goes out once the handshake is done.
 */
class TlsEarlyShutdownTest extends TlsFixture {

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void a_server_that_shuts_its_write_side_before_the_handshake_still_reads_and_the_client_reads_eos(
            String protocol) {
        Conn c = connect(clientContext().protocols(protocol).build(), serverContext().build(), "localhost");
        c.server().shutdown(ShutdownHow.WRITE); // nothing to answer, before any record moved
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        EventLog clientWrite = new EventLog();
        send(c.client(), clientWrite, "request");
        Collector atServer = new Collector(c.server(), "request".length());
        run();

        assertEquals(Event.EOS, atClient.log.last().event(), "the close_notify reached the client: "
                + atClient.log.events() + ", client error " + c.client().error());
        assertEquals(0, atClient.log.count(Event.ERROR));
        assertNull(c.server().error(), "the server's shutdown is no failure");
        if ("TLSv1.3".equals(protocol)) {
            assertEquals(Event.WRITE_COMPLETE, clientWrite.last().event(), "half-close: the client's write goes on");
            assertEquals("request", atServer.text.toString());
            assertEquals(Event.READ_COMPLETE, atServer.log.last().event());
            assertNull(c.client().error());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void a_client_that_shuts_its_write_side_before_the_handshake_gets_the_servers_answer(String protocol) {
        Conn c = connect(clientContext().protocols(protocol).build(), serverContext().build(), "localhost");
        c.client().shutdown(ShutdownHow.WRITE);
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        run();

        assertEquals(Event.EOS, atServer.log.last().event(), "the server reads the client's close_notify: "
                + atServer.log.events() + ", server error " + c.server().error());
        assertNull(c.server().error());
        assertNull(c.client().error(), "the client's shutdown is no failure: " + c.client().error());
        if ("TLSv1.3".equals(protocol)) {
            send(c.server(), new EventLog(), "answer");
            run();
            assertEquals("answer", atClient.text.toString(), "half-close: the server can still answer");
        } else {
            assertEquals(Event.EOS, atClient.log.last().event(), "TLS 1.2 answers close_notify with its own");
        }
    }
}
