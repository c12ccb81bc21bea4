/**
 * The in-process VConn pair (Traffic Server's PluginVC): two connected ends on one event loop that move bytes by
 * block reference, with no socket, no loopback and no kernel copy.
 */
package dev.vconn.domain.pair;
