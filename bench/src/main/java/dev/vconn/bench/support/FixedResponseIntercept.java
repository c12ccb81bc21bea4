package dev.vconn.bench.support;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * A server intercept for the HTTP benchmarks: on NET_ACCEPT it reads (and drops) the forwarded request, answers one
 * fixed response, then closes. One instance serves one intercepted transaction.
 */
public final class FixedResponseIntercept implements EventHandler {
    private final BlockPool pool;
    private final byte[] response;
    private VConn vconn;
    private IOBuffer in;
    private IOBufferReader inReader;
    private IOBuffer out;
    private Continuation self;

    /**
     * An intercept that answers {@code response}, whole, with buffers from {@code pool}.
     *
     * @param pool where the intercept's buffers come from
     * @param response the complete response bytes, head and body
     */
    public FixedResponseIntercept(BlockPool pool, byte[] response) {
        this.pool = pool;
        this.response = response;
    }

    /**
     * The continuation to pass to {@code HttpTxn.intercept}: one per intercepted transaction, which also owns the
     * intercept's reads and writes (a plugin needs no second continuation and lock for them).
     *
     * @param pool where the intercept's buffers come from
     * @param response the complete response bytes, head and body
     * @return a new continuation running a new intercept
     */
    public static Continuation continuation(BlockPool pool, byte[] response) {
        FixedResponseIntercept intercept = new FixedResponseIntercept(pool, response);
        intercept.self = new Continuation(intercept);
        return intercept.self;
    }

    @Override
    public void handle(Event event, Object data) {
        switch (event) {
            case NET_ACCEPT -> {
                vconn = (VConn) data;
                in = new IOBuffer(pool, 0);
                inReader = in.allocReader();
                out = new IOBuffer(pool, 2);
                IOBufferReader outReader = out.allocReader();
                out.write(response);
                if (self == null) {
                    self = new Continuation(this);
                }
                vconn.read(self, Long.MAX_VALUE, in);
                vconn.write(self, response.length, outReader);
            }
            case READ_READY -> inReader.consume(inReader.readAvail());
            case WRITE_COMPLETE, EOS, ERROR -> close();
            default -> { }
        }
    }

    private void close() {
        if (vconn != null) {
            vconn.close();
            vconn = null;
            in.close();
            out.close();
        }
    }
}
