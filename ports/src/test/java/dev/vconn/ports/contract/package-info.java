/**
 * The contract kit: the semantics every vconn transport must have, written once and run by every adapter.
 *
 * <p>Each abstract class here states one group of the rules in {@code docs/semantics.md} (2.x threads, 3.x VIO
 * rules, 5.x ownership, 6.x the in-process pair) and the testable Traffic Server statements listed there,
 * against socket VConns made by the
 * transport's own acceptor and connector, adopted sockets, and the transport's in-process connector:
 * {@link dev.vconn.ports.contract.DataPathContract}, {@link dev.vconn.ports.contract.BackpressureContract},
 * {@link dev.vconn.ports.contract.ShutdownCloseContract}, {@link dev.vconn.ports.contract.TimeoutContract},
 * {@link dev.vconn.ports.contract.AdoptionContract}, {@link dev.vconn.ports.contract.HttpConnectorContract},
 * {@link dev.vconn.ports.contract.NetContract}, {@link dev.vconn.ports.contract.ConcurrencyContract},
 * {@link dev.vconn.ports.contract.TlsContract} (TLS over the transport's listeners, connects, adopted sockets and
 * in-process pairs: docs/tls.md) and
 * {@link dev.vconn.ports.contract.HttpProxyContract} (the HTTP state machine behind the transport's ports, with
 * {@link dev.vconn.ports.contract.HttpKitServer} as origin and intercept, {@link dev.vconn.ports.contract.HttpKitClient}
 * as client, and {@link dev.vconn.ports.contract.HttpWire}'s strict response parser as oracle).
 *
 * <p>An adapter runs a group by subclassing it in three lines and returning its
 * {@link dev.vconn.ports.contract.TransportHarness}:
 * <pre>{@code
 * class NioDataPathTest extends DataPathContract {
 *     @Override protected TransportHarness newHarness() { return new NioHarness(); }
 * }
 * }</pre>
 * A rule that holds on one adapter and not on another is a bug in that adapter (or in the shared core), never a
 * reason to fork the kit. {@link dev.vconn.ports.contract.TransportContract} gives every case a fresh harness and
 * checks hygiene after it (no VConn, pair or socket left open, every block back in the pool, every callback under
 * its lock); {@link dev.vconn.ports.contract.Capability} skips, with a reported reason, the few cases a transport
 * truly cannot run. {@link dev.vconn.ports.contract.Streams} and {@link dev.vconn.ports.contract.BytePattern} are
 * the shared streaming helpers: refill on WRITE_READY, consume and check every byte in READ_READY.
 *
 * <p>The kit never sleeps: it waits on events through the harness (which drives a virtual-time loop on the test
 * thread) and lets time pass with marker tasks scheduled on the transport's loops.
 */
package dev.vconn.ports.contract;
