package dev.vconn.app.architecture.planted.bad.domain;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Violates domain_uses_no_sockets_or_channels: the domain reads from a socket channel itself. */
public class ChannelLeakingBuffer {
    public int fill(SocketChannel channel, ByteBuffer into) throws IOException {
        return channel.read(into);
    }
}
