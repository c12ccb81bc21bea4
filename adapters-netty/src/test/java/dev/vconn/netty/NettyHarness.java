package dev.vconn.netty;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.Capability;
import dev.vconn.ports.contract.RealSocketHarness;
import java.io.IOException;
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
    public Set<Capability> capabilities() {
        Set<Capability> caps = EnumSet.of(Capability.REAL_THREADS, Capability.REGISTERED_CHANNELS,
                Capability.KERNEL_SOCKETS);
        if (transport.ioKind() == IoKind.EPOLL) { // what the capability query must then confirm
            caps.add(Capability.RAW_FD_ADOPTION);
        }
        return caps;
    }

    @Override
    public DescriptorPair descriptorPair() throws IOException {
        List<AutoCloseable> made = new ArrayList<>();
        RawSockets.RawPair pair = RawSockets.connect(made);
        made.forEach(this::closeAfter);
        return new DescriptorPair(pair.fd(), pair.peer());
    }
}
