/**
 * The Netty transport: channel-backed VConns driven by the domain's shared VIO core (to be built by the Netty adapter issue).
 */
package dev.vconn.netty;
