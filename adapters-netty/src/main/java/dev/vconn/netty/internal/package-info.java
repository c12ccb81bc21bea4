/**
 * Internals of the Netty transport: the domain {@code EventLoop} view of Netty's event loops, the channel-backed
 * VConn, the adopters, the connector and the acceptor; the openssl TLS engine's Netty contexts
 * ({@code OpenSslEngines}). Not API.
 */
package dev.vconn.netty.internal;
