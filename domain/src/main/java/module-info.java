/**
 * The pure vconn domain: VConns, VIOs, continuations and events ({@code dev.vconn.domain}), IOBuffers and the block
 * pool ({@code .buffer}), the virtual-time event loop ({@code .loop}), the in-process VConn pair ({@code .pair}),
 * TLS as a VConn over a VConn ({@code .tls}), the HTTP/2 server session with its frame and HPACK codecs ({@code .http2}) and the HTTP/1.1 proxy state machine ({@code .http}). No sockets.
 *
 * <p>{@code dev.vconn.domain.spi} is for transport implementors only: the shared VIO core every transport extends and
 * the loop timer. See docs/modules.md for what each package promises.
 */
module dev.vconn.domain {
    exports dev.vconn.domain;
    exports dev.vconn.domain.buffer;
    exports dev.vconn.domain.http;
    exports dev.vconn.domain.loop;
    exports dev.vconn.domain.pair;
    exports dev.vconn.domain.tls;
    // HTTP/2: the frame and HPACK codecs and the server session (Http2ServerSession) that front ends start.
    exports dev.vconn.domain.http2;
    exports dev.vconn.domain.http2.hpack;
    exports dev.vconn.domain.spi;

    // Logging only inside the implementation: no slf4j type appears in an exported signature.
    requires org.slf4j;
}
