package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.VConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Adopting an already-connected socket ({@link SocketAdopter}, Traffic Server's {@code TSVConnFdCreate}).
 *
 * <ul>
 *   <li>rule 5.1: the adopter checks that the socket is open and connected and switches it to non-blocking; on
 *       success the VConn owns it (closing the VConn closes it) and bytes flow both ways with the peer (reference
 *       Traffic Server statement 2).</li>
 *   <li>semantics.md rule 5.1: on failure it throws a checked {@link AdoptionException} saying why, and the socket is
 *       <b>exactly as it was</b> — open or not as before, the same blocking mode, registered nowhere new — and still
 *       usable by the caller, who closes it (Traffic Server leaves O_NONBLOCK set there, statement 4;
 *       vconn does better). Refused: not connected, closed, already registered with a selector (including a
 *       channel this transport already adopted), a channel kind the transport cannot drive, and any channel once
 *       the transport is closed.</li>
 *   <li>{@code Transport#openResources}: an adopted VConn is listed until it is closed.</li>
 *   <li>Closing the transport while adoptions run: each either completes (its VConn is then closed with the
 *       transport, or by its owner, and closes the channel) or is refused with the channel exactly as it was;
 *       nothing is left registered with a stopped loop, nothing leaks.</li>
 *   <li>{@code SocketAdopter#supportsFileDescriptors()} says whether raw descriptors can be adopted; where it
 *       says true an adopted descriptor carries bytes both ways and is closed with its VConn, where it says false
 *       {@code adoptFileDescriptor} throws {@link UnsupportedOperationException} naming the query.</li>
 * </ul>
 *
 * <p>Refusal messages are checked for a word saying why: "connect" (not connected), "closed", "registered",
 * "closed" or "shut" (transport closed), and for a foreign kind one of "kind", "type", "support" or the channel's
 * class name.
 */
public abstract class AdoptionContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(61);
    private static final BytePattern DOWN = new BytePattern(62);

    /** What a refused adoption must leave unchanged. */
    record ChannelState(boolean open, boolean blocking, boolean registered) {
        static ChannelState of(SocketChannel channel) {
            return new ChannelState(channel.isOpen(), channel.isBlocking(), channel.isRegistered());
        }
    }

    private SocketAdopter adopter() {
        return transport.socketAdopter();
    }

    @Test
    void an_adopted_channel_becomes_an_open_non_blocking_vconn_and_bytes_flow_both_ways_with_the_peer()
            throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        assertTrue(p.local().isBlocking(), "the harness hands over a blocking channel");
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        assertTrue(vc.isOpen());
        assertEquals(CloseState.OPEN, vc.closeState());
        assertFalse(p.local().isBlocking(), "docs/semantics.md rule 5.1: adoption switches the socket to non-blocking");
        assertTrue(p.local().isOpen());
        assertTrue(transport.eventLoops().contains(vc.eventLoop()), "pinned to one of the transport's loops");

        int n = 20_000;
        Sent out = send(vc, UP, 0, n);
        byte[] got = peerRead(p.peer(), n);
        UP.check(got, n, 0);
        await("WRITE_COMPLETE", () -> out.recorder().saw(WRITE_COMPLETE));

        Reading in = postRead(vc, n);
        peerWrite(p.peer(), DOWN.bytes(0, n));
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE));
        assertReadyThenComplete(in.recorder().entries(), dev.vconn.domain.Event.READ_READY, READ_COMPLETE, n);
        assertEquals(n, in.drain(DOWN, 0));
    }

    @Test
    void an_adopted_vconn_reports_the_channels_addresses() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        SocketAddress local = p.local().getLocalAddress();
        SocketAddress remote = p.local().getRemoteAddress();
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        assertEquals(remote, vc.remoteAddress());
        assertEquals(local, vc.localAddress());
    }

    @Test
    void closing_the_vconn_closes_the_channel_and_the_peer_sees_end_of_stream() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        VConn vc = adopter().adopt(p.local());
        vc.close();
        await("the VConn closes the channel it owns", () -> !p.local().isOpen());
        p.peer().configureBlocking(false);
        ByteBuffer one = ByteBuffer.allocate(1);
        await("end of stream at the peer", () -> readOrThrow(p.peer(), one) < 0);
    }

    @Test
    void the_peer_closing_gives_the_vconns_reader_eos() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        Reading in = postRead(vc, Long.MAX_VALUE);
        peerWrite(p.peer(), UP.bytes(0, 500));
        await("500 bytes", () -> in.vio().ndone() == 500);
        p.peer().close();
        await("EOS", () -> in.recorder().saw(EOS));
        assertEquals(500, in.drain(UP, 0));
    }

    @Test
    void eos_already_waiting_at_an_adopted_channel_comes_once_to_a_reader_that_reenables_inside_read_ready()
            throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        peerWrite(p.peer(), UP.bytes(0, 5000));
        p.peer().shutdownOutput();
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        settle();
        assertEosOnceWhenTheReaderReenablesInsideReadReady(vc, UP, 5000);
    }

    @Test
    void eos_already_waiting_at_an_adopted_raw_descriptor_comes_once_to_a_reader_that_reenables_inside_read_ready()
            throws Exception {
        requires(Capability.RAW_FD_ADOPTION);
        TransportHarness.DescriptorPair p = harness.descriptorPair();
        closeAfter(p.peer());
        VConn vc = adopter().adoptFileDescriptor(p.fd());
        closeAfter(vc::close);
        peerWrite(p.peer(), UP.bytes(0, 5000));
        p.peer().shutdownOutput();
        settle();
        assertEosOnceWhenTheReaderReenablesInsideReadReady(vc, UP, 5000);
    }

    @Test
    void an_adopted_vconn_is_listed_as_open_until_it_is_closed() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        assertEquals(List.of(), transport.openResources());
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        assertTrue(transport.openResources().stream().anyMatch(r -> r.kind().equals("vconn")),
                () -> "the adopted VConn is listed: " + transport.openResources());
        vc.close();
        await("the list empties once the close is processed", () -> transport.openResources().isEmpty());
    }

    @Test
    void an_unconnected_channel_is_refused_and_left_exactly_as_it_was() throws Exception {
        SocketChannel ch = closeAfter(harness.unconnectedChannel());
        AdoptionException e = assertRefusedUnchanged(ch);
        assertMentions(e, "connect");
        assertTrue(ch.isOpen(), "the caller still owns it");
    }

    @Test
    void a_closed_channel_is_refused() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        p.local().close();
        AdoptionException e = assertRefusedUnchanged(p.local());
        assertMentions(e, "closed");
    }

    @Test
    void a_channel_registered_elsewhere_is_refused_left_as_it_was_and_still_usable() throws Exception {
        requires(Capability.REGISTERED_CHANNELS);
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.local());
        closeAfter(p.peer());
        harness.registerElsewhere(p.local());
        assertTrue(p.local().isRegistered());
        AdoptionException e = assertRefusedUnchanged(p.local());
        assertMentions(e, "registered");
        assertStillUsable(p);
    }

    @Test
    void a_channel_already_adopted_is_refused_and_the_first_vconn_is_unaffected() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.peer());
        VConn vc = adopter().adopt(p.local());
        closeAfter(vc::close);
        AdoptionException e = assertRefusedUnchanged(p.local());
        assertMentions(e, "registered", "adopted", "owned");
        assertTrue(vc.isOpen());
        Reading in = postRead(vc, 100);
        peerWrite(p.peer(), UP.bytes(0, 100));
        await("the first VConn still reads", () -> in.recorder().saw(READ_COMPLETE));
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void a_channel_of_a_foreign_kind_is_refused_left_as_it_was_and_still_usable() throws Exception {
        TransportHarness.ChannelPair p = harness.foreignChannelPair();
        Assumptions.assumeTrue(p != null, () -> "skipped: transport '" + transport.name()
                + "' adopts every SocketChannel kind, so no foreign channel exists");
        closeAfter(p.local());
        closeAfter(p.peer());
        AdoptionException e = assertRefusedUnchanged(p.local());
        assertMentions(e, "kind", "type", "support", p.local().getClass().getSimpleName().toLowerCase(Locale.ROOT));
        assertStillUsable(p);
    }

    @Test
    void after_the_transport_is_closed_adoption_is_refused_and_the_channel_stays_the_callers() throws Exception {
        TransportHarness.ChannelPair p = harness.channelPair();
        closeAfter(p.local());
        closeAfter(p.peer());
        SocketAdopter adopter = adopter();
        Transport t = transport;
        t.close();
        AdoptionException e = assertRefusedUnchanged(p.local(), adopter);
        assertMentions(e, "closed", "shut");
        assertStillUsable(p);
    }

    @Test
    void a_raw_descriptor_is_adopted_and_echoes_where_the_capability_query_says_so_and_refused_clearly_elsewhere()
            throws Exception {
        SocketAdopter adopter = adopter();
        boolean capable = harness.capabilities().contains(Capability.RAW_FD_ADOPTION);
        assertEquals(capable, adopter.supportsFileDescriptors(), "the capability query tells the truth");
        if (!capable) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> adopter.adoptFileDescriptor(-1));
            assertTrue(e.getMessage().contains("supportsFileDescriptors()"),
                    () -> "the refusal names the capability query: " + e.getMessage());
            assertEquals(List.of(), transport.openResources(), "nothing was made");
            return;
        }
        TransportHarness.DescriptorPair p = harness.descriptorPair();
        closeAfter(p.peer());
        VConn vc = adopter.adoptFileDescriptor(p.fd());
        closeAfter(vc::close);
        assertTrue(vc.isOpen());
        assertTrue(transport.eventLoops().contains(vc.eventLoop()), "pinned to one of the transport's loops");
        assertEquals(p.peer().getLocalAddress(), vc.remoteAddress());

        int n = 20_000;
        Sent out = send(vc, UP, 0, n);
        UP.check(peerRead(p.peer(), n), n, 0);
        await("WRITE_COMPLETE", () -> out.recorder().saw(WRITE_COMPLETE));
        Reading in = postRead(vc, n);
        peerWrite(p.peer(), DOWN.bytes(0, n));
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE));
        assertEquals(n, in.drain(DOWN, 0));
        vc.close();
        p.peer().configureBlocking(false);
        ByteBuffer one = ByteBuffer.allocate(1);
        await("closing the VConn closes the descriptor: end of stream at the peer",
                () -> readOrThrow(p.peer(), one) < 0);
    }

    @Test
    void closing_the_transport_during_adoptions_leaves_each_channel_adopted_or_refused_exactly_as_it_was()
            throws Exception {
        int perThread = harness.capabilities().contains(Capability.REAL_THREADS) ? 30 : 10;
        List<List<TransportHarness.ChannelPair>> work = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            List<TransportHarness.ChannelPair> pairs = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                TransportHarness.ChannelPair p = harness.channelPair();
                closeAfter(p.peer());
                pairs.add(p);
            }
            work.add(pairs);
        }
        Map<SocketChannel, VConn> adopted = new ConcurrentHashMap<>();
        Map<SocketChannel, ChannelState> refused = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch firstAdopted = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        SocketAdopter adopter = adopter();
        for (List<TransportHarness.ChannelPair> pairs : work) {
            Thread thread = new Thread(() -> {
                try {
                    for (TransportHarness.ChannelPair p : pairs) {
                        try {
                            adopted.put(p.local(), adopter.adopt(p.local()));
                            firstAdopted.countDown();
                        } catch (AdoptionException e) {
                            refused.put(p.local(), ChannelState.of(p.local()));
                            closeAfter(p.local());
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    finished.incrementAndGet();
                }
            }, "contract-adopter");
            thread.setDaemon(true);
            thread.start();
        }
        await("a first adoption", () -> firstAdopted.getCount() == 0 || finished.get() == work.size());
        transport.close(Duration.ZERO); // owners get no time: whatever was adopted is closed by the transport
        await("every adoption returned", () -> finished.get() == work.size());
        assertNull(failure.get(), () -> "an adoption failed in an undocumented way: " + failure.get());
        assertEquals(2 * perThread, adopted.size() + refused.size(), "each adoption either succeeded or was refused");
        assertFalse(adopted.isEmpty(), "adoptions before the close succeed");
        ChannelState untouched = new ChannelState(true, true, false);
        refused.forEach((channel, state) -> assertEquals(untouched, state,
                "a refused channel is exactly as it was (open, blocking, registered nowhere): " + channel));
        for (VConn vc : adopted.values()) {
            vc.close(); // harmless where the transport closed it already; the in-memory transport leaves it open
        }
        for (SocketChannel channel : adopted.keySet()) {
            await("an adopted channel is closed with its VConn", () -> !channel.isOpen());
        }
        if (!refused.isEmpty()) {
            SocketChannel channel = refused.keySet().iterator().next();
            TransportHarness.ChannelPair p = work.stream().flatMap(List::stream)
                    .filter(pair -> pair.local() == channel).findFirst().orElseThrow();
            assertStillUsable(p);
        }
    }

    private AdoptionException assertRefusedUnchanged(SocketChannel channel) {
        return assertRefusedUnchanged(channel, adopter());
    }

    private static AdoptionException assertRefusedUnchanged(SocketChannel channel, SocketAdopter adopter) {
        ChannelState before = ChannelState.of(channel);
        AdoptionException e = assertThrows(AdoptionException.class, () -> adopter.adopt(channel));
        assertNotNull(e.getMessage(), "a refusal says why");
        assertFalse(e.getMessage().isBlank(), "a refusal says why");
        assertEquals(before, ChannelState.of(channel),
                "semantics.md rule 5.1: a refused socket is exactly as it was (open, blocking mode, registration)");
        return e;
    }

    private static void assertMentions(AdoptionException e, String... anyOf) {
        String message = e.getMessage().toLowerCase(Locale.ROOT);
        for (String word : anyOf) {
            if (message.contains(word)) {
                return;
            }
        }
        throw new AssertionError("the refusal should say why (one of " + List.of(anyOf) + "): " + e.getMessage());
    }

    /** The caller can still talk through a refused channel: 1000 bytes each way. */
    private void assertStillUsable(TransportHarness.ChannelPair p) throws IOException {
        assertTrue(p.local().isOpen());
        if (p.local().isBlocking()) {
            p.local().configureBlocking(false);
        }
        peerWrite(p.local(), UP.bytes(0, 1000));
        assertArrayEquals(UP.bytes(0, 1000), peerRead(p.peer(), 1000), "caller to peer");
        peerWrite(p.peer(), DOWN.bytes(0, 1000));
        assertArrayEquals(DOWN.bytes(0, 1000), peerRead(p.local(), 1000), "peer to caller");
    }

    /** Reads exactly {@code n} bytes from {@code ch} (switched to non-blocking) within a bounded wait. */
    private byte[] peerRead(SocketChannel ch, int n) throws IOException {
        if (ch.isBlocking()) {
            ch.configureBlocking(false);
        }
        ByteBuffer bb = ByteBuffer.allocate(n);
        await(n + " bytes at " + ch, () -> {
            if (readOrThrow(ch, bb) < 0 && bb.hasRemaining()) {
                throw new AssertionError("end of stream after " + bb.position() + " of " + n + " bytes");
            }
            return !bb.hasRemaining();
        });
        return bb.array();
    }

    /** Writes all of {@code data} to {@code ch} (switched to non-blocking) within a bounded wait. */
    private void peerWrite(SocketChannel ch, byte[] data) throws IOException {
        if (ch.isBlocking()) {
            ch.configureBlocking(false);
        }
        ByteBuffer bb = ByteBuffer.wrap(data);
        await(data.length + " bytes written to " + ch, () -> {
            try {
                ch.write(bb);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return !bb.hasRemaining();
        });
    }

    private static int readOrThrow(SocketChannel ch, ByteBuffer bb) {
        try {
            return ch.read(bb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
