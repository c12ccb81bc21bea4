package dev.vconn.domain.tls;

import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.testing.EventLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A bare {@link SSLEngine} driven by the test over a plain VConn, to do what a {@link TlsVConn} never does itself:
 * renegotiate (TLS 1.2) or request a key update (TLS 1.3). Heap buffers only; everything runs on the loop.
 */
final class RawTlsPeer {
    final SSLEngine engine;
    private final IOBuffer in;
    private final IOBufferReader inReader;
    private final IOBuffer out;
    private final WriteVio writeVio;
    private final ReadVio readVio;
    private final ByteBuffer netIn = ByteBuffer.allocate(1 << 16);
    private final ByteBuffer netOut = ByteBuffer.allocate(1 << 16);
    private final ByteBuffer appIn = ByteBuffer.allocate(1 << 16);
    final StringBuilder received = new StringBuilder();

    RawTlsPeer(VConn vconn, SSLEngine engine, IOBuffer in, IOBuffer out) {
        this.engine = engine;
        this.in = in;
        this.inReader = in.allocReader();
        this.out = out;
        EventLog log = new EventLog().onEvent((event, data) -> {
            if (event == Event.READ_READY || event == Event.WRITE_READY) {
                pump();
            }
        });
        readVio = vconn.read(log.continuation(), Long.MAX_VALUE, in);
        writeVio = vconn.write(log.continuation(), Long.MAX_VALUE, out.allocReader());
    }

    void start() throws SSLException {
        engine.beginHandshake();
        pump();
    }

    void send(String text) throws SSLException {
        netOut.clear();
        engine.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), netOut);
        flushNetOut();
    }

    void pump() {
        try {
            byte[] chunk = new byte[(int) inReader.readAvail()];
            inReader.read(chunk, 0, chunk.length);
            netIn.put(chunk);
            readVio.reenable();
            for (int guard = 0; guard < 100; guard++) {
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    for (Runnable t = engine.getDelegatedTask(); t != null; t = engine.getDelegatedTask()) {
                        t.run();
                    }
                } else if (hs == HandshakeStatus.NEED_WRAP) {
                    netOut.clear();
                    SSLEngineResult r = engine.wrap(ByteBuffer.allocate(0), netOut);
                    flushNetOut();
                    if (r.bytesProduced() == 0) {
                        return;
                    }
                } else if (!unwrap()) {
                    return;
                }
            }
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean unwrap() throws SSLException {
        netIn.flip();
        SSLEngineResult r;
        try {
            if (!netIn.hasRemaining()) {
                return false;
            }
            r = engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
        }
        appIn.flip();
        byte[] text = new byte[appIn.remaining()];
        appIn.get(text);
        appIn.clear();
        received.append(new String(text, StandardCharsets.US_ASCII));
        return r.bytesConsumed() > 0 && r.getStatus() == SSLEngineResult.Status.OK;
    }

    private void flushNetOut() {
        netOut.flip();
        out.write(netOut);
        writeVio.reenable();
    }
}
