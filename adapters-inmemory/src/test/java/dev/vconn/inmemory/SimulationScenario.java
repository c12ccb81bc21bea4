package dev.vconn.inmemory;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * One scenario of the deterministic simulation ({@link SimulationTest}): a pure function of its seed. Two endpoints,
 * A and B, are connected by one of three means ({@link Kind}); each writes one stream to the other (direction
 * {@code ab}: A writes, B reads; {@code ba}: B writes, A reads) with its own sizes, VIO lengths, buffer sizes,
 * producer and consumer behaviour and, over sockets, fault plan; each endpoint has its own close policy, timeouts
 * and lock-contention windows.
 *
 * @param seed             the seed everything below was drawn from
 * @param kind             how A and B are connected
 * @param netOutcome       for {@link Kind#NET}: what the connect does
 * @param connectTimeout   for {@link Kind#NET}: the connect timeout, nanoseconds
 * @param pairBufferIndex  for {@link Kind#PAIR}: the pair's buffer index (read-ahead bound)
 * @param pairWaterMark    for {@link Kind#PAIR}: the pair's water mark
 * @param oneLock          every continuation of both endpoints shares one lock (as a transaction shares its lock)
 * @param sendBufferA      for {@link Kind#ADOPTED}: A's channel's {@code SO_SNDBUF} (0: the default, 64 KiB)
 * @param sendBufferB      for {@link Kind#ADOPTED}: B's channel's {@code SO_SNDBUF} (0: the default)
 * @param ab               the stream A writes and B reads
 * @param ba               the stream B writes and A reads
 * @param a                endpoint A (the adopted local end, the connecting side, or the pair's active end)
 * @param b                endpoint B (the adopted peer end, the accepted side, or the pair's passive end)
 * @param tls              whether A and B speak TLS over the connection ({@link Tls#NONE}: plain bytes): A is a
 *                         {@code TlsVConn} client and B a server wrapped around the connection's VConns, and the
 *                         streams above are plaintext while the fault plans act on the records
 */
record SimulationScenario(long seed, Kind kind, NetOutcome netOutcome, long connectTimeout, int pairBufferIndex,
        long pairWaterMark, boolean oneLock, int sendBufferA, int sendBufferB, Dir ab, Dir ba, Side a, Side b,
        Tls tls) {

    /** A scenario without TLS. */
    SimulationScenario(long seed, Kind kind, NetOutcome netOutcome, long connectTimeout, int pairBufferIndex,
            long pairWaterMark, boolean oneLock, int sendBufferA, int sendBufferB, Dir ab, Dir ba, Side a, Side b) {
        this(seed, kind, netOutcome, connectTimeout, pairBufferIndex, pairWaterMark, oneLock, sendBufferA,
                sendBufferB, ab, ba, a, b, Tls.NONE);
    }

    /** Whether, and which, TLS runs between the endpoints. */
    enum Tls {
        /** Plain bytes. */
        NONE,
        /** TLS 1.3: a received close_notify ends only that direction (half-close). */
        TLS13,
        /** TLS 1.2: a received close_notify is answered with one, which ends the other direction too. */
        TLS12
    }

    /** How the two endpoints are connected. */
    enum Kind {
        /** Two in-memory channels from {@code network().openPair(planAB, planBA)}, both adopted. */
        ADOPTED,
        /** NetConnector to a NetAcceptor listener, with {@code setConnectFaults(planAB, planBA)}. */
        NET,
        /** An in-process pair from {@code httpConnector(acceptor).connect(options)}. */
        PAIR
    }

    /** What a NET connect does. */
    enum NetOutcome { CONNECTED, REFUSED, TIMED_OUT, CANCELLED }

    /** How a writer provides its bytes. */
    enum Producer {
        /** Everything in the buffer before the write is posted. */
        UPFRONT,
        /** {@code chunk} bytes first, then {@code chunk} more in each WRITE_READY that finds the buffer low. */
        PER_READY,
        /** {@code chunk} bytes first, then {@code chunk} more from a timer every {@code period}, with a reenable. */
        TIMER
    }

    /** The read VIO's nbytes relative to the bytes the peer sends. */
    enum ReadLen {
        /** Exactly the size sent: READ_COMPLETE. */
        EXACT,
        /** Fewer: READ_COMPLETE early, then a read shutdown (the peer's writer may get ERROR). */
        LESS,
        /** More than is sent: EOS once the peer shuts down its write side or closes. */
        MORE,
        /** {@code Long.MAX_VALUE}: EOS. */
        UNBOUNDED
    }

    /** How a reader consumes. */
    enum Consumer {
        /** Everything, inside READ_READY (no reenable needed). */
        INLINE,
        /** A random part inside READ_READY, the rest from a task that then reenables. */
        PARTIAL,
        /** Nothing inside READ_READY; a task consumes after {@code consumeDelay} and reenables. */
        DEFERRED,
        /** Not at all for {@code stall} at the first READ_READY, then inline. */
        STALL
    }

    /** When an endpoint closes. */
    enum CloseMode {
        /** Inside the callback (or task) that ends its last direction. */
        WHEN_DONE,
        /** From a task {@code closeDelay} after its last direction ended. */
        WHEN_DONE_LATER,
        /** Early: inside its {@code earlyEvent}-th callback. */
        EARLY_IN_CALLBACK,
        /** Early: from a scheduled task at {@code earlyAt}. */
        EARLY_FROM_TIMER,
        /** Early: at {@code earlyAt}, from another thread that holds the endpoint's lock (the loop waits). */
        EARLY_FROM_FOREIGN_THREAD
    }

    /** What an endpoint does on INACTIVITY_TIMEOUT or ACTIVE_TIMEOUT. */
    enum TimeoutReaction { CLOSE, IGNORE, CANCEL }

    /**
     * One direction: a writer on one endpoint and a reader on the other.
     *
     * @param size               bytes the writer provides in total
     * @param writerUnbounded    the write VIO's nbytes is {@code Long.MAX_VALUE}, lowered to ndone once all is sent
     * @param producer           how the writer provides its bytes
     * @param chunk              bytes per production step
     * @param period             nanoseconds between timer production steps
     * @param writeIndex         the writer's buffer size index
     * @param readLen            how the read VIO's nbytes relates to {@code size}
     * @param readNbytes         the read VIO's nbytes
     * @param readIndex          the reader's buffer size index
     * @param readWaterMark      the reader's buffer water mark
     * @param consumer           how the reader consumes
     * @param consumeDelay       nanoseconds before a deferred consume
     * @param stall              nanoseconds of the one stall of a {@link Consumer#STALL} reader
     * @param repostReadAt       stream offset at which the reader replaces its read VIO (-1: never)
     * @param repostReadByCancel whether the old read VIO is cancelled first (else the new read retires it)
     * @param repostWriteAt      stream offset at which the writer replaces its write VIO (-1: never)
     * @param repostWriteByCancel whether the old write VIO is cancelled first
     * @param lowerReadAt        stream offset from which the reader lowers its nbytes to ndone (-1: never)
     * @param lowerReadFromTask  the reader lowers from a task and reenables (else inside READ_READY)
     * @param abandonReadAt      stream offset from which the reader shuts its read side down (-1: never)
     * @param byReference        the writer appends its bytes by block reference from a staging buffer of index
     *                           {@code stagingIndex}, and the reader forwards them by reference into a sink
     *                           buffer of that index before checking them
     * @param stagingIndex       the staging and sink buffers' size index
     * @param reenableAfterEnd   the reader (writer) reenables once after EOS or ERROR and waits for it again
     * @param shutdownAfterWrite the writer shuts its write side down once WRITE_COMPLETE came
     * @param faults             the fault plan of this direction (sockets only; {@link FaultPlan#NONE} for pairs)
     */
    record Dir(long size, boolean writerUnbounded, Producer producer, int chunk, long period, int writeIndex,
            ReadLen readLen, long readNbytes, int readIndex, long readWaterMark, Consumer consumer, long consumeDelay,
            long stall, long repostReadAt, boolean repostReadByCancel, long repostWriteAt, boolean repostWriteByCancel,
            long lowerReadAt, boolean lowerReadFromTask, long abandonReadAt, boolean byReference, int stagingIndex,
            boolean reenableAfterEnd, boolean shutdownAfterWrite, FaultPlan faults) {

        String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("S=").append(size).append(" w:").append(writerUnbounded ? "MAX" : "S").append('/')
                    .append(producer);
            if (producer != Producer.UPFRONT) {
                sb.append('(').append(chunk);
                if (producer == Producer.TIMER) {
                    sb.append(" every ").append(fmt(period));
                }
                sb.append(')');
            }
            sb.append(" idx").append(writeIndex);
            if (repostWriteAt >= 0) {
                sb.append(" repost@").append(repostWriteAt).append(repostWriteByCancel ? "/cancel" : "");
            }
            if (shutdownAfterWrite) {
                sb.append(" shutW");
            }
            sb.append(" | r:").append(readLen);
            if (readLen != ReadLen.EXACT && readLen != ReadLen.UNBOUNDED) {
                sb.append('(').append(readNbytes).append(')');
            }
            sb.append(" idx").append(readIndex).append(" wm").append(readWaterMark).append(' ').append(consumer);
            if (consumer == Consumer.PARTIAL || consumer == Consumer.DEFERRED) {
                sb.append('(').append(fmt(consumeDelay)).append(')');
            } else if (consumer == Consumer.STALL) {
                sb.append('(').append(fmt(stall)).append(')');
            }
            if (repostReadAt >= 0) {
                sb.append(" repost@").append(repostReadAt).append(repostReadByCancel ? "/cancel" : "");
            }
            if (lowerReadAt >= 0) {
                sb.append(" lowerNbytes@").append(lowerReadAt).append(lowerReadFromTask ? "/task" : "/inline");
            }
            if (abandonReadAt >= 0) {
                sb.append(" shutR@").append(abandonReadAt);
            }
            if (byReference) {
                sb.append(" byRef(idx").append(stagingIndex).append(')');
            }
            if (reenableAfterEnd) {
                sb.append(" reenableAfterEnd");
            }
            if (!faults.isNone()) {
                sb.append(' ').append(faults);
            }
            return sb.toString();
        }
    }

    /**
     * One endpoint's behaviour.
     *
     * @param sharedLock       all its continuations share one lock (else one lock per VIO)
     * @param readStart        nanoseconds before it posts its read
     * @param writeStart       nanoseconds before it posts its write
     * @param closeMode        when it closes
     * @param abortEarly       an early close is an abort
     * @param abortAtEnd       the close when done is an abort
     * @param earlyEvent       for {@link CloseMode#EARLY_IN_CALLBACK}: in which callback
     * @param earlyAt          for the timer and foreign-thread modes: when, nanoseconds after it started
     * @param closeDelay       for {@link CloseMode#WHEN_DONE_LATER}: the delay
     * @param inactivity       inactivity timeout, nanoseconds (0: none)
     * @param active           active timeout, nanoseconds (0: none)
     * @param onTimeout        what it does on a timeout
     * @param lockWindows      pairs of (start, length) nanoseconds during which another thread holds its lock
     */
    record Side(boolean sharedLock, long readStart, long writeStart, CloseMode closeMode, boolean abortEarly,
            boolean abortAtEnd, int earlyEvent, long earlyAt, long closeDelay, long inactivity, long active,
            TimeoutReaction onTimeout, long[] lockWindows) {

        String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append(sharedLock ? "sharedLock" : "lockPerVio");
            if (readStart > 0) {
                sb.append(" readStart=").append(fmt(readStart));
            }
            if (writeStart > 0) {
                sb.append(" writeStart=").append(fmt(writeStart));
            }
            sb.append(' ').append(closeMode);
            switch (closeMode) {
                case WHEN_DONE -> { }
                case WHEN_DONE_LATER -> sb.append('(').append(fmt(closeDelay)).append(')');
                case EARLY_IN_CALLBACK -> sb.append("(#").append(earlyEvent).append(')');
                default -> sb.append("(@").append(fmt(earlyAt)).append(')');
            }
            if (abortEarly && closeMode.ordinal() >= CloseMode.EARLY_IN_CALLBACK.ordinal()) {
                sb.append(" abortEarly");
            }
            if (abortAtEnd) {
                sb.append(" abortAtEnd");
            }
            if (inactivity > 0) {
                sb.append(" inactivity=").append(fmt(inactivity));
            }
            if (active > 0) {
                sb.append(" active=").append(fmt(active));
            }
            if (inactivity > 0 || active > 0) {
                sb.append(" onTimeout=").append(onTimeout);
            }
            if (lockWindows.length > 0) {
                sb.append(" lockWindows=");
                for (int i = 0; i < lockWindows.length; i += 2) {
                    sb.append(i == 0 ? "" : ",").append(fmt(lockWindows[i])).append('+').append(fmt(lockWindows[i + 1]));
                }
            }
            return sb.toString();
        }
    }

    /** The scenario of {@code seed}. */
    static SimulationScenario generate(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int k = r.nextInt(100);
        Kind kind = k < 45 ? Kind.ADOPTED : k < 70 ? Kind.NET : Kind.PAIR;
        NetOutcome outcome = NetOutcome.CONNECTED;
        long connectTimeout = 0;
        if (kind == Kind.NET) {
            int o = r.nextInt(100);
            outcome = o < 88 ? NetOutcome.CONNECTED : o < 93 ? NetOutcome.REFUSED
                    : o < 97 ? NetOutcome.TIMED_OUT : NetOutcome.CANCELLED;
            connectTimeout = ms(1 + r.nextInt(50));
        }
        int pairIndex = r.nextInt(15);
        long pairWaterMark = r.nextInt(3) == 0 ? r.nextLong(1, 256 * 1024) : 0;
        boolean oneLock = r.nextInt(10) == 0;
        Dir ab = dir(r, kind);
        Dir ba = dir(r, kind);
        int sendA = kind == Kind.ADOPTED && r.nextInt(4) == 0 ? sendBuffer(r, ab.size()) : 0;
        int sendB = kind == Kind.ADOPTED && r.nextInt(4) == 0 ? sendBuffer(r, ba.size()) : 0;
        Side a = side(r);
        Side b = side(r);
        return new SimulationScenario(seed, kind, outcome, connectTimeout, pairIndex, pairWaterMark, oneLock, sendA,
                sendB, ab, ba, a, b);
    }

    /**
     * The TLS scenario of {@code seed}: drawn like {@link #generate} (same connection kinds, streams, fault plans
     * and endpoint behaviours), with every NET connect succeeding, and TLS 1.3 (three in four) or TLS 1.2 between
     * A (client) and B (server).
     */
    static SimulationScenario generateTls(long seed) {
        SimulationScenario s = generate(seed);
        Tls tls = new SplittableRandom(~seed).nextInt(4) == 0 ? Tls.TLS12 : Tls.TLS13;
        return new SimulationScenario(seed, s.kind, NetOutcome.CONNECTED, s.connectTimeout, s.pairBufferIndex,
                s.pairWaterMark, s.oneLock, s.sendBufferA, s.sendBufferB, s.ab, s.ba, s.a, s.b, tls);
    }

    /**
     * A small {@code SO_SNDBUF} for a stream of {@code size} bytes: a few bytes only for small streams, since with
     * latency every in-flight window costs a round of virtual time.
     */
    private static int sendBuffer(SplittableRandom r, long size) {
        return size <= 4096 && r.nextBoolean() ? 1 + r.nextInt(64) : 512 + r.nextInt(16 * 1024);
    }

    private static long size(SplittableRandom r) {
        int p = r.nextInt(1000);
        if (p < 50) {
            return 0;
        }
        if (p < 450) {
            return 1 + r.nextInt(4096);
        }
        if (p < 800) {
            return 1 + r.nextInt(64 * 1024);
        }
        if (p < 985) {
            return 1 + r.nextInt(256 * 1024);
        }
        return 1 + r.nextInt(2 * 1024 * 1024);
    }

    private static Dir dir(SplittableRandom r, Kind kind) {
        long size = size(r);
        boolean unbounded = r.nextInt(5) == 0;
        int p = r.nextInt(100);
        Producer producer = p < 40 ? Producer.UPFRONT : p < 75 ? Producer.PER_READY : Producer.TIMER;
        int base = 1 << (6 + r.nextInt(11));
        int chunk = base + r.nextInt(base);
        long period = us(50 + r.nextInt(2000));
        int writeIndex = r.nextInt(15);
        int l = r.nextInt(100);
        ReadLen readLen = l < 50 ? ReadLen.EXACT : l < 65 ? ReadLen.LESS : l < 80 ? ReadLen.MORE : ReadLen.UNBOUNDED;
        if (readLen == ReadLen.LESS && size == 0) {
            readLen = ReadLen.EXACT;
        }
        long readNbytes = switch (readLen) {
            case EXACT -> size;
            case LESS -> r.nextLong(size);
            case MORE -> size + 1 + r.nextInt(4096);
            case UNBOUNDED -> Long.MAX_VALUE;
        };
        int readIndex = r.nextInt(15);
        long readWaterMark = r.nextInt(3) == 0 ? r.nextLong(1, 128 * 1024) : 0;
        int c = r.nextInt(100);
        Consumer consumer = c < 40 ? Consumer.INLINE : c < 60 ? Consumer.PARTIAL : c < 85 ? Consumer.DEFERRED
                : Consumer.STALL;
        long consumeDelay = us(r.nextInt(3000));
        long stall = ms(5 + r.nextInt(95));
        long repostReadAt = size >= 2 && r.nextInt(10) == 0 ? 1 + r.nextLong(size - 1) : -1;
        boolean repostByCancel = r.nextBoolean();
        long repostWriteAt = size >= 2 && r.nextInt(10) == 0 ? 1 + r.nextLong(size - 1) : -1;
        boolean repostWriteByCancel = r.nextBoolean();
        long lowerReadAt = size >= 2 && readLen != ReadLen.LESS && r.nextInt(15) == 0 ? 1 + r.nextLong(size - 1) : -1;
        boolean lowerFromTask = r.nextBoolean();
        long abandonReadAt = size >= 2 && r.nextInt(15) == 0 ? 1 + r.nextLong(size - 1) : -1;
        boolean byReference = r.nextInt(4) == 0;
        int stagingIndex = r.nextInt(15);
        boolean reenableAfterEnd = r.nextInt(6) == 0;
        boolean shutdownAfterWrite = readLen == ReadLen.MORE || readLen == ReadLen.UNBOUNDED || r.nextInt(3) == 0;
        FaultPlan faults = FaultPlan.NONE;
        if (kind != Kind.PAIR) {
            FaultPlan.Builder fb = FaultPlan.builder(r.nextLong()).fragmentation(r.nextBoolean());
            if (r.nextInt(10) < 4) {
                fb.latency(Duration.ofNanos(us(r.nextInt(5001))));
            }
            if (r.nextInt(10) < 3) {
                fb.bytesPerSecond(1_000_000 + r.nextLong(99_000_001));
            }
            if (size > 0 && r.nextInt(4) == 0) {
                long n = r.nextLong(size);
                switch (r.nextInt(3)) {
                    case 0 -> fb.resetAt(n);
                    case 1 -> fb.eofAt(n);
                    default -> fb.errorAt(n);
                }
            }
            faults = fb.build();
        }
        return new Dir(size, unbounded, producer, chunk, period, writeIndex, readLen, readNbytes, readIndex,
                readWaterMark, consumer, consumeDelay, stall, repostReadAt, repostByCancel, repostWriteAt,
                repostWriteByCancel, lowerReadAt, lowerFromTask, abandonReadAt, byReference, stagingIndex,
                reenableAfterEnd, shutdownAfterWrite, faults);
    }

    private static Side side(SplittableRandom r) {
        boolean shared = r.nextBoolean();
        long readStart = r.nextInt(4) == 0 ? us(r.nextInt(3000)) : 0;
        long writeStart = r.nextInt(4) == 0 ? us(r.nextInt(3000)) : 0;
        int m = r.nextInt(100);
        CloseMode mode = m < 55 ? CloseMode.WHEN_DONE : m < 70 ? CloseMode.WHEN_DONE_LATER
                : m < 82 ? CloseMode.EARLY_IN_CALLBACK : m < 94 ? CloseMode.EARLY_FROM_TIMER
                : CloseMode.EARLY_FROM_FOREIGN_THREAD;
        boolean abortEarly = r.nextInt(3) == 0;
        boolean abortAtEnd = r.nextInt(20) == 0;
        int earlyEvent = 1 + r.nextInt(30);
        long earlyAt = us(r.nextInt(30_000));
        long closeDelay = us(r.nextInt(5000));
        long inactivity = r.nextInt(7) == 0 ? ms(1 + r.nextInt(50)) : 0;
        long active = r.nextInt(10) == 0 ? ms(1 + r.nextInt(100)) : 0;
        int t = r.nextInt(100);
        TimeoutReaction onTimeout = t < 40 ? TimeoutReaction.CLOSE : t < 80 ? TimeoutReaction.IGNORE
                : TimeoutReaction.CANCEL;
        long[] windows = new long[0];
        if (r.nextInt(10) == 0) {
            int n = 1 + r.nextInt(3);
            windows = new long[2 * n];
            for (int i = 0; i < n; i++) {
                windows[2 * i] = us(r.nextInt(20_000));
                windows[2 * i + 1] = us(100 + r.nextInt(5000));
            }
        }
        return new Side(shared, readStart, writeStart, mode, abortEarly, abortAtEnd, earlyEvent, earlyAt, closeDelay,
                inactivity, active, onTimeout, windows);
    }

    /** The stream of direction {@code d}: 0 is A to B, 1 is B to A. */
    Dir dir(int d) {
        return d == 0 ? ab : ba;
    }

    /** Endpoint {@code s}: 0 is A, 1 is B. */
    Side side(int s) {
        return s == 0 ? a : b;
    }

    /** Whether bytes travel over in-memory sockets (so fault plans apply). */
    boolean sockets() {
        return kind != Kind.PAIR;
    }

    /** One line saying everything about the scenario. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("seed=").append(seed).append(" kind=").append(kind);
        if (tls != Tls.NONE) {
            sb.append(" tls=").append(tls);
        }
        if (kind == Kind.NET) {
            sb.append('(').append(netOutcome);
            if (netOutcome == NetOutcome.TIMED_OUT) {
                sb.append(" after ").append(fmt(connectTimeout));
            }
            sb.append(')');
        } else if (kind == Kind.PAIR) {
            sb.append("(idx").append(pairBufferIndex).append(" wm").append(pairWaterMark).append(')');
        } else if (sendBufferA > 0 || sendBufferB > 0) {
            sb.append("(SO_SNDBUF A=").append(sendBufferA).append(" B=").append(sendBufferB).append(')');
        }
        if (oneLock) {
            sb.append(" oneLockForBoth");
        }
        sb.append(" A->B[").append(ab.describe()).append("] B->A[").append(ba.describe()).append("] A{")
                .append(a.describe()).append("} B{").append(b.describe()).append('}');
        return sb.toString();
    }

    static long ms(long n) {
        return n * 1_000_000L;
    }

    static long us(long n) {
        return n * 1_000L;
    }

    static String fmt(long nanos) {
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }
}
