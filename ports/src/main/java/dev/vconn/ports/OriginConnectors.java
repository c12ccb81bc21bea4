package dev.vconn.ports;

import dev.vconn.domain.http.OriginConnector;
import java.net.InetSocketAddress;
import java.util.Objects;

/** Bridges the HTTP state machine's {@link OriginConnector} to a transport's {@link NetConnector}. */
public final class OriginConnectors {
    private OriginConnectors() {
    }

    /**
     * An origin connector that connects through {@code connector}. Host names are resolved by the JDK resolver on
     * the calling event loop (address literals and {@code localhost} need no lookup); configure remap rules with
     * address literals where a blocking lookup is not acceptable.
     *
     * @param connector the transport's connector
     * @return an origin connector
     */
    public static OriginConnector of(NetConnector connector) {
        Objects.requireNonNull(connector, "connector");
        return (continuation, host, port, timeout) ->
                connector.connect(continuation, new InetSocketAddress(host, port), timeout);
    }
}
