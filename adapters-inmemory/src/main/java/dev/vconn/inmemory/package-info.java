/**
 * The in-memory transport: a deterministic virtual-time event loop and in-memory socket channels with seeded fault
 * injection, behind the same ports as the socket transports.
 *
 * <p>Start with {@link dev.vconn.inmemory.InMemoryTransport} (or {@code Transports.load("inmemory")}); its
 * {@link dev.vconn.inmemory.InMemoryNetwork} makes connected
 * {@link dev.vconn.inmemory.InMemorySocketChannel} pairs, each direction with its own
 * {@link dev.vconn.inmemory.FaultPlan}. Tests drive the transport's loop themselves, so time moves only when they say.
 */
package dev.vconn.inmemory;
