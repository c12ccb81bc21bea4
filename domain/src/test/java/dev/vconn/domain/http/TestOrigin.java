package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A scripted HTTP/1.1 origin on the passive ends of pairs: parses each request (head and Content-Length or chunked
 * body), asks {@code respond} for the raw response text (null: never answer), writes it, and keeps the connection
 * unless the response says {@code Connection: close} (then it closes after writing).
 */
final class TestOrigin {
  /** One request as the origin received it. */
  record Request(HttpRequestHead head, String body, int connection) {}

  final HttpRig rig;
  final Function<Request, String> respond;
  final List<Request> requests = new CopyOnWriteArrayList<>();
  final List<Conn> conns = new ArrayList<>();
  boolean refuse;
  /** Refuse this many more connection attempts, then accept. */
  int refuseNext;
  /** Hold each response until {@link #answerDeferred()}: a slow origin without moving virtual time. */
  boolean defer;
  final List<Runnable> deferred = new ArrayList<>();
  /** Close each connection once a response was written (a close-delimited body, or a body cut short). */
  boolean closeAfterResponse;
  boolean blackhole;
  /** Close each connection right after reading a request, without answering (a dead keep-alive connection). */
  boolean resetAfterRequest;

  TestOrigin(HttpRig rig, Function<Request, String> respond) {
    this.rig = rig;
    this.respond = respond;
  }

  void accept(VConn vconn) {
    conns.add(new Conn(vconn, conns.size()));
  }

  /** Writes the responses held back by {@link #defer}, in order. */
  void answerDeferred() {
    List<Runnable> due = List.copyOf(deferred);
    deferred.clear();
    due.forEach(Runnable::run);
  }

  int connections() {
    return conns.size();
  }

  void closeAll() {
    conns.forEach(Conn::close);
  }

  final class Conn {
    final VConn vconn;
    final int number;
    final IOBuffer in = new IOBuffer(rig.pool);
    final IOBufferReader reader = in.allocReader();
    final IOBuffer out = new IOBuffer(rig.pool);
    final IOBufferReader outReader = out.allocReader();
    final Continuation cont = new Continuation(this::handle);
    final HttpHeadParser parser = new HttpHeadParser();
    WriteVio write;
    HttpRequestHead head;
    BodyDecoder body;
    IOBuffer bodyBuf;
    IOBufferReader bodyReader;
    boolean closeAfterWrite;
    boolean closed;

    Conn(VConn vconn, int number) {
      this.vconn = vconn;
      this.number = number;
      vconn.read(cont, Long.MAX_VALUE, in);
    }

    private void handle(Event event, Object data) {
      if (closed || !(data instanceof VIO)) {
        return;
      }
      switch (event) {
        case READ_READY -> process();
        case WRITE_COMPLETE -> {
          if (closeAfterWrite) {
            close();
          }
        }
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    private void process() {
      while (!closed) {
        if (head == null) {
          HttpHeadParser.Result<HttpRequestHead> r = parser.parseRequest(reader);
          if (!(r instanceof HttpHeadParser.Parsed<HttpRequestHead> p)) {
            break;
          }
          head = p.head();
          bodyBuf = new IOBuffer(rig.pool);
          bodyReader = bodyBuf.allocReader();
          body = head.headers().isChunked() ? BodyDecoder.chunked(65536, 400)
              : BodyDecoder.fixed(head.headers().contentLength().orElse(0));
        }
        try {
          body.decode(reader, new BodySink(bodyBuf, bodyReader, Long.MAX_VALUE, false));
        } catch (BadMessageException e) {
          throw new AssertionError("the proxy forwarded a bad body", e);
        }
        if (!body.isDone()) {
          break;
        }
        byte[] b = new byte[(int) bodyReader.readAvail()];
        bodyReader.read(b, 0, b.length);
        bodyBuf.close();
        Request req = new Request(head, new String(b, StandardCharsets.ISO_8859_1), number);
        head = null;
        requests.add(req);
        if (resetAfterRequest) {
          close();
          return;
        }
        String response = respond.apply(req);
        if (response == null) {
          continue; // never answers
        }
        if (defer) {
          deferred.add(() -> {
            cont.lock().lock();
            try {
              if (!closed) {
                answer(response);
              }
            } finally {
              cont.lock().unlock();
            }
          });
          continue;
        }
        if (!answer(response)) {
          return;
        }
      }
      if (!closed) {
        vconn.readVio().reenable();
      }
    }

    /** Writes a response; false if the connection is to close after it (no more requests are read). */
    private boolean answer(String response) {
      out.write(response.getBytes(StandardCharsets.ISO_8859_1));
      if (closeAfterResponse || response.toLowerCase().contains("connection: close")) {
        closeAfterWrite = true;
        write = vconn.write(cont, outReader.readAvail(), outReader);
        return false;
      }
      if (write == null) {
        write = vconn.write(cont, Long.MAX_VALUE, outReader);
      }
      write.reenable();
      return true;
    }

    void close() {
      if (!closed) {
        closed = true;
        vconn.close();
        in.close();
        out.close();
        if (head != null) {
          bodyBuf.close();
        }
      }
    }
  }
}
