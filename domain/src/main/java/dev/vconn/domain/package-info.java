/**
 * The pure domain: VConn, VIO, continuations and events.
 */
package dev.vconn.domain;
