/**
 * Traffic Server's IOBuffer family in Java: {@link dev.vconn.domain.buffer.IOBuffer} (one writer, up to five
 * {@link dev.vconn.domain.buffer.IOBufferReader}s, a water mark) over refcounted blocks from a
 * {@link dev.vconn.domain.buffer.BlockPool}, so data can be shared between buffers without copying.
 */
package dev.vconn.domain.buffer;
