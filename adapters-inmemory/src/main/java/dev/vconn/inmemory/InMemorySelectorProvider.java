package dev.vconn.inmemory;

import dev.vconn.inmemory.internal.InMemorySelector;
import dev.vconn.inmemory.internal.Poller;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;

/**
 * The selector provider of one {@link InMemoryNetwork}: {@link #openSelector()} makes selectors that its
 * {@link InMemorySocketChannel}s register with (and that refuse any other channel), {@link #openSocketChannel()}
 * makes an unconnected in-memory channel. Datagram channels, pipes and server socket channels are not provided
 * (listen with {@link InMemoryNetwork#listen} instead).
 */
public final class InMemorySelectorProvider extends SelectorProvider {
    private final InMemoryNetwork network;
    private final Poller poller = new ChannelPoller();

    InMemorySelectorProvider(InMemoryNetwork network) {
        this.network = network;
    }

    /**
     * The network whose channels this provider serves.
     *
     * @return the network
     */
    public InMemoryNetwork network() {
        return network;
    }

    @Override
    public AbstractSelector openSelector() {
        return new InMemorySelector(this, poller);
    }

    @Override
    public SocketChannel openSocketChannel() {
        return network.openChannel();
    }

    /** Not provided. */
    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        throw new UnsupportedOperationException("the in-memory network has no datagram channels");
    }

    /** Not provided. */
    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        throw new UnsupportedOperationException("the in-memory network has no datagram channels");
    }

    /** Not provided. */
    @Override
    public Pipe openPipe() throws IOException {
        throw new UnsupportedOperationException("the in-memory network has no pipes; use InMemoryNetwork.openPair()");
    }

    /** Not provided: listen with {@link InMemoryNetwork#listen}. */
    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        throw new UnsupportedOperationException(
                "the in-memory network has no server socket channels; use InMemoryNetwork.listen(...)");
    }

    private final class ChannelPoller implements Poller {
        @Override
        public boolean accepts(SelectableChannel channel) {
            return channel instanceof InMemorySocketChannel c && c.network() == network;
        }

        @Override
        public int readyOps(SelectableChannel channel) {
            return ((InMemorySocketChannel) channel).readyOps();
        }

        @Override
        public void watch(SelectableChannel channel, Runnable onChange) {
            ((InMemorySocketChannel) channel).addWatcher(onChange);
        }

        @Override
        public void unwatch(SelectableChannel channel, Runnable onChange) {
            ((InMemorySocketChannel) channel).removeWatcher(onChange);
        }
    }
}
