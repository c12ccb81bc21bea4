package dev.vconn.domain.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.VConn;
import java.util.Objects;

/**
 * The state shared by the core's read and write operations ({@link CoreReadVio}, {@link CoreWriteVio}). Counters
 * are written only on the VConn's loop (by the shared core, {@link AbstractVConn}) and are volatile so other threads
 * read a recent value; the flags below the counters are confined to the loop.
 */
abstract class VioState {
    final AbstractVConn vconn;
    final Continuation continuation;
    volatile long nbytes;
    volatile long ndone;
    /** Set once, under the VConn's delivery lock: no event is delivered after. */
    volatile boolean retired;
    /** Set by {@link #reenable()} from any thread; the loop folds it into the flags below. */
    volatile boolean reenableRequested;

    // Loop-confined.
    /** The value of ndone when the last READY event was sent. */
    long signalled;
    /** COMPLETE was sent. */
    volatile boolean complete;
    /** EOS or ERROR was reported; nothing more until a reenable. */
    boolean parked;
    /** A write VIO with an empty reader was told WRITE_READY and waits for a reenable or progress. */
    boolean askedForData;

    VioState(AbstractVConn vconn, Continuation continuation, long nbytes) {
        this.vconn = vconn;
        this.continuation = Objects.requireNonNull(continuation, "continuation");
        this.nbytes = nbytes;
    }

    public long nbytes() {
        return nbytes;
    }

    public long ndone() {
        return ndone;
    }

    public void setNBytes(long nbytes) {
        if (nbytes < 0) {
            throw new IllegalArgumentException("nbytes must be >= 0, was " + nbytes + " (docs/semantics.md, rule 3.7)");
        }
        long done = ndone;
        if (nbytes < done) {
            throw new IllegalArgumentException(
                    "nbytes must not go below ndone (" + done + "), was " + nbytes + " (docs/semantics.md, rule 3.3)");
        }
        if (!retired) {
            this.nbytes = nbytes;
        }
    }

    public void reenable() {
        if (!retired) {
            reenableRequested = true;
            vconn.reenabled();
        }
    }

    public void cancel() {
        vconn.cancel(this);
    }

    public boolean isRetired() {
        return retired;
    }

    public boolean isComplete() {
        return complete;
    }

    public Continuation continuation() {
        return continuation;
    }

    public VConn vconn() {
        return vconn;
    }

    /**
     * Parks the VIO before EOS or ERROR is delivered. A reenable requested before this point (typically from inside
     * the READ_READY or WRITE_READY of this same pass) is answered by the event about to be delivered, so it is
     * dropped here; only a reenable made after it repeats the event (docs/semantics.md, rule 3.4).
     */
    final void park() {
        reenableRequested = false;
        parked = true;
    }

    /** Folds a pending reenable into the loop-confined flags; called by the core at the start of a pass. */
    final void applyReenable() {
        if (reenableRequested) {
            reenableRequested = false;
            parked = false;
            askedForData = false;
        }
    }

    final String describe(String op) {
        return op + "[nbytes=" + (nbytes == Long.MAX_VALUE ? "unbounded" : Long.toString(nbytes)) + ", ndone=" + ndone
                + (complete ? ", complete" : "") + (retired ? ", retired" : "") + "]";
    }
}
