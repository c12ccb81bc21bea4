package dev.vconn.inmemory.internal;

import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectionKey;

/** The registration of an in-memory channel with an {@link InMemorySelector}. */
final class InMemorySelectionKey extends AbstractSelectionKey {
    private final SelectableChannel channel;
    private final InMemorySelector selector;
    private volatile int interestOps;
    private volatile int readyOps;

    InMemorySelectionKey(SelectableChannel channel, InMemorySelector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public Selector selector() {
        return selector;
    }

    @Override
    public int interestOps() {
        ensureValid();
        return interestOps;
    }

    @Override
    public SelectionKey interestOps(int ops) {
        ensureValid();
        if ((ops & ~channel.validOps()) != 0) {
            throw new IllegalArgumentException("interest set " + ops + " has operations the channel does not support");
        }
        interestOps = ops; // like the JDK's selectors: takes effect at the next selection
        return this;
    }

    @Override
    public int readyOps() {
        ensureValid();
        return readyOps;
    }

    int interestOpsUnchecked() {
        return interestOps;
    }

    void setReadyOps(int ops) {
        readyOps = ops;
    }

    private void ensureValid() {
        if (!isValid()) {
            throw new java.nio.channels.CancelledKeyException();
        }
    }
}
