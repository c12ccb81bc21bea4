package dev.vconn.inmemory;

import dev.vconn.inmemory.internal.Pipe;
import java.time.Duration;
import java.util.Objects;

/**
 * The faults injected into <b>one direction</b> of an in-memory connection (the bytes one channel writes and its
 * peer reads). Attach one plan per direction when making a pair
 * ({@link InMemoryNetwork#openPair(FaultPlan, FaultPlan)}) or for connections made by {@code connect}
 * ({@link InMemoryNetwork#setConnectFaults(FaultPlan, FaultPlan)}).
 *
 * <p>Every random choice comes from a {@link java.util.SplittableRandom} seeded with {@link #seed()}, so the same
 * plan with the same sequence of calls replays exactly; the seed is part of {@link #toString()} so that a failing
 * run can be replayed. All times are on the network's clock (the transport's virtual loop), never real time.
 *
 * <p>The knobs:
 * <ul>
 *   <li><b>{@link #fragmentation()}</b>: every {@code read} and {@code write} call on this direction moves a random
 *       number of bytes between 1 and the number the caller asked for (uniformly), further limited as usual by the
 *       bytes available or the room left. Reads and writes draw from two independent streams split from the seed,
 *       so the write fragments do not depend on when the reader reads.</li>
 *   <li><b>{@link #latency()}</b>: bytes written at time {@code t} become readable at {@code t + latency}; an
 *       end of stream or an injected fault is seen only after every byte before it arrived.</li>
 *   <li><b>{@link #bytesPerSecond()}</b> (bandwidth, 0 = unlimited): each write is serialised onto the wire after
 *       the previous one finished, taking {@code ceil(n * 1e9 / bytesPerSecond)} ns for {@code n} bytes; its bytes
 *       become readable together when it is fully transmitted (plus the latency). Bytes written but not yet read
 *       still count against the writer's {@code SO_SNDBUF}, so a fast writer is held back.</li>
 *   <li><b>{@link #resetAtByte()}</b> ({@link #NEVER} = off): the connection is reset at stream offset N: the
 *       reader gets exactly N bytes, then every read throws {@code IOException("Connection reset by peer")} (a VConn
 *       sees EOS with error ECONNRESET). The writer's bytes past N are refused: the write that reaches N takes only
 *       up to N, every later write throws {@code IOException("Connection reset by peer")} (a VConn's write VIO gets
 *       ERROR).</li>
 *   <li><b>{@link #eofAtByte()}</b> ({@link #NEVER} = off): the stream ends at offset N: the reader gets exactly N
 *       bytes, then end of stream ({@code read} returns -1; a VConn sees EOS). The writer cannot tell: bytes past N
 *       are accepted and dropped.</li>
 *   <li><b>{@link #errorAtByte()}</b> ({@link #NEVER} = off): the reader gets exactly N bytes, then every read
 *       throws {@code IOException("Input/output error (injected at byte N)")} (a VConn's read VIO gets ERROR with
 *       EIO). Bytes written past N are accepted and dropped.</li>
 * </ul>
 * If several of the three byte faults are set, the one at the smallest offset happens; at equal offsets reset
 * beats I/O error, which beats end of stream.
 *
 * @param seed           seeds every random choice of this direction
 * @param fragmentation  whether reads and writes are cut at random sizes
 * @param latency        one-way delay of every byte, {@code >= 0}
 * @param bytesPerSecond bandwidth, {@code >= 0}; 0 means unlimited
 * @param resetAtByte    stream offset of a reset, {@code >= 0}, or {@link #NEVER}
 * @param eofAtByte      stream offset of an early end of stream, {@code >= 0}, or {@link #NEVER}
 * @param errorAtByte    stream offset of an I/O error, {@code >= 0}, or {@link #NEVER}
 */
public record FaultPlan(long seed, boolean fragmentation, Duration latency, long bytesPerSecond, long resetAtByte,
        long eofAtByte, long errorAtByte) {

    /** The value of a byte-offset knob that is off. */
    public static final long NEVER = -1;

    /** No fault at all: whole transfers, no delay, unlimited bandwidth, no reset, EOF or error. */
    public static final FaultPlan NONE = new FaultPlan(0, false, Duration.ZERO, 0, NEVER, NEVER, NEVER);

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException naming the field and its range
     * @throws NullPointerException     if {@code latency} is null
     */
    public FaultPlan {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0, was " + latency);
        }
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0 (0 = unlimited), was " + bytesPerSecond);
        }
        checkOffset("resetAtByte", resetAtByte);
        checkOffset("eofAtByte", eofAtByte);
        checkOffset("errorAtByte", errorAtByte);
    }

    private static void checkOffset(String name, long value) {
        if (value < 0 && value != NEVER) {
            throw new IllegalArgumentException(name + " must be >= 0 or FaultPlan.NEVER (-1), was " + value);
        }
    }

    /**
     * A builder with no fault and the given seed.
     *
     * @param seed seeds every random choice; record it to replay a run
     * @return a builder
     */
    public static Builder builder(long seed) {
        return new Builder(seed);
    }

    /**
     * A builder starting from this plan.
     *
     * @return a builder with every field of this plan
     */
    public Builder toBuilder() {
        return new Builder(seed).fragmentation(fragmentation).latency(latency).bytesPerSecond(bytesPerSecond)
                .resetAt(resetAtByte).eofAt(eofAtByte).errorAt(errorAtByte);
    }

    /**
     * Whether this plan injects nothing (its seed is then irrelevant).
     *
     * @return true if no knob is on
     */
    public boolean isNone() {
        return !fragmentation && latency.isZero() && bytesPerSecond == 0 && resetAtByte == NEVER
                && eofAtByte == NEVER && errorAtByte == NEVER;
    }

    /** The plan as the internal pipe uses it. */
    Pipe.Faults toPipeFaults() {
        return new Pipe.Faults(seed, fragmentation, latency.toNanos(), bytesPerSecond, resetAtByte, eofAtByte,
                errorAtByte);
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "FaultPlan[none]";
        }
        StringBuilder sb = new StringBuilder("FaultPlan[seed=").append(seed);
        if (fragmentation) {
            sb.append(", fragmentation");
        }
        if (!latency.isZero()) {
            sb.append(", latency=").append(latency);
        }
        if (bytesPerSecond > 0) {
            sb.append(", bytesPerSecond=").append(bytesPerSecond);
        }
        if (resetAtByte != NEVER) {
            sb.append(", resetAtByte=").append(resetAtByte);
        }
        if (eofAtByte != NEVER) {
            sb.append(", eofAtByte=").append(eofAtByte);
        }
        if (errorAtByte != NEVER) {
            sb.append(", errorAtByte=").append(errorAtByte);
        }
        return sb.append(']').toString();
    }

    /** Builds a {@link FaultPlan}; every knob starts off. */
    public static final class Builder {
        private long seed;
        private boolean fragmentation;
        private Duration latency = Duration.ZERO;
        private long bytesPerSecond;
        private long resetAtByte = NEVER;
        private long eofAtByte = NEVER;
        private long errorAtByte = NEVER;

        private Builder(long seed) {
            this.seed = seed;
        }

        /**
         * Sets the seed of every random choice.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Cuts every read and write at a random size between 1 and the size asked for.
         *
         * @param on whether to fragment
         * @return this builder
         */
        public Builder fragmentation(boolean on) {
            this.fragmentation = on;
            return this;
        }

        /**
         * Delays every byte by {@code latency} on the network's clock.
         *
         * @param latency one-way delay, {@code >= 0}
         * @return this builder
         */
        public Builder latency(Duration latency) {
            this.latency = latency;
            return this;
        }

        /**
         * Limits the bandwidth.
         *
         * @param bytesPerSecond bytes per second of the network's clock; 0 means unlimited
         * @return this builder
         */
        public Builder bytesPerSecond(long bytesPerSecond) {
            this.bytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * Resets the connection at stream offset {@code n}.
         *
         * @param n the offset, or {@link #NEVER}
         * @return this builder
         */
        public Builder resetAt(long n) {
            this.resetAtByte = n;
            return this;
        }

        /**
         * Ends the stream at offset {@code n}.
         *
         * @param n the offset, or {@link #NEVER}
         * @return this builder
         */
        public Builder eofAt(long n) {
            this.eofAtByte = n;
            return this;
        }

        /**
         * Fails reads with an I/O error at offset {@code n}.
         *
         * @param n the offset, or {@link #NEVER}
         * @return this builder
         */
        public Builder errorAt(long n) {
            this.errorAtByte = n;
            return this;
        }

        /**
         * The plan.
         *
         * @return a validated plan
         * @throws IllegalArgumentException naming the first invalid field
         */
        public FaultPlan build() {
            return new FaultPlan(seed, fragmentation, latency, bytesPerSecond, resetAtByte, eofAtByte, errorAtByte);
        }
    }
}
