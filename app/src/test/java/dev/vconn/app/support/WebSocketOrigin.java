package dev.vconn.app.support;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A small WebSocket server (RFC 6455) on a loopback socket that echoes every message: the origin for end-to-end
 * tests of upgrades through the proxy. It checks the opening handshake and answers it with
 * {@code Sec-WebSocket-Accept}, reads masked client frames (fragmented messages, ping, close), echoes text and binary
 * messages (a binary message longer than {@link #FRAGMENT} goes back in fragments of that size), answers pings, and
 * runs the closing handshake either way. What it saw is recorded per connection for the test to wait on.
 */
public final class WebSocketOrigin implements AutoCloseable {
  /** The GUID of RFC 6455 §1.3 that the accept key is derived with. */
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  /** Binary echoes longer than this are sent in fragments of this size. */
  public static final int FRAGMENT = 1 << 20;
  private static final int TEXT = 0x1;
  private static final int BINARY = 0x2;
  private static final int CONTINUATION = 0x0;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;
  private static final int PONG = 0xA;

  /** A close frame's status code and reason; code 1005 when the frame had no body. */
  public record Close(int code, String reason) {}

  /** One accepted connection and what happened on it. */
  public static final class Conn {
    /** The opening handshake's request head as received. */
    public final CompletableFuture<String> handshake = new CompletableFuture<>();
    /** The first close frame the client sent. */
    public final CompletableFuture<Close> closeReceived = new CompletableFuture<>();
    /** Completes when the client's end of the TCP stream arrived (read returned end of stream) or the socket failed. */
    public final CompletableFuture<Void> endOfStream = new CompletableFuture<>();
    /** The complete messages received, in order (text as a String, binary as a byte[]). */
    public final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    private final Socket socket;
    private final OutputStream out;
    private boolean closeSent;

    Conn(Socket socket) throws IOException {
      this.socket = socket;
      this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** Starts the closing handshake from the server: sends a close frame; the client's answer ends the connection. */
    public void close(int code, String reason) throws IOException {
      sendClose(code, reason);
    }

    private synchronized void sendClose(int code, String reason) throws IOException {
      if (closeSent) {
        return;
      }
      closeSent = true;
      byte[] text = reason.getBytes(StandardCharsets.UTF_8);
      byte[] body = new byte[2 + text.length];
      body[0] = (byte) (code >> 8);
      body[1] = (byte) code;
      System.arraycopy(text, 0, body, 2, text.length);
      sendFrame(true, CLOSE, body, 0, body.length);
    }

    private synchronized void sendFrame(boolean fin, int opcode, byte[] payload, int off, int len)
        throws IOException {
      // A server never masks its frames (RFC 6455 §5.1).
      out.write((fin ? 0x80 : 0) | opcode);
      if (len < 126) {
        out.write(len);
      } else if (len < 65536) {
        out.write(126);
        out.write(len >> 8);
        out.write(len);
      } else {
        out.write(127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) ((long) len >> shift));
        }
      }
      out.write(payload, off, len);
      out.flush();
    }
  }

  /** The connections accepted so far, in order. */
  public final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<Conn> accepted = new LinkedBlockingQueue<>();
  private final ServerSocket server;

  /** Starts the server on an ephemeral loopback port. */
  public WebSocketOrigin() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptAll, "websocket-origin");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public String authority() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** The next connection accepted, waiting at most {@link TestServer#WAIT}. */
  public Conn nextConnection() throws InterruptedException {
    Conn c = accepted.poll(TestServer.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (c == null) {
      throw new AssertionError("no WebSocket connection within " + TestServer.WAIT);
    }
    return c;
  }

  private void acceptAll() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        Thread t = new Thread(() -> serve(socket), "websocket-origin-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket) {
    Conn conn;
    try {
      socket.setSoTimeout((int) TestServer.WAIT.toMillis());
      conn = new Conn(socket);
    } catch (IOException e) {
      return;
    }
    conns.add(conn);
    accepted.add(conn);
    try (socket) {
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
      String head = readHead(in);
      conn.handshake.complete(head);
      String accept = acceptKey(head);
      if (accept == null) {
        conn.out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1));
        conn.out.flush();
        return;
      }
      conn.out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      conn.out.flush();
      echo(conn, in);
    } catch (IOException | RuntimeException e) {
      conn.endOfStream.completeExceptionally(e);
    } finally {
      conn.handshake.complete(null);
      conn.closeReceived.completeExceptionally(new EOFException("connection ended without a close frame"));
      conn.endOfStream.complete(null);
    }
  }

  /** Reads frames until the closing handshake is done, then reads the client's end of the stream. */
  private static void echo(Conn conn, DataInputStream in) throws IOException {
    ByteArrayOutputStream message = null;
    int messageOpcode = 0;
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        conn.endOfStream.complete(null);
        return;
      }
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      int b1 = in.readUnsignedByte();
      if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0) {
        failConnection(conn, 1002, "reserved bits set or unmasked client frame");
        return;
      }
      long len = b1 & 0x7F;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      if (len < 0 || len > Integer.MAX_VALUE - 8) {
        failConnection(conn, 1009, "frame too long");
        return;
      }
      byte[] mask = new byte[4];
      in.readFully(mask);
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
      if (opcode >= CLOSE) {
        if (!fin || payload.length > 125) {
          failConnection(conn, 1002, "fragmented or long control frame");
          return;
        }
        switch (opcode) {
          case PING -> conn.sendFrame(true, PONG, payload, 0, payload.length);
          case PONG -> { }
          case CLOSE -> {
            Close close = payload.length >= 2
                ? new Close(((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF),
                    new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8))
                : new Close(1005, "");
            conn.closeReceived.complete(close);
            // Answer with the status code received (RFC 6455 §5.5.1), unless the server started the handshake and
            // this is the answer. Then the server ends its side of TCP first (§7.1.1) and reads until the client's
            // end arrives, which shows the end passed through whatever is in between.
            conn.sendClose(close.code() == 1005 ? 1000 : close.code(), close.reason());
            conn.socket.shutdownOutput();
            drainToEnd(in);
            conn.endOfStream.complete(null);
            return;
          }
          default -> {
            failConnection(conn, 1002, "unknown control opcode " + opcode);
            return;
          }
        }
        continue;
      }
      if (opcode == CONTINUATION) {
        if (message == null) {
          failConnection(conn, 1002, "continuation without a message");
          return;
        }
      } else if (opcode == TEXT || opcode == BINARY) {
        if (message != null) {
          failConnection(conn, 1002, "new message inside a fragmented one");
          return;
        }
        message = new ByteArrayOutputStream();
        messageOpcode = opcode;
      } else {
        failConnection(conn, 1002, "unknown data opcode " + opcode);
        return;
      }
      message.write(payload, 0, payload.length);
      if (fin) {
        byte[] whole = message.toByteArray();
        message = null;
        if (messageOpcode == TEXT) {
          String text;
          try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(whole)).toString();
          } catch (CharacterCodingException e) {
            failConnection(conn, 1007, "text message is not UTF-8");
            return;
          }
          conn.messages.add(text);
          conn.sendFrame(true, TEXT, whole, 0, whole.length);
        } else {
          conn.messages.add(whole);
          sendFragmented(conn, whole);
        }
      }
    }
  }

  private static void sendFragmented(Conn conn, byte[] whole) throws IOException {
    int off = 0;
    do {
      int n = Math.min(FRAGMENT, whole.length - off);
      boolean last = off + n == whole.length;
      conn.sendFrame(last, off == 0 ? BINARY : CONTINUATION, whole, off, n);
      off += n;
    } while (off < whole.length);
  }

  private static void failConnection(Conn conn, int code, String reason) throws IOException {
    conn.sendClose(code, reason);
    conn.endOfStream.completeExceptionally(new IOException("protocol error: " + reason));
  }

  private static void drainToEnd(InputStream in) throws IOException {
    byte[] skip = new byte[8192];
    try {
      while (in.read(skip) >= 0) {
        // the client may still send (it should not after its close frame); the end of the stream is what counts
      }
    } catch (SocketException e) {
      // a reset instead of a FIN still ends the stream
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection ended inside the handshake: " + head);
      }
      head.write(b);
      byte[] h = head.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
  }

  /**
   * The {@code Sec-WebSocket-Accept} value for a valid opening handshake (RFC 6455 §4.2.1: GET, HTTP/1.1,
   * {@code Upgrade: websocket}, {@code Connection} with {@code upgrade}, version 13, a key of 16 bytes in base64);
   * null if the request is not one.
   */
  public static String acceptKey(String head) {
    String[] lines = head.split("\r\n");
    if (!lines[0].startsWith("GET ") || !lines[0].endsWith(" HTTP/1.1")) {
      return null;
    }
    String upgrade = null;
    String connection = null;
    String version = null;
    String key = null;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      switch (name) {
        case "upgrade" -> upgrade = value;
        case "connection" -> connection = value;
        case "sec-websocket-version" -> version = value;
        case "sec-websocket-key" -> key = value;
        default -> { }
      }
    }
    boolean upgradeToken = connection != null && Arrays.stream(connection.split(","))
        .anyMatch(t -> t.trim().equalsIgnoreCase("upgrade"));
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket") || !upgradeToken || !"13".equals(version)
        || key == null) {
      return null;
    }
    try {
      if (Base64.getDecoder().decode(key).length != 16) {
        return null;
      }
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (IllegalArgumentException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JDK", e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
