package dev.vconn.netty.internal;

import dev.vconn.domain.VConn;
import dev.vconn.ports.AdoptionException;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Adopts a raw connected TCP socket descriptor onto an epoll loop: the closest Java gets to Traffic Server's
 * {@code TSVConnFdCreate(int fd)}.
 *
 * <p>Checks, before anything changes (the transport checked that it is open and runs epoll): the descriptor is
 * not already adopted by this transport; it is open and a socket ({@code SO_ERROR} readable, and zero); it is a
 * TCP socket ({@code TCP_NODELAY} readable); it is connected (it has a peer). Then the socket is switched to
 * non-blocking mode and duplicated ({@link DescriptorSwitch}); Netty's channel owns the duplicate. On success
 * the VConn owns the socket: when it closes, both the duplicate and the caller's descriptor are closed. On failure
 * the caller's descriptor is open and still the caller's; the one change that cannot be undone through public APIs
 * is the non-blocking mode, and it is made only after every check passed, so only a failed registration (the loop
 * refusing the channel) can leave it behind; the refusal says so.
 */
public final class RawFdAdopter {
    private static final int EBADF = 9;
    private static final int ENOTSOCK = 88;

    private final NettyTransportCore core;
    private final Set<Integer> adopted = ConcurrentHashMap.newKeySet();

    /** An adopter for the transport behind {@code core}. */
    public RawFdAdopter(NettyTransportCore core) {
        this.core = core;
    }

    /** Whether this transport can adopt raw descriptors (epoll primary and the descriptor switch set up). */
    public boolean isSupported() {
        return core.epoll() && core.descriptorSwitch() != null;
    }

    /** Why raw descriptors cannot be adopted here, or null when they can. */
    public String unsupportedReason() {
        if (!core.epoll()) {
            return "raw descriptor adoption needs the epoll transport, and this one runs NIO: "
                    + core.epollUnavailableReason();
        }
        if (core.descriptorSwitch() == null) {
            return "raw descriptor adoption is unavailable: " + core.descriptorSwitchFailure();
        }
        return null;
    }

    /** Adopts {@code fd} (the transport checked that it is supported and open); see the class comment. */
    public VConn adopt(int fd) throws AdoptionException {
        if (fd < 0) {
            throw new AdoptionException("descriptor " + fd + " is not a valid (open) descriptor");
        }
        if (!adopted.add(fd)) {
            throw new AdoptionException("descriptor " + fd + " is already adopted (registered with this transport)");
        }
        boolean done = false;
        try {
            VConn vconn = adoptChecked(fd);
            done = true;
            return vconn;
        } finally {
            if (!done) {
                adopted.remove(fd);
            }
        }
    }

    private VConn adoptChecked(int fd) throws AdoptionException {
        int soError;
        LinuxSocket probe;
        try {
            probe = LinuxSocket.newSocket(fd); // a view only, never closed here; it asks getsockname
            soError = probe.getSoError();
        } catch (IOException | ChannelException e) {
            throw inspectionFailure(fd, e);
        }
        if (soError != 0) {
            throw new AdoptionException("socket " + fd + " has a pending error (errno " + soError + ")");
        }
        try {
            probe.isTcpNoDelay();
        } catch (IOException | ChannelException e) {
            throw new AdoptionException("descriptor " + fd + " is not a TCP socket, a kind this transport cannot drive",
                    e);
        }
        if (probe.remoteAddress() == null) {
            throw new AdoptionException("socket " + fd + " is not connected");
        }
        int dup;
        try {
            dup = core.descriptorSwitch().nonBlockingDuplicate(fd);
        } catch (IOException e) {
            throw new AdoptionException("socket " + fd + " could not be switched to non-blocking mode: "
                    + e.getMessage(), e);
        }
        NettyEventLoop loop = core.currentOrNextLoop();
        ChannelVConn vconn;
        try {
            vconn = core.newVConn(loop, new EpollSocketChannel(dup), () -> {
                adopted.remove(fd);
                DescriptorSwitch.closeDescriptor(fd);
            });
        } catch (RuntimeException e) {
            DescriptorSwitch.closeDescriptor(dup);
            throw new AdoptionException("socket " + fd + " could not be wrapped in a channel (it was left in "
                    + "non-blocking mode): " + e, e);
        }
        Throwable failure = Registration.registerAndAttach(loop, vconn.channel(), vconn);
        if (failure != null) {
            throw new AdoptionException("socket " + fd + " could not be registered with a loop (it is open, still "
                    + "yours, and was left in non-blocking mode): " + failure, failure);
        }
        return vconn;
    }

    private static AdoptionException inspectionFailure(int fd, Exception e) {
        int errno = e instanceof Errors.NativeIoException n ? -n.expectedErr() : 0;
        String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (errno == EBADF || msg.contains("bad file descriptor")) {
            return new AdoptionException("descriptor " + fd + " is closed (not an open descriptor)", e);
        }
        if (errno == ENOTSOCK || msg.contains("non-socket")) {
            return new AdoptionException("descriptor " + fd + " is not a socket, a kind this transport cannot drive", e);
        }
        return new AdoptionException("descriptor " + fd + " cannot be inspected: " + e.getMessage(), e);
    }
}
