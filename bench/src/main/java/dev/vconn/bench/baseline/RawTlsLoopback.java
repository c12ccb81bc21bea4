package dev.vconn.bench.baseline;

import dev.vconn.bench.support.BenchCertificate;
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
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The raw TLS baseline: two JDK {@link SSLEngine}s over two non-blocking loopback {@link SocketChannel}s on one
 * selector thread, the way one would hand-write it. The writer wraps 16 KiB records from one direct plaintext buffer
 * into a direct 256 KiB record buffer and writes it; the reader reads records into a direct buffer and unwraps them
 * into a direct plaintext buffer it then clears. Same thread count and I/O sizes as the TLS VConn benchmark, same
 * protocol and cipher suite (the JDK's defaults), no allocation per transfer.
 */
public final class RawTlsLoopback implements BulkPipe {
    /** Record bytes gathered per write call. */
    public static final int WRITE_SIZE = 256 * 1024;
    /** Bytes per read call. */
    public static final int READ_SIZE = 64 * 1024;
    private static final int RECORD_PLAINTEXT = 16 * 1024;

    private final SocketChannel writer;
    private final SocketChannel reader;
    private final SSLEngine client;
    private final SSLEngine server;
    private final Selector selector;
    private final SelectionKey writeKey;
    private final SelectionKey readKey;
    private final ByteBuffer plainOut = ByteBuffer.allocateDirect(RECORD_PLAINTEXT);
    private final ByteBuffer netOut;
    private final ByteBuffer netIn;
    private final ByteBuffer plainIn;
    private final AtomicLong posted = new AtomicLong();
    private final Gate gate = new Gate();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long target;
    private long budget;
    private long received;
    private boolean writeInterest;
    private boolean recordsPending;

    /** Connects the pair over loopback, handshakes both engines, and starts the selector thread. */
    public RawTlsLoopback(BenchCertificate certificate) throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            writer = SocketChannel.open(listener.getLocalAddress());
            reader = listener.accept();
        }
        for (SocketChannel ch : new SocketChannel[] {writer, reader}) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        SSLContext ctx = certificate.sslContext();
        client = ctx.createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        server = ctx.createSSLEngine();
        server.setUseClientMode(false);
        int packet = client.getSession().getPacketBufferSize();
        netOut = ByteBuffer.allocateDirect(WRITE_SIZE + packet);
        netIn = ByteBuffer.allocateDirect(READ_SIZE + packet);
        plainIn = ByteBuffer.allocateDirect(server.getSession().getApplicationBufferSize());
        plainOut.put(Sources.pattern(RECORD_PLAINTEXT)).flip();
        handshake();
        selector = Selector.open();
        writeKey = writer.register(selector, 0);
        readKey = reader.register(selector, SelectionKey.OP_READ);
        thread = new Thread(this::run, "raw-tls-loop");
        thread.setDaemon(true);
        thread.start();
    }

    /** Steps both engines on this thread until both finished their handshake (setup, not measured). */
    private void handshake() throws IOException {
        ByteBuffer[] out = {ByteBuffer.allocate(32 * 1024), ByteBuffer.allocate(32 * 1024)};
        ByteBuffer[] in = {ByteBuffer.allocate(64 * 1024), ByteBuffer.allocate(64 * 1024)};
        SSLEngine[] engines = {client, server};
        SocketChannel[] channels = {writer, reader};
        ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        long deadline = System.nanoTime() + BenchTransports.BATCH_TIMEOUT.toNanos();
        while (!done(client) || !done(server)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the raw TLS handshake did not finish");
            }
            for (int i = 0; i < 2; i++) {
                SSLEngine e = engines[i];
                switch (e.getHandshakeStatus()) {
                    case NEED_TASK -> {
                        for (Runnable t = e.getDelegatedTask(); t != null; t = e.getDelegatedTask()) {
                            t.run();
                        }
                    }
                    case NEED_WRAP -> {
                        out[i].clear();
                        e.wrap(ByteBuffer.allocate(0), out[i]);
                        out[i].flip();
                        while (out[i].hasRemaining()) {
                            channels[i].write(out[i]);
                        }
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                        channels[i].read(in[i]);
                        in[i].flip();
                        scratch.clear();
                        e.unwrap(in[i], scratch);
                        in[i].compact();
                    }
                    default -> { }
                }
            }
        }
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus s = e.getHandshakeStatus();
        return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
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
            gate.fail("raw TLS loop failed: " + e);
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
            if (recordsPending) { // netOut is in read mode: records wrapped earlier wait for the socket
                writer.write(netOut);
                if (netOut.hasRemaining()) {
                    interest(true);
                    return;
                }
                netOut.clear();
                recordsPending = false;
            }
            if (budget <= 0) {
                interest(false);
                return;
            }
            while (budget > 0 && netOut.position() <= WRITE_SIZE) {
                plainOut.limit((int) Math.min(RECORD_PLAINTEXT, budget)).position(0);
                SSLEngineResult r = client.wrap(plainOut, netOut);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new SSLException("wrap: " + r);
                }
                budget -= r.bytesConsumed();
            }
            netOut.flip();
            recordsPending = true;
        }
    }

    private void interest(boolean on) {
        if (on != writeInterest) {
            writeInterest = on;
            writeKey.interestOps(on ? SelectionKey.OP_WRITE : 0);
        }
    }

    private void read() throws IOException {
        int n = reader.read(netIn);
        if (n <= 0) {
            return;
        }
        netIn.flip();
        while (true) {
            plainIn.clear();
            SSLEngineResult r = server.unwrap(netIn, plainIn);
            received += r.bytesProduced();
            if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0) {
                break;
            }
        }
        netIn.compact();
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
