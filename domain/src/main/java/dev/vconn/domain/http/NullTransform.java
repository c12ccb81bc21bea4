package dev.vconn.domain.http;

import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * The reference response transform (Traffic Server's {@code null_transform.cc}): passes the body through
 * unchanged, by block reference, with backpressure both ways. Create one per transaction:
 * {@code txn.addResponseTransform(new NullTransform())}.
 */
public final class NullTransform implements EventHandler {
  /** Bytes the transform lets pile up toward its output before it stops taking input: one default block. */
  private static final long MAX_PENDING = 32 * 1024;

  private Transform transform;
  private IOBuffer inBuf;
  private IOBufferReader inReader;
  private IOBuffer outBuf;
  private IOBufferReader outReader;
  private ReadVio input;
  private WriteVio output;
  private boolean inputDone;
  private boolean released;
  private long copied;

  /** Creates a transform for one transaction. */
  public NullTransform() {}

  @Override
  public void handle(Event event, Object data) {
    if (event == Event.IMMEDIATE && data instanceof Transform t) {
      start(t);
      return;
    }
    if (transform == null || released || !(data instanceof VIO vio) || vio.isRetired()) {
      return;
    }
    switch (event) {
      case READ_READY, WRITE_READY -> pump();
      case EOS, READ_COMPLETE -> {
        inputDone = true;
        pump();
      }
      case WRITE_COMPLETE -> {
        transform.output().shutdown(ShutdownHow.WRITE);
        release();
      }
      default -> release(); // ERROR or a timeout: the transaction is going away
    }
  }

  private void start(Transform t) {
    transform = t;
    inBuf = new IOBuffer(t.blockPool());
    inReader = inBuf.allocReader();
    outBuf = new IOBuffer(t.blockPool());
    outReader = outBuf.allocReader();
    input = t.input().read(t.continuation(), Long.MAX_VALUE, inBuf);
    output = t.output().write(t.continuation(), Long.MAX_VALUE, outReader);
  }

  private void pump() {
    long n = Math.min(inReader.readAvail(), MAX_PENDING - outReader.readAvail());
    if (n > 0) {
      outBuf.write(inReader, n);
      inReader.consume(n);
      copied += n;
      output.reenable();
      input.reenable();
    }
    if (inputDone && inReader.readAvail() == 0) {
      // All input copied: the output is complete once it has all been sent (WRITE_COMPLETE, then shut down).
      output.setNBytes(copied);
      output.reenable();
    }
  }

  private void release() {
    released = true;
    transform.input().close();
    transform.output().close();
    inBuf.close();
    outBuf.close();
  }
}
