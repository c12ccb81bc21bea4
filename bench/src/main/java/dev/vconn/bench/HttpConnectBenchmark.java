package dev.vconn.bench;

import dev.vconn.bench.support.BenchTransports;
import dev.vconn.bench.support.FixedResponseIntercept;
import dev.vconn.bench.support.Gate;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.AccessLog;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Small GETs through the HTTP state machine, answered by a server intercept with a 100-byte body: in-process
 * ({@code HttpConnector}, {@code TSHttpConnectPlugin}) against loopback ({@code NetConnector} to the proxy's own
 * listening port), with and without keep-alive. The client is a continuation on the transport's loop that runs
 * {@value #BATCH} transactions back to back; the benchmark thread waits once per batch, so no per-request thread
 * hand-off is measured. Traffic Server itself measured in-process at 12-13× loopback.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class HttpConnectBenchmark {
    /** Transactions per benchmark invocation. */
    public static final int BATCH = 200;

    private static final byte[] BODY = new byte[100];
    private static final InetSocketAddress CLIENT_ADDRESS = new InetSocketAddress("127.0.0.1", 40000);
    private static final byte[] RESPONSE;

    static {
        Arrays.fill(BODY, (byte) 'x');
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        RESPONSE = Arrays.copyOf(head, head.length + BODY.length);
        System.arraycopy(BODY, 0, RESPONSE, head.length, BODY.length);
    }

    /** The transport. */
    @Param({"nio", "netty"})
    public String transport;

    /** {@code inprocess}: HttpConnector; {@code loopback}: NetConnector to the proxy's own port. */
    @Param({"inprocess", "loopback"})
    public String path;

    /** Whether one connection carries the whole batch, or each transaction opens and closes its own. */
    @Param({"true", "false"})
    public boolean keepAlive;

    private Transport t;
    private HttpProxy proxy;
    private NetAcceptor.Listener listener;
    private HttpConnector connector;
    private Client client;
    private final Gate gate = new Gate();

    /** Starts the transport, the proxy with its intercept, the listener and the client. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        t = BenchTransports.open(transport);
        Continuation hook = new Continuation(this::intercept);
        proxy = new HttpProxy(HttpProxyConfig.builder(t.blockPool())
                .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build())
                .accessLog(AccessLog.NONE) // as vconn-server --access-log false: no record is built
                .build());
        connector = t.httpConnector(proxy.sessionAcceptor());
        // In-process transactions need no socket: a listener registered on the loop would make the nio loop poll
        // its selector every 100 us while tasks run (docs/nio-adapter.md, "Rounds"), a system call they do not need.
        SocketAddress proxyAddress = null;
        if (path.equals("loopback")) {
            listener = t.netAcceptor().listen(new InetSocketAddress("127.0.0.1", 0), proxy.sessionAcceptor());
            proxyAddress = listener.localAddress();
        }
        client = new Client(t.eventLoops().get(0), proxyAddress);
    }

    /** Closes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        client.finish();
        if (listener != null) {
            listener.close();
        }
        proxy.close();
        t.close();
        client.release();
    }

    /** One batch of transactions; the score is transactions per second. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long transactions() {
        BenchTransports.runBatch(client.loop, client::startBatch, gate);
        return client.completed;
    }

    private void intercept(Event event, Object data) {
        if (data instanceof HttpTxn txn) {
            txn.intercept(FixedResponseIntercept.continuation(t.blockPool(), RESPONSE));
            txn.reenable();
        }
    }

    /** Runs transactions back to back on one loop, as a plugin's continuation would. */
    private final class Client implements EventHandler {
        private final EventLoop loop;
        private final SocketAddress proxyAddress;
        private final Continuation cont = new Continuation(this);
        private final IOBuffer in;
        private final IOBufferReader inReader;
        private final IOBuffer out;
        private final IOBufferReader outReader;
        private final byte[] request;
        private VConn vconn;
        private ReadVio read;
        private WriteVio write;
        private int remaining;
        private long completed;
        private long ids;

        Client(EventLoop loop, SocketAddress proxyAddress) {
            this.loop = loop;
            this.proxyAddress = proxyAddress;
            in = new IOBuffer(t.blockPool(), 2);
            inReader = in.allocReader();
            out = new IOBuffer(t.blockPool(), 2);
            outReader = out.allocReader();
            request = ("GET /item HTTP/1.1\r\nHost: bench.test\r\n" + (keepAlive ? "" : "Connection: close\r\n")
                    + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }

        void startBatch() {
            cont.lock().lock();
            try {
                remaining = BATCH;
                next();
            } finally {
                cont.lock().unlock();
            }
        }

        private void next() {
            if (remaining == 0) {
                gate.open();
                return;
            }
            if (vconn != null) {
                send();
            } else if (path.equals("inprocess")) {
                attached(connector.connect(HttpConnectOptions.builder().clientAddress(CLIENT_ADDRESS)
                        .tag("bench").id(++ids).build()));
            } else {
                t.netConnector().connect(cont, proxyAddress);
            }
        }

        private void attached(VConn v) {
            vconn = v;
            read = v.read(cont, Long.MAX_VALUE, in);
            write = v.write(cont, Long.MAX_VALUE, outReader);
            send();
        }

        private void send() {
            out.write(request);
            write.reenable();
        }

        @Override
        public void handle(Event event, Object data) {
            switch (event) {
                case NET_CONNECT -> attached((VConn) data);
                case READ_READY -> received();
                case WRITE_READY, WRITE_COMPLETE -> { }
                default -> {
                    if (data instanceof VIO vio && vio.isRetired()) {
                        return;
                    }
                    gate.fail(event + " on " + (data instanceof VIO v ? v.op() : data) + " after " + completed
                            + " transactions: " + (vconn == null ? "" : vconn.error()));
                }
            }
        }

        /** Counts the response once it is whole: the head, then the 100-byte body. */
        private void received() {
            long headEnd = headEnd();
            if (headEnd < 0 || inReader.readAvail() < headEnd + BODY.length) {
                read.reenable();
                return;
            }
            inReader.consume(headEnd + BODY.length);
            completed++;
            remaining--;
            if (!keepAlive) {
                vconn.close();
                vconn = null;
                inReader.consume(inReader.readAvail());
            }
            next();
        }

        private long headEnd() {
            long avail = inReader.readAvail();
            for (long i = 3; i < avail; i++) {
                if (inReader.byteAt(i) == '\n' && inReader.byteAt(i - 1) == '\r' && inReader.byteAt(i - 2) == '\n'
                        && inReader.byteAt(i - 3) == '\r') {
                    return i + 1;
                }
            }
            return -1;
        }

        void finish() {
            cont.lock().lock();
            try {
                if (vconn != null) {
                    vconn.close();
                    vconn = null;
                }
            } finally {
                cont.lock().unlock();
            }
        }

        void release() {
            in.close();
            out.close();
        }
    }
}
