/**
 * What the benchmarks share: transports with one loop, a batch gate the benchmark thread waits on once per batch,
 * and {@link dev.vconn.bench.support.StreamRig}, which streams bytes between two VConns with continuations on
 * their loops.
 */
package dev.vconn.bench.support;
