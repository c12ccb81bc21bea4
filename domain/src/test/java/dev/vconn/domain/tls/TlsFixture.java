package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.testing.BytePattern;
import dev.vconn.domain.testing.EventLog;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;

/**
 * Shared set-up for TLS tests: a virtual-time loop, in-process pairs carrying the records, a direct executor for
 * the engine's delegated tasks (counted), and after every test: every VConn closed, every pair freed, every block
 * back in the pool.
 */
abstract class TlsFixture {
    final BlockPool pool = new BlockPool();
    final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    final AtomicInteger delegatedTasks = new AtomicInteger();
    /** Runs delegated tasks on the calling thread, counting them. */
    final Executor direct = task -> {
        delegatedTasks.incrementAndGet();
        task.run();
    };
    private final List<IOBuffer> buffers = new ArrayList<>();
    private final List<VConn> vconns = new ArrayList<>();
    private final List<VConnPair> pairs = new ArrayList<>();

    /** A client and a server TLS VConn over the two ends of one in-process pair. */
    record Conn(TlsVConn client, TlsVConn server, VConnPair pair) {
    }

    static Path res(String name) {
        try {
            return Path.of(TlsFixture.class.getResource("/tls/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource tls/" + name + " missing", e);
        }
    }

    TlsContext.ServerBuilder serverContext() {
        return TlsContext.server().certificate(res("server.pem"), res("server.key")).delegatedTaskExecutor(direct);
    }

    TlsContext.ClientBuilder clientContext() {
        return TlsContext.client().trustPem(res("ca.pem")).delegatedTaskExecutor(direct);
    }

    Conn connect() {
        return connect(clientContext().build(), serverContext().build(), "localhost");
    }

    Conn connect(TlsContext client, TlsContext server, String host) {
        return connect(client, server, host, VConnPair.Options.defaults());
    }

    Conn connect(TlsContext client, TlsContext server, String host, VConnPair.Options options) {
        VConnPair pair = pair(options);
        return new Conn(track(TlsVConn.client(pair.active(), client, pool, host, 443)),
                track(TlsVConn.server(pair.passive(), server, pool)), pair);
    }

    VConnPair pair(VConnPair.Options options) {
        VConnPair pair = VConnPair.open(loop, options);
        pairs.add(pair);
        return pair;
    }

    <V extends VConn> V track(V vconn) {
        vconns.add(vconn);
        return vconn;
    }

    IOBuffer buffer() {
        IOBuffer b = new IOBuffer(pool);
        buffers.add(b);
        return b;
    }

    void run() {
        loop.runUntilIdle();
    }

    boolean runUntil(BooleanSupplier condition) {
        return loop.runUntil(condition, Duration.ofSeconds(60));
    }

    /** Writes {@code text} with a write VIO of exactly its length. */
    WriteVio send(VConn to, EventLog log, String text) {
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        out.write(bytes);
        return to.write(log.continuation(), bytes.length, reader);
    }

    /** A reader that consumes everything into a string as it arrives. */
    final class Collector {
        final StringBuilder text = new StringBuilder();
        final EventLog log = new EventLog();
        final IOBuffer in = buffer();
        final IOBufferReader reader = in.allocReader();
        ReadVio vio;

        Collector(VConn from, long nbytes) {
            log.onEvent((event, data) -> {
                if (event == Event.READ_READY || event == Event.READ_COMPLETE || event == Event.EOS) {
                    byte[] b = new byte[(int) reader.readAvail()];
                    reader.read(b, 0, b.length);
                    text.append(new String(b, StandardCharsets.US_ASCII));
                }
            });
            vio = from.read(log.continuation(), nbytes, in);
        }

        Continuation continuation() {
            return log.continuation();
        }
    }

    /** Sends {@code total} bytes of a rolling pattern, keeping at most 64 KiB in its buffer. */
    final class Sender {
        final BytePattern pattern;
        final long total;
        final EventLog log = new EventLog();
        final IOBuffer out = buffer();
        final IOBufferReader reader = out.allocReader();
        final WriteVio vio;
        long written;

        Sender(VConn to, long total, int seed) {
            this.pattern = new BytePattern(seed);
            this.total = total;
            log.onEvent((event, data) -> {
                if (event == Event.WRITE_READY) {
                    topUp();
                }
            });
            topUp();
            vio = to.write(log.continuation(), total, reader);
        }

        void topUp() {
            long want = Math.min(total - written, 64 * 1024 - reader.readAvail());
            if (want > 0) {
                pattern.write(out, written, (int) want);
                written += want;
            }
        }
    }

    /** Reads and checks a rolling pattern, consuming inside READ_READY unless paused. */
    final class Receiver {
        final BytePattern pattern;
        final EventLog log = new EventLog();
        final IOBuffer in = buffer();
        final IOBufferReader reader = in.allocReader();
        final ReadVio vio;
        long received;
        long maxUnconsumed;
        boolean paused;

        Receiver(VConn from, long nbytes, int seed) {
            this.pattern = new BytePattern(seed);
            log.onEvent((event, data) -> {
                maxUnconsumed = Math.max(maxUnconsumed, reader.readAvail());
                if (!paused) {
                    received += pattern.consumeAndCheck(reader, received);
                }
            });
            vio = from.read(log.continuation(), nbytes, in);
        }

        void resume() {
            paused = false;
            received += pattern.consumeAndCheck(reader, received);
            vio.reenable();
        }
    }

    /**
     * Forwards bytes from one VConn to another one byte per loop task, so the receiver gets every record in
     * one-byte pieces; passes the end of stream on as a write shutdown.
     */
    final class Trickle {
        final IOBuffer in = buffer();
        final IOBufferReader inReader = in.allocReader();
        final IOBuffer out = buffer();
        final IOBufferReader outReader = out.allocReader();
        final EventLog readLog = new EventLog();
        final EventLog writeLog = new EventLog();
        final VConn to;
        final ReadVio readVio;
        final WriteVio writeVio;
        long forwarded;
        boolean eos;
        boolean shut;
        boolean scheduled;

        Trickle(VConn from, VConn to) {
            this.to = to;
            readLog.onEvent((event, data) -> {
                if (event == Event.EOS || event == Event.ERROR) {
                    eos = true;
                }
                kick();
            });
            writeLog.onEvent((event, data) -> kick());
            readVio = from.read(readLog.continuation(), Long.MAX_VALUE, in);
            writeVio = to.write(writeLog.continuation(), Long.MAX_VALUE, outReader);
        }

        void kick() {
            if (!scheduled) {
                scheduled = true;
                loop.execute(this::step);
            }
        }

        private void step() {
            scheduled = false;
            if (in.isClosed() || !to.isOpen()) {
                return;
            }
            if (outReader.readAvail() == 0 && inReader.readAvail() > 0) {
                out.write(inReader, 1);
                inReader.consume(1);
                forwarded++;
                readVio.reenable();
                writeVio.reenable();
            } else if (eos && inReader.readAvail() == 0 && outReader.readAvail() == 0 && !shut) {
                shut = true;
                to.shutdown(dev.vconn.domain.ShutdownHow.WRITE);
            }
        }
    }

    @AfterEach
    void releaseEverything() {
        vconns.forEach(VConn::close);
        run();
        for (VConnPair pair : pairs) {
            assertTrue(pair.isFreed(), "pair freed once the TLS VConns closed their inner ends: " + pair);
        }
        buffers.forEach(IOBuffer::close);
        assertEquals(0, pool.outstanding(), "every block back in the pool: " + pool);
    }
}
