package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Registering in-memory channels with the network's selectors, and selecting on them. */
class InMemorySelectorTest {
    private final InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
    private final InMemoryNetwork.ChannelPair pair = network.openPair();
    private final Selector selector = network.provider().openSelector();

    @AfterEach
    void close() throws IOException {
        selector.close();
        pair.close();
        assertEquals(0, network.openChannels());
    }

    @Test
    void registration_needs_non_blocking_mode_and_marks_the_channel_registered() throws IOException {
        assertThrows(IllegalBlockingModeException.class, () -> pair.local().register(selector, SelectionKey.OP_READ));
        assertFalse(pair.local().isRegistered());
        pair.local().configureBlocking(false);
        SelectionKey key = pair.local().register(selector, SelectionKey.OP_READ, "att");
        assertTrue(pair.local().isRegistered());
        assertSame(key, pair.local().keyFor(selector));
        assertSame(selector, key.selector());
        assertSame(pair.local(), key.channel());
        assertEquals("att", key.attachment());
        assertEquals(Set.of(key), selector.keys());
        assertThrows(IllegalBlockingModeException.class, () -> pair.local().configureBlocking(true),
                "a registered channel stays non-blocking");
    }

    @Test
    void select_reports_read_when_bytes_arrive_and_write_when_there_is_room() throws IOException {
        pair.local().configureBlocking(false);
        SelectionKey key = pair.local().register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        assertEquals(1, selector.selectNow());
        assertEquals(SelectionKey.OP_WRITE, key.readyOps());
        selector.selectedKeys().clear();

        key.interestOps(SelectionKey.OP_READ);
        assertEquals(0, selector.selectNow(), "nothing to read yet");
        pair.peer().write(ByteBuffer.wrap(new byte[10]));
        assertEquals(1, selector.selectNow());
        assertTrue(key.isReadable());
        assertEquals(Set.of(key), selector.selectedKeys());
        assertThrows(UnsupportedOperationException.class, () -> selector.selectedKeys().add(key));
        pair.local().read(ByteBuffer.allocate(100));

        selector.selectedKeys().clear();
        assertEquals(0, selector.selectNow());
        pair.peer().shutdownOutput();
        assertEquals(1, selector.selectNow(), "end of stream is readable");
    }

    @Test
    void a_blocking_select_wakes_up_when_a_peer_writes_from_another_thread() throws Exception {
        pair.local().configureBlocking(false);
        SelectionKey key = pair.local().register(selector, SelectionKey.OP_READ);
        CompletableFuture<Integer> selected = CompletableFuture.supplyAsync(() -> {
            try {
                return selector.select();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        pair.peer().write(ByteBuffer.wrap(new byte[1]));
        assertEquals(1, selected.get(10, TimeUnit.SECONDS));
        assertTrue(key.isReadable());
    }

    @Test
    void wakeup_makes_the_next_select_return_at_once() throws IOException {
        pair.local().configureBlocking(false);
        pair.local().register(selector, SelectionKey.OP_READ);
        selector.wakeup();
        assertEquals(0, selector.select(), "returns at once, nothing selected");
        assertEquals(0, selector.select(1), "a timed select times out");
    }

    @Test
    void a_cancelled_key_deregisters_the_channel_at_the_next_selection() throws IOException {
        pair.local().configureBlocking(false);
        SelectionKey key = pair.local().register(selector, SelectionKey.OP_READ);
        key.cancel();
        assertFalse(key.isValid());
        assertThrows(CancelledKeyException.class, key::interestOps);
        assertTrue(pair.local().isRegistered(), "still registered until the selector deregisters it");
        selector.selectNow();
        assertFalse(pair.local().isRegistered());
        assertEquals(Set.of(), selector.keys());
        pair.local().configureBlocking(true);
    }

    @Test
    void closing_the_selector_deregisters_its_channels() throws IOException {
        pair.local().configureBlocking(false);
        SelectionKey key = pair.local().register(selector, SelectionKey.OP_READ);
        selector.close();
        assertFalse(key.isValid());
        assertFalse(pair.local().isRegistered());
        assertTrue(pair.local().isOpen());
    }

    @Test
    void foreign_channels_and_foreign_selectors_do_not_mix() throws IOException {
        pair.local().configureBlocking(false);
        try (Selector jdk = Selector.open()) {
            assertThrows(IllegalSelectorException.class, () -> pair.local().register(jdk, SelectionKey.OP_READ));
        }
        InMemoryNetwork other = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = other.openPair()) {
            p.local().configureBlocking(false);
            assertThrows(IllegalSelectorException.class, () -> p.local().register(selector, SelectionKey.OP_READ));
        }
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
                SocketChannel real = SocketChannel.open(server.getLocalAddress())) {
            real.configureBlocking(false);
            assertThrows(IllegalSelectorException.class, () -> real.register(selector, SelectionKey.OP_READ));
        }
    }

    @Test
    void the_provider_makes_unconnected_channels_and_nothing_else() throws IOException {
        try (SocketChannel ch = network.provider().openSocketChannel()) {
            assertTrue(ch instanceof InMemorySocketChannel);
            assertFalse(ch.isConnected());
        }
        assertThrows(UnsupportedOperationException.class, () -> network.provider().openServerSocketChannel());
        assertThrows(UnsupportedOperationException.class, () -> network.provider().openPipe());
        assertThrows(UnsupportedOperationException.class, () -> network.provider().openDatagramChannel());
    }
}
