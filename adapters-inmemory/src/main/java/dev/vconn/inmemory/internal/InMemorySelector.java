package dev.vconn.inmemory.internal;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelectionKey;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A selector for the channels of one in-memory network. Readiness comes from the channels themselves (through the
 * {@link Poller}), and channels tell the selector when it may have changed, so a blocking {@code select} wakes up
 * without polling. Selection follows {@link Selector}'s rules: cancelled keys are deregistered at the next selection
 * or when the selector closes, the selected-key set is updated, not replaced, and {@link #wakeup()} makes the
 * current or next selection return at once.
 */
public final class InMemorySelector extends AbstractSelector {
    private final Poller poller;
    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final Set<SelectionKey> selected = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicSelected = new Ungrowable(selected);
    private final Object monitor = new Object();
    private final Runnable onChange = this::signalChange;
    private boolean woken; // guarded by monitor
    private boolean changed; // guarded by monitor

    /**
     * A selector.
     *
     * @param provider the provider that made it
     * @param poller   readiness of the provider's channels
     */
    public InMemorySelector(SelectorProvider provider, Poller poller) {
        super(provider);
        this.poller = Objects.requireNonNull(poller, "poller");
    }

    @Override
    protected SelectionKey register(AbstractSelectableChannel channel, int ops, Object attachment) {
        if (!poller.accepts(channel)) {
            throw new IllegalSelectorException();
        }
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        InMemorySelectionKey key = new InMemorySelectionKey(channel, this);
        key.attach(attachment);
        key.interestOps(ops);
        keys.add(key);
        poller.watch(channel, onChange);
        return key;
    }

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return publicSelected;
    }

    @Override
    public int selectNow() throws IOException {
        return doSelect(-1);
    }

    @Override
    public int select(long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout must be >= 0, was " + timeout);
        }
        return doSelect(timeout);
    }

    @Override
    public int select() throws IOException {
        return doSelect(0);
    }

    /** Selects: {@code timeoutMillis} -1 returns at once, 0 waits without limit. */
    private int doSelect(long timeoutMillis) {
        ensureOpen();
        synchronized (this) {
            long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
            if (timeoutMillis < 0) {
                synchronized (monitor) {
                    woken = false;
                }
            }
            while (true) {
                synchronized (monitor) {
                    changed = false;
                }
                processCancelled();
                int n = poll();
                if (n > 0 || timeoutMillis < 0) {
                    synchronized (monitor) {
                        woken = false;
                    }
                    return n;
                }
                boolean interrupted = false;
                begin(); // an interrupt wakes the selector up
                try {
                    synchronized (monitor) {
                        if (woken || !isOpen() || Thread.currentThread().isInterrupted()) {
                            woken = false;
                            return 0;
                        }
                        if (!changed) {
                            if (timeoutMillis == 0) {
                                monitor.wait();
                            } else {
                                long left = deadline - System.nanoTime();
                                if (left <= 0) {
                                    return 0;
                                }
                                monitor.wait(left / 1_000_000L, (int) (left % 1_000_000L));
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                } finally {
                    end();
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                    return 0;
                }
            }
        }
    }

    private int poll() {
        int count = 0;
        for (SelectionKey key : keys) {
            InMemorySelectionKey k = (InMemorySelectionKey) key;
            if (!k.isValid()) {
                continue;
            }
            int ready = poller.readyOps(k.channel()) & k.interestOpsUnchecked();
            if (ready == 0) {
                continue;
            }
            if (selected.contains(k)) {
                int old = k.readyOps();
                if ((old | ready) != old) {
                    k.setReadyOps(old | ready);
                    count++;
                }
            } else {
                k.setReadyOps(ready);
                selected.add(k);
                count++;
            }
        }
        return count;
    }

    private void processCancelled() {
        Set<SelectionKey> cancelled = cancelledKeys();
        synchronized (cancelled) {
            for (SelectionKey k : cancelled) {
                remove(k);
            }
            cancelled.clear();
        }
    }

    private void remove(SelectionKey k) {
        keys.remove(k);
        selected.remove(k);
        poller.unwatch(k.channel(), onChange);
        deregister((AbstractSelectionKey) k);
    }

    @Override
    public Selector wakeup() {
        synchronized (monitor) {
            woken = true;
            monitor.notifyAll();
        }
        return this;
    }

    private void signalChange() {
        synchronized (monitor) {
            changed = true;
            monitor.notifyAll();
        }
    }

    @Override
    protected void implCloseSelector() throws IOException {
        wakeup();
        synchronized (this) {
            processCancelled();
            for (SelectionKey k : keys) {
                remove(k);
            }
        }
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    @Override
    public String toString() {
        return "InMemorySelector[keys=" + keys.size() + (isOpen() ? "" : ", closed") + "]";
    }

    /** The selected-key set as users see it: elements may be removed, not added. */
    private static final class Ungrowable extends AbstractSet<SelectionKey> {
        private final Set<SelectionKey> set;

        Ungrowable(Set<SelectionKey> set) {
            this.set = set;
        }

        @Override
        public Iterator<SelectionKey> iterator() {
            return set.iterator();
        }

        @Override
        public int size() {
            return set.size();
        }

        @Override
        public boolean contains(Object o) {
            return set.contains(o);
        }

        @Override
        public boolean remove(Object o) {
            return set.remove(o);
        }

        @Override
        public boolean add(SelectionKey e) {
            throw new UnsupportedOperationException("the selected-key set only shrinks");
        }
    }
}
