/**
 * The ports every vconn transport implements ({@code dev.vconn.ports}: {@code SocketAdopter}, {@code HttpConnector},
 * {@code NetConnector}, {@code NetAcceptor}, {@code Transport}) and {@code Transports}, which finds a transport by
 * name among the {@link dev.vconn.ports.TransportProvider}s of the module path or class path.
 *
 * <p>{@code dev.vconn.ports.spi} is for transport implementors only: the shared transport mechanisms the adapters
 * build on. See docs/modules.md.
 */
module dev.vconn.ports {
    exports dev.vconn.ports;
    exports dev.vconn.ports.spi;

    // The ports' signatures are made of domain types (VConn, Continuation, EventLoop, ...).
    requires transitive dev.vconn.domain;
    // dev.vconn.ports.spi.OpenResourceTracker#logLeftOpen takes an slf4j Logger.
    requires transitive org.slf4j;

    uses dev.vconn.ports.TransportProvider;
}
