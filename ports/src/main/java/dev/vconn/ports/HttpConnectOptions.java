package dev.vconn.ports;

import dev.vconn.domain.buffer.BufferSizes;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Objects;

/**
 * The options of {@link HttpConnector#connect}: Traffic Server's {@code TSHttpConnectOptions}. Unlike Traffic
 * Server, which silently rewrites bad values, every invalid value throws {@link IllegalArgumentException} naming
 * the field and its range.
 *
 * @param connectType   only {@link ConnectType#PLUGIN}
 * @param clientAddress required: an IP address with a non-zero port, or a Unix-domain address; the client
 *                      address the HTTP state machine sees for access control and logs
 * @param tag           the log tag ({@code pitag}); default {@code "plugin"}
 * @param id            the per-connection log id ({@code piid}); 0 means unset
 * @param bufferIndex   a block size class, 0..14; default 8 (32 KiB). Kept for Traffic Server's options; it does not
 *                      bound read-ahead: the reader buffer's own block size does (docs/semantics.md, rule 3.5)
 * @param waterMark     the read water mark, at least 0; default 0: a reader on either end whose buffer's water mark
 *                      is 0 gets up to {@code max(waterMark, its block size)} unconsumed bytes (docs/semantics.md,
 *                      rule 3.5)
 */
public record HttpConnectOptions(ConnectType connectType, SocketAddress clientAddress, String tag, long id,
        int bufferIndex, long waterMark) {
    /** The default tag. */
    public static final String DEFAULT_TAG = "plugin";

    /** Validates every field. */
    public HttpConnectOptions {
        if (connectType == null) {
            throw new IllegalArgumentException("connectType is required and must be PLUGIN");
        }
        checkClientAddress(clientAddress);
        if (tag == null || tag.isEmpty()) {
            throw new IllegalArgumentException("tag must be a non-empty string");
        }
        BufferSizes.checkIndex("bufferIndex", bufferIndex);
        if (waterMark < 0) {
            throw new IllegalArgumentException("waterMark must be >= 0, was " + waterMark);
        }
    }

    private static void checkClientAddress(SocketAddress address) {
        if (address == null) {
            throw new IllegalArgumentException(
                    "clientAddress is required: an IP address with a non-zero port, or a Unix-domain address");
        }
        if (address instanceof InetSocketAddress inet) {
            if (inet.isUnresolved()) {
                throw new IllegalArgumentException("clientAddress must be an IP address, was unresolved " + inet);
            }
            if (inet.getPort() == 0) {
                throw new IllegalArgumentException("clientAddress port must be 1..65535, was 0 (" + inet + ")");
            }
        } else if (!(address instanceof UnixDomainSocketAddress)) {
            throw new IllegalArgumentException("clientAddress must be an IP or Unix-domain address, was "
                    + address.getClass().getName());
        }
    }

    /** A builder with the defaults; {@link Builder#clientAddress} must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link HttpConnectOptions}; {@link #build()} validates. */
    public static final class Builder {
        private ConnectType connectType = ConnectType.PLUGIN;
        private SocketAddress clientAddress;
        private String tag = DEFAULT_TAG;
        private long id;
        private int bufferIndex = BufferSizes.DEFAULT_INDEX;
        private long waterMark;

        private Builder() {
        }

        /** Sets the connect type (only PLUGIN exists). */
        public Builder connectType(ConnectType connectType) {
            this.connectType = connectType;
            return this;
        }

        /** Sets the client address the HTTP state machine sees. */
        public Builder clientAddress(SocketAddress clientAddress) {
            this.clientAddress = clientAddress;
            return this;
        }

        /** Sets the log tag. */
        public Builder tag(String tag) {
            this.tag = tag;
            return this;
        }

        /** Sets the per-connection log id. */
        public Builder id(long id) {
            this.id = id;
            return this;
        }

        /** Sets the block size class, 0..14. */
        public Builder bufferIndex(int bufferIndex) {
            this.bufferIndex = bufferIndex;
            return this;
        }

        /** Sets the read-ahead bound in bytes. */
        public Builder waterMark(long waterMark) {
            this.waterMark = waterMark;
            return this;
        }

        /**
         * The options.
         *
         * @throws IllegalArgumentException naming the first invalid field
         */
        public HttpConnectOptions build() {
            return new HttpConnectOptions(connectType, clientAddress, tag, id, bufferIndex, waterMark);
        }
    }

    /** Whether {@link #id} was set. */
    public boolean hasId() {
        return id != 0;
    }

    /** The options as the pair sees them. */
    public dev.vconn.domain.pair.VConnPair.Options pairOptions() {
        return new dev.vconn.domain.pair.VConnPair.Options(tag, id, bufferIndex, waterMark, clientAddress);
    }

    @Override
    public String toString() {
        return "HttpConnectOptions[" + connectType + ", client=" + Objects.toString(clientAddress) + ", tag=" + tag
                + ", id=" + id + ", bufferIndex=" + bufferIndex + ", waterMark=" + waterMark + "]";
    }
}
