package dev.vconn.bench.baseline;

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

/**
 * The raw JDK baseline: two non-blocking loopback {@link SocketChannel}s on one selector thread, the way one would
 * hand-write it. The writer writes one direct buffer (up to {@link #WRITE_SIZE} per call) over and over, the
 * reader reads into one direct buffer ({@link #READ_SIZE} per call, vconn's default block size) and clears it.
 * Same thread count and I/O sizes as vconn's socket VConns, no copies, no allocation per transfer.
 */
public final class RawNioLoopback implements BulkPipe {
    /** Bytes per write call: what vconn's sender keeps queued and gathers into one write. */
    public static final int WRITE_SIZE = 256 * 1024;
    /** Bytes per read call: one IOBuffer block of the default size, what a vconn socket read fills. */
    public static final int READ_SIZE = 32 * 1024;
    /** Reads per readiness, like a VConn pass's 16 transfers. */
    private static final int READS_PER_WAKEUP = 16;

    private final SocketChannel writer;
    private final SocketChannel reader;
    private final Selector selector;
    private final SelectionKey writeKey;
    private final SelectionKey readKey;
    private final ByteBuffer out = ByteBuffer.allocateDirect(WRITE_SIZE);
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_SIZE);
    private final AtomicLong posted = new AtomicLong();
    private final Gate gate = new Gate();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long target;
    private long budget;
    private long received;
    private boolean writeInterest;

    /** Connects the pair over loopback and starts the selector thread. */
    public RawNioLoopback() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            writer = SocketChannel.open(server.getLocalAddress());
            reader = server.accept();
        }
        for (SocketChannel ch : new SocketChannel[] {writer, reader}) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // as vconn's nio transport sets it
        }
        out.put(Sources.pattern(WRITE_SIZE)).flip();
        selector = Selector.open();
        writeKey = writer.register(selector, 0);
        readKey = reader.register(selector, SelectionKey.OP_READ);
        thread = new Thread(this::run, "raw-nio-loop");
        thread.setDaemon(true);
        thread.start();
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
            gate.fail("raw nio loop failed: " + e);
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
        while (budget > 0) {
            out.limit((int) Math.min(WRITE_SIZE, budget)).position(0);
            int n = writer.write(out);
            if (n == 0) {
                interest(true); // the send buffer is full: wait for OP_WRITE
                return;
            }
            budget -= n;
        }
        interest(false);
    }

    private void interest(boolean on) {
        if (on != writeInterest) {
            writeInterest = on;
            writeKey.interestOps(on ? SelectionKey.OP_WRITE : 0);
        }
    }

    private void read() throws IOException {
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            in.clear();
            int n = reader.read(in);
            if (n <= 0) {
                break;
            }
            received += n;
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
