/**
 * The ports every transport implements: {@link dev.vconn.ports.SocketAdopter} (Traffic Server's
 * {@code TSVConnFdCreate}), {@link dev.vconn.ports.HttpConnector} ({@code TSHttpConnectPlugin}),
 * {@link dev.vconn.ports.NetConnector}, {@link dev.vconn.ports.NetAcceptor}, and the
 * {@link dev.vconn.ports.Transport} that bundles them, found by name through {@link dev.vconn.ports.Transports}.
 */
package dev.vconn.ports;
