/**
 * {@link dev.vconn.bench.scale.ConnectionScale}: memory per idle connection, a plain main rather than a JMH
 * benchmark because it measures a state (ten thousand open connections), not a rate.
 */
package dev.vconn.bench.scale;
