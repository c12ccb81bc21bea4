package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.domain.tls.TlsEngineSettings;
import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/**
 * The contract kit's TLS section on epoll with the openssl engine on both sides, and the engines' native memory:
 * every engine is freed when its connection is released (and Netty's leak detector, which {@link NettyLeakCheck}
 * watches, tracks them: they are its reference-counted kind).
 */
class NettyOpenSslTlsTest extends TlsContract {
    private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

    @Override protected TransportHarness newHarness() { return new NettyHarness(); }

    @Override protected TlsEngineProvider serverEngine() { return openssl; }

    @Override protected TlsEngineProvider clientEngine() { return openssl; }

    @Test
    void a_handshake_gives_the_delegated_task_executor_nothing_to_run_on_either_side() throws Exception {
        // vconn-server's --tls-delegated-tasks therefore changes nothing with this engine (docs/server.md, TLS).
        AtomicInteger tasks = new AtomicInteger();
        Executor counting = task -> {
            tasks.incrementAndGet();
            task.run();
        };
        Tls c = tlsConnect(tlsServer().delegatedTaskExecutor(counting).build(),
                tlsClient().delegatedTaskExecutor(counting).build(), "localhost");
        c.client().handshake().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        c.server().handshake().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, tasks.get());
        c.client().close();
        c.server().close();
        await("both engines freed", () -> openssl.openEngines() == 0);
    }

    @Test
    void an_engine_dropped_without_release_is_reported_by_nettys_leak_detector() {
        // Engines of Netty's reference-counted kind: no finalizer per handshake, and a missed release is visible.
        OpenSslTlsEngineProvider own = OpenSslTlsEngineProvider.create();
        AtomicReference<TlsEngineProvider.Engines> engines = new AtomicReference<>();
        serverContext().engine(new TlsEngineProvider() {
            @Override
            public String name() {
                return own.name();
            }

            @Override
            public Engines engines(TlsEngineSettings settings) {
                engines.set(own.engines(settings));
                return engines.get();
            }
        }).build();
        assertEquals(List.of(), LeakRecorder.reports(), "no leak before the planted one");
        plantEngineLeak(engines.get());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (LeakRecorder.reports().isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            // The detector looks at collected engines when it tracks a new one.
            SSLEngine probe = engines.get().newEngine(null, -1);
            engines.get().release(probe);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        List<String> reports = LeakRecorder.reports();
        assertFalse(reports.isEmpty(), "the dropped engine was reported");
        assertTrue(reports.get(0).contains("OpenSslEngine"), reports.get(0));
        // The dropped engine never gave back its hold on the shared context either: once the context is collected
        // that is reported too (when the detector next tracks a context), and must be seen here, not in a later class.
        engines.set(null);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (LeakRecorder.reports().stream().noneMatch(r -> r.contains("OpenSslContext"))
                && System.nanoTime() < deadline) {
            System.gc();
            serverContext().engine(own).build();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        boolean contextReported = LeakRecorder.reports().stream().anyMatch(r -> r.contains("OpenSslContext"));
        LeakRecorder.clear(); // the leaks were on purpose: the class check after this test must not count them
        assertTrue(contextReported, "the context the dropped engine held was reported once collected");
    }

    private static void plantEngineLeak(TlsEngineProvider.Engines engines) {
        SSLEngine leaked = engines.newEngine(null, -1);
        assertFalse(leaked.isOutboundDone());
        // dropped without release()
    }

    @Test
    void every_engine_is_freed_when_its_connection_closes_however_many_connections_there_were() throws Exception {
        TlsContext server = tlsServer().build();
        TlsContext client = tlsClient().build();
        for (int i = 0; i < 50; i++) {
            Tls c = tlsConnect(server, client, "localhost");
            c.client().handshake().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            c.server().handshake().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(2, openssl.openEngines(), "two engines while the connection is open");
            c.client().close();
            c.server().close();
            await("both engines of connection " + i + " freed", () -> openssl.openEngines() == 0);
        }
    }
}
