package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.OriginConnector;
import dev.vconn.domain.tls.TlsContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/** Bridges the HTTP state machine's {@link OriginConnector} to a transport's {@link NetConnector}. */
public final class OriginConnectors {
    private OriginConnectors() {
    }

    /**
     * An origin connector that connects through {@code connector}. Host names are resolved by the JDK resolver on
     * the calling event loop (address literals and {@code localhost} need no lookup); configure remap rules with
     * address literals where a blocking lookup is not acceptable. It reaches plain-HTTP origins only: an https
     * origin gets NET_CONNECT_FAILED (see {@link #of(NetConnector, TlsContext, BlockPool)}).
     *
     * @param connector the transport's connector
     * @return an origin connector
     */
    public static OriginConnector of(NetConnector connector) {
        Objects.requireNonNull(connector, "connector");
        return (continuation, host, port, timeout) ->
                connector.connect(continuation, new InetSocketAddress(host, port), timeout);
    }

    /**
     * An origin connector that also reaches https origins: over TLS with {@code tls} (a client context: its trust
     * store, hostname verification on by default, SNI sent), SNI and the name checked being the origin host of the
     * remap rule. Record buffers come from {@code pool} (usually the transport's block pool). See docs/tls.md.
     *
     * @param connector the transport's connector
     * @param tls       the TLS settings towards origins
     * @param pool      where record buffers come from
     * @return an origin connector for http and https origins
     * @throws IllegalArgumentException if {@code tls} is not a client context
     */
    public static OriginConnector of(NetConnector connector, TlsContext tls, BlockPool pool) {
        Objects.requireNonNull(connector, "connector");
        Objects.requireNonNull(pool, "pool");
        if (Objects.requireNonNull(tls, "tls").role() != TlsContext.Role.CLIENT) {
            throw new IllegalArgumentException("origins need a CLIENT TlsContext, was " + tls);
        }
        return new OriginConnector() {
            @Override
            public ScheduledAction connect(Continuation continuation, String host, int port, Duration timeout) {
                return connector.connect(continuation, new InetSocketAddress(host, port), timeout);
            }

            @Override
            public ScheduledAction connect(Continuation continuation, String host, int port, boolean useTls,
                    Duration timeout) {
                if (!useTls) {
                    return connect(continuation, host, port, timeout);
                }
                return connector.connect(continuation, new InetSocketAddress(host, port), timeout,
                        TlsOptions.client(tls, pool, host, port));
            }
        };
    }
}
