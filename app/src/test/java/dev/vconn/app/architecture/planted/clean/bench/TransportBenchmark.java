package dev.vconn.app.architecture.planted.clean.bench;

import dev.vconn.app.architecture.planted.clean.domain.IOBuffer;
import dev.vconn.app.architecture.planted.clean.inmemory.InMemoryTransport;
import dev.vconn.app.architecture.planted.clean.netty.NettyTransport;
import dev.vconn.app.architecture.planted.clean.nio.NioTransport;

/** The benchmarks may depend on every module below them. */
public class TransportBenchmark {
    public int run() {
        new IOBuffer().block(8);
        return new NioTransport().name().length() + new NettyTransport().name().length()
                + new InMemoryTransport().name().length();
    }
}
