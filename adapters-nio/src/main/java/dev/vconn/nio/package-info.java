/**
 * The java.nio transport: {@link dev.vconn.nio.NioTransport}, selector event loops and socket VConns driven by
 * the domain's shared VIO core, found by {@code Transports.load("nio")}.
 */
package dev.vconn.nio;
