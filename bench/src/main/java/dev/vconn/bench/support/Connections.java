package dev.vconn.bench.support;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TlsOptions;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Connected VConn pairs made through a transport's own ports (setup only: it waits). */
public final class Connections {
    private Connections() {
    }

    /** A client VConn (from NetConnector) and the server VConn its listener accepted (from NetAcceptor). */
    public record Connected(VConn client, VConn server) {
    }

    /** Connects once over loopback (or the in-memory network) and returns both ends. */
    public static Connected connect(Transport transport) throws IOException {
        return connect(transport, null, null);
    }

    /**
     * Connects once over TLS: the listener wraps the accepted end in {@code serverTls}, the connect the client end in
     * {@code clientTls} (both {@code TlsVConn}s, their handshakes under way).
     */
    public static Connected connect(Transport transport, TlsOptions serverTls, TlsOptions clientTls)
            throws IOException {
        AtomicReference<VConn> accepted = new AtomicReference<>();
        AtomicReference<Object> connected = new AtomicReference<>();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        Continuation acceptor = new Continuation((e, d) -> {
            if (e == Event.NET_ACCEPT) {
                accepted.set((VConn) d);
            }
        });
        try (NetAcceptor.Listener listener = serverTls == null ? transport.netAcceptor().listen(address, acceptor)
                : transport.netAcceptor().listen(address, acceptor, serverTls)) {
            Continuation connecting = new Continuation((e, d) -> connected.set(d));
            if (clientTls == null) {
                transport.netConnector().connect(connecting, listener.localAddress());
            } else {
                transport.netConnector().connect(connecting, listener.localAddress(), Duration.ofSeconds(10), clientTls);
            }
            BenchTransports.await(transport, () -> accepted.get() != null && connected.get() != null,
                    Duration.ofSeconds(10), "a loopback connection");
        }
        if (!(connected.get() instanceof VConn client)) {
            throw new IOException("connect failed: " + connected.get());
        }
        return new Connected(client, accepted.get());
    }
}
