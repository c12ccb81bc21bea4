package dev.vconn.inmemory;

import dev.vconn.inmemory.internal.Pipe;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link SocketChannel} of an {@link InMemoryNetwork}: a real {@code java.nio} channel, so code written for
 * sockets (adoption included) runs unchanged, but its bytes never leave the JVM.
 *
 * <p>Made connected in pairs ({@link InMemoryNetwork#openPair}), by accepting on an in-memory listener
 * ({@link InMemoryNetwork#listen}), or unconnected ({@link InMemoryNetwork#openChannel()}) and then
 * {@link #connect connected} to a listening in-memory address.
 *
 * <p>Behaviour, as a Linux TCP socket's (docs/inmemory-adapter.md lists each case with the Linux behaviour it
 * follows):
 * <ul>
 *   <li>Blocking mode (the default): a read waits until at least one byte, end of stream or an error arrives; a write
 *       returns only once every byte was taken, waiting for room. Non-blocking mode: a read returns 0 when nothing
 *       has arrived, a write returns 0 when there is no room. Scatter/gather reads and writes are supported.</li>
 *   <li>Each direction holds at most the writer's {@code SO_SNDBUF} bytes written but not yet read (64 KiB by
 *       default), so a writer that outruns its reader is held back.</li>
 *   <li>{@link #shutdownOutput()}: the peer reads end of stream after the bytes already written; this channel's
 *       writes throw {@link ClosedChannelException}. {@link #shutdownInput()}: this channel's reads return -1;
 *       nothing is sent to the peer, whose writes are still taken until this direction is full (the bytes stay
 *       unread).</li>
 *   <li>{@link #close()} with nothing unread: a FIN; the peer reads end of stream after the bytes already written,
 *       its first write after the close is taken (and dropped), and later writes throw
 *       {@code IOException("Broken pipe")}.</li>
 *   <li>{@link #close()} with bytes unread (also after {@link #shutdownInput()}), or with {@code SO_LINGER} 0: a
 *       reset. The peer still reads the bytes this channel wrote before, then {@code IOException("Connection reset
 *       by peer")} (end of stream if this channel had shut down its output); its next write throws
 *       {@code IOException("Connection reset by peer")} (or "Broken pipe" if this channel had shut down its
 *       output), later ones "Broken pipe".</li>
 *   <li>Options {@code SO_SNDBUF}, {@code SO_RCVBUF}, {@code TCP_NODELAY}, {@code SO_KEEPALIVE} and {@code SO_LINGER}
 *       are stored; {@code SO_SNDBUF} is the in-flight bound of this channel's output, {@code SO_LINGER == 0} makes
 *       {@code close} abortive, the others have no effect.</li>
 *   <li>Addresses are {@link InetSocketAddress}es handed out by the network (127.0.0.1 and a port from its
 *       counter).</li>
 *   <li>It registers with selectors of its network's {@link InMemorySelectorProvider} only.</li>
 * </ul>
 * Faults are injected per direction by the {@link FaultPlan}s the connection was made with ({@link #inputFaults()},
 * {@link #outputFaults()}).
 *
 * <p>A {@link ReadinessListener} (set by the transport that adopts the channel) hears about every change without
 * polling.
 */
public final class InMemorySocketChannel extends SocketChannel {
    /** The default {@code SO_SNDBUF} and {@code SO_RCVBUF}: 64 KiB. */
    public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

    private static final Set<SocketOption<?>> OPTIONS = Set.of(StandardSocketOptions.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_KEEPALIVE,
            StandardSocketOptions.SO_LINGER);

    private enum State { UNCONNECTED, PENDING, CONNECTED, CLOSED }

    /**
     * Hears about changes of a channel's readiness. Called on the thread that made the change (a writing or closing
     * peer, or the network's loop when delayed bytes arrive), never while the channel's internal locks are held;
     * implementations must be quick and must not block.
     */
    public interface ReadinessListener {
        /** Bytes, end of stream, a reset or an error arrived on the input: a read may not return 0 now. */
        void inputReady();

        /** Room was freed on the output, or the output broke: a write may not return 0 now. */
        void outputReady();

        /**
         * A listener from two callbacks.
         *
         * @param input  runs on {@link #inputReady()}
         * @param output runs on {@link #outputReady()}
         * @return the listener
         */
        static ReadinessListener of(Runnable input, Runnable output) {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            return new ReadinessListener() {
                @Override
                public void inputReady() {
                    input.run();
                }

                @Override
                public void outputReady() {
                    output.run();
                }
            };
        }
    }

    private final InMemoryNetwork network;
    private final Object stateLock = new Object();
    private final List<Runnable> watchers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean owned = new AtomicBoolean();

    private volatile State state = State.UNCONNECTED;
    private volatile InetSocketAddress localAddress;
    private volatile InetSocketAddress remoteAddress;
    private volatile Pipe in;
    private volatile Pipe out;
    private volatile FaultPlan inFaults = FaultPlan.NONE;
    private volatile FaultPlan outFaults = FaultPlan.NONE;
    private volatile boolean inputShut;
    private volatile boolean outputShut;
    private volatile ReadinessListener listener;

    private volatile int sendBuffer = DEFAULT_BUFFER_SIZE;
    private volatile int receiveBuffer = DEFAULT_BUFFER_SIZE;
    private volatile boolean noDelay;
    private volatile boolean keepAlive;
    private volatile int linger = -1;

    InMemorySocketChannel(InMemoryNetwork network) {
        super(network.provider());
        this.network = network;
    }

    /** Connects this channel to {@code peer}: called by the network, before anyone else sees either channel. */
    void attach(Pipe input, Pipe output, FaultPlan inputFaults, FaultPlan outputFaults, InetSocketAddress local,
            InetSocketAddress remote) {
        synchronized (stateLock) {
            this.in = input;
            this.out = output;
            this.inFaults = inputFaults;
            this.outFaults = outputFaults;
            this.localAddress = local;
            this.remoteAddress = remote;
            input.setReaderWakeup(this::inputChanged);
            output.setWriterWakeup(this::outputChanged);
            if (state != State.CLOSED) {
                state = State.CONNECTED;
            }
            stateLock.notifyAll();
        }
    }

    /** Marks this channel as owned by a VConn; false if it already was. */
    boolean claim() {
        return owned.compareAndSet(false, true);
    }

    /** Undoes {@link #claim()} after a failed adoption. */
    void release() {
        owned.set(false);
    }

    /** Whether a VConn owns this channel. */
    boolean isOwned() {
        return owned.get();
    }

    int sendBufferSize() {
        return sendBuffer;
    }

    // ---------------------------------------------------------------------------------------------------------
    // In-memory specifics

    /**
     * The network this channel belongs to.
     *
     * @return the network
     */
    public InMemoryNetwork network() {
        return network;
    }

    /**
     * The faults of the bytes this channel reads.
     *
     * @return the plan of the peer-to-this direction ({@link FaultPlan#NONE} until connected)
     */
    public FaultPlan inputFaults() {
        return inFaults;
    }

    /**
     * The faults of the bytes this channel writes.
     *
     * @return the plan of the this-to-peer direction ({@link FaultPlan#NONE} until connected)
     */
    public FaultPlan outputFaults() {
        return outFaults;
    }

    /**
     * Sets who hears about readiness changes (one listener; {@code null} removes it). The listener is also told
     * once right away if the channel is already readable or writable.
     *
     * @param listener the listener, or {@code null}
     */
    public void setReadinessListener(ReadinessListener listener) {
        this.listener = listener;
        if (listener != null && state == State.CONNECTED) {
            Pipe i = in;
            Pipe o = out;
            if (i.readReady()) {
                listener.inputReady();
            }
            if (o.writeReady()) {
                listener.outputReady();
            }
        }
    }

    /**
     * The operations this channel is ready for now, as {@link SelectionKey} bits ({@code OP_READ} when a read would
     * not return 0, {@code OP_WRITE} when a write would not return 0); 0 when closed or not connected.
     *
     * @return the ready operations
     */
    public int readyOps() {
        if (state != State.CONNECTED) {
            return 0;
        }
        int ops = 0;
        if (in.readReady()) {
            ops |= SelectionKey.OP_READ;
        }
        if (out.writeReady()) {
            ops |= SelectionKey.OP_WRITE;
        }
        return ops;
    }

    void addWatcher(Runnable watcher) {
        watchers.add(watcher);
    }

    void removeWatcher(Runnable watcher) {
        watchers.remove(watcher);
    }

    private void inputChanged() {
        if (state == State.CLOSED) {
            return;
        }
        ReadinessListener l = listener;
        if (l != null) {
            l.inputReady();
        }
        watchers.forEach(Runnable::run);
    }

    private void outputChanged() {
        if (state == State.CLOSED) {
            return;
        }
        ReadinessListener l = listener;
        if (l != null) {
            l.outputReady();
        }
        watchers.forEach(Runnable::run);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Connection

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        synchronized (stateLock) {
            ensureOpen();
            if (state == State.PENDING) {
                throw new ConnectionPendingException();
            }
            if (state == State.CONNECTED || localAddress != null) {
                throw new AlreadyBoundException();
            }
            localAddress = network.bindLocal(local);
        }
        return this;
    }

    @Override
    public boolean isConnected() {
        return state == State.CONNECTED;
    }

    @Override
    public boolean isConnectionPending() {
        return state == State.PENDING;
    }

    /**
     * Connects to an address of this channel's network. A listening address connects at once (so even in
     * non-blocking mode this returns {@code true}); an address nothing listens at is refused with a
     * {@link ConnectException} and the channel is closed; a blackhole address
     * ({@link InMemoryNetwork#blackhole}) never answers: non-blocking, this returns {@code false} and
     * {@link #finishConnect()} keeps returning {@code false}; blocking, this waits until the channel is closed.
     */
    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        InetSocketAddress target = checkAddress(remote);
        synchronized (stateLock) {
            ensureOpen();
            if (state == State.CONNECTED) {
                throw new AlreadyConnectedException();
            }
            if (state == State.PENDING) {
                throw new ConnectionPendingException();
            }
            state = State.PENDING;
        }
        InMemoryNetwork.ConnectResult result;
        try {
            result = network.connect(this, target);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        if (result == InMemoryNetwork.ConnectResult.REFUSED) {
            close();
            throw new ConnectException("Connection refused: nothing listens at " + target + " in the in-memory network");
        }
        if (result == InMemoryNetwork.ConnectResult.CONNECTED || !isBlocking()) {
            return result == InMemoryNetwork.ConnectResult.CONNECTED;
        }
        return awaitConnected();
    }

    /** Blocks until a pending connect completes (blocking mode); closed meanwhile means AsynchronousCloseException. */
    private boolean awaitConnected() throws IOException {
        boolean completed = false;
        begin();
        try {
            synchronized (stateLock) {
                while (state == State.PENDING) {
                    stateLock.wait();
                }
            }
            completed = state == State.CONNECTED;
        } catch (InterruptedException e) {
            completed = true; // so that end() does not replace the exception below with AsynchronousCloseException
            throw closedByInterrupt();
        } finally {
            end(completed);
        }
        if (!completed) {
            throw new AsynchronousCloseException();
        }
        return true;
    }

    /** Gives the connecting channel its local address (or the one it was bound to). */
    InetSocketAddress localForConnect() {
        synchronized (stateLock) {
            if (localAddress == null) {
                localAddress = network.ephemeralAddress();
            }
            return localAddress;
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        State s = state;
        if (s == State.CLOSED) {
            throw new ClosedChannelException();
        }
        if (s == State.CONNECTED) {
            return true;
        }
        if (s == State.UNCONNECTED) {
            throw new NoConnectionPendingException();
        }
        if (!isBlocking()) {
            return false;
        }
        return awaitConnected();
    }

    private static InetSocketAddress checkAddress(SocketAddress address) {
        Objects.requireNonNull(address, "remote");
        if (!(address instanceof InetSocketAddress inet)) {
            throw new UnsupportedAddressTypeException();
        }
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return localAddress;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return state == State.CONNECTED ? remoteAddress : null;
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        ensureConnected();
        if (!inputShut) {
            inputShut = true;
            in.shutdownReader();
        }
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        ensureConnected();
        if (!outputShut) {
            outputShut = true;
            out.shutdownWriter();
        }
        return this;
    }

    /**
     * Not available: an in-memory channel has no {@link Socket} view.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public Socket socket() {
        throw new UnsupportedOperationException(
                "an in-memory channel has no java.net.Socket view; use the channel's own methods and options");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Options

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported by in-memory channels");
        }
        ensureOpen();
        if (name == StandardSocketOptions.SO_SNDBUF || name == StandardSocketOptions.SO_RCVBUF) {
            int size = (Integer) Objects.requireNonNull(value, "value");
            if (size < 0) {
                throw new IllegalArgumentException("Invalid " + name + " value: " + size);
            }
            if (name == StandardSocketOptions.SO_SNDBUF) {
                sendBuffer = Math.max(1, size);
            } else {
                receiveBuffer = Math.max(1, size);
            }
        } else if (name == StandardSocketOptions.TCP_NODELAY) {
            noDelay = (Boolean) Objects.requireNonNull(value, "value");
        } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
            keepAlive = (Boolean) Objects.requireNonNull(value, "value");
        } else {
            int l = (Integer) Objects.requireNonNull(value, "value");
            linger = l < 0 ? -1 : l;
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.contains(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported by in-memory channels");
        }
        ensureOpen();
        Object v;
        if (name == StandardSocketOptions.SO_SNDBUF) {
            v = sendBuffer;
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            v = receiveBuffer;
        } else if (name == StandardSocketOptions.TCP_NODELAY) {
            v = noDelay;
        } else if (name == StandardSocketOptions.SO_KEEPALIVE) {
            v = keepAlive;
        } else {
            v = linger;
        }
        return (T) v;
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS;
    }

    // ---------------------------------------------------------------------------------------------------------
    // I/O

    /**
     * An interrupted blocking operation closes the channel and throws {@link ClosedByInterruptException}, as for a
     * JDK channel. Done here rather than left to the JDK's interruptor: since JDK 25 {@code Thread.interrupt()}
     * wakes the waiting thread before it runs the interruptor, so the waiter can get here first.
     */
    private ClosedByInterruptException closedByInterrupt() throws IOException {
        Thread.currentThread().interrupt();
        close();
        return new ClosedByInterruptException();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        return (int) read(new ByteBuffer[] {dst}, 0, 1);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        ensureOpen();
        ensureConnected();
        if (inputShut) {
            return -1;
        }
        Pipe pipe = in;
        if (!isBlocking()) {
            return pipe.read(dsts, offset, length);
        }
        boolean completed = false;
        begin();
        try {
            while (isOpen()) {
                long n = pipe.read(dsts, offset, length);
                if (n != 0 || Pipe.remaining(dsts, offset, length) == 0) {
                    completed = true;
                    return n;
                }
                pipe.awaitReadable(this::isOpen);
            }
            return 0;
        } catch (InterruptedException e) {
            completed = true; // so that end() does not replace the exception below with AsynchronousCloseException
            throw closedByInterrupt();
        } finally {
            end(completed);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        Objects.requireNonNull(src, "src");
        return (int) write(new ByteBuffer[] {src}, 0, 1);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        ensureOpen();
        ensureConnected();
        if (outputShut) {
            throw new ClosedChannelException();
        }
        Pipe pipe = out;
        if (!isBlocking()) {
            return pipe.write(srcs, offset, length);
        }
        boolean completed = false;
        long total = 0;
        begin();
        try {
            while (isOpen()) {
                total += pipe.write(srcs, offset, length);
                if (Pipe.remaining(srcs, offset, length) == 0) {
                    completed = true;
                    return total;
                }
                pipe.awaitWritable(this::isOpen);
            }
            return total;
        } catch (InterruptedException e) {
            completed = true; // so that end() does not replace the exception below with AsynchronousCloseException
            throw closedByInterrupt();
        } finally {
            end(completed);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Closing and blocking mode

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        State was;
        synchronized (stateLock) {
            was = state;
            state = State.CLOSED;
            stateLock.notifyAll();
        }
        network.channelClosed(this);
        if (was == State.CONNECTED) {
            if (linger == 0 || in.hasUnread()) {
                // Linux sends a reset instead of a FIN when the close is abortive or leaves received bytes unread.
                out.resetByWriter();
                in.resetByReader(outputShut);
            } else {
                out.shutdownWriter();
                in.readerClosed();
            }
            in.wakeWaiters();
            out.wakeWaiters();
        }
        listener = null;
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // The mode is kept by AbstractSelectableChannel; every operation asks isBlocking().
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    private void ensureConnected() {
        if (state != State.CONNECTED) {
            throw new NotYetConnectedException();
        }
    }

    @Override
    public String toString() {
        return "InMemorySocketChannel[" + (isOpen() ? state.name().toLowerCase(java.util.Locale.ROOT) : "closed")
                + (localAddress == null ? "" : " local=" + localAddress)
                + (remoteAddress == null ? "" : " remote=" + remoteAddress) + "]";
    }
}
