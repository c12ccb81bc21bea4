package dev.vconn.ports.contract;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A socket channel of a kind no socket transport can drive: it belongs to a selector provider of its own (as an
 * in-memory or third-party channel would) and does its I/O through a real JDK channel, so a test can show that a
 * refused channel is still usable by its caller. It counts its reads, so a test can see which reads a VConn makes.
 */
public final class ForeignSocketChannel extends SocketChannel {
    private final SocketChannel delegate;
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger scatteringReads = new AtomicInteger();
    private final AtomicInteger emptyReads = new AtomicInteger();

    /** A foreign channel doing its I/O through {@code delegate}. */
    public ForeignSocketChannel(SocketChannel delegate) {
        super(new ForeignProvider());
        this.delegate = delegate;
    }

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        delegate.bind(local);
        return this;
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        delegate.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return delegate.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return delegate.supportedOptions();
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        delegate.shutdownInput();
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        delegate.shutdownOutput();
        return this;
    }

    @Override
    public Socket socket() {
        throw new UnsupportedOperationException("no socket adaptor for a foreign channel");
    }

    @Override
    public boolean isConnected() {
        return delegate.isConnected();
    }

    @Override
    public boolean isConnectionPending() {
        return delegate.isConnectionPending();
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        return delegate.connect(remote);
    }

    @Override
    public boolean finishConnect() throws IOException {
        return delegate.finishConnect();
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        return delegate.getRemoteAddress();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = delegate.read(dst);
        reads.incrementAndGet();
        if (n == 0) {
            emptyReads.incrementAndGet();
        }
        return n;
    }

    /** How many read calls were made, plain and scattering (each is a system call on a real channel). */
    public int reads() {
        return reads.get();
    }

    /** How many of the {@link #reads()} were scattering ones ({@code read(ByteBuffer[], int, int)}). */
    public int scatteringReads() {
        return scatteringReads.get();
    }

    /** How many read calls found nothing (EAGAIN on a real non-blocking channel). */
    public int emptyReads() {
        return emptyReads.get();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long n = delegate.read(dsts, offset, length);
        reads.incrementAndGet();
        scatteringReads.incrementAndGet();
        if (n == 0) {
            emptyReads.incrementAndGet();
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return delegate.write(srcs, offset, length);
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return delegate.getLocalAddress();
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        delegate.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        delegate.configureBlocking(block);
    }

    /** A provider that makes nothing: it only gives the foreign channel an identity of its own. */
    private static final class ForeignProvider extends SelectorProvider {
        @Override
        public DatagramChannel openDatagramChannel() {
            throw new UnsupportedOperationException();
        }

        @Override
        public DatagramChannel openDatagramChannel(ProtocolFamily family) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Pipe openPipe() {
            throw new UnsupportedOperationException();
        }

        @Override
        public AbstractSelector openSelector() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ServerSocketChannel openServerSocketChannel() {
            throw new UnsupportedOperationException();
        }

        @Override
        public SocketChannel openSocketChannel() {
            throw new UnsupportedOperationException();
        }
    }
}
