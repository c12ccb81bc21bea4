package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An origin the test drives by hand: it records what arrives on each connection and writes exactly what the test
 * tells it to, when it tells it to (a response in pieces, a body cut short by a reset).
 */
final class ManualOrigin implements Consumer<VConn> {
  final HttpRig rig;
  final List<Conn> conns = new ArrayList<>();

  ManualOrigin(HttpRig rig, String hostPort) {
    this.rig = rig;
    rig.server(hostPort, this);
    rig.closers.add(this::closeAll);
  }

  @Override
  public void accept(VConn vconn) {
    conns.add(new Conn(vconn));
  }

  Conn conn(int i) {
    return conns.get(i);
  }

  Conn last() {
    return conns.get(conns.size() - 1);
  }

  /** One accepted connection. */
  final class Conn {
    final VConn vconn;
    final IOBuffer in = new IOBuffer(rig.pool);
    final IOBufferReader inReader = in.allocReader();
    final IOBuffer out = new IOBuffer(rig.pool);
    final IOBufferReader outReader = out.allocReader();
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final Continuation cont = new Continuation(this::handle);
    final WriteVio write;
    boolean eos;
    boolean closed;

    Conn(VConn vconn) {
      this.vconn = vconn;
      vconn.read(cont, Long.MAX_VALUE, in);
      write = vconn.write(cont, Long.MAX_VALUE, outReader);
    }

    private void handle(Event event, Object data) {
      if (!(data instanceof VIO)) {
        return;
      }
      if (event == Event.READ_READY || event == Event.EOS) {
        byte[] b = new byte[(int) inReader.readAvail()];
        inReader.read(b, 0, b.length);
        received.write(b, 0, b.length);
        eos |= event == Event.EOS;
      }
    }

    String received() {
      return new String(received.toByteArray(), StandardCharsets.ISO_8859_1);
    }

    void send(String text) {
      cont.lock().lock();
      try {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        write.reenable();
      } finally {
        cont.lock().unlock();
      }
    }

    /** A normal close (the proxy reads EOS). */
    void close() {
      cont.lock().lock();
      try {
        if (!closed) {
          closed = true;
          vconn.close();
          in.close();
          out.close();
        }
      } finally {
        cont.lock().unlock();
      }
    }

    /** A reset. */
    void abort() {
      cont.lock().lock();
      try {
        if (!closed) {
          closed = true;
          vconn.abort(Errno.ECONNRESET, null);
          in.close();
          out.close();
        }
      } finally {
        cont.lock().unlock();
      }
    }
  }

  void closeAll() {
    conns.forEach(Conn::close);
  }
}
