/**
 * Groundwork for the HTTP/1.x state machine (DESIGN §7): message heads, header fields and an incremental head
 * parser over an {@link dev.vconn.domain.buffer.IOBufferReader}.
 *
 * <p>{@link dev.vconn.domain.http.HttpHeadParser} looks at a reader's bytes without consuming them until a whole
 * head is present, then consumes exactly the head and leaves any body or pipelined request in the buffer. Bad input
 * never escapes as an exception: it is a {@link dev.vconn.domain.http.HttpHeadParser.Rejected} result carrying the
 * status the server should answer with (400, 414, 431, 501, 505), after which the connection is to be closed. Limits
 * come from {@link dev.vconn.domain.http.HttpLimits}.
 *
 * <p>All text is handled as ISO-8859-1, so every byte maps to exactly one {@code char} and back.
 */
package dev.vconn.domain.http;
