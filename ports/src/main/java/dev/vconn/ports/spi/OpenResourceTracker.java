package dev.vconn.ports.spi;

import dev.vconn.domain.VConn;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.ports.Transport.OpenResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * What a transport still has open: VConns (registered when made, removed when their close is processed) and
 * in-process pairs (removed when both ends are closed). Thread-safe.
 */
public final class OpenResourceTracker {
    private final Map<VConn, String> vconns = new ConcurrentHashMap<>();
    private final Map<VConnPair, Boolean> pairs = new ConcurrentHashMap<>();

    /** A tracker with nothing open. */
    public OpenResourceTracker() {
    }

    /** Records an open VConn with a description for the leak report. */
    public void opened(VConn vconn, String description) {
        vconns.put(vconn, description);
    }

    /** Records that a VConn's close was processed. */
    public void closed(VConn vconn) {
        vconns.remove(vconn);
    }

    /** Records an open pair; pass {@link #pairFreed} as its {@code onFreed} callback. */
    public void opened(VConnPair pair) {
        pairs.put(pair, Boolean.TRUE);
    }

    /** Records that both ends of a pair are closed. */
    public void pairFreed(VConnPair pair) {
        pairs.remove(pair);
    }

    /** A snapshot of everything still open. */
    public List<OpenResource> snapshot() {
        List<OpenResource> open = new ArrayList<>();
        vconns.forEach((vc, description) -> open.add(new OpenResource("vconn", description)));
        pairs.keySet().forEach(p -> open.add(new OpenResource("pair", "tag=" + p.options().tag() + " id="
                + p.options().id() + " active " + (p.active().isOpen() ? "open" : "closed") + ", passive "
                + (p.passive().isOpen() ? "open" : "closed"))));
        return open;
    }

    /** Whether nothing is open. */
    public boolean isEmpty() {
        return vconns.isEmpty() && pairs.isEmpty();
    }

    /** Closes every open VConn and both ends of every open pair (a transport's forced shutdown). */
    public void closeAll() {
        vconns.keySet().forEach(VConn::close);
        pairs.keySet().forEach(p -> {
            p.active().close();
            p.passive().close();
        });
    }

    /** Logs each open resource at warn level, as a transport does when it closes. */
    public void logLeftOpen(Logger log, String transportName) {
        for (OpenResource r : snapshot()) {
            log.warn("transport {} closed with a {} still open: {}", transportName, r.kind(), r.description());
        }
    }
}
