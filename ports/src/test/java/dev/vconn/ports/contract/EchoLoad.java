package dev.vconn.ports.contract;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many concurrent echo connections driven entirely by continuations on the transport's loops (no thread per
 * connection): each client sends {@code size} pattern bytes, the server echoes exactly that many, and the client
 * checks every byte it gets back. Each side closes its VConn and buffers when done.
 */
public final class EchoLoad {
    private final Transport transport;
    private final BlockPool pool;
    private final int size;
    private final AtomicInteger finished = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    /** A load on {@code transport} whose buffers come from {@code pool}. */
    public EchoLoad(Transport transport, BlockPool pool, int size) {
        this.transport = transport;
        this.pool = pool;
        this.size = size;
    }

    /** Listens at {@code address} with an echo server; the caller closes the listener. */
    public NetAcceptor.Listener listen(SocketAddress address) throws IOException {
        return transport.netAcceptor().listen(address, new Continuation((e, d) -> new Session((VConn) d).start()));
    }

    /** Starts {@code connections} clients against {@code server}. */
    public void connect(SocketAddress server, int connections) {
        for (int i = 0; i < connections; i++) {
            int seed = i;
            transport.netConnector().connect(new Continuation((e, d) -> {
                if (e == Event.NET_CONNECT) {
                    new Client((VConn) d, seed).start();
                } else {
                    failures.add("connect " + seed + " failed: " + d);
                    finished.incrementAndGet();
                }
            }), server);
        }
    }

    /** Clients that finished (successfully or not). */
    public int finished() {
        return finished.get();
    }

    /** What went wrong, one line per failed client. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    private static byte expected(int seed, long offset) {
        return (byte) (offset * 7 + seed);
    }

    /** Echoes exactly {@code size} bytes back, then closes (server side). */
    private final class Session {
        final VConn vc;
        final IOBuffer buffer = new IOBuffer(pool);
        final IOBufferReader reader = buffer.allocReader();
        ReadVio read;
        WriteVio write;

        Session(VConn vc) {
            this.vc = vc;
        }

        void start() {
            Continuation c = new Continuation(this::handle);
            c.lock().lock();
            try {
                read = vc.read(c, size, buffer);
                write = vc.write(c, size, reader);
            } finally {
                c.lock().unlock();
            }
        }

        void handle(Event e, Object d) {
            switch (e) {
                case READ_READY, READ_COMPLETE -> write.reenable();
                case WRITE_READY -> read.reenable(); // the writer freed room in the shared buffer
                default -> { // WRITE_COMPLETE, or a failure: either way this session is over
                    vc.close();
                    buffer.close();
                }
            }
        }
    }

    /** Sends {@code size} pattern bytes and checks they come back (client side). */
    private final class Client {
        final VConn vc;
        final int seed;
        final IOBuffer out = new IOBuffer(pool);
        final IOBuffer in = new IOBuffer(pool);
        final IOBufferReader inReader = in.allocReader();
        long checked;
        boolean readDone;
        boolean writeDone;

        Client(VConn vc, int seed) {
            this.vc = vc;
            this.seed = seed;
        }

        void start() {
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = expected(seed, i);
            }
            IOBufferReader outReader = out.allocReader();
            out.write(data);
            Continuation c = new Continuation(this::handle);
            c.lock().lock();
            try {
                vc.read(c, size, in);
                vc.write(c, size, outReader);
            } finally {
                c.lock().unlock();
            }
        }

        void handle(Event e, Object d) {
            switch (e) {
                case READ_READY, READ_COMPLETE -> {
                    byte[] got = new byte[(int) inReader.readAvail()];
                    inReader.read(got, 0, got.length);
                    for (byte b : got) {
                        if (b != expected(seed, checked)) {
                            failures.add("connection " + seed + " byte " + checked + " wrong");
                            finish();
                            return;
                        }
                        checked++;
                    }
                    readDone |= e == Event.READ_COMPLETE;
                }
                case WRITE_COMPLETE -> writeDone = true;
                case WRITE_READY -> { }
                default -> {
                    failures.add("connection " + seed + " got " + e + " " + vc.error());
                    finish();
                    return;
                }
            }
            if (readDone && writeDone) {
                finish();
            }
        }

        private void finish() {
            if (vc.isOpen()) {
                vc.close();
                out.close();
                in.close();
                finished.incrementAndGet();
            }
        }
    }
}
