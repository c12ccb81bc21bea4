/**
 * The java.nio transport: {@link dev.vconn.nio.NioTransport}, found by {@code Transports.load("nio")}. Its selector
 * loops and socket VConns live in {@code dev.vconn.nio.internal}, which is not exported.
 */
module dev.vconn.nio {
    exports dev.vconn.nio;

    // NioTransport extends dev.vconn.ports.spi.AbstractTransport and speaks in domain types.
    requires transitive dev.vconn.ports;

    provides dev.vconn.ports.TransportProvider with dev.vconn.nio.NioTransportProvider;
}
