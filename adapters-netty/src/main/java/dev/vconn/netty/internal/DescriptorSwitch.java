package dev.vconn.netty.internal;

import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a non-blocking duplicate of a socket descriptor with public Netty APIs only, by passing the descriptor to
 * ourselves over a connected pair of Unix-domain sockets ({@code SCM_RIGHTS}). Netty's {@code recvFd} sets
 * {@code O_NONBLOCK} on the descriptor it receives, as it must for epoll; the flag belongs to the open file
 * description, which the duplicate shares with the original, so the socket itself becomes non-blocking.
 *
 * <p>Why: neither the JDK nor Netty exposes {@code fcntl} on an arbitrary descriptor, and an epoll loop must never
 * block on a socket call. Why a duplicate: Netty's channel owns and closes the descriptor it is given, including
 * when its registration fails; handing it a duplicate means a failed adoption never closes the caller's
 * descriptor. The pair lives as long as the transport (two Unix sockets, bound in the abstract namespace only for
 * the instant it takes to connect them).
 */
final class DescriptorSwitch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DescriptorSwitch.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final LinuxSocket sender;
    private final LinuxSocket receiver;

    private DescriptorSwitch(LinuxSocket sender, LinuxSocket receiver) {
        this.sender = sender;
        this.receiver = receiver;
    }

    /** Connects a fresh pair of Unix-domain sockets. */
    static DescriptorSwitch open() throws IOException {
        LinuxSocket listener = LinuxSocket.newSocketDomain();
        LinuxSocket sender = null;
        LinuxSocket receiver = null;
        try {
            DomainSocketAddress name = new DomainSocketAddress("\0vconn-netty-descriptor-switch-"
                    + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            listener.bind(name);
            listener.listen(1);
            sender = LinuxSocket.newSocketDomain();
            if (!sender.connect(name) && !sender.finishConnect()) {
                throw new IOException("connecting the descriptor switch did not complete at once");
            }
            int fd = listener.accept(new byte[26]);
            if (fd < 0) {
                throw new IOException("accepting the descriptor switch's connection would block");
            }
            receiver = LinuxSocket.newSocket(fd);
            return new DescriptorSwitch(sender, receiver);
        } catch (IOException | RuntimeException e) {
            closeQuietly(sender);
            closeQuietly(receiver);
            throw e;
        } finally {
            closeQuietly(listener);
        }
    }

    /**
     * Returns a new descriptor for the same socket as {@code fd}, whose socket is now in non-blocking mode.
     *
     * @throws IOException if the descriptor cannot be passed (then the socket's mode is unchanged)
     */
    synchronized int nonBlockingDuplicate(int fd) throws IOException {
        if (sender.sendFd(fd) < 0) {
            throw new IOException("passing descriptor " + fd + " would block");
        }
        int dup = receiver.recvFd();
        if (dup <= 0) {
            throw new IOException("receiving the duplicate of descriptor " + fd + " failed (" + dup + ")");
        }
        return dup;
    }

    @Override
    public void close() {
        closeQuietly(sender);
        closeQuietly(receiver);
    }

    /** Closes a descriptor number. */
    static void closeDescriptor(int fd) {
        closeQuietly(new FileDescriptor(fd));
    }

    private static void closeQuietly(FileDescriptor fd) {
        if (fd != null) {
            try {
                fd.close();
            } catch (IOException e) {
                log.debug("closing descriptor {} failed", fd, e);
            }
        }
    }
}
