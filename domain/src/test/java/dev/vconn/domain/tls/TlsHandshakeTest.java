package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.testing.EventLog;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Handshakes over an in-process pair: both ways, session facts, delegated tasks. */
class TlsHandshakeTest extends TlsFixture {

    @Test
    void a_request_and_a_response_cross_the_tls_connection_both_ways() {
        Conn c = connect();
        Collector atServer = new Collector(c.server(), 5);
        EventLog clientWrite = new EventLog();
        send(c.client(), clientWrite, "hello");
        run();
        assertEquals("hello", atServer.text.toString());
        assertEquals(Event.READ_COMPLETE, atServer.log.last().event());

        Collector atClient = new Collector(c.client(), 3);
        send(c.server(), new EventLog(), "ack");
        run();
        assertEquals("ack", atClient.text.toString());
        assertEquals(Event.READ_COMPLETE, atClient.log.last().event());
        assertEquals(Event.WRITE_COMPLETE, clientWrite.last().event());

        TlsSessionInfo client = c.client().sessionInfo().orElseThrow();
        TlsSessionInfo server = c.server().sessionInfo().orElseThrow();
        assertEquals("TLSv1.3", client.protocol());
        assertEquals(client.cipherSuite(), server.cipherSuite());
        assertEquals("http/1.1", client.applicationProtocol());
        assertEquals("http/1.1", server.applicationProtocol());
        assertEquals("localhost", server.serverName());
        assertEquals("localhost", client.serverName());
        assertEquals("CN=localhost", client.peerSubject());
        assertTrue(server.peerCertificates().isEmpty(), "no client certificate was asked for");
        assertTrue(delegatedTasks.get() > 0, "the engine's delegated tasks ran on the given executor");
        assertTrue(c.client().handshake().isDone());
        assertFalse(c.client().handshake().isCompletedExceptionally());
    }

    @Test
    void delegated_tasks_run_on_the_executor_thread_and_the_handshake_resumes_on_the_loop() throws Exception {
        ExecutorService tasks = Executors.newSingleThreadExecutor(r -> new Thread(r, "tls-delegated"));
        Set<String> taskThreads = ConcurrentHashMap.newKeySet();
        Executor recording = task -> tasks.execute(() -> {
            taskThreads.add(Thread.currentThread().getName());
            task.run();
        });
        try {
            Conn c = connect(clientContext().delegatedTaskExecutor(recording).build(),
                    serverContext().delegatedTaskExecutor(recording).build(), "localhost");
            Thread loopThread = Thread.currentThread(); // the virtual loop runs on the thread that drives it
            Set<String> completedOn = ConcurrentHashMap.newKeySet();
            c.server().handshake().thenRun(() -> completedOn.add(Thread.currentThread().getName()));
            Collector atServer = new Collector(c.server(), 2);
            send(c.client(), new EventLog(), "ok");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (atServer.log.count(Event.READ_COMPLETE) == 0 && System.nanoTime() < deadline) {
                loop.runReady(); // tasks finish on their own thread and post the resumption to the loop
                Thread.onSpinWait();
            }
            assertEquals("ok", atServer.text.toString());
            assertEquals(Set.of("tls-delegated"), taskThreads, "tasks ran only on the executor");
            assertEquals(Set.of(loopThread.getName()), completedOn, "the handshake finished on the loop");
            assertTrue(atServer.log.lockViolation() == null);
        } finally {
            tasks.shutdown();
            assertTrue(tasks.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
