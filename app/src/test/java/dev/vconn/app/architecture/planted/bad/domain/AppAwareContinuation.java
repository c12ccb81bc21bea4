package dev.vconn.app.architecture.planted.bad.domain;

import dev.vconn.app.architecture.planted.bad.app.ServerMain;

/**
 * Violates nothing_depends_on_app_or_bench (the domain calls into the app) and, because the app
 * uses the domain, no_module_cycles (domain -> app -> domain).
 */
public class AppAwareContinuation {
    public void handleEvent(ServerMain server) {
        server.shutdown();
    }
}
