/**
 * JMH benchmarks that measure vconn's performance claims side by side (to be built by the benchmarks issue).
 */
package dev.vconn.bench;
