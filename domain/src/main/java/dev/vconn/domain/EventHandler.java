package dev.vconn.domain;

/**
 * The callback of a {@link Continuation}, like Traffic Server's {@code TSEventFunc}. It is always called on the
 * event loop of the VConn that sends the event, while the continuation's lock is held.
 */
@FunctionalInterface
public interface EventHandler {
    /**
     * Handles one event.
     *
     * @param event what happened
     * @param data  the event's data; see {@link Event} for its type per event
     */
    void handle(Event event, Object data);
}
