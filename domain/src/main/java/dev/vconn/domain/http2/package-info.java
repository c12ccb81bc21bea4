/**
 * HTTP/2 (RFC 9113) building blocks: the frame codec ({@link dev.vconn.domain.http2.Http2FrameParser},
 * {@link dev.vconn.domain.http2.Http2FrameWriter}, the frames {@link dev.vconn.domain.http2.Http2Frame}, the error
 * codes {@link dev.vconn.domain.http2.Http2ErrorCode}) and, in {@code dev.vconn.domain.http2.hpack}, header
 * compression. The HTTP/2 session that will use them is not part of vconn yet; see {@code docs/http2.md}.
 */
package dev.vconn.domain.http2;
