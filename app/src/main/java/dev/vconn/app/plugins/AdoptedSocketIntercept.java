package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.BlindTunnel;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.plugin.Plugin;
import dev.vconn.plugin.PluginContext;
import dev.vconn.plugin.http.RequestTargets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traffic Server's {@code intercept.cc}: requests under a path prefix are served by intercepting them and splicing
 * the intercept VConn to an origin reached over a socket the plugin opened itself and then adopted
 * ({@link SocketAdopter}, {@code TSVConnFdCreate}).
 *
 * <p>The connect is a plain <i>blocking</i> {@link SocketChannel} connect, done on a small executor (never on an
 * event loop); the adopted VConn then comes back to the intercept's loop with
 * {@link ContinuationScheduler#dispatch}. From there a {@link BlindTunnel} moves the bytes both ways with VIO
 * backpressure, the request bytes read while connecting first; EOS on one side is passed on as a write shutdown once
 * its bytes are out; an error or timeout closes both.
 *
 * <p>The origin sees the request exactly as the proxy forwards it (same target, {@code Via} added).
 *
 * <p>Plugin {@value #NAME}; setting {@code plugin.intercept.routes = /prefix/=host:port, ...} (required; what
 * {@code --intercept} sets). The connect timeout and the splice's inactivity timeout are the proxy's.
 */
public final class AdoptedSocketIntercept implements Plugin {
  private static final Logger LOG = LoggerFactory.getLogger(AdoptedSocketIntercept.class);

  /**
   * One intercepted prefix and its origin.
   *
   * @param pathPrefix requests whose path starts with it are intercepted
   * @param host the origin's host
   * @param port the origin's port
   */
  public record Route(String pathPrefix, String host, int port) {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException naming the bad component
     */
    public Route {
      if (!pathPrefix.startsWith("/")) {
        throw new IllegalArgumentException("intercept prefix must start with /, was " + pathPrefix);
      }
      if (host.isEmpty()) {
        throw new IllegalArgumentException("intercept origin host must not be empty");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("intercept origin port must be in 1..65535, was " + port);
      }
    }

    /**
     * Parses {@code /prefix/=host:port}.
     *
     * @param text the route
     * @return the route
     * @throws IllegalArgumentException if it does not parse, saying why
     */
    public static Route parse(String text) {
      int eq = text.indexOf('=');
      int colon = text.lastIndexOf(':');
      if (eq < 0 || colon < eq) {
        throw new IllegalArgumentException("intercept route must be PREFIX=HOST:PORT, was '" + text + "'");
      }
      String host = text.substring(eq + 1, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("intercept route has a bad port: '" + text + "'");
      }
      return new Route(text.substring(0, eq), host, port);
    }

    @Override
    public String toString() {
      return pathPrefix + "=" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** The plugin's name. */
  public static final String NAME = "intercept";

  private List<Route> routes = List.of();
  private SocketAdopter adopter;
  private BlockPool pool;
  private Duration connectTimeout;
  private Duration inactivity;
  private ExecutorService connects;

  /** Creates the plugin (found with ServiceLoader); {@link #init} configures it. */
  public AdoptedSocketIntercept() {}

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Reads {@code plugin.intercept.routes} and registers the interceptor.
   *
   * @param context the server's context
   * @throws IllegalArgumentException naming the key if the routes are missing or malformed
   */
  @Override
  public void init(PluginContext context) {
    List<Route> parsed = new ArrayList<>();
    for (String r : context.settings().getList("routes")) {
      try {
        parsed.add(Route.parse(r));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(context.settings().qualified("routes") + ": " + e.getMessage(), e);
      }
    }
    if (parsed.isEmpty()) {
      context.settings().require("routes"); // names the key
    }
    this.routes = List.copyOf(parsed);
    this.adopter = context.socketAdopter();
    this.pool = context.blockPool();
    this.connectTimeout = context.timeouts().connect();
    this.inactivity = context.timeouts().inactivity();
    AtomicInteger n = new AtomicInteger();
    // Two threads bound how many blocking connects run at once; more wait their turn in the queue.
    this.connects = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "vconn-adopt-connect-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    context.addInterceptor(this::intercept);
  }

  @Override
  public List<String> describe() {
    return routes.stream()
        .map(r -> String.format("%-22s spliced to %s:%d over an adopted socket", r.pathPrefix() + "*", r.host(),
            r.port()))
        .toList();
  }

  private Continuation intercept(HttpTxn txn) {
    String path = RequestTargets.path(txn.clientRequest().target());
    for (Route r : routes) {
      if (path.startsWith(r.pathPrefix())) {
        Splice splice = new Splice(r);
        splice.self = new Continuation(splice);
        return splice.self;
      }
    }
    return null;
  }

  @Override
  public void close() {
    if (connects != null) {
      connects.shutdownNow();
    }
  }

  /**
   * One intercepted transaction: the intercept VConn ("client") waits, its request bytes buffered, until the origin
   * is adopted; then a {@link BlindTunnel} splices the two, carrying the buffered bytes first.
   */
  private final class Splice implements EventHandler {
    private final Route route;
    Continuation self;
    private VConn client;
    private IOBuffer pending; // the client's bytes read before the origin was reached
    private IOBufferReader pendingReader;
    private IOBuffer reply; // the 502 when the origin cannot be reached
    private boolean closed;

    Splice(Route route) {
      this.route = route;
    }

    @Override
    public void handle(Event event, Object data) {
      if (closed) {
        if (event == Event.IMMEDIATE && data instanceof VConn late) {
          late.close(); // the origin connected after the transaction went away
        }
        return;
      }
      try {
        switch (event) {
          case NET_ACCEPT -> accepted((VConn) data);
          case IMMEDIATE -> {
            if (data instanceof VConn adopted) {
              originReady(adopted);
            } else {
              connectFailed((Throwable) data);
            }
          }
          case READ_READY, WRITE_READY -> {
            // the request waits in the buffer until the origin is there; the 502 is on its way
          }
          default -> close(); // EOS before the origin was reached (nobody to answer), the 502 is out, or an error
        }
      } catch (RuntimeException e) {
        LOG.error("adopted-socket intercept failed; closing it", e);
        close();
      }
    }

    private void accepted(VConn vconn) {
      client = vconn;
      pending = new IOBuffer(pool);
      pendingReader = pending.allocReader();
      client.read(self, Long.MAX_VALUE, pending); // the request waits in the buffer meanwhile
      InetSocketAddress address = new InetSocketAddress(route.host(), route.port());
      try {
        connects.execute(() -> connectAndAdopt(address));
      } catch (RejectedExecutionException e) {
        connectFailed(e); // the server is stopping
      }
    }

    /** On the executor: a blocking connect, then adoption; the result goes back to the client's loop. */
    private void connectAndAdopt(InetSocketAddress address) {
      Object result;
      SocketChannel channel = null;
      try {
        channel = SocketChannel.open();
        channel.socket().connect(address, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        result = adopter.adopt(channel); // from here on the VConn owns the socket
      } catch (IOException | AdoptionException | RuntimeException e) {
        closeQuietly(channel); // a failed adoption leaves the socket ours to close
        result = e;
      }
      try {
        ContinuationScheduler.dispatch(client.eventLoop(), self, Event.IMMEDIATE, result);
      } catch (RuntimeException e) {
        // The loop is gone (the transport stopped meanwhile): nobody will take the origin connection.
        if (result instanceof VConn adopted) {
          adopted.close();
        }
        LOG.debug("intercept result dropped: the event loop no longer runs", e);
      }
    }

    private void originReady(VConn origin) {
      BlindTunnel tunnel = new BlindTunnel(client, origin, pool, pendingReader, null, inactivity,
          result -> LOG.debug("intercept tunnel to {}:{} ended: {}", route.host(), route.port(), result));
      closed = true; // from here on the tunnel owns both VConns
      pending.close(); // the tunnel took its bytes
      tunnel.start();
    }

    private void connectFailed(Throwable e) {
      LOG.warn("intercept origin {}:{} unreachable: {}", route.host(), route.port(), e.toString());
      byte[] body = ("502 Bad Gateway: intercept origin " + route.host() + ":" + route.port()
          + " unreachable\n").getBytes(StandardCharsets.UTF_8);
      byte[] head = ("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      reply = new IOBuffer(pool);
      IOBufferReader replyReader = reply.allocReader();
      reply.write(head);
      reply.write(body);
      client.write(self, replyReader.readAvail(), replyReader);
    }

    private void close() {
      closed = true;
      if (client != null) {
        client.close();
      }
      if (pending != null) {
        pending.close();
      }
      if (reply != null) {
        reply.close();
      }
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to do with a socket that fails to close
      }
    }
  }
}
