package dev.vconn.inmemory;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.inmemory.SimulationScenario.CloseMode;
import dev.vconn.inmemory.SimulationScenario.Dir;
import dev.vconn.inmemory.SimulationScenario.Producer;
import dev.vconn.inmemory.SimulationScenario.ReadLen;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one {@link SimulationScenario} on a fresh {@link InMemoryTransport} (sharing only the block pool), feeding
 * every observation to a {@link SimulationChecker}. Everything happens on the transport's virtual-time loop, driven
 * by the calling thread; the only other thread ({@link SimulationForeignThread}) runs while the loop waits, so a
 * run is a pure function of the seed.
 */
final class SimulationRun {
    /** How much virtual time a scenario may take before it counts as not quiescing. */
    static final Duration LIMIT = Duration.ofMinutes(10);

    /**
     * What a run produced.
     *
     * @param scenario     the scenario
     * @param violations   every violated invariant, first first
     * @param hash         the hash of every observation with its virtual time
     * @param observations how many observations were folded into the hash
     * @param endTime      the virtual time at the end, nanoseconds
     * @param traceTail    the last observations, formatted
     * @param fullTrace    every observation (only when run verbose)
     * @param coverage     how often each {@link SimulationChecker.Cov} path was taken
     */
    record Result(SimulationScenario scenario, List<String> violations, long hash, long observations, long endTime,
            String traceTail, List<String> fullTrace, long[] coverage) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    private final SimulationScenario sc;
    private final SimulationChecker ck;
    private final BlockPool pool;
    private final InMemoryTransport transport;
    private final VirtualTimeEventLoop loop;
    private final SplittableRandom behaviour;
    private final Endpoint[] ends = new Endpoint[2];
    private final ReentrantLock oneLock = new ReentrantLock();
    private final List<IOBuffer> buffers = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final byte[] scratch = new byte[32 * 1024];
    private NetAcceptor.Listener listener;
    private InMemoryNetwork.Binding blackhole;
    private SimulationTls.Contexts tlsContexts;

    private SimulationRun(SimulationScenario sc, SimulationChecker ck, BlockPool pool) {
        this.sc = sc;
        this.ck = ck;
        this.pool = pool;
        this.transport = new InMemoryTransport(new TransportConfig(1, pool, Duration.ofSeconds(5)));
        this.loop = transport.loop();
        this.behaviour = new SplittableRandom(sc.seed() ^ 0x5DEECE66DL);
        ends[0] = new Endpoint(0);
        ends[1] = new Endpoint(1);
    }

    /** Runs the scenario of {@code seed} with blocks from {@code pool}. */
    static Result run(long seed, BlockPool pool, boolean verbose) {
        return run(SimulationScenario.generate(seed), pool, verbose);
    }

    /** Runs the TLS scenario of {@code seed} ({@link SimulationScenario#generateTls}) with blocks from {@code pool}. */
    static Result runTls(long seed, BlockPool pool, boolean verbose) {
        return run(SimulationScenario.generateTls(seed), pool, verbose);
    }

    /** Runs {@code sc} with blocks from {@code pool}. */
    static Result run(SimulationScenario sc, BlockPool pool, boolean verbose) {
        SimulationChecker ck = new SimulationChecker(sc, verbose);
        SimulationRun run = new SimulationRun(sc, ck, pool);
        try {
            run.execute();
        } catch (RuntimeException | Error e) {
            ck.violation("the scenario threw " + stackTrace(e));
        }
        return new Result(sc, List.copyOf(ck.violations()), ck.hash(), ck.observations(), run.loop.nanoTime(),
                ck.traceTail(), ck.fullTrace(), ck.coverage());
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    private long now() {
        return loop.nanoTime();
    }

    /**
     * Whether {@code e} stays open only because its writer is held by a socket peer that shut down its read side:
     * Linux sends nothing on {@code shutdown(SHUT_RD)}, so that writer waits (for ever, if the peer waits too)
     * instead of failing; not a stall of vconn's making (docs/semantics.md, "Sockets behave as Linux's").
     */
    private boolean heldByPeerReadShutdown(Endpoint e) {
        Endpoint peer = ends[1 - e.id];
        return sc.sockets() && !e.writerEnded && peer != null && peer.vc != null && !peer.closed
                && peer.vc.isReadShutdown();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The run

    private void execute() {
        loop.execute(() -> guard("setup", this::setup));
        ck.quiescence(drive(), now());
        for (Endpoint e : ends) {
            if (e.vc != null && !e.closed && !heldByPeerReadShutdown(e)) {
                ck.stalled(e.id, e.state());
            }
        }
        // Clean up whatever a violation left behind, so that the resource checks below still mean something.
        loop.execute(() -> {
            for (Endpoint e : ends) {
                if (e.vc != null && !e.closed) {
                    e.closeSide(false);
                }
            }
        });
        drive();
        for (Endpoint e : ends) {
            if (e.rrd != null) {
                e.consumeAll();
            }
        }
        for (Op op : ops) {
            op.info.finalNdone = op.vio.ndone();
        }
        if (listener != null) {
            listener.close();
        }
        if (blackhole != null) {
            blackhole.close();
        }
        buffers.forEach(IOBuffer::close);
        List<dev.vconn.ports.Transport.OpenResource> open = transport.openResources();
        ck.finish(pool.outstanding(), open.size(), open.toString(), transport.openSockets());
        transport.close();
    }

    /** Runs the loop until it is idle (no task, no timer) or {@link #LIMIT} of virtual time passed. */
    private boolean drive() {
        loop.runUntil(this::onlyHeldWritersLeft, LIMIT);
        return loop.readyCount() == 0 && loop.timerCount() == 0 || onlyHeldWritersLeft();
    }

    /** Whether every endpoint still open is {@link #heldByPeerReadShutdown held} (and at least one is open). */
    private boolean onlyHeldWritersLeft() {
        boolean open = false;
        for (Endpoint e : ends) {
            if (e != null && e.vc != null && !e.closed) {
                if (!heldByPeerReadShutdown(e)) {
                    return false;
                }
                open = true;
            }
        }
        return open;
    }

    private void guard(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            ck.violation("simulation step '" + what + "' threw " + stackTrace(e));
        }
    }

    private void setup() {
        switch (sc.kind()) {
            case ADOPTED -> {
                InMemoryNetwork.ChannelPair p = transport.network().openPair(sc.ab().faults(), sc.ba().faults());
                try {
                    if (sc.sendBufferA() > 0) {
                        p.local().setOption(java.net.StandardSocketOptions.SO_SNDBUF, sc.sendBufferA());
                    }
                    if (sc.sendBufferB() > 0) {
                        p.peer().setOption(java.net.StandardSocketOptions.SO_SNDBUF, sc.sendBufferB());
                    }
                    ends[0].vc = tls(0, transport.socketAdopter().adopt(p.local()));
                    ends[1].vc = tls(1, transport.socketAdopter().adopt(p.peer()));
                } catch (IOException | dev.vconn.ports.AdoptionException e) {
                    throw new IllegalStateException("adoption failed", e);
                }
                ends[0].start();
                ends[1].start();
            }
            case NET -> setupNet();
            case PAIR -> {
                Continuation acceptor = netContinuation((e, data) -> {
                    if (e == Event.NET_ACCEPT && data instanceof VConn v) {
                        ends[1].vc = tls(1, v);
                        ends[1].start();
                    }
                });
                HttpConnectOptions options = HttpConnectOptions.builder()
                        .clientAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 40_000))
                        .tag("sim").id(sc.seed()).bufferIndex(sc.pairBufferIndex()).waterMark(sc.pairWaterMark())
                        .build();
                ends[0].vc = tls(0, transport.httpConnector(acceptor).connect(options));
                ends[0].start();
            }
        }
    }

    private void setupNet() {
        transport.network().setConnectFaults(sc.ab().faults(), sc.ba().faults());
        Continuation acceptor = netContinuation((e, data) -> {
            if (e == Event.NET_ACCEPT && data instanceof VConn v) {
                ends[1].vc = tls(1, v);
                ends[1].start();
            }
        });
        SocketAddress target;
        try {
            switch (sc.netOutcome()) {
                case REFUSED -> target = transport.network().unusedAddress();
                case TIMED_OUT -> {
                    blackhole = transport.network().blackhole(null);
                    target = blackhole.localAddress();
                }
                default -> {
                    listener = transport.netAcceptor().listen(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), acceptor);
                    target = listener.localAddress();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("listen failed", e);
        }
        Continuation connector = netContinuation((e, data) -> {
            if (e == Event.NET_CONNECT && data instanceof VConn v) {
                ends[0].vc = tls(0, v);
                ends[0].start();
            }
        });
        ScheduledAction attempt = transport.netConnector().connect(connector, target,
                Duration.ofNanos(sc.connectTimeout()));
        if (sc.netOutcome() == SimulationScenario.NetOutcome.CANCELLED) {
            ck.connectCancelled(attempt.cancel());
        }
    }

    /**
     * In a TLS scenario, endpoint {@code id}'s {@code TlsVConn} over {@code vc} (A the client, B the server); else
     * {@code vc} itself.
     */
    private VConn tls(int id, VConn vc) {
        if (sc.tls() == SimulationScenario.Tls.NONE) {
            return vc;
        }
        if (tlsContexts == null) {
            tlsContexts = SimulationTls.contexts(sc.tls());
        }
        SimulationTls.Contexts c = tlsContexts;
        return id == 0 ? TlsVConn.client(vc, c.client(), pool, SimulationTls.SERVER_NAME, 443)
                : TlsVConn.server(vc, c.server(), pool);
    }

    /** A continuation for connection events (NET_CONNECT, NET_CONNECT_FAILED, NET_ACCEPT) that reports each. */
    private Continuation netContinuation(dev.vconn.domain.EventHandler then) {
        ReentrantLock l = new ReentrantLock();
        return new Continuation((e, data) -> {
            ck.netEvent(e, data instanceof VConnError err ? err.errno() : -1, now(), loop.inEventLoop(),
                    l.isHeldByCurrentThread());
            guard("connection event " + e, () -> then.handle(e, data));
        }, l);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operations and endpoints

    /** One posted VIO, its continuation and what the checker knows about it. */
    private static final class Op {
        final SimulationChecker.Vio info;
        Continuation cont;
        VIO vio;

        Op(SimulationChecker.Vio info) {
            this.info = info;
        }
    }

    private final class Endpoint {
        final int id;
        final SimulationScenario.Side spec;
        final Dir in;
        final Dir out;
        final int inDir;
        final int outDir;
        final ReentrantLock lock;
        VConn vc;
        boolean closed;
        int events;
        boolean doneHandled;

        IOBuffer rbuf;
        IOBufferReader rrd;
        Op rop;
        long readBase;
        boolean readerEnded;
        int readTerminals;
        boolean consumePending;
        boolean stallUsed;
        IOBuffer sink;
        IOBufferReader sinkReader;
        IOBuffer staging;
        IOBufferReader stagingReader;
        boolean readReposted;
        boolean readLowered;
        long consumedOffset;

        IOBuffer wbuf;
        IOBufferReader wrd;
        Op wop;
        long writeBase;
        boolean writerEnded;
        int writeTerminals;
        long provided;
        boolean lowered;
        boolean writeReposted;

        Endpoint(int id) {
            this.id = id;
            this.spec = sc.side(id);
            this.inDir = 1 - id;
            this.outDir = id;
            this.in = sc.dir(inDir);
            this.out = sc.dir(outDir);
            this.lock = sc.oneLock() ? oneLock : new ReentrantLock();
        }

        String state() {
            return "reader{" + (rop == null ? "not posted" : rop.vio + (readerEnded ? " ended" : "")
                    + " terminals=" + readTerminals + " avail=" + rrd.readAvail() + (consumePending ? " consumePending" : ""))
                    + "} writer{" + (wop == null ? "not posted" : wop.vio + (writerEnded ? " ended" : "")
                    + " terminals=" + writeTerminals + " provided=" + provided + " avail=" + wrd.readAvail()) + "} "
                    + vc;
        }

        /** Runs {@code step} after {@code delay} nanoseconds, as an event under this endpoint's lock. */
        void later(long delay, String what, Runnable step) {
            Continuation c = new Continuation((e, data) -> {
                ck.task(id, loop.inEventLoop(), lock.isHeldByCurrentThread());
                guard(what, step);
            }, lock);
            if (delay == 0) {
                ContinuationScheduler.dispatch(loop, c, Event.IMMEDIATE, null);
            } else {
                ContinuationScheduler.schedule(loop, c, Event.TIMEOUT, null, Duration.ofNanos(delay));
            }
        }

        ReentrantLock lockFor() {
            return spec.sharedLock() || sc.oneLock() ? lock : new ReentrantLock();
        }

        void start() {
            ck.started(id, now());
            if (spec.inactivity() > 0) {
                vc.setInactivityTimeout(Duration.ofNanos(spec.inactivity()));
                ck.timeoutSet(id, false, spec.inactivity(), now());
            }
            if (spec.active() > 0) {
                vc.setActiveTimeout(Duration.ofNanos(spec.active()));
                ck.timeoutSet(id, true, spec.active(), now());
            }
            if (spec.closeMode() == CloseMode.EARLY_FROM_TIMER) {
                later(spec.earlyAt(), "early close", () -> closeSide(spec.abortEarly()));
            } else if (spec.closeMode() == CloseMode.EARLY_FROM_FOREIGN_THREAD) {
                loop.schedule(() -> guard("foreign close", this::foreignClose), Duration.ofNanos(spec.earlyAt()));
            }
            long[] w = spec.lockWindows();
            for (int i = 0; i < w.length; i += 2) {
                int index = i / 2;
                long length = w[i + 1];
                loop.schedule(() -> guard("lock window", () -> lockWindow(index, length)), Duration.ofNanos(w[i]));
            }
            if (spec.readStart() == 0) {
                postRead();
            } else {
                later(spec.readStart(), "post read", this::postRead);
            }
            if (spec.writeStart() == 0) {
                postWrite();
            } else {
                later(spec.writeStart(), "post write", this::postWrite);
            }
        }

        // ----------------------------------------------------------------------------------------------- reading

        void postRead() {
            if (closed) {
                return;
            }
            rbuf = new IOBuffer(pool, in.readIndex());
            buffers.add(rbuf);
            if (in.readWaterMark() > 0) {
                rbuf.setWaterMark(in.readWaterMark());
            }
            rrd = rbuf.allocReader();
            startRead(in.readNbytes());
            maybeDone();
        }

        void startRead(long nbytes) {
            Op op = new Op(ck.posted(id, true, nbytes, now()));
            op.cont = new Continuation((e, data) -> onRead(op, e, data), lockFor());
            rop = op;
            ops.add(op);
            op.vio = vc.read(op.cont, nbytes, rbuf);
            if (nbytes == 0) {
                readerEnded = true;
                if (in.readLen() == ReadLen.LESS) {
                    shutdownRead();
                }
            }
        }

        long readLimit() {
            // docs/semantics.md rule 3.5: max(W, reader block size); W the buffer's mark, else the pair's option.
            // Under TLS the pair's option bounds the records, not the user's plaintext.
            long waterMark = rbuf.waterMark() > 0 ? rbuf.waterMark()
                    : sc.sockets() || sc.tls() != SimulationScenario.Tls.NONE ? 0 : sc.pairWaterMark();
            return Math.max(waterMark, rbuf.blockSize());
        }

        void onRead(Op op, Event e, Object data) {
            try {
                ck.event(op.info, e, op.vio.ndone(), op.vio.nbytes(), now(), new SimulationChecker.Ctx(
                        loop.inEventLoop(), op.cont.lock().isHeldByCurrentThread(), data == op.vio, rrd.readAvail(),
                        readLimit(), false, errno()));
                if (closed || op != rop) {
                    return;
                }
                events++;
                switch (e) {
                    case READ_READY -> onReadReady(op);
                    case READ_COMPLETE -> {
                        consumeAll();
                        readerEnded = true;
                        if (in.readLen() == ReadLen.LESS || readLowered) {
                            shutdownRead(); // the rest of the stream is not wanted: let the peer's writer know
                        }
                    }
                    case EOS, ERROR -> {
                        consumeAll();
                        readTerminals++;
                        if (in.reenableAfterEnd() && readTerminals == 1) {
                            reenable(op);
                        } else {
                            readerEnded = true;
                        }
                    }
                    case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> onTimeout(e);
                    default -> { }
                }
                afterEvent();
            } catch (RuntimeException ex) {
                ck.violation("the read handler of " + op.info.name() + " threw on " + e + ": " + stackTrace(ex));
            }
        }

        void onReadReady(Op op) {
            switch (in.consumer()) {
                case INLINE -> consumeAll();
                case PARTIAL -> {
                    if (!consumePending) {
                        consume(behaviour.nextLong(rrd.readAvail() + 1));
                        if (rrd.readAvail() > 0) {
                            consumeLater(in.consumeDelay());
                        }
                    }
                }
                case DEFERRED -> consumeLater(in.consumeDelay());
                case STALL -> {
                    if (!stallUsed) {
                        stallUsed = true;
                        consumeLater(in.stall());
                    } else if (!consumePending) {
                        consumeAll();
                    }
                }
            }
            if (in.abandonReadAt() >= 0 && readBase + op.vio.ndone() >= in.abandonReadAt() && !readerEnded) {
                consumeAll();
                readerEnded = true;
                shutdownRead(); // the reader gives up mid-stream: the peer's writer may get ERROR
                return;
            }
            maybeLowerRead(op);
            maybeRepostRead(op);
        }

        /** Ends the read early by lowering nbytes to ndone (rule 3.3): inside READ_READY or from a task. */
        void maybeLowerRead(Op op) {
            if (in.lowerReadAt() < 0 || readLowered || readBase + op.vio.ndone() < in.lowerReadAt()) {
                return;
            }
            readLowered = true;
            if (!in.lowerReadFromTask()) {
                long nd = op.vio.ndone();
                op.vio.setNBytes(nd);
                ck.nbytesLowered(op.info, nd, now());
                return;
            }
            later(in.consumeDelay() / 2, "lower nbytes", () -> {
                if (closed || readerEnded || readTerminals > 0 || rop != op || op.vio.isRetired()) {
                    return;
                }
                long nd = op.vio.ndone();
                op.vio.setNBytes(nd);
                ck.nbytesLowered(op.info, nd, now());
                reenable(op);
            });
        }

        void consumeLater(long delay) {
            if (consumePending) {
                return;
            }
            consumePending = true;
            later(delay, "consume", () -> {
                consumePending = false;
                if (closed) {
                    return;
                }
                consumeAll();
                if (!readerEnded && rop != null) {
                    reenable(rop);
                }
            });
        }

        void maybeRepostRead(Op op) {
            long at = in.repostReadAt();
            if (at < 0 || readReposted || closed || readLowered) {
                return;
            }
            long done = op.vio.ndone();
            if (readBase + done < at || done >= op.vio.nbytes()) {
                return;
            }
            readReposted = true;
            if (in.repostReadByCancel()) {
                op.vio.cancel();
            }
            ck.retired(op.info, done, now());
            readBase += done;
            long remaining = in.readNbytes() == Long.MAX_VALUE ? Long.MAX_VALUE : in.readNbytes() - readBase;
            startRead(remaining);
        }

        void consume(long n) {
            IOBufferReader from = rrd;
            long left = Math.min(n, rrd.readAvail());
            if (in.byReference()) {
                // Forward by block reference into the sink, then check what the sink holds.
                if (sink == null) {
                    sink = new IOBuffer(pool, in.stagingIndex());
                    buffers.add(sink);
                    sinkReader = sink.allocReader();
                }
                sink.write(rrd, left);
                rrd.consume(left);
                from = sinkReader;
                left = sinkReader.readAvail();
            }
            while (left > 0) {
                int k = (int) Math.min(left, scratch.length);
                int got = from.read(scratch, 0, k);
                if (got <= 0) {
                    break;
                }
                ck.bytes(inDir, consumedOffset, scratch, 0, got);
                consumedOffset += got;
                left -= got;
            }
        }

        void consumeAll() {
            consume(rrd.readAvail());
        }

        void shutdownRead() {
            if (!closed && !vc.isReadShutdown()) {
                vc.shutdown(ShutdownHow.READ);
                ck.shutdown(id, ShutdownHow.READ, now(), rop == null ? null : rop.info,
                        rop == null ? 0 : rop.vio.ndone());
            }
        }

        // ----------------------------------------------------------------------------------------------- writing

        void postWrite() {
            if (closed) {
                return;
            }
            wbuf = new IOBuffer(pool, out.writeIndex());
            buffers.add(wbuf);
            wrd = wbuf.allocReader();
            provide(out.producer() == Producer.UPFRONT ? out.size() : Math.min(out.chunk(), out.size()));
            long nbytes = out.writerUnbounded() ? Long.MAX_VALUE : out.size();
            startWrite(nbytes);
            if (nbytes == 0) {
                writerEnd(true);
            }
            if (out.producer() == Producer.TIMER && provided < out.size()) {
                later(out.period(), "produce", this::produceTick);
            }
            maybeDone();
        }

        void startWrite(long nbytes) {
            Op op = new Op(ck.posted(id, false, nbytes, now()));
            op.cont = new Continuation((e, data) -> onWrite(op, e, data), lockFor());
            wop = op;
            ops.add(op);
            op.vio = vc.write(op.cont, nbytes, wrd);
        }

        void provide(long n) {
            long key = SimulationChecker.patternKey(sc.seed(), outDir);
            if (out.byReference() && staging == null) {
                staging = new IOBuffer(pool, out.stagingIndex());
                buffers.add(staging);
                stagingReader = staging.allocReader();
            }
            long left = n;
            while (left > 0) {
                int k = (int) Math.min(left, scratch.length);
                SimulationChecker.fill(key, provided, scratch, 0, k);
                if (out.byReference()) {
                    // Stage, then append by block reference (pieces under 128 bytes are copied).
                    staging.write(scratch, 0, k);
                    wbuf.write(stagingReader, k);
                    stagingReader.consume(k);
                } else {
                    wbuf.write(scratch, 0, k);
                }
                provided += k;
                left -= k;
            }
        }

        void produceTick() {
            if (closed || writerEnded) {
                return;
            }
            if (provided < out.size() && wrd.readAvail() < 4L * out.chunk()) {
                provide(Math.min(out.chunk(), out.size() - provided));
            }
            reenable(wop);
            if (provided < out.size()) {
                later(out.period(), "produce", this::produceTick);
            }
        }

        boolean readActive() {
            ReadVio r = vc.readVio();
            return r != null && !r.isComplete() && r.nbytes() > 0 && !vc.isReadShutdown();
        }

        void onWrite(Op op, Event e, Object data) {
            try {
                ck.event(op.info, e, op.vio.ndone(), op.vio.nbytes(), now(), new SimulationChecker.Ctx(
                        loop.inEventLoop(), op.cont.lock().isHeldByCurrentThread(), data == op.vio, wrd.readAvail(),
                        0, readActive(), errno()));
                if (closed || op != wop) {
                    return;
                }
                events++;
                switch (e) {
                    case WRITE_READY -> onWriteReady(op);
                    case WRITE_COMPLETE -> writerEnd(true);
                    case ERROR -> {
                        writeTerminals++;
                        if (out.reenableAfterEnd() && writeTerminals == 1) {
                            reenable(op);
                        } else {
                            writerEnd(false);
                        }
                    }
                    case EOS -> writerEnd(false);
                    case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> onTimeout(e);
                    default -> { }
                }
                afterEvent();
            } catch (RuntimeException ex) {
                ck.violation("the write handler of " + op.info.name() + " threw on " + e + ": " + stackTrace(ex));
            }
        }

        void onWriteReady(Op op) {
            if (out.producer() == Producer.PER_READY && provided < out.size() && wrd.readAvail() < out.chunk()) {
                provide(Math.min(out.chunk(), out.size() - provided));
            }
            long done = op.vio.ndone();
            if (out.writerUnbounded() && !lowered && provided == out.size() && writeBase + done == out.size()) {
                // Everything is sent: end the unbounded write by lowering nbytes to ndone (docs/semantics.md rule 3.3).
                lowered = true;
                op.vio.setNBytes(done);
                ck.nbytesLowered(op.info, done, now());
                reenable(op);
                return;
            }
            maybeRepostWrite(op);
        }

        void maybeRepostWrite(Op op) {
            long at = out.repostWriteAt();
            if (at < 0 || writeReposted || closed || lowered) {
                return;
            }
            long done = op.vio.ndone();
            if (writeBase + done < at || done >= op.vio.nbytes()) {
                return;
            }
            writeReposted = true;
            if (out.repostWriteByCancel()) {
                op.vio.cancel();
            }
            ck.retired(op.info, done, now());
            writeBase += done;
            long remaining = out.writerUnbounded() ? Long.MAX_VALUE : out.size() - writeBase;
            startWrite(remaining);
        }

        void writerEnd(boolean normal) {
            if (writerEnded) {
                return;
            }
            writerEnded = true;
            if (normal && out.shutdownAfterWrite() && !closed && !vc.isWriteShutdown()) {
                vc.shutdown(ShutdownHow.WRITE);
                ck.shutdown(id, ShutdownHow.WRITE, now(), wop == null ? null : wop.info,
                        wop == null ? 0 : wop.vio.ndone());
            }
        }

        // ----------------------------------------------------------------------------------------------- both

        void reenable(Op op) {
            if (op != null) {
                op.vio.reenable();
                ck.reenabled(op.info, now());
            }
        }

        int errno() {
            VConnError err = vc.error();
            return err == null ? -1 : err.errno();
        }

        void onTimeout(Event e) {
            switch (spec.onTimeout()) {
                case CLOSE -> closeSide(spec.abortEarly());
                case CANCEL -> {
                    if (e == Event.ACTIVE_TIMEOUT) {
                        vc.cancelActiveTimeout();
                    } else {
                        vc.cancelInactivityTimeout();
                    }
                    ck.timeoutCancelled(id, e == Event.ACTIVE_TIMEOUT, now());
                }
                case IGNORE -> { }
            }
        }

        void afterEvent() {
            if (spec.closeMode() == CloseMode.EARLY_IN_CALLBACK && events == spec.earlyEvent()) {
                closeSide(spec.abortEarly());
            }
            maybeDone();
        }

        void maybeDone() {
            if (closed || doneHandled || !readerEnded || !writerEnded) {
                return;
            }
            doneHandled = true;
            if (spec.closeMode() == CloseMode.WHEN_DONE_LATER) {
                later(spec.closeDelay(), "close when done", () -> closeSide(spec.abortAtEnd()));
            } else {
                closeSide(spec.abortAtEnd());
            }
        }

        void closeSide(boolean abort) {
            if (closed) {
                return;
            }
            if (abort) {
                vc.abort(SimulationChecker.ABORT_ERRNO, new IOException("simulated abort"));
            } else {
                vc.close();
            }
            closed(abort);
        }

        /** Records that close or abort returned: no callback may follow, and the VIOs' counters are frozen. */
        void closed(boolean abort) {
            closed = true;
            ck.closeReturned(id, abort, now(), rop == null ? null : rop.info, rop == null ? 0 : rop.vio.ndone(),
                    wop == null ? null : wop.info, wop == null ? 0 : wop.vio.ndone());
        }

        void foreignClose() {
            if (closed) {
                return;
            }
            boolean abort = spec.abortEarly();
            ReentrantLock l = rop != null ? rop.cont.lock() : lock;
            SimulationForeignThread.run(() -> {
                boolean locked = l.tryLock();
                try {
                    if (abort) {
                        vc.abort(SimulationChecker.ABORT_ERRNO, new IOException("simulated abort"));
                    } else {
                        vc.close();
                    }
                } finally {
                    if (locked) {
                        l.unlock();
                    }
                }
            });
            closed(abort);
            ck.cover(SimulationChecker.Cov.FOREIGN_THREAD_CLOSE);
        }

        void lockWindow(int index, long length) {
            ReentrantLock l;
            if (spec.sharedLock()) {
                l = lock;
            } else if (index % 2 == 0) {
                l = rop != null ? rop.cont.lock() : lock;
            } else {
                l = wop != null ? wop.cont.lock() : lock;
            }
            boolean[] got = new boolean[1];
            SimulationForeignThread.run(() -> got[0] = l.tryLock());
            if (!got[0]) {
                return;
            }
            ck.lockWindow(id, true, now());
            loop.schedule(() -> guard("lock window end", () -> {
                SimulationForeignThread.run(l::unlock);
                ck.lockWindow(id, false, now());
            }), Duration.ofNanos(length));
        }
    }
}
