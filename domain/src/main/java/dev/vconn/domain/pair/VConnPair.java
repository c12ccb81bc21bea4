package dev.vconn.domain.pair;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BufferSizes;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * Two connected in-process VConns, the <i>active</i> end (the one a client writes its request to) and the
 * <i>passive</i> end (the one a server reads it from): Traffic Server's PluginVC, with vconn's canonical choices
 * (docs/semantics.md, rules 6.1–6.6):
 * <ul>
 *   <li>bytes move by block reference (pieces under 128 bytes are copied), straight from the writer's reader into
 *       the reader's buffer: there is no intermediate buffer;</li>
 *   <li>at most {@code max(W, reader buffer block size)} unconsumed bytes are pushed ahead of a reader, {@code W}
 *       being the reader buffer's water mark or, when that is 0, {@code options.waterMark}: the rule of every
 *       transport (docs/semantics.md, rule 3.5);</li>
 *   <li>a write posted before the peer posted its read is held, not failed;</li>
 *   <li>shutdown and close reach the peer at once: after a write shutdown or a close, the peer's reader gets EOS;
 *       after a read shutdown or a close, the peer's writer gets ERROR;</li>
 *   <li>the pair is freed, and the {@code onFreed} callback runs, once both ends are closed.</li>
 * </ul>
 * Both ends are pinned to one loop.
 */
public final class VConnPair {
    /**
     * How a pair is made.
     *
     * @param tag           a label for logs (Traffic Server's {@code pitag}); not null
     * @param id            a per-connection id for logs ({@code piid}); 0 means unset
     * @param bufferIndex   a block size class, 0..14, kept for Traffic Server's options; it does not bound
     *                      read-ahead (the reader buffer's own block size does: docs/semantics.md, rule 3.5)
     * @param waterMark     the read water mark of a reader whose buffer's water mark is 0, at least 0
     * @param clientAddress the active end's local address and the passive end's remote address; may be null
     */
    public record Options(String tag, long id, int bufferIndex, long waterMark, SocketAddress clientAddress) {
        /** Validates every field. */
        public Options {
            Objects.requireNonNull(tag, "tag");
            BufferSizes.checkIndex("bufferIndex", bufferIndex);
            if (waterMark < 0) {
                throw new IllegalArgumentException("waterMark must be >= 0, was " + waterMark);
            }
        }

        /** The defaults: tag {@code "plugin"}, id 0, index 8 (32 KiB), water mark 0, no address. */
        public static Options defaults() {
            return new Options("plugin", 0, BufferSizes.DEFAULT_INDEX, 0, null);
        }
    }

    /** The options as given; their id is {@link #id}'s only when the pair was opened without an id of its own. */
    private final Options options;
    private final long id;
    /** {@link #options} with {@link #id}, made on first ask when the two ids differ. */
    private Options identified;
    private final PairEnd active;
    private final PairEnd passive;
    /** Ends not yet closed; a field, not an atomic object of its own (an intercept makes a pair per transaction). */
    private volatile int openEnds = 2;

    private static final VarHandle OPEN_ENDS;

    static {
        try {
            OPEN_ENDS = MethodHandles.lookup().findVarHandle(VConnPair.class, "openEnds", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private final Consumer<VConnPair> onFreed;

    private VConnPair(EventLoop loop, Options options, long id, Consumer<VConnPair> onFreed) {
        this.options = Objects.requireNonNull(options, "options");
        this.id = id;
        this.onFreed = onFreed;
        this.active = new PairEnd(loop, this, true);
        this.passive = new PairEnd(loop, this, false);
        active.connect(passive);
        passive.connect(active);
    }

    /** A new pair on {@code loop}. */
    public static VConnPair open(EventLoop loop, Options options) {
        return new VConnPair(loop, options, options.id(), null);
    }

    /**
     * A new pair on {@code loop} with {@code options} except their id: its id is {@code id}. A caller that opens many
     * pairs that differ only by id (an HTTP session's intercept, one pair per transaction) shares one {@code Options}
     * instead of making one per pair; {@link #options()} then reads as if made with {@code id}.
     */
    public static VConnPair open(EventLoop loop, Options options, long id) {
        return new VConnPair(loop, options, id, null);
    }

    /** A new pair on {@code loop}; {@code onFreed} runs on the loop once both ends are closed. */
    public static VConnPair open(EventLoop loop, Options options, Consumer<VConnPair> onFreed) {
        return new VConnPair(loop, options, options.id(), Objects.requireNonNull(onFreed, "onFreed"));
    }

    /** The end a client uses: it writes a request and reads the response. */
    public VConn active() {
        return active;
    }

    /** The end a server uses: it reads the request and writes the response. */
    public VConn passive() {
        return passive;
    }

    /**
     * The pair options behind an end of an in-process pair: how the HTTP state machine learns the tag, id and client
     * address of an in-process connection (Traffic Server's {@code PluginIdentity}).
     *
     * @param vconn any VConn
     * @return the options of the pair {@code vconn} belongs to, or empty if it is not an end of a pair
     */
    public static Optional<Options> optionsOf(VConn vconn) {
        return vconn instanceof PairEnd end ? Optional.of(end.pair().options()) : Optional.empty();
    }

    /** The options the pair was made with, with the pair's own id. */
    public Options options() {
        if (options.id() == id) {
            return options;
        }
        Options o = identified;
        if (o == null) {
            // Threads that race here at worst make equal records: a record's fields are final, so any one is safe.
            o = new Options(options.tag(), id, options.bufferIndex(), options.waterMark(), options.clientAddress());
            identified = o;
        }
        return o;
    }

    /** The read water mark for a reader whose buffer has none, without making the identified options. */
    long waterMark() {
        return options.waterMark();
    }

    /** The active end's local address, without making the identified options. */
    SocketAddress clientAddress() {
        return options.clientAddress();
    }

    /** Whether both ends are closed. */
    public boolean isFreed() {
        return openEnds == 0;
    }

    void endClosed() {
        if ((int) OPEN_ENDS.getAndAdd(this, -1) == 1 && onFreed != null) {
            onFreed.accept(this);
        }
    }

    @Override
    public String toString() {
        return "VConnPair[tag=" + options.tag + ", id=" + id + (isFreed() ? ", freed" : "") + "]";
    }
}
