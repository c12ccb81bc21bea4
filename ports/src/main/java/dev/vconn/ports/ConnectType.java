package dev.vconn.ports;

/** How {@link HttpConnector#connect} reaches the HTTP state machine; Traffic Server's {@code TSConnectType}. */
public enum ConnectType {
    /** An in-process plugin connection: a VConn pair, no socket ({@code TS_CONNECT_PLUGIN}). */
    PLUGIN
}
