package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The transport's own behaviour beyond the contract kit: its name and loop, and the details of its four ports. */
class InMemoryTransportTest {
    private static final Duration LIMIT = Duration.ofMinutes(10);

    private final InMemoryTransport transport = new InMemoryTransport();
    private final VirtualTimeEventLoop loop = transport.loop();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        assertTrue(loop.runUntil(() -> transport.openResources().isEmpty(), LIMIT),
                "left open: " + transport.openResources());
        assertEquals(0, transport.openSockets());
        transport.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private VConn closing(VConn vc) {
        toClose.add(vc::close);
        return vc;
    }

    private void run(String what, BooleanSupplier condition) {
        assertTrue(loop.runUntil(condition, LIMIT), "timed out waiting for " + what);
    }

    /** Records events with the virtual time they came at. */
    private final class Events {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<Object> data = new CopyOnWriteArrayList<>();
        final List<Long> times = new CopyOnWriteArrayList<>();
        final Continuation continuation = new Continuation((e, d) -> {
            events.add(e);
            data.add(d);
            times.add(loop.nanoTime());
        });
    }

    @Test
    void it_is_found_by_name_and_has_exactly_one_virtual_loop_whatever_the_config_says() {
        assertTrue(Transports.available().contains("inmemory"), Transports.available().toString());
        try (Transport t = Transports.load("inmemory", TransportConfig.defaults().withEventLoops(8))) {
            InMemoryTransport mem = assertInstanceOf(InMemoryTransport.class, t);
            assertEquals("inmemory", t.name());
            assertEquals(List.of(mem.loop()), t.eventLoops());
            assertSame(mem.loop(), t.nextEventLoop());
            assertSame(mem.loop(), t.nextEventLoop());
        }
        BlockPool pool = BlockPool.heap();
        try (Transport t = new InMemoryTransportProvider().create(TransportConfig.defaults().withBlockPool(pool))) {
            assertSame(pool, t.blockPool());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Adoption

    private record State(boolean open, boolean blocking, boolean registered) {
        static State of(SocketChannel ch) {
            return new State(ch.isOpen(), ch.isBlocking(), ch.isRegistered());
        }
    }

    @Test
    void a_real_jdk_socket_is_refused_by_name_and_left_untouched() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress("127.0.0.1", 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            State before = State.of(client);
            AdoptionException e = assertThrows(AdoptionException.class,
                    () -> transport.socketAdopter().adopt(client));
            assertEquals("the in-memory transport adopts only its own in-memory channels, got "
                    + client.getClass().getName(), e.getMessage());
            assertEquals(before, State.of(client));
            client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer got = ByteBuffer.allocate(3);
            while (got.hasRemaining()) {
                accepted.read(got);
            }
            assertEquals(3, got.position(), "still the caller's, still usable");
        }
    }

    @Test
    void a_channel_of_another_in_memory_network_is_refused() throws Exception {
        InMemoryNetwork other = new InMemoryNetwork(new VirtualTimeEventLoop());
        InMemoryNetwork.ChannelPair p = closing(other.openPair());
        AdoptionException e = assertThrows(AdoptionException.class,
                () -> transport.socketAdopter().adopt(p.local()));
        assertTrue(e.getMessage().contains("another in-memory network"), e.getMessage());
        assertTrue(p.local().isBlocking());
    }

    @Test
    void a_registered_channel_is_refused_and_stays_registered_and_non_blocking() throws Exception {
        InMemoryNetwork.ChannelPair p = closing(transport.network().openPair());
        p.local().configureBlocking(false);
        Selector selector = closing(p.local().provider().openSelector());
        p.local().register(selector, SelectionKey.OP_READ);
        State before = State.of(p.local());
        AdoptionException e = assertThrows(AdoptionException.class,
                () -> transport.socketAdopter().adopt(p.local()));
        assertTrue(e.getMessage().contains("registered"), e.getMessage());
        assertEquals(before, State.of(p.local()));
        assertEquals(new State(true, false, true), before);
    }

    @Test
    void the_checks_run_in_order_open_connected_registered() throws Exception {
        InMemorySocketChannel unconnected = closing(transport.network().openChannel());
        unconnected.configureBlocking(false);
        Selector selector = closing(unconnected.provider().openSelector());
        unconnected.register(selector, SelectionKey.OP_READ);
        AdoptionException e = assertThrows(AdoptionException.class,
                () -> transport.socketAdopter().adopt(unconnected));
        assertTrue(e.getMessage().contains("not connected"), "connected is checked before registered: " + e);
        unconnected.close();
        e = assertThrows(AdoptionException.class, () -> transport.socketAdopter().adopt(unconnected));
        assertTrue(e.getMessage().contains("closed"), "open is checked first: " + e);
    }

    @Test
    void an_adopted_vconn_owns_its_channel_and_reports_its_addresses() throws Exception {
        InMemoryNetwork.ChannelPair p = closing(transport.network().openPair());
        VConn vc = transport.socketAdopter().adopt(p.local());
        assertFalse(p.local().isBlocking());
        assertEquals(p.local().getLocalAddress(), vc.localAddress());
        assertEquals(p.local().getRemoteAddress(), vc.remoteAddress());
        assertSame(loop, vc.eventLoop());
        AdoptionException twice = assertThrows(AdoptionException.class,
                () -> transport.socketAdopter().adopt(p.local()));
        assertTrue(twice.getMessage().contains("adopted"), twice.getMessage());
        vc.close();
        assertTrue(p.local().isOpen(), "closed on the loop, not inside close()");
        run("the channel closed", () -> !p.local().isOpen());
    }

    // ---------------------------------------------------------------------------------------------------------
    // NetConnector / NetAcceptor

    @Test
    void a_refused_connect_gets_net_connect_failed_with_econnrefused_once_and_never_inside_the_call() {
        Events ev = new Events();
        transport.netConnector().connect(ev.continuation, transport.network().unusedAddress());
        assertEquals(List.of(), ev.events, "never inside the call");
        run("the failure", () -> !ev.events.isEmpty());
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(Event.NET_CONNECT_FAILED), ev.events);
        assertEquals(Errno.ECONNREFUSED, ((VConnError) ev.data.get(0)).errno());
    }

    @Test
    void a_connect_to_a_blackhole_times_out_with_etimedout_at_exactly_the_timeout() throws Exception {
        InMemoryNetwork.Binding hole = closing(transport.network().blackhole(null));
        Events ev = new Events();
        long t0 = loop.nanoTime();
        transport.netConnector().connect(ev.continuation, hole.localAddress(), Duration.ofSeconds(7));
        loop.runReady();
        assertEquals(1, transport.openSockets(), "the pending connect holds a channel");
        run("the timeout", () -> !ev.events.isEmpty());
        assertEquals(List.of(Event.NET_CONNECT_FAILED), ev.events);
        assertEquals(Errno.ETIMEDOUT, ((VConnError) ev.data.get(0)).errno());
        assertEquals(t0 + Duration.ofSeconds(7).toNanos(), ev.times.get(0));
        assertEquals(0, transport.openSockets(), "the abandoned channel is closed");
    }

    @Test
    void a_cancelled_connect_sends_nothing_and_leaves_nothing_open() throws Exception {
        InMemoryNetwork.Binding hole = closing(transport.network().blackhole(null));
        Events pendingEv = new Events();
        ScheduledAction pending = transport.netConnector().connect(pendingEv.continuation, hole.localAddress(),
                Duration.ofSeconds(5));
        loop.runReady();
        assertTrue(pending.cancel());
        assertTrue(pending.isCancelled());

        Events accepted = new Events();
        NetAcceptor.Listener listener = closing(transport.netAcceptor().listen(null, accepted.continuation));
        Events early = new Events();
        ScheduledAction beforeStart = transport.netConnector().connect(early.continuation, listener.localAddress());
        assertTrue(beforeStart.cancel(), "cancelled before the loop ran it");
        assertFalse(beforeStart.cancel(), "only once");

        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), pendingEv.events);
        assertEquals(List.of(), early.events);
        assertEquals(List.of(), accepted.events, "a connect cancelled before it started never reached the listener");
        assertEquals(0, transport.openSockets());
    }

    @Test
    void a_listener_on_port_zero_gets_a_port_accepts_each_connection_and_frees_the_address_on_close()
            throws Exception {
        Events accepted = new Events();
        NetAcceptor.Listener listener = transport.netAcceptor().listen(
                new InetSocketAddress("127.0.0.1", 0), accepted.continuation);
        InetSocketAddress address = (InetSocketAddress) listener.localAddress();
        assertTrue(address.getPort() >= InMemoryNetwork.FIRST_PORT, address.toString());
        assertThrows(BindException.class, () -> transport.netAcceptor().listen(address, accepted.continuation));

        List<Events> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Events c = new Events();
            clients.add(c);
            transport.netConnector().connect(c.continuation, address);
        }
        run("three connections", () -> accepted.events.size() == 3
                && clients.stream().allMatch(c -> c.events.size() == 1));
        assertEquals(List.of(Event.NET_ACCEPT, Event.NET_ACCEPT, Event.NET_ACCEPT), accepted.events);
        for (Events c : clients) {
            assertEquals(List.of(Event.NET_CONNECT), c.events);
            VConn client = closing((VConn) c.data.get(0));
            assertEquals(address, client.remoteAddress());
        }
        accepted.data.forEach(d -> closing((VConn) d));

        listener.close();
        assertFalse(listener.isOpen());
        Events refused = new Events();
        transport.netConnector().connect(refused.continuation, address);
        run("refused", () -> !refused.events.isEmpty());
        assertEquals(Event.NET_CONNECT_FAILED, refused.events.get(0));
        closing(transport.netAcceptor().listen(address, accepted.continuation)).close(); // the address is free
    }

    @Test
    void connect_faults_apply_to_connections_made_by_the_net_connector() throws Exception {
        transport.network().setConnectFaults(FaultPlan.builder(1).eofAt(5).build(), FaultPlan.NONE);
        Events accepted = new Events();
        NetAcceptor.Listener listener = closing(transport.netAcceptor().listen(null, accepted.continuation));
        Events connected = new Events();
        transport.netConnector().connect(connected.continuation, listener.localAddress());
        run("connected", () -> accepted.events.size() == 1 && connected.events.size() == 1);
        VConn client = closing((VConn) connected.data.get(0));
        VConn server = closing((VConn) accepted.data.get(0));

        IOBuffer out = closing(new IOBuffer(transport.blockPool()));
        var outReader = out.allocReader();
        out.write(new byte[100]);
        client.write(new Continuation((e, d) -> { }), 100, outReader);
        IOBuffer in = closing(new IOBuffer(transport.blockPool()));
        Events reads = new Events();
        var vio = server.read(reads.continuation, Long.MAX_VALUE, in);
        run("EOS", () -> reads.events.contains(Event.EOS));
        assertEquals(5, vio.ndone(), "the stream ended at byte 5");
        assertNull(server.error());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Close

    @Test
    void after_close_nothing_new_starts_listeners_stop_and_open_vconns_are_still_listed() throws Exception {
        Events accepted = new Events();
        NetAcceptor.Listener listener = transport.netAcceptor().listen(null, accepted.continuation);
        InMemoryNetwork.ChannelPair p = closing(transport.network().openPair());
        VConn leftOver = closing(transport.socketAdopter().adopt(p.local()));

        transport.close();
        assertFalse(transport.isOpen());
        assertFalse(listener.isOpen(), "close stops accepting");
        assertEquals(1, transport.openResources().size(), "the left-over VConn is reported");
        assertTrue(transport.openResources().get(0).description().contains("adopted"));
        assertTrue(leftOver.isOpen());

        InMemoryNetwork.ChannelPair q = closing(transport.network().openPair());
        AdoptionException e = assertThrows(AdoptionException.class, () -> transport.socketAdopter().adopt(q.local()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class,
                () -> transport.netConnector().connect(new Events().continuation, listener.localAddress()));
        assertThrows(IllegalStateException.class, () -> transport.netAcceptor().listen(null, accepted.continuation));
        HttpConnectOptions options = HttpConnectOptions.builder()
                .clientAddress(new InetSocketAddress("127.0.0.1", 1234)).build();
        assertThrows(IllegalStateException.class,
                () -> transport.httpConnector(accepted.continuation).connect(options));
        transport.close(); // idempotent
    }

    @Test
    void the_http_connector_hands_the_passive_end_over_synchronously_and_tracks_the_pair() {
        Events sessions = new Events();
        VConn active = transport.httpConnector(sessions.continuation).connect(HttpConnectOptions.builder()
                .clientAddress(new InetSocketAddress("10.0.0.1", 4321)).tag("t").id(9).build());
        assertEquals(List.of(Event.NET_ACCEPT), sessions.events, "synchronously, inside connect");
        VConn passive = (VConn) sessions.data.get(0);
        assertNotNull(passive);
        assertSame(loop, active.eventLoop());
        assertTrue(transport.openResources().stream().anyMatch(r -> r.kind().equals("pair")
                && r.description().contains("tag=t id=9")));
        active.close();
        passive.close();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bounded driving (docs/inmemory-adapter.md)

    /** Two VConns streaming to each other without end: the loop is never idle. */
    private VConn[] endlessStream(long[] received) throws Exception {
        InMemoryNetwork.ChannelPair p = transport.network().openPair();
        VConn a = closing(transport.socketAdopter().adopt(p.local()));
        VConn b = closing(transport.socketAdopter().adopt(p.peer()));
        IOBuffer out = new IOBuffer(transport.blockPool());
        toClose.add(out::close);
        dev.vconn.domain.buffer.IOBufferReader outReader = out.allocReader();
        out.write(new byte[16 * 1024]);
        Continuation writer = new Continuation((e, d) -> {
            if (outReader.readAvail() < 16 * 1024) {
                out.write(new byte[16 * 1024]);
            }
        });
        IOBuffer in = new IOBuffer(transport.blockPool());
        toClose.add(in::close);
        dev.vconn.domain.buffer.IOBufferReader inReader = in.allocReader();
        Continuation reader = new Continuation((e, d) -> {
            received[0] += inReader.readAvail();
            inReader.consume(inReader.readAvail());
        });
        a.write(writer, Long.MAX_VALUE, outReader);
        b.read(reader, Long.MAX_VALUE, in);
        return new VConn[] {a, b};
    }

    @Test
    void run_for_drives_an_endless_stream_for_a_bounded_span_of_virtual_time() throws Exception {
        long[] received = new long[1];
        endlessStream(received);
        long start = loop.nanoTime();
        loop.runFor(Duration.ofMillis(5));
        assertEquals(Duration.ofMillis(5).toNanos(), loop.nanoTime() - start);
        long first = received[0];
        assertTrue(first > 0, "bytes flowed");
        loop.runFor(Duration.ofMillis(5));
        assertTrue(received[0] > first, "and flow on in the next span");
    }

    @Test
    void advance_on_an_endless_stream_stops_at_the_step_limit_naming_the_busy_vconns() throws Exception {
        long[] received = new long[1];
        VConn[] ends = endlessStream(received);
        loop.setStepLimit(20_000);
        try {
            dev.vconn.domain.loop.LoopBusyException e = assertThrows(dev.vconn.domain.loop.LoopBusyException.class,
                    () -> loop.advance(Duration.ofSeconds(1)));
            assertTrue(e.getMessage().contains("pass of " + ends[0]) || e.getMessage().contains("pass of " + ends[1]),
                    e.getMessage());
            assertTrue(received[0] > 0, "it did stream until the limit");
        } finally {
            loop.setStepLimit(VirtualTimeEventLoop.DEFAULT_STEP_LIMIT);
            for (VConn vc : ends) {
                vc.close(); // so that the clean-up's driving call becomes idle
            }
        }
    }
}
