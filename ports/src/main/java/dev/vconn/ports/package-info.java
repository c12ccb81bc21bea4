/**
 * Ports: the SocketAdopter, HttpConnector, NetConnector, NetAcceptor and Transport SPI that every transport adapter implements (filled in by the ports issue).
 */
package dev.vconn.ports;
