/**
 * Building blocks for transport implementors, shared so that adapters cannot drift apart:
 * {@link dev.vconn.ports.spi.AbstractTransport} (the facade of the four ports, listener bookkeeping, the adoption
 * flow with {@link dev.vconn.ports.spi.AdoptionChecks}, work in flight and the bounded shutdown),
 * {@link dev.vconn.ports.spi.ConnectAttempt} (the connect state machine), the pair-backed
 * {@link dev.vconn.ports.spi.PairHttpConnector}, the {@link dev.vconn.ports.spi.OpenResourceTracker} that lets a
 * transport report what is left open when it closes, and {@link dev.vconn.ports.spi.SocketChannelVConn}.
 */
package dev.vconn.ports.spi;
