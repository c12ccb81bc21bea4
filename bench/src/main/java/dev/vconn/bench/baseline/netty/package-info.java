/**
 * The raw Netty baseline: the only benchmark code that uses Netty's API directly, kept in this one package so the
 * architecture rule "Netty appears only in adapters-netty" can exempt exactly it.
 */
package dev.vconn.bench.baseline.netty;
