package dev.vconn.app.architecture.planted.bad.app;

import dev.vconn.app.architecture.planted.bad.domain.AppAwareContinuation;

/** The planted app: uses the domain, as it may (and so closes the domain -> app cycle). */
public class ServerMain {
    private final AppAwareContinuation continuation = new AppAwareContinuation();

    public void run() {
        continuation.handleEvent(this);
    }

    public void shutdown() {
    }
}
