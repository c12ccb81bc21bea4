package dev.vconn.app.architecture.planted.bad.netty;

import dev.vconn.app.architecture.planted.bad.bench.TransportBenchmark;

/** Violates nothing_depends_on_app_or_bench: an adapter reads its tuning from the benchmarks. */
public class BenchAwareTuning {
    public int bufferSize() {
        return TransportBenchmark.bufferSize();
    }
}
