package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.ports.TlsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * TLS connections in the seeded simulation: a client and a server {@link TlsVConn} over an in-memory channel pair
 * whose directions get seeded faults (fragmentation down to one byte, latency, a reset, an end of stream or an I/O
 * error at byte N of the record stream), both sending at once and then shutting down their write side
 * (close_notify). Invariants for every seed: no wrong or reordered byte; EOS only after every byte the peer sent
 * (a close_notify), never for a stream cut short; nothing left hanging until the handshake timeout; every block and
 * socket released after close. A failure names the seed, which replays it.
 */
class TlsSimulationTest {
    private static final int SEEDS = 60;
    private static final Duration LIMIT = Duration.ofMinutes(10);
    private static final Path CERTS = certificates();

    @Test
    void seeded_tls_connections_under_faults_keep_every_invariant() {
        int cutShort = 0;
        int clean = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            List<String> trace;
            try {
                trace = runSeed(seed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("TLS simulation seed " + seed + " failed: " + e.getMessage(), e);
            }
            cutShort += trace.stream().anyMatch(t -> t.contains(" read ERROR")) ? 1 : 0;
            clean += trace.stream().filter(t -> t.contains(" read EOS")).count() == 2 ? 1 : 0;
        }
        // The seeds must exercise both outcomes, or the invariants above were checked on nothing.
        assertTrue(cutShort > SEEDS / 10 && clean > SEEDS / 10, "cut short: " + cutShort + ", clean: " + clean);
    }

    @Test
    void the_same_seed_replays_the_same_trace() {
        assertEquals(runSeed(7), runSeed(7), "seed 7 twice");
    }

    /** Runs one seeded scenario and returns its event trace (with virtual times). */
    private static List<String> runSeed(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        FaultPlan up = plan(r, seed * 2);
        FaultPlan down = plan(r, seed * 2 + 1);
        int upBytes = 1 + r.nextInt(300_000);
        int downBytes = 1 + r.nextInt(300_000);
        boolean destructive = destructive(up) || destructive(down);
        String scenario = "up=" + up + " (" + upBytes + " bytes), down=" + down + " (" + downBytes + " bytes)";

        InMemoryTransport transport = new InMemoryTransport();
        VirtualTimeEventLoop loop = transport.loop();
        List<String> trace = new CopyOnWriteArrayList<>();
        List<IOBuffer> buffers = new ArrayList<>();
        VConn client = null;
        VConn server = null;
        try {
            InMemoryNetwork.ChannelPair pair = transport.network().openPair(up, down);
            TlsContext serverTls = TlsContext.server().certificate(CERTS.resolve("server.pem"),
                    CERTS.resolve("server.key")).delegatedTaskExecutor(Runnable::run).build();
            TlsContext clientTls = TlsContext.client().trustPem(CERTS.resolve("ca.pem"))
                    .delegatedTaskExecutor(Runnable::run).build();
            client = transport.socketAdopter().adopt(pair.local(),
                    TlsOptions.client(clientTls, transport.blockPool(), "localhost", 443));
            server = transport.socketAdopter().adopt(pair.peer(), TlsOptions.server(serverTls, transport.blockPool()));
            BlockPool pool = transport.blockPool();
            Sink atServer = new Sink("server", server, newBuffer(pool, buffers), trace, loop);
            Sink atClient = new Sink("client", client, newBuffer(pool, buffers), trace, loop);
            new Source("client", client, upBytes, 11, newBuffer(pool, buffers), trace, loop);
            new Source("server", server, downBytes, 12, newBuffer(pool, buffers), trace, loop);

            assertTrue(loop.runUntil(() -> atServer.ended() && atClient.ended(), LIMIT),
                    "both reads end: " + scenario + "; server " + atServer + ", client " + atClient);
            for (Sink s : List.of(atServer, atClient)) {
                int sent = s == atServer ? upBytes : downBytes;
                assertTrue(s.corruptAt < 0, s + " got a wrong byte at offset " + s.corruptAt + ": " + scenario);
                assertEquals(1, s.count(Event.EOS) + s.count(Event.ERROR), s + ": one end only: " + scenario);
                if (s.count(Event.EOS) == 1) {
                    assertEquals(sent, s.received, s + ": EOS only after every byte, i.e. close_notify: " + scenario);
                }
                if (!destructive) {
                    assertEquals(1, s.count(Event.EOS), s + ": a clean run ends with EOS: " + scenario);
                }
            }
            for (VConn v : List.of(server, client)) {
                if (v.error() != null) {
                    assertTrue(v.error().errno() != Errno.ETIMEDOUT,
                            "nothing may wait for the handshake timeout: " + v.error() + ": " + scenario);
                }
            }
        } catch (Exception e) {
            fail(scenario + ": " + e, e);
        } finally {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                server.close();
            }
            assertTrue(loop.runUntil(() -> transport.openResources().isEmpty(), LIMIT), "VConns closed: " + scenario);
            buffers.forEach(IOBuffer::close);
            assertEquals(0, transport.blockPool().outstanding(), "every block back in the pool: " + scenario);
            assertEquals(0, transport.openSockets(), "every channel closed: " + scenario);
            transport.close();
        }
        return trace;
    }

    private static FaultPlan plan(SplittableRandom r, long seed) {
        FaultPlan.Builder b = FaultPlan.builder(seed).fragmentation(r.nextInt(3) > 0)
                .latency(Duration.ofMillis(r.nextInt(4) == 0 ? 0 : r.nextInt(50)));
        long at = r.nextLong(400_000);
        switch (r.nextInt(6)) {
            case 0 -> b.resetAt(at);
            case 1 -> b.eofAt(at);
            case 2 -> b.errorAt(at);
            default -> { } // no byte fault in this direction
        }
        return b.build();
    }

    private static boolean destructive(FaultPlan p) {
        return p.resetAtByte() != FaultPlan.NEVER || p.eofAtByte() != FaultPlan.NEVER
                || p.errorAtByte() != FaultPlan.NEVER;
    }

    private static byte at(long offset, int seed) {
        return (byte) ((offset >>> 8) * 31 + offset * 7 + seed);
    }

    /** Writes {@code total} pattern bytes in pieces, then shuts down its write side (close_notify). */
    private static final class Source {
        Source(String name, VConn vc, int total, int seed, IOBuffer buf, List<String> trace,
                VirtualTimeEventLoop loop) {
            IOBufferReader reader = buf.allocReader();
            long[] written = {0};
            Runnable topUp = () -> {
                while (written[0] < total && reader.readAvail() < 64 * 1024) {
                    int n = (int) Math.min(16 * 1024, total - written[0]);
                    byte[] chunk = new byte[n];
                    for (int i = 0; i < n; i++) {
                        chunk[i] = at(written[0] + i, seed);
                    }
                    buf.write(chunk);
                    written[0] += n;
                }
            };
            Continuation c = new Continuation((event, data) -> {
                trace.add(name + " write " + event + " t=" + loop.nanoTime());
                if (event == Event.WRITE_READY) {
                    topUp.run();
                } else if (event == Event.WRITE_COMPLETE) {
                    vc.shutdown(ShutdownHow.WRITE);
                }
            });
            c.lock().lock();
            try {
                topUp.run();
                vc.write(c, total, reader);
            } finally {
                c.lock().unlock();
            }
        }
    }

    /** Reads without end, checking every byte against the peer's pattern inside each event. */
    private static final class Sink {
        final String name;
        final List<Event> events = new CopyOnWriteArrayList<>();
        long received;
        long corruptAt = -1;

        Sink(String name, VConn vc, IOBuffer buf, List<String> trace, VirtualTimeEventLoop loop) {
            this.name = name;
            int seed = name.equals("server") ? 11 : 12; // the peer's pattern
            IOBufferReader reader = buf.allocReader();
            vc.read(new Continuation((event, data) -> {
                events.add(event);
                trace.add(name + " read " + event + " t=" + loop.nanoTime());
                int n = (int) reader.readAvail();
                byte[] chunk = new byte[n];
                reader.read(chunk, 0, n);
                for (int i = 0; i < n; i++) {
                    if (corruptAt < 0 && chunk[i] != at(received + i, seed)) {
                        corruptAt = received + i;
                    }
                }
                received += n;
            }), Long.MAX_VALUE, buf);
        }

        boolean ended() {
            return events.contains(Event.EOS) || events.contains(Event.ERROR);
        }

        long count(Event e) {
            return events.stream().filter(x -> x == e).count();
        }

        @Override
        public String toString() {
            return name + " read (" + received + " bytes, " + (events.isEmpty() ? "no events"
                    : "last " + events.get(events.size() - 1)) + ")";
        }
    }

    private static IOBuffer newBuffer(BlockPool pool, List<IOBuffer> buffers) {
        IOBuffer b = new IOBuffer(pool);
        buffers.add(b);
        return b;
    }

    private static Path certificates() {
        try {
            Path dir = Files.createTempDirectory("vconn-tls-simulation");
            for (String name : List.of("ca.pem", "server.pem", "server.key")) {
                try (InputStream in = TlsSimulationTest.class.getResourceAsStream("/tls/" + name)) {
                    Files.copy(in, dir.resolve(name));
                }
                dir.resolve(name).toFile().deleteOnExit();
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
