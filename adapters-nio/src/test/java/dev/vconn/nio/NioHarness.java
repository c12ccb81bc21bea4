package dev.vconn.nio;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.Capability;
import dev.vconn.ports.contract.RealSocketHarness;
import java.util.EnumSet;
import java.util.Set;

/** Runs the contract kit on the java.nio transport over real loopback sockets. */
public final class NioHarness extends RealSocketHarness {
    private final NioTransport transport =
            new NioTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(new BlockPool()));

    @Override
    public NioTransport transport() {
        return transport;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.REAL_THREADS, Capability.REGISTERED_CHANNELS, Capability.KERNEL_SOCKETS);
    }
}
