/**
 * Internals of the in-memory transport: the bounded, fault-injecting byte pipe behind each direction of a channel,
 * the VConn over a channel, and the in-memory selector. Not API: may change without notice, and only
 * {@code dev.vconn.inmemory} may use it.
 */
package dev.vconn.inmemory.internal;
