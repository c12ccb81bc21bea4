package dev.vconn.app.architecture.planted.bad.plugin;

import dev.vconn.app.architecture.planted.bad.nio.NioTransport;

/** Violates plugin_api_depends_only_on_the_libraries: the plugin API that knows a concrete transport. */
public interface TransportAwarePlugin {
    void init(NioTransport transport);
}
