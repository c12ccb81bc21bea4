package dev.vconn.app.architecture.planted.bad.ports;

import dev.vconn.app.architecture.planted.bad.nio.NioTransport;

/** Violates ports_depend_only_on_domain: a port that knows a concrete adapter. */
public interface AdapterAwarePort {
    NioTransport defaultTransport();
}
