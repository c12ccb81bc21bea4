package dev.vconn.app.architecture.planted.bad.bench;

/** The planted benchmarks. */
public class TransportBenchmark {
    public static int bufferSize() {
        return 32 * 1024;
    }
}
