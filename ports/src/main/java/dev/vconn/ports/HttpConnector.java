package dev.vconn.ports;

import dev.vconn.domain.VConn;

/**
 * Opens an in-process connection straight into the HTTP state machine: Traffic Server's
 * {@code TSHttpConnectPlugin} (docs/semantics.md, rules 6.1–6.6).
 *
 * <p>{@link #connect} makes a VConn pair on one of the transport's loops (the caller's, when it is one of them:
 * docs/threading.md, Loop affinity), hands the passive end
 * <b>synchronously</b> to the session acceptor (a continuation receiving NET_ACCEPT with the passive end, later
 * the HTTP state machine), and returns the active end. No socket, no loopback, no kernel copy. The caller owns
 * the active end and must close it; the acceptor owns the passive end.
 */
public interface HttpConnector {
    /**
     * Connects.
     *
     * @return the active end, open
     * @throws IllegalStateException if the transport is closed
     */
    VConn connect(HttpConnectOptions options);
}
