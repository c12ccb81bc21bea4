package dev.vconn.bench.scale;

import dev.vconn.bench.support.BenchTransports;
import dev.vconn.bench.support.FixedResponseIntercept;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.BufferSizes;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Opens N idle connections per transport, both ends in this process (client ends through {@code NetConnector},
 * server ends through {@code NetAcceptor}), and reports the memory they hold: heap used after a full GC, direct
 * memory ({@code BufferPoolMXBean} "direct"), the bytes of the transport's pooled blocks handed out, and the
 * process's resident set (which also sees native memory the others miss, such as Netty's own direct memory), each
 * as the difference between before and after opening them.
 *
 * <p>Three modes per transport. {@code read}: each end is an idle session as a server holds one, a VConn with an
 * unbounded read posted into an empty {@code IOBuffer} under its own continuation. {@code noread}: the VConn alone,
 * no VIO posted (the control that separates the VConn's own cost from what a posted read holds). {@code noread}
 * runs first, so the block pool has no cached blocks that would hide {@code read}'s direct memory. {@code request}:
 * the server ends are sessions of an {@link HttpProxy} (answered by an intercept), and each client end first carries
 * one keep-alive request and reads its response, then both idle as a server's keep-alive connections do; its warm-up
 * carries requests too, so blocks cached by the pool may hide direct memory there, and the pooled-blocks column is
 * the one that tells whether idle connections hold blocks. Socket transports need two descriptors per connection, so
 * N is capped by the open-files limit; the count used is reported.
 *
 * <p>Usage: {@code ConnectionScale [--connections N] [--transports nio,netty,inmemory] [--modes noread,read,request]
 * [--out file.csv]}; run it with
 * the benchmarks' fixed heap ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}) so heap growth does not show up as RSS.
 */
public final class ConnectionScale {
    /** The CSV header {@code --out} writes (the report reads it). */
    public static final String CSV_HEADER =
            "transport,mode,connections,heap_bytes,direct_bytes,pool_bytes,rss_bytes,open_files_limit";
    private static final int WAVE = 500;
    private static final int WARMUP_CONNECTIONS = 200;
    private static final int FD_RESERVE = 300;

    /** One transport's outcome. */
    public record Result(String transport, String mode, int connections, long heapBytes, long directBytes,
                         long poolBytes, long rssBytes, long openFilesLimit) {
        /** The CSV line (no header). */
        public String csv() {
            return String.join(",", transport, mode, Integer.toString(connections), Long.toString(heapBytes),
                    Long.toString(directBytes), Long.toString(poolBytes), Long.toString(rssBytes),
                    Long.toString(openFilesLimit));
        }
    }

    private ConnectionScale() {
    }

    /** Runs the measurement; see the class comment for arguments. */
    public static void main(String[] args) throws Exception {
        int connections = 10_000;
        List<String> transports = List.of("nio", "netty", "inmemory");
        List<Mode> modes = List.of(Mode.values());
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--transports" -> transports = List.of(args[++i].split(","));
                case "--modes" -> modes = Stream.of(args[++i].split(","))
                        .map(m -> Mode.valueOf(m.toUpperCase(Locale.ROOT))).toList();
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: ConnectionScale [--connections N] [--transports a,b] [--modes a,b] "
                        + "[--out file.csv]");
            }
        }
        List<Result> results = new ArrayList<>();
        for (String name : transports) {
            for (Result r : measure(name, connections, modes)) {
                results.add(r);
                print(System.out, r);
            }
        }
        if (out != null) {
            List<String> lines = new ArrayList<>();
            lines.add(CSV_HEADER);
            results.forEach(r -> lines.add(r.csv()));
            Files.write(out, lines, StandardCharsets.UTF_8);
        }
    }

    private static void print(PrintStream ps, Result r) {
        double perEnd = 2.0 * r.connections();
        ps.printf(Locale.ROOT, "%-9s %-6s %6d connections, per end: heap %,7.0f B, direct %,7.0f B, pooled blocks "
                        + "%,7.0f B, rss %,7.0f B; heap+direct %,7.0f B%n",
                r.transport(), r.mode(), r.connections(), r.heapBytes() / perEnd, r.directBytes() / perEnd,
                r.poolBytes() / perEnd, r.rssBytes() / perEnd, (r.heapBytes() + r.directBytes()) / perEnd);
    }

    /** What each end does before it idles. */
    enum Mode {
        /** The VConn alone. */
        NOREAD,
        /** An unbounded read posted into an empty buffer. */
        READ,
        /** One HTTP request through an {@link HttpProxy} session, then a read posted as a keep-alive client does. */
        REQUEST;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Opens up to {@code wanted} idle connections in each of {@code modes}, each mode on a fresh transport. */
    static List<Result> measure(String name, int wanted, List<Mode> modes) throws IOException {
        List<Result> results = new ArrayList<>();
        for (Mode mode : modes) {
            results.add(measure(name, wanted, mode));
        }
        return results;
    }

    /** One mode on a fresh transport (and so a fresh, empty block pool). */
    static Result measure(String name, int wanted, Mode mode) throws IOException {
        long limit = openFilesLimit();
        Transport transport = BenchTransports.open(name);
        int n = wanted;
        if (!"inmemory".equals(name)) {
            long room = (limit - openDescriptors() - FD_RESERVE) / 2;
            n = (int) Math.min(wanted, Math.max(0, room));
        }
        try {
            // Warm-up without reads: classes, JIT and transport structures settle, and no block gets cached in the
            // pool, where it would hide the direct memory of the measured connections.
            // In request mode the warm-up carries requests, one wave of them: the proxy's paths settle too, and the
            // pool caches the blocks a wave in flight needs, so that cache does not count as the connections' memory.
            int warmUp = mode == Mode.REQUEST ? Math.min(WAVE, n) : WARMUP_CONNECTIONS;
            Idle warm = new Idle(transport, warmUp, mode == Mode.REQUEST ? Mode.REQUEST : Mode.NOREAD);
            warm.open(warmUp);
            warm.close();
            Idle idle = new Idle(transport, n, mode); // its arrays exist before the baseline: not counted
            long[] before = snapshot(transport.blockPool());
            idle.open(n);
            long[] after = snapshot(transport.blockPool());
            if (idle.proxy != null && idle.proxy.openSessions() != n) {
                throw new IllegalStateException("only " + idle.proxy.openSessions() + " of " + n
                        + " sessions were still open when memory was measured");
            }
            idle.close();
            return new Result(name, mode.label(), n, after[0] - before[0], after[1] - before[1],
                    after[2] - before[2], after[3] - before[3], limit);
        } finally {
            transport.close();
        }
    }

    /** Idle connections on one transport: arrays sized up front so that only the connections allocate. */
    private static final class Idle {
        private final Transport transport;
        private final Mode mode;
        private final boolean postRead;
        private final VConn[] clients;
        private final VConn[] servers;
        private final IOBuffer[] buffers;
        private final AtomicInteger connected = new AtomicInteger();
        private final AtomicInteger accepted = new AtomicInteger();
        private final AtomicInteger buffered = new AtomicInteger();
        private final AtomicInteger answered = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final HttpProxy proxy;
        private volatile String failure;
        private NetAcceptor.Listener listener;

        Idle(Transport transport, int n, Mode mode) {
            this.transport = transport;
            this.mode = mode;
            this.postRead = mode != Mode.NOREAD;
            clients = new VConn[n];
            servers = new VConn[n];
            buffers = new IOBuffer[4 * n];
            proxy = mode != Mode.REQUEST ? null : new HttpProxy(HttpProxyConfig.builder(transport.blockPool())
                    .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((e, d) -> {
                        if (d instanceof HttpTxn txn) {
                            txn.intercept(FixedResponseIntercept.continuation(transport.blockPool(), RESPONSE));
                            txn.reenable();
                        }
                    })).build())
                    .accessLog(record -> { })
                    .build());
        }

        void open(int n) throws IOException {
            Continuation acceptor = proxy != null ? new Continuation((e, d) -> {
                if (e == Event.NET_ACCEPT) {
                    accepted.incrementAndGet();
                    proxy.sessionAcceptor().handler().handle(e, d); // the proxy owns the server end
                }
            }) : new Continuation((e, d) -> {
                if (e == Event.NET_ACCEPT) {
                    VConn vc = (VConn) d;
                    servers[accepted.getAndIncrement()] = vc;
                    idleRead(vc);
                }
            });
            listener = transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    acceptor);
            // Waves keep the listen backlog from overflowing (a dropped SYN costs a one-second retransmit).
            for (int start = 0; start < n; start += WAVE) {
                int end = Math.min(n, start + WAVE);
                for (int i = start; i < end; i++) {
                    transport.netConnector().connect(new Continuation((e, d) -> {
                        if (e == Event.NET_CONNECT) {
                            VConn vc = (VConn) d;
                            clients[connected.getAndIncrement()] = vc;
                            if (mode == Mode.REQUEST) {
                                request(vc);
                            } else {
                                idleRead(vc);
                            }
                        } else {
                            failed.incrementAndGet();
                        }
                    }), listener.localAddress());
                }
                int ends = mode == Mode.READ ? 2 * end : 0;
                int answers = mode == Mode.REQUEST ? end : 0;
                BenchTransports.await(transport, () -> failed.get() > 0
                                || (connected.get() >= end && accepted.get() >= end && buffered.get() >= ends
                                        && answered.get() >= answers),
                        Duration.ofSeconds(60), "connections " + start + ".." + end);
                if (failed.get() > 0) {
                    throw new IOException(failed.get() + " connects or requests failed on " + transport.name()
                            + (failure == null ? "" : "; " + failure));
                }
            }
            listener.close();
            // Let every loop run the passes the new reads posted (the wait above stops as soon as the counts hold),
            // so each end has done its first read attempt before memory is measured.
            for (EventLoop loop : transport.eventLoops()) {
                if (proxy != null && loop instanceof VirtualTimeEventLoop virtual) {
                    // Running a virtual loop until idle would fire the sessions' keep-alive timers and close them.
                    virtual.advance(Duration.ofSeconds(1));
                } else {
                    BenchTransports.settle(loop);
                }
            }
        }

        /** Posts the read an idle session waits in, under the continuation's lock (it is on the loop already). */
        private void idleRead(VConn vc) {
            if (!postRead) {
                return;
            }
            IOBuffer buffer = new IOBuffer(transport.blockPool());
            buffers[buffered.getAndIncrement()] = buffer;
            Continuation session = new Continuation((e, d) -> { });
            session.lock().lock();
            try {
                vc.read(session, Long.MAX_VALUE, buffer);
            } finally {
                session.lock().unlock();
            }
        }

        /**
         * A keep-alive client: writes one request, reads the response whole, then keeps its read posted and gives
         * its buffers' blocks back ({@code IOBuffer.trim()}), as an idle client (or server) should.
         */
        private void request(VConn vc) {
            IOBuffer in = new IOBuffer(transport.blockPool());
            IOBufferReader inReader = in.allocReader();
            IOBuffer out = new IOBuffer(transport.blockPool());
            IOBufferReader outReader = out.allocReader();
            buffers[buffered.getAndIncrement()] = in;
            buffers[buffered.getAndIncrement()] = out;
            ReadVio[] read = new ReadVio[1];
            Continuation client = new Continuation((e, d) -> {
                switch (e) {
                    case READ_READY -> {
                        long whole = responseLength(inReader);
                        if (whole > 0 && inReader.readAvail() >= whole) {
                            inReader.consume(whole);
                            in.trim();
                            answered.incrementAndGet();
                        }
                        read[0].reenable();
                    }
                    case WRITE_COMPLETE -> out.trim();
                    case WRITE_READY -> { }
                    default -> {
                        failed.incrementAndGet();
                        failure = e + " at a client after " + answered.get() + " answers: " + vc.error();
                    }
                }
            });
            client.lock().lock();
            try {
                out.write(REQUEST);
                read[0] = vc.read(client, Long.MAX_VALUE, in);
                vc.write(client, REQUEST.length, outReader);
            } finally {
                client.lock().unlock();
            }
        }

        void close() {
            if (proxy != null) {
                proxy.close(); // the server ends
            }
            // Server ends first: TIME_WAIT then sits on the listener's port, not on the clients' ephemeral ports.
            for (VConn[] side : List.of(servers, clients)) {
                for (VConn vc : side) {
                    if (vc != null) {
                        vc.close();
                    }
                }
            }
            BenchTransports.await(transport, () -> transport.openResources().isEmpty(), Duration.ofSeconds(60),
                    "every connection to close");
            for (IOBuffer b : buffers) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    private static final byte[] REQUEST = "GET /item HTTP/1.1\r\nHost: scale.test\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100))
            .getBytes(StandardCharsets.ISO_8859_1);
    private static final int RESPONSE_BODY = 100;

    /** The length of the response at the reader (head, then the fixed 100-byte body), or -1 before its head ends. */
    private static long responseLength(IOBufferReader r) {
        long avail = r.readAvail();
        for (long i = 3; i < avail; i++) {
            if (r.byteAt(i) == '\n' && r.byteAt(i - 1) == '\r' && r.byteAt(i - 2) == '\n' && r.byteAt(i - 3) == '\r') {
                return i + 1 + RESPONSE_BODY;
            }
        }
        return -1;
    }

    /** Heap used after full GCs, direct buffer memory, pooled block bytes handed out, resident set: in bytes. */
    static long[] snapshot(BlockPool pool) {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        for (BufferPoolMXBean jvmPool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(jvmPool.getName())) {
                direct = jvmPool.getMemoryUsed();
            }
        }
        long pooled = 0;
        for (int i = BufferSizes.MIN_INDEX; i <= BufferSizes.MAX_INDEX; i++) {
            pooled += pool.outstanding(i) * BufferSizes.blockSize(i);
        }
        return new long[] {heap, direct, pooled, residentBytes()};
    }

    /** VmRSS from /proc/self/status, or 0 where there is none. */
    static long residentBytes() {
        return procStatusKib("/proc/self/status", "VmRSS:") * 1024;
    }

    /** The soft open-files limit from /proc/self/limits, or a large number where there is none. */
    static long openFilesLimit() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/limits"))) {
            return lines.filter(l -> l.startsWith("Max open files"))
                    .map(l -> l.substring("Max open files".length()).trim().split("\\s+")[0])
                    .mapToLong(s -> "unlimited".equals(s) ? Long.MAX_VALUE / 4 : Long.parseLong(s))
                    .findFirst().orElse(Long.MAX_VALUE / 4);
        } catch (IOException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** Descriptors open in this process now. */
    static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long procStatusKib(String file, String key) {
        try (Stream<String> lines = Files.lines(Path.of(file))) {
            return lines.filter(l -> l.startsWith(key))
                    .map(l -> l.substring(key.length()).trim().split("\\s+")[0])
                    .mapToLong(Long::parseLong).findFirst().orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }
}
