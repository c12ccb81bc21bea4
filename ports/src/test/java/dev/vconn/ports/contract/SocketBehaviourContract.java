package dev.vconn.ports.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sockets a transport adopts behave as Linux TCP sockets, step by step, on the channels themselves: the
 * kernel's loopback sockets for nio and Netty, the in-memory channels for the in-memory transport, which must
 * predict what Linux does (docs/inmemory-adapter.md). Every case uses {@link TransportHarness#channelPair()}
 * and plain {@link SocketChannel} calls, so the same steps run on both.
 *
 * <ul>
 *   <li>{@code shutdownInput} sends nothing: the peer's writes are still taken.</li>
 *   <li>A close with nothing unread is a FIN: the peer reads end of stream, its first write after the close is
 *       taken, a later one fails with EPIPE ("Broken pipe").</li>
 *   <li>A close with bytes unread (also after {@code shutdownInput}) or with {@code SO_LINGER} 0 is a reset: the
 *       peer reads the bytes sent before it, then ECONNRESET; its writes fail.</li>
 *   <li>A connect to an address where nothing listens is refused ({@link ConnectException}).</li>
 * </ul>
 */
public abstract class SocketBehaviourContract extends TransportContract {
    private static final BytePattern DATA = new BytePattern(71);

    @Test
    void after_the_peer_shuts_down_its_input_writes_are_still_taken_and_the_peer_reads_end_of_stream()
            throws Exception {
        TransportHarness.ChannelPair p = pair();
        p.peer().shutdownInput();
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)));
        ByteBuffer data = ByteBuffer.wrap(DATA.bytes(0, 32 * 1024));
        await("32 KiB taken by a peer that shut down its input", () -> {
            write(p.local(), data);
            return !data.hasRemaining();
        });
        clockPasses(QUIET);
        assertTrue(write(p.local(), ByteBuffer.wrap(DATA.bytes(0, 1))) >= 0, "and no error follows");
    }

    @Test
    void a_close_with_nothing_unread_gives_end_of_stream_takes_the_first_write_then_fails_with_a_broken_pipe()
            throws Exception {
        TransportHarness.ChannelPair p = pair();
        p.peer().close();
        await("end of stream", () -> read(p.local(), ByteBuffer.allocate(10)) == -1);
        assertEquals(10, write(p.local(), ByteBuffer.wrap(DATA.bytes(0, 10))), "the first write is taken");
        AtomicReference<IOException> failure = new AtomicReference<>();
        await("a later write fails", () -> {
            try {
                p.local().write(ByteBuffer.wrap(DATA.bytes(0, 10)));
                return false;
            } catch (IOException e) {
                failure.set(e);
                return true;
            }
        });
        assertTrue(failure.get().getMessage().contains("Broken pipe"), () -> "EPIPE: " + failure.get());
        assertEquals(-1, read(p.local(), ByteBuffer.allocate(10)), "reads still see the FIN");
    }

    @Test
    void a_close_with_bytes_unread_resets_the_peer_which_reads_the_bytes_sent_before_then_the_reset()
            throws Exception {
        TransportHarness.ChannelPair p = pair();
        p.peer().write(ByteBuffer.wrap(DATA.bytes(0, 100)));
        write(p.local(), ByteBuffer.wrap(DATA.bytes(0, 50)));
        clockPasses(QUIET); // the bytes have arrived at both ends
        p.peer().close(); // the peer never read the 50 bytes
        assertBytesThenReset(p.local(), 100);
        assertWriteFails(p.local());
    }

    @Test
    void a_close_after_shutdown_input_with_bytes_unread_resets_the_writer() throws Exception {
        TransportHarness.ChannelPair p = pair();
        p.peer().shutdownInput();
        write(p.local(), ByteBuffer.wrap(DATA.bytes(0, 100)));
        clockPasses(QUIET);
        p.peer().close();
        assertBytesThenReset(p.local(), 0);
        assertWriteFails(p.local());
    }

    @Test
    void an_abortive_close_resets_the_peer_which_reads_the_bytes_sent_before_then_the_reset() throws Exception {
        TransportHarness.ChannelPair p = pair();
        p.peer().write(ByteBuffer.wrap(DATA.bytes(0, 100)));
        clockPasses(QUIET);
        p.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
        p.peer().close();
        assertBytesThenReset(p.local(), 100);
        assertWriteFails(p.local());
    }

    @Test
    void a_connect_to_an_address_where_nothing_listens_is_refused() throws Exception {
        SocketChannel ch = closeAfter(harness.unconnectedChannel());
        ConnectException e = assertThrows(ConnectException.class, () -> ch.connect(harness.refusedAddress()));
        assertTrue(String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("refused"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A connected pair in non-blocking mode, both closed after the test. */
    private TransportHarness.ChannelPair pair() throws IOException {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.local());
        closeAfter(p.peer());
        p.local().configureBlocking(false);
        p.peer().configureBlocking(false);
        return p;
    }

    /** Reads exactly {@code n} bytes of the pattern, then waits for the reset ("reset" in the message). */
    private void assertBytesThenReset(SocketChannel ch, int n) {
        ByteBuffer got = ByteBuffer.allocate(n);
        AtomicReference<IOException> failure = new AtomicReference<>();
        await(n + " bytes, then a reset", () -> {
            try {
                int r = ch.read(got.hasRemaining() ? got : ByteBuffer.allocate(16));
                if (r == -1) {
                    throw new AssertionError("end of stream instead of a reset after " + got.position() + " bytes");
                }
                return false;
            } catch (IOException e) {
                failure.set(e);
                return true;
            }
        });
        assertEquals(n, got.position(), "the bytes sent before the reset are read first");
        DATA.check(got.array(), n, 0);
        assertTrue(String.valueOf(failure.get().getMessage()).toLowerCase(Locale.ROOT).contains("reset"),
                () -> "ECONNRESET: " + failure.get());
    }

    /** A write fails with ECONNRESET or EPIPE. */
    private void assertWriteFails(SocketChannel ch) {
        IOException e = assertThrows(IOException.class, () -> ch.write(ByteBuffer.wrap(DATA.bytes(0, 10))));
        String message = String.valueOf(e.getMessage());
        assertTrue(message.contains("reset") || message.contains("Broken pipe"), message);
    }

    private static int write(SocketChannel ch, ByteBuffer data) {
        try {
            return ch.write(data);
        } catch (IOException e) {
            throw new AssertionError("write failed: " + e, e);
        }
    }

    private static int read(SocketChannel ch, ByteBuffer into) {
        try {
            return ch.read(into);
        } catch (IOException e) {
            throw new AssertionError("read failed: " + e, e);
        }
    }
}
