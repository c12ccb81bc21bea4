package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The contract kit's TLS section on epoll with the openssl engine on both sides, and the engines' native memory:
 * every engine is freed when its connection is released.
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
