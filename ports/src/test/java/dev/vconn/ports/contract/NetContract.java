package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.NET_ACCEPT;
import static dev.vconn.domain.Event.NET_CONNECT;
import static dev.vconn.domain.Event.NET_CONNECT_FAILED;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Outbound and inbound connections: {@link dev.vconn.ports.NetConnector} ({@code TSNetConnect}) and
 * {@link NetAcceptor} ({@code TSNetAccept}).
 *
 * <ul>
 *   <li>{@code NetConnector}: exactly one event, never both and never twice — NET_CONNECT with an open VConn
 *       connected to the listener, or NET_CONNECT_FAILED with a {@link VConnError} (ECONNREFUSED when nothing
 *       listens). Unlike Traffic Server, the event is never delivered inside the {@code connect} call (reference
 *       statement 45; semantics.md rule 2.3: public calls never call back synchronously). A successful
 *       {@code cancel()} means no event at all.</li>
 *   <li>{@code NetAcceptor}: every connection is delivered as NET_ACCEPT with a new VConn, many at once; a closed
 *       listener stops accepting and leaves accepted connections alone ({@code SDK_API_TSNetVConn}).</li>
 *   <li>docs/semantics.md, rule 2.1: connect and accept events run under the continuation's lock.</li>
 *   <li>{@link dev.vconn.ports.Transport#close(Duration)} on one of the transport's own loops returns at once
 *       (no deadlock, the loop is not held), refuses new work from then on, and still gives the owners of open
 *       connections the shutdown timeout to finish.</li>
 * </ul>
 */
public abstract class NetContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(81);

    private NetAcceptor.Listener listen(Recorder acceptor) throws Exception {
        return closeAfter(transport.netAcceptor().listen(harness.listenAddress(), acceptor.continuation()));
    }

    /** Closes every VConn delivered to {@code recorder} (NET_CONNECT or NET_ACCEPT) after the test. */
    private void closeDelivered(Recorder recorder) {
        closeAfter(() -> recorder.entries().stream().filter(e -> e.data() instanceof VConn)
                .forEach(e -> ((VConn) e.data()).close()));
    }

    @Test
    void connect_delivers_exactly_one_net_connect_with_an_open_vconn_to_the_listeners_address() throws Exception {
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        assertTrue(listener.isOpen());
        Recorder connector = recorder();
        closeDelivered(connector);
        transport.netConnector().connect(connector.continuation(), listener.localAddress());
        await("NET_CONNECT and NET_ACCEPT", () -> connector.count() > 0 && acceptor.count() > 0);
        settle();
        assertEquals(List.of(NET_CONNECT), connector.events(), "exactly one event");
        assertEquals(List.of(NET_ACCEPT), acceptor.events());
        VConn client = (VConn) connector.entries().get(0).data();
        VConn server = (VConn) acceptor.entries().get(0).data();
        assertTrue(client.isOpen());
        assertTrue(server.isOpen());
        assertEquals(listener.localAddress(), client.remoteAddress());
        assertTrue(transport.eventLoops().contains(client.eventLoop()));
        assertTrue(transport.eventLoops().contains(server.eventLoop()));
        assertNull(connector.lockViolation());
        assertNull(acceptor.lockViolation());
    }

    @Test
    void a_connect_made_on_one_of_the_transports_loops_is_pinned_to_that_loop() throws Exception {
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        // The loops that carry outbound connections: where connects from another thread land (round robin). A
        // transport may have loops that carry none (Netty's NIO loops for adopted JDK channels beside epoll).
        List<Recorder> connectors = new ArrayList<>();
        int n = transport.eventLoops().size();
        for (int i = 0; i < 2 * n; i++) {
            Recorder connector = recorder();
            closeDelivered(connector);
            connectors.add(connector);
            transport.netConnector().connect(connector.continuation(), listener.localAddress());
        }
        await("every NET_CONNECT", () -> connectors.stream().allMatch(r -> r.count() > 0));
        Set<EventLoop> connectLoops = new LinkedHashSet<>();
        connectors.forEach(r -> connectLoops.add(((VConn) r.entries().get(0).data()).eventLoop()));
        // Each of them connects several times: round robin would land some of them on another loop. A proxy relies
        // on this to keep a transaction's origin connection on its client's loop (docs/threading.md, Loop affinity).
        List<Recorder> onLoop = new ArrayList<>();
        List<EventLoop> callers = new ArrayList<>();
        for (EventLoop loop : connectLoops) {
            for (int i = 0; i < 3; i++) {
                Recorder connector = recorder();
                closeDelivered(connector);
                onLoop.add(connector);
                callers.add(loop);
                loop.execute(() -> transport.netConnector().connect(connector.continuation(), listener.localAddress()));
            }
        }
        int expected = connectors.size() + onLoop.size();
        await("every NET_CONNECT and NET_ACCEPT",
                () -> onLoop.stream().allMatch(r -> r.count() > 0) && acceptor.count() == expected);
        for (int i = 0; i < onLoop.size(); i++) {
            assertEquals(List.of(NET_CONNECT), onLoop.get(i).events());
            VConn made = (VConn) onLoop.get(i).entries().get(0).data();
            assertSame(callers.get(i), made.eventLoop(), "connect " + i + " was made on another loop");
        }
    }

    @Test
    void the_two_ends_report_each_others_addresses() throws Exception {
        Connected c = connected();
        assertNotNull(c.client().localAddress());
        assertNotNull(c.server().localAddress());
        assertEquals(c.client().localAddress(), c.server().remoteAddress());
        assertEquals(c.server().localAddress(), c.client().remoteAddress());
    }

    @Test
    void a_refused_connect_delivers_exactly_one_net_connect_failed_with_econnrefused() throws Exception {
        Recorder connector = recorder();
        closeDelivered(connector);
        SocketAddress refused = harness.refusedAddress();
        transport.netConnector().connect(connector.continuation(), refused);
        await("NET_CONNECT_FAILED", () -> connector.count() > 0);
        settle();
        assertEquals(List.of(NET_CONNECT_FAILED), connector.events(), "exactly one event, never NET_CONNECT");
        VConnError error = connector.connectFailure();
        assertNotNull(error, "NET_CONNECT_FAILED carries a VConnError");
        assertEquals(Errno.ECONNREFUSED, error.errno(), () -> "refused: " + error);
    }

    @Test
    void the_connect_event_is_never_delivered_inside_the_connect_call() throws Exception {
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        Thread caller = Thread.currentThread();
        AtomicBoolean inCall = new AtomicBoolean();
        List<String> synchronous = new CopyOnWriteArrayList<>();
        Recorder ok = recorder();
        Recorder refused = recorder();
        for (Recorder r : List.of(ok, refused)) {
            closeDelivered(r);
            r.onEvent((e, d) -> {
                if (inCall.get() && Thread.currentThread() == caller) {
                    synchronous.add(e.name());
                }
            });
        }
        SocketAddress nowhere = harness.refusedAddress();
        inCall.set(true);
        transport.netConnector().connect(ok.continuation(), listener.localAddress());
        transport.netConnector().connect(refused.continuation(), nowhere);
        inCall.set(false);
        await("both outcomes", () -> ok.count() > 0 && refused.count() > 0 && acceptor.count() > 0);
        assertEquals(List.of(), synchronous, "the connect event came inside connect()");
        assertEquals(List.of(NET_CONNECT), ok.events());
        assertEquals(List.of(NET_CONNECT_FAILED), refused.events());
    }

    @Test
    void fifty_concurrent_connects_are_all_accepted_and_each_pair_carries_its_own_bytes() throws Exception {
        int n = 50;
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        List<Recorder> connectors = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Recorder r = recorder();
            closeDelivered(r);
            connectors.add(r);
            transport.netConnector().connect(r.continuation(), listener.localAddress());
        }
        await(n + " connects and accepts", () -> acceptor.count() == n
                && connectors.stream().allMatch(r -> r.count() > 0));
        assertTrue(connectors.stream().allMatch(r -> r.events().equals(List.of(NET_CONNECT))),
                "every connect succeeded once");

        // Each client sends 4 bytes naming itself plus 60 pattern bytes; each server echoes its 64 bytes back.
        int size = 64;
        List<Reading> serverReads = new ArrayList<>();
        for (Recorder.Entry accepted : acceptor.entries()) {
            serverReads.add(postRead((VConn) accepted.data(), size));
        }
        List<Reading> clientReads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            VConn client = (VConn) connectors.get(i).entries().get(0).data();
            clientReads.add(postRead(client, size));
            sendRaw(client, message(i, size));
        }
        await("every server read", () -> serverReads.stream().allMatch(r -> r.recorder().saw(READ_COMPLETE)));
        Map<Integer, Integer> seen = new HashMap<>();
        for (int s = 0; s < n; s++) {
            Reading r = serverReads.get(s);
            byte[] got = new byte[size];
            locked(r.recorder().continuation(), () -> r.reader().read(got, 0, size));
            int id = ((got[0] & 0xff) << 24) | ((got[1] & 0xff) << 16) | ((got[2] & 0xff) << 8) | (got[3] & 0xff);
            assertTrue(id >= 0 && id < n, "a client id: " + id);
            assertEquals(null, seen.put(id, s), "each client reached exactly one server");
            UP.check(Arrays.copyOfRange(got, 4, size), size - 4, id * 1000L);
            sendRaw((VConn) acceptor.entries().get(s).data(), got);
        }
        assertEquals(n, seen.size());
        await("every echo", () -> clientReads.stream().allMatch(r -> r.recorder().saw(READ_COMPLETE)));
        for (int i = 0; i < n; i++) {
            Reading r = clientReads.get(i);
            byte[] got = new byte[size];
            locked(r.recorder().continuation(), () -> r.reader().read(got, 0, size));
            assertArrayEquals(message(i, size), got, "client " + i + " got its own bytes back");
        }
    }

    private static byte[] message(int id, int size) {
        byte[] m = new byte[size];
        m[0] = (byte) (id >>> 24);
        m[1] = (byte) (id >>> 16);
        m[2] = (byte) (id >>> 8);
        m[3] = (byte) id;
        System.arraycopy(UP.bytes(id * 1000L, size - 4), 0, m, 4, size - 4);
        return m;
    }

    private void sendRaw(VConn vc, byte[] bytes) {
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        out.write(bytes);
        vc.write(recorder().continuation(), bytes.length, reader);
    }

    @Test
    void a_closed_listener_refuses_new_connections_and_leaves_accepted_ones_alone() throws Exception {
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        Recorder first = recorder();
        closeDelivered(first);
        transport.netConnector().connect(first.continuation(), listener.localAddress());
        await("the first connection", () -> first.count() > 0 && acceptor.count() > 0);
        VConn client = (VConn) first.entries().get(0).data();
        VConn server = (VConn) acceptor.entries().get(0).data();

        listener.close();
        listener.close(); // idempotent
        assertFalse(listener.isOpen());
        Recorder late = recorder();
        closeDelivered(late);
        transport.netConnector().connect(late.continuation(), listener.localAddress());
        await("the late connect fails", () -> late.count() > 0);
        settle();
        assertEquals(List.of(NET_CONNECT_FAILED), late.events());
        assertEquals(1, acceptor.count(), "no accept after close");

        Reading in = postRead(server, 100);
        send(client, UP, 0, 100);
        await("the accepted connection still works", () -> in.recorder().saw(READ_COMPLETE));
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void closing_the_transport_from_its_own_loop_returns_at_once_refuses_new_work_and_lets_owners_finish()
            throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 1000);
        AtomicBoolean returned = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        c.client().eventLoop().execute(() -> {
            try {
                transport.close();
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                returned.set(true);
            }
        });
        // A loop cannot wait for itself: close() must neither deadlock nor hold the loop for the shutdown timeout.
        await("close() called on the transport's own loop returns", Duration.ofSeconds(3), returned::get);
        assertNull(failure.get(), () -> "close() on the loop threw " + failure.get());
        assertThrows(IllegalStateException.class,
                () -> transport.netConnector().connect(recorder().continuation(), harness.refusedAddress()),
                "new work is refused once close() returned");
        assertThrows(IllegalStateException.class,
                () -> transport.netAcceptor().listen(harness.listenAddress(), recorder().continuation()));

        // Owners get the shutdown timeout to finish: the connection open at the close still carries bytes.
        Sent out = send(c.client(), UP, 0, 1000);
        await("the open connection still works after the close", () -> in.recorder().saw(READ_COMPLETE)
                && out.recorder().saw(Event.WRITE_COMPLETE));
        assertEquals(1000, in.drain(UP, 0));
        c.close();
        await("everything is closed once the owners closed it", () -> transport.openResources().isEmpty());
    }

    @Test
    void a_cancelled_connect_delivers_no_event() throws Exception {
        Recorder acceptor = recorder();
        closeDelivered(acceptor);
        NetAcceptor.Listener listener = listen(acceptor);
        Recorder connector = recorder();
        closeDelivered(connector);
        ScheduledAction action = transport.netConnector().connect(connector.continuation(), listener.localAddress());
        boolean cancelled = action.cancel();
        assertEquals(cancelled, action.isCancelled());
        settle();
        if (cancelled) {
            assertEquals(List.of(), connector.events(), "no event follows a successful cancel");
        } else {
            // The connect had already completed on another thread: its one event stands.
            await("the one event", () -> connector.count() > 0);
            assertEquals(1, connector.count());
        }
        // Whatever the transport made for an abandoned attempt it releases (checked after the test).
    }

    @Test
    void a_cancelled_refused_connect_delivers_no_event() throws Exception {
        Recorder connector = recorder();
        SocketAddress refused = harness.refusedAddress();
        ScheduledAction action = transport.netConnector().connect(connector.continuation(), refused);
        boolean cancelled = action.cancel();
        settle();
        if (cancelled) {
            assertEquals(List.of(), connector.events(), "no NET_CONNECT_FAILED after a successful cancel");
        } else {
            assertEquals(List.of(NET_CONNECT_FAILED), connector.events());
        }
    }
}
