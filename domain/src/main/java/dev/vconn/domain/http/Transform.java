package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;

/**
 * What a response transform is given when the body starts (the data of its {@link dev.vconn.domain.Event#IMMEDIATE}).
 *
 * <p>Each transform is a stage between two in-process pairs. It reads the untransformed body from {@code input}
 * (ending in EOS once the whole body arrived) and writes the transformed body to {@code output}; it ends the
 * output by shutting down the output's write side ({@code ShutdownHow.WRITE}) once it wrote everything, and closes
 * both VConns when it is done with them (also when it gets ERROR or EOS early: the transaction was aborted).
 * Traffic Server instead hands the transform the tunnel's write VIO; reading from a VConn gives the same
 * backpressure with the ordinary read API (decision recorded in {@code docs/http.md}).
 *
 * @param txn the transaction
 * @param continuation the transform's continuation (shares the transaction's lock); use it for the VIOs
 * @param input where the body comes from
 * @param output where the transformed body goes
 * @param blockPool the pool the transaction's buffers come from, for the transform's own buffers
 */
public record Transform(HttpTxn txn, Continuation continuation, VConn input, VConn output, BlockPool blockPool) {}
