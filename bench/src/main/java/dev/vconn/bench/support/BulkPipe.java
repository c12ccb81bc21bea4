package dev.vconn.bench.support;

/** Something that moves bytes from one end to another for a throughput benchmark. */
public interface BulkPipe extends AutoCloseable {
    /** Moves {@code bytes} more and returns once the receiving end has taken all of them. */
    void transfer(long bytes);

    @Override
    void close();
}
