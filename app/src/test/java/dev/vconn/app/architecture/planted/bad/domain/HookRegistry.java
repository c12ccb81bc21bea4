package dev.vconn.app.architecture.planted.bad.domain;

import dev.vconn.app.architecture.planted.bad.domain.http.Transaction;

/** With {@link Transaction}, violates no_package_cycles (domain -> domain.http -> domain). */
public class HookRegistry {
    public void fire(Transaction transaction) {
        transaction.resume();
    }
}
