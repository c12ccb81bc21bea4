/**
 * Event loops that need no transport: the deterministic, virtual-time loop that tests and simulations drive by
 * hand.
 */
package dev.vconn.domain.loop;
