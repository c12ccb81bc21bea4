package dev.vconn.domain.testing;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.VIO;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A continuation that records every event it gets (and checks that it runs under its lock), with an optional
 * reaction run inside the callback.
 */
public final class EventLog {
    /** One delivered event with the VIO counters at delivery time. */
    public record Entry(Event event, Object data, long ndone, long nbytes) {
        @Override
        public String toString() {
            return event.name() + "@" + ndone;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Continuation continuation;
    private volatile BiConsumer<Event, Object> reaction = (e, d) -> { };
    private volatile String lockViolation;

    public EventLog() {
        this.continuation = new Continuation(handler());
    }

    public EventLog(Continuation sharingLockWith) {
        this.continuation = Continuation.sharingLockWith(sharingLockWith, handler());
    }

    private EventHandler handler() {
        return (event, data) -> {
            if (!continuation.lock().isHeldByCurrentThread()) {
                lockViolation = event + " delivered without the continuation's lock";
            }
            synchronized (entries) {
                if (data instanceof VIO vio) {
                    entries.add(new Entry(event, data, vio.ndone(), vio.nbytes()));
                } else {
                    entries.add(new Entry(event, data, -1, -1));
                }
            }
            reaction.accept(event, data);
        };
    }

    public Continuation continuation() {
        return continuation;
    }

    public EventLog onEvent(BiConsumer<Event, Object> reaction) {
        this.reaction = reaction;
        return this;
    }

    public List<Entry> entries() {
        synchronized (entries) {
            return List.copyOf(entries);
        }
    }

    public List<Event> events() {
        return entries().stream().map(Entry::event).toList();
    }

    /** The events delivered for one VIO. */
    public List<Event> eventsFor(Object vio) {
        return entries().stream().filter(e -> e.data() == vio).map(Entry::event).toList();
    }

    public long count(Event event) {
        return entries().stream().filter(e -> e.event() == event).count();
    }

    public Entry last() {
        List<Entry> all = entries();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    /** Null if every event ran under the continuation's lock, else the first violation. */
    public String lockViolation() {
        return lockViolation;
    }
}
