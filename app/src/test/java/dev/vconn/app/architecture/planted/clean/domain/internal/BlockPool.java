package dev.vconn.app.architecture.planted.clean.domain.internal;

import java.nio.ByteBuffer;

/** Domain internal, used only inside the domain, pointing at nothing in the domain's API. */
public class BlockPool {
    public ByteBuffer take(int size) {
        return ByteBuffer.allocateDirect(size);
    }
}
