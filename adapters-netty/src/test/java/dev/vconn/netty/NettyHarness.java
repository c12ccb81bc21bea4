package dev.vconn.netty;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.Capability;
import dev.vconn.ports.contract.RealSocketHarness;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Runs the contract kit on the Netty transport over real loopback sockets: epoll where available (the default),
 * or Netty's NIO transport when made with {@code forceNio}. Netty's leak detector records into
 * {@link LeakRecorder}, checked after every test class.
 */
public class NettyHarness extends RealSocketHarness {
    static {
        LeakRecorder.install();
    }

    private final NettyTransport transport;
    private final List<AutoCloseable> peers = new ArrayList<>();

    /** A harness on the default transport (epoll where available). */
    public NettyHarness() {
        this(false);
    }

    /** A harness on NIO if {@code forceNio}, else on the default transport. */
    public NettyHarness(boolean forceNio) {
        transport = new NettyTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(new BlockPool()),
                NettyOptions.defaults().withForceNio(forceNio));
    }

    @Override
    public NettyTransport transport() {
        return transport;
    }

    @Override
    public AdoptedDescriptor adoptRawDescriptor() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(peers);
        try {
            return new AdoptedDescriptor(transport.adoptFd(pair.fd()), pair.peer());
        } catch (RuntimeException | dev.vconn.ports.AdoptionException e) {
            pair.socket().close();
            throw e;
        }
    }

    @Override
    public void close() {
        for (AutoCloseable peer : peers) {
            try {
                peer.close();
            } catch (Exception ignored) {
                // best effort: the test may have closed it already
            }
        }
        super.close();
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.REAL_THREADS, Capability.REGISTERED_CHANNELS,
                Capability.KERNEL_SOCKETS);
        if (transport.supportsRawFdAdoption()) {
            caps.add(Capability.RAW_FD_ADOPTION);
        }
        return caps;
    }
}
