package dev.vconn.app.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An origin on a loopback socket that answers every request head with the same raw bytes and then closes the
 * connection: for responses the JDK's HTTP server cannot write, such as a chunked body with trailer fields. It reads
 * request heads only (no bodies).
 */
public final class RawOrigin implements AutoCloseable {
  /** The request heads received, as text up to and including the empty line. */
  public final List<String> heads = new CopyOnWriteArrayList<>();
  private final ServerSocket server;
  private final byte[] response;
  private final Thread acceptor;

  /** Starts an origin answering {@code response} (ISO-8859-1) to every request. */
  public RawOrigin(String response) throws IOException {
    this.response = response.getBytes(StandardCharsets.ISO_8859_1);
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptAll, "raw-origin");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptAll() {
    while (!server.isClosed()) {
      try (Socket socket = server.accept()) {
        socket.setSoTimeout((int) TestServer.WAIT.toMillis());
        String head = readHead(socket.getInputStream());
        if (head != null) {
          heads.add(head);
          socket.getOutputStream().write(response);
          socket.getOutputStream().flush();
        }
      } catch (IOException e) {
        // the server socket closed, or one connection failed: the test sees what the client got
      }
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** The origin's host:port. */
  public String authority() {
    InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    server.close();
    acceptor.join(TestServer.WAIT.toMillis());
  }
}
