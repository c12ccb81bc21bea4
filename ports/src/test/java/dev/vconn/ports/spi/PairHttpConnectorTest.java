package dev.vconn.ports.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.HttpConnectOptions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared pair-backed connector and the open-resource tracker. */
class PairHttpConnectorTest {
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final OpenResourceTracker tracker = new OpenResourceTracker();
    private final InetSocketAddress client = new InetSocketAddress("192.0.2.1", 5555);

    @Test
    void the_acceptor_gets_the_passive_end_inside_connect_and_the_pair_is_tracked_until_both_ends_close() {
        List<Object> accepted = new ArrayList<>();
        Thread caller = Thread.currentThread();
        Continuation acceptor = new Continuation((e, d) -> {
            assertSame(caller, Thread.currentThread());
            accepted.add(e);
            accepted.add(d);
        });
        PairHttpConnector connector = new PairHttpConnector(() -> loop, acceptor, tracker, () -> true);
        VConn active = connector.connect(HttpConnectOptions.builder().clientAddress(client).tag("t").id(9).build());
        assertEquals(Event.NET_ACCEPT, accepted.get(0), "synchronously, before connect returned");
        VConn passive = (VConn) accepted.get(1);
        assertEquals(client, passive.remoteAddress());
        assertEquals(1, tracker.snapshot().size());
        assertTrue(tracker.snapshot().get(0).description().contains("tag=t id=9"), tracker.snapshot().toString());

        active.close();
        loop.runUntilIdle();
        assertFalse(tracker.isEmpty(), "the passive end is still open");
        passive.close();
        loop.runUntilIdle();
        assertTrue(tracker.isEmpty());
    }

    @Test
    void an_acceptor_that_throws_leaks_nothing() {
        Continuation acceptor = new Continuation((e, d) -> {
            throw new IllegalStateException("session refused");
        });
        PairHttpConnector connector = new PairHttpConnector(() -> loop, acceptor, tracker, () -> true);
        assertThrows(IllegalStateException.class,
                () -> connector.connect(HttpConnectOptions.builder().clientAddress(client).build()));
        loop.runUntilIdle();
        assertTrue(tracker.isEmpty(), tracker.snapshot().toString());
    }

    @Test
    void connect_on_a_closed_transport_is_refused() {
        PairHttpConnector connector = new PairHttpConnector(() -> loop, new Continuation((e, d) -> { }), tracker,
                () -> false);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> connector.connect(HttpConnectOptions.builder().clientAddress(client).build()));
        assertTrue(e.getMessage().contains("closed transport"));
        assertTrue(tracker.isEmpty());
    }
}
