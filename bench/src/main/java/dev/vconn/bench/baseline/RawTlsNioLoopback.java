package dev.vconn.bench.baseline;

import dev.vconn.bench.support.BenchTls;
import dev.vconn.bench.support.BenchTransports;
import dev.vconn.bench.support.BulkPipe;
import dev.vconn.bench.support.Gate;
import dev.vconn.bench.support.Sources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The raw TLS baseline: two {@link SSLEngine}s (configured as {@link BenchTls} configures vconn's) over two
 * non-blocking loopback {@link SocketChannel}s on one selector thread, the way one would hand-write it. The writer
 * wraps one full record ({@value #RECORD_PLAINTEXT} bytes of plaintext, as {@code TlsVConn} does) at a time from one
 * direct buffer into a direct record buffer and writes it out; the reader reads into a direct buffer, unwraps every
 * whole record into one direct plaintext buffer and clears it. Direct buffers as vconn's block pool uses; no
 * allocation per transfer. The handshake runs once in the constructor, engine to engine in memory.
 */
public final class RawTlsNioLoopback implements BulkPipe {
    /** Plaintext per record: TLS's largest fragment. */
    public static final int RECORD_PLAINTEXT = 16384;
    /** Records queued for the socket before the writer waits: vconn's TlsVConn stops at 32 KiB too. */
    private static final int NET_OUT = 32 * 1024 + 2 * 17 * 1024;
    /** The reader's socket buffer: one vconn block (32 KiB) plus room for a partial record. */
    private static final int NET_IN = 64 * 1024;
    private static final int READS_PER_WAKEUP = 16;

    private final SocketChannel writer;
    private final SocketChannel reader;
    private final SSLEngine clientEngine = BenchTls.rawEngine(true);
    private final SSLEngine serverEngine = BenchTls.rawEngine(false);
    private final Selector selector;
    private final SelectionKey writeKey;
    private final SelectionKey readKey;
    private final ByteBuffer plain = ByteBuffer.allocateDirect(RECORD_PLAINTEXT);
    private final ByteBuffer netOut = ByteBuffer.allocateDirect(NET_OUT);
    private final ByteBuffer netIn = ByteBuffer.allocateDirect(NET_IN);
    private final ByteBuffer plainIn;
    private final AtomicLong posted = new AtomicLong();
    private final Gate gate = new Gate();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long target;
    private long budget;
    private long received;
    private boolean writeInterest;

    /** Connects the pair over loopback, runs the handshake and starts the selector thread. */
    public RawTlsNioLoopback() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            writer = SocketChannel.open(server.getLocalAddress());
            reader = server.accept();
        }
        for (SocketChannel ch : new SocketChannel[] {writer, reader}) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        handshakeInMemory(clientEngine, serverEngine);
        if (!BenchTls.CIPHER.equals(clientEngine.getSession().getCipherSuite())) {
            throw new IllegalStateException("negotiated " + clientEngine.getSession().getCipherSuite());
        }
        plainIn = ByteBuffer.allocateDirect(serverEngine.getSession().getApplicationBufferSize());
        plain.put(Sources.pattern(RECORD_PLAINTEXT)).flip();
        netOut.flip(); // empty, in read mode
        selector = Selector.open();
        writeKey = writer.register(selector, 0);
        readKey = reader.register(selector, SelectionKey.OP_READ);
        thread = new Thread(this::run, "raw-tls-nio-loop");
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs the handshake between two engines by handing their records over directly. */
    public static void handshakeInMemory(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
        ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
        ByteBuffer app = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 1000; i++) {
            boolean moved = step(client, toClient, toServer, app) | step(server, toServer, toClient, app);
            if (!moved && idle(client) && idle(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
        }
        throw new SSLException("the in-memory handshake did not finish");
    }

    private static boolean idle(SSLEngine e) {
        HandshakeStatus hs = e.getHandshakeStatus();
        return hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED;
    }

    /** One step of {@code engine}: tasks, a wrap into {@code out} or an unwrap of {@code in}; whether it moved. */
    private static boolean step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws SSLException {
        switch (engine.getHandshakeStatus()) {
            case NEED_TASK -> {
                for (Runnable t = engine.getDelegatedTask(); t != null; t = engine.getDelegatedTask()) {
                    t.run();
                }
                return true;
            }
            case NEED_WRAP -> {
                return engine.wrap(ByteBuffer.allocate(0), out).bytesProduced() > 0;
            }
            default -> {
                // NEED_UNWRAP, or post-handshake messages (TLS 1.3 session tickets) waiting while NOT_HANDSHAKING.
                if (in.position() == 0) {
                    return false;
                }
                in.flip();
                SSLEngineResult r = engine.unwrap(in, app);
                in.compact();
                app.clear();
                return r.bytesConsumed() > 0;
            }
        }
    }

    @Override
    public void transfer(long bytes) {
        gate.arm();
        target += bytes; // only the benchmark thread writes it
        posted.addAndGet(bytes);
        selector.wakeup();
        gate.await(BenchTransports.BATCH_TIMEOUT);
    }

    private void run() {
        try {
            while (running) {
                selector.select(this::ready);
                long more = posted.getAndSet(0);
                if (more > 0) {
                    budget += more;
                    write();
                }
            }
        } catch (IOException | RuntimeException e) {
            gate.fail("raw TLS nio loop failed: " + e);
        }
    }

    private void ready(SelectionKey key) {
        try {
            if (key == readKey && key.isReadable()) {
                read();
            } else if (key == writeKey && key.isWritable()) {
                write();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write() throws IOException {
        while (true) {
            // Wrap whole records while there is plaintext budget and room for one more record.
            netOut.compact();
            while (budget > 0 && netOut.remaining() >= clientEngine.getSession().getPacketBufferSize()) {
                plain.limit((int) Math.min(RECORD_PLAINTEXT, budget)).position(0);
                SSLEngineResult r = clientEngine.wrap(plain, netOut);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new SSLException("wrap: " + r);
                }
                budget -= r.bytesConsumed();
            }
            netOut.flip();
            if (!netOut.hasRemaining()) {
                interest(false);
                return;
            }
            if (writer.write(netOut) == 0) {
                interest(true); // the send buffer is full: wait for OP_WRITE
                return;
            }
        }
    }

    private void interest(boolean on) {
        if (on != writeInterest) {
            writeInterest = on;
            writeKey.interestOps(on ? SelectionKey.OP_WRITE : 0);
        }
    }

    private void read() throws IOException {
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            int n = reader.read(netIn);
            netIn.flip();
            while (netIn.hasRemaining()) {
                SSLEngineResult r = serverEngine.unwrap(netIn, plainIn);
                received += r.bytesProduced();
                plainIn.clear();
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        break;
                    }
                    throw new SSLException("unwrap: " + r);
                }
            }
            netIn.compact();
            if (n <= 0) {
                break;
            }
        }
        if (received >= target) {
            gate.open();
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
            selector.close();
            writer.close();
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
