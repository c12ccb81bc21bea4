package dev.vconn.bench;

import dev.vconn.bench.support.Sources;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * IOBuffer operations in steady state, each followed by the consume that keeps the buffer from growing, on the
 * direct block pool every transport uses by default. The target is 0 B/op ({@code gc.alloc.rate.norm}). There is no
 * {@code transport} parameter: no transport is involved, and every transport's pool is this same
 * {@code BlockPool}.
 * <ul>
 *   <li>{@code writeThenConsume}: {@code write(byte[])} of {@code size} bytes (a copy into pooled blocks), then
 *       {@code consume(size)};</li>
 *   <li>{@code zeroCopyThenConsume}: {@code write(reader, size)}, which shares the source's blocks by reference,
 *       then {@code consume(size)};</li>
 *   <li>{@code writeThenRead}: {@code write(byte[])}, then {@code read(byte[])}, which consumes while copying out.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class IOBufferBenchmark {
    /** Bytes per operation: within one 32 KiB block, and spanning two. */
    @Param({"1024", "65536"})
    public int size;

    private BlockPool pool;
    private byte[] src;
    private byte[] dst;
    private IOBuffer buffer;
    private IOBufferReader reader;
    private IOBuffer source;
    private IOBufferReader sourceReader;
    private IOBuffer copy;
    private IOBufferReader copyReader;

    /** Buffers with one reader each; the zero-copy source holds {@code size} bytes for the whole trial. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        src = Sources.pattern(size);
        dst = new byte[size];
        buffer = new IOBuffer(pool);
        reader = buffer.allocReader();
        source = new IOBuffer(pool);
        sourceReader = source.allocReader();
        source.write(src);
        copy = new IOBuffer(pool);
        copyReader = copy.allocReader();
    }

    /** Copy in, then consume. */
    @Benchmark
    public long writeThenConsume() {
        buffer.write(src, 0, size);
        reader.consume(size);
        return reader.readAvail();
    }

    /** Share by reference, then consume. */
    @Benchmark
    public long zeroCopyThenConsume() {
        copy.write(sourceReader, size);
        copyReader.consume(size);
        return copyReader.readAvail();
    }

    /** Copy in, then copy out (which consumes). */
    @Benchmark
    public int writeThenRead() {
        buffer.write(src, 0, size);
        return reader.read(dst, 0, size);
    }

    /** Returns every block to the pool and checks that nothing is left outstanding. */
    @TearDown(Level.Trial)
    public void tearDown() {
        buffer.close();
        source.close();
        copy.close();
        if (pool.outstanding() != 0) {
            throw new IllegalStateException("blocks left outstanding: " + pool);
        }
    }
}
