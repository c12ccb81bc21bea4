/**
 * The in-memory transport: sockets that behave as Linux sockets on a virtual clock, with seeded fault injection
 * ({@link dev.vconn.inmemory.InMemoryTransport}, {@link dev.vconn.inmemory.InMemoryNetwork},
 * {@link dev.vconn.inmemory.FaultPlan}), found by {@code Transports.load("inmemory")}. Its internals live in
 * {@code dev.vconn.inmemory.internal}, which is not exported.
 */
module dev.vconn.inmemory {
    exports dev.vconn.inmemory;

    // InMemoryTransport extends dev.vconn.ports.spi.AbstractTransport and speaks in domain types.
    requires transitive dev.vconn.ports;

    provides dev.vconn.ports.TransportProvider with dev.vconn.inmemory.InMemoryTransportProvider;
}
