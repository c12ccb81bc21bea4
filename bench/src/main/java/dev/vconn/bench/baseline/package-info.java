/**
 * Raw baselines the vconn benchmarks are compared with in the same run: a plain java.nio selector loop here, a plain
 * Netty pipeline in {@code .netty} (the one package of the benchmarks that uses Netty directly). Both move the same
 * bytes with the same I/O sizes as vconn's defaults, on one I/O thread, so the ratio shows vconn's own cost.
 */
package dev.vconn.bench.baseline;
