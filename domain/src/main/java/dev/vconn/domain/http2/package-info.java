/**
 * HTTP/2 (RFC 9113) building blocks: the frame codec ({@link dev.vconn.domain.http2.Http2FrameParser},
 * {@link dev.vconn.domain.http2.Http2FrameWriter}, the frames {@link dev.vconn.domain.http2.Http2Frame}, the error
 * codes {@link dev.vconn.domain.http2.Http2ErrorCode}) and, in {@code dev.vconn.domain.http2.hpack}, header
 * compression; and the server session that uses them, {@link dev.vconn.domain.http2.Http2ServerSession}, which turns
 * every client stream into an HTTP/1.1 transaction on an in-process connection opened through an
 * {@link dev.vconn.domain.http2.Http2StreamConnector}, with limits in {@link dev.vconn.domain.http2.Http2Config}. See
 * {@code docs/http2.md}.
 */
package dev.vconn.domain.http2;
