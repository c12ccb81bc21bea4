package dev.vconn.inmemory.internal;

import java.nio.channels.SelectableChannel;

/**
 * What an {@link InMemorySelector} needs to know about the channels of its network, supplied by the network's
 * selector provider (so that this package does not depend on the public channel class).
 */
public interface Poller {
    /** Whether {@code channel} is a channel of this selector's network. */
    boolean accepts(SelectableChannel channel);

    /** The operations ({@code SelectionKey.OP_*}) {@code channel} is ready for now. */
    int readyOps(SelectableChannel channel);

    /** Asks {@code channel} to run {@code onChange} whenever its readiness may have changed. */
    void watch(SelectableChannel channel, Runnable onChange);

    /** Undoes {@link #watch}. */
    void unwatch(SelectableChannel channel, Runnable onChange);
}
