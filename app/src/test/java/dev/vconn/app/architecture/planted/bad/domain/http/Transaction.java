package dev.vconn.app.architecture.planted.bad.domain.http;

import dev.vconn.app.architecture.planted.bad.domain.HookRegistry;

/** With {@link HookRegistry}, violates no_package_cycles (domain.http -> domain -> domain.http). */
public class Transaction {
    private final HookRegistry hooks = new HookRegistry();

    public void start() {
        hooks.fire(this);
    }

    public void resume() {
    }
}
