package dev.vconn.app.architecture.planted.clean.ports;

import com.google.common.collect.ImmutableList;
import dev.vconn.app.architecture.planted.clean.domain.IOBuffer;

/** A port using the domain, Guava and primitives/arrays. */
public interface Transport {
    String name();

    SocketAdopter socketAdopter();

    default ImmutableList<String> aliases() {
        return ImmutableList.of(name());
    }

    default int copy(IOBuffer buffer, byte[] into, long limit) {
        return (int) Math.min(into.length, limit);
    }
}
