/**
 * The in-memory transport: deterministic virtual-time loops and in-memory socket pairs with fault injection (to be built by the ports and in-memory adapter issue).
 */
package dev.vconn.inmemory;
