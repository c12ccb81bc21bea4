/**
 * Building blocks for transport implementors, shared so that adapters cannot drift apart: the pair-backed
 * {@link dev.vconn.ports.spi.PairHttpConnector} and the {@link dev.vconn.ports.spi.OpenResourceTracker} that
 * lets a transport report what is left open when it closes.
 */
package dev.vconn.ports.spi;
