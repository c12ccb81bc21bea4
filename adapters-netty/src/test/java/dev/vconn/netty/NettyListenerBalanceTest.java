package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.netty.internal.NettyEventLoop;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The listener's hand-off policy (docs/netty-adapter.md, Accepting), on epoll and NIO: an accepted connection stays on
 * the accepting loop unless another loop holds at least 4 fewer live accepted connections (connected ones, such as a
 * proxy's pooled origin connections, do not count); the live counts follow closes. Before,
 * Netty's round robin sent every other connection of a one-at-a-time client to the other loop.
 */
class NettyListenerBalanceTest {
    static {
        LeakRecorder.install();
    }

    private static final int MARGIN = 4;

    private record Accepted(VConn vconn, Thread thread) {
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_client_opening_one_connection_at_a_time_stays_on_the_accepting_loop(IoKind kind) throws Exception {
        try (NettyTransport transport = transport(kind)) {
            BlockingQueue<Accepted> accepts = new LinkedBlockingQueue<>();
            try (NetAcceptor.Listener listener = listen(transport, accepts)) {
                Thread first = null;
                for (int i = 0; i < 20; i++) {
                    try (Socket client = connect(listener)) {
                        Accepted a = next(accepts);
                        first = first == null ? a.thread() : first;
                        assertEquals(first, a.thread(), "connection " + i + " was handed to another loop");
                        a.vconn().close();
                    }
                    awaitAllLoopsEmpty(transport);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void concurrent_connections_spread_within_the_margin_and_closes_bring_every_count_back_to_zero(IoKind kind)
            throws Exception {
        try (NettyTransport transport = transport(kind)) {
            BlockingQueue<Accepted> accepts = new LinkedBlockingQueue<>();
            List<Socket> clients = new ArrayList<>();
            List<VConn> accepted = new ArrayList<>();
            try (NetAcceptor.Listener listener = listen(transport, accepts)) {
                for (int i = 0; i < 50; i++) {
                    clients.add(connect(listener));
                }
                for (int i = 0; i < 50; i++) {
                    accepted.add(next(accepts).vconn());
                }
                List<NettyEventLoop> loops = primaryLoops(transport);
                int live0 = loops.get(0).liveSockets();
                int live1 = loops.get(1).liveSockets();
                assertEquals(50, live0 + live1, "every accepted connection is counted once");
                assertTrue(Math.abs(live0 - live1) <= MARGIN, "50 connections spread within the margin: "
                        + live0 + " / " + live1);
                for (VConn vc : accepted) {
                    vc.close();
                }
                awaitAllLoopsEmpty(transport);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void connected_channels_such_as_pooled_origin_connections_are_not_counted(IoKind kind) throws Exception {
        try (NettyTransport transport = transport(kind)) {
            BlockingQueue<Accepted> accepts = new LinkedBlockingQueue<>();
            List<VConn> connected = new CopyOnWriteArrayList<>();
            List<VConn> accepted = new ArrayList<>();
            try (NetAcceptor.Listener listener = listen(transport, accepts)) {
                Continuation connector = new Continuation((e, d) -> {
                    if (e == Event.NET_CONNECT) {
                        connected.add((VConn) d);
                    }
                });
                for (int i = 0; i < 10; i++) {
                    transport.netConnector().connect(connector, listener.localAddress());
                }
                for (int i = 0; i < 10; i++) {
                    accepted.add(next(accepts).vconn());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (connected.size() < 10 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(10, connected.size(), "every connect completed");
                List<NettyEventLoop> loops = primaryLoops(transport);
                assertEquals(10, loops.get(0).liveSockets() + loops.get(1).liveSockets(),
                        "only the 10 accepted connections count, not the 10 connected ones");
                accepted.forEach(VConn::close);
                connected.forEach(VConn::close);
                awaitAllLoopsEmpty(transport);
            }
        }
    }

    private static NettyTransport transport(IoKind kind) {
        return new NettyTransport(TransportConfig.defaults().withEventLoops(2),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
    }

    private static NetAcceptor.Listener listen(NettyTransport transport, BlockingQueue<Accepted> accepts)
            throws Exception {
        return transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new Continuation((e, d) -> accepts.add(new Accepted((VConn) d, Thread.currentThread()))));
    }

    private static Socket connect(NetAcceptor.Listener listener) throws Exception {
        InetSocketAddress address = (InetSocketAddress) listener.localAddress();
        return new Socket(address.getAddress(), address.getPort());
    }

    private static Accepted next(BlockingQueue<Accepted> accepts) throws InterruptedException {
        Accepted a = accepts.poll(10, TimeUnit.SECONDS);
        assertNotNull(a, "no NET_ACCEPT within 10 s");
        return a;
    }

    /** The transport's primary loops (listed first; with epoll, NIO loops for adopted JDK channels follow). */
    private static List<NettyEventLoop> primaryLoops(NettyTransport transport) {
        List<NettyEventLoop> loops = new ArrayList<>();
        for (EventLoop loop : transport.eventLoops().subList(0, 2)) {
            loops.add((NettyEventLoop) loop);
        }
        return loops;
    }

    private static void awaitAllLoopsEmpty(NettyTransport transport) {
        List<NettyEventLoop> loops = primaryLoops(transport);
        BooleanSupplier empty = () -> loops.stream().allMatch(l -> l.liveSockets() == 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!empty.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(empty.getAsBoolean(), "live sockets left after every connection closed: "
                + loops.stream().map(l -> l.liveSockets()).toList());
    }
}
