package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session hooks of one client session and the {@link HttpSsn} view plugins get: runs {@link HttpHookId#SSN_START}
 * before the session reads its first request and {@link HttpHookId#SSN_CLOSE} once after its last transaction ended,
 * each continuation holding the session until it reenables it (docs/http.md, "Hooks"), and keeps the hooks added to
 * this session only. A plugin that throws at SSN_START closes the session instead of leaving it stuck.
 *
 * <p>Everything but the {@link HttpSsn} methods (any thread) and {@link #added} (any thread) runs under the session
 * lock.
 */
final class SessionHooks implements HttpSsn {
  private static final Logger LOG = LoggerFactory.getLogger(SessionHooks.class);

  private final Http1ClientSession session;
  private final long id;
  /** Hooks added with {@link #addHook}; guarded by itself. */
  private final Map<HttpHookId, List<Continuation>> own = new EnumMap<>(HttpHookId.class);
  /**
   * Set (under {@link #own}'s lock, after the hook is in) by the first {@link #addHook}: until then {@link #added}
   * answers without taking the lock, which the transactions of a session ask at every hook point.
   */
  private volatile boolean anyAdded;
  /** The hook the session is stopped at, or null while it runs (reenable clears it). */
  private final AtomicReference<HttpHookId> stoppedAt = new AtomicReference<>();
  private HttpHookId running;
  private List<Continuation> chain;
  private int index;
  /** What runs once the chain is done; non-null exactly while a chain holds the session. */
  private Runnable afterHooks;
  /** SSN_START ran (or runs): SSN_CLOSE is owed. */
  private boolean started;
  private boolean closeRan;

  SessionHooks(Http1ClientSession session, long id) {
    this.session = session;
    this.id = id;
  }

  /** Runs the SSN_START hooks, then {@code then} (at once when there are none). */
  void start(Runnable then) {
    started = true;
    run(HttpHookId.SSN_START, then);
  }

  /**
   * The session is closed and its last transaction ended: runs the SSN_CLOSE hooks, once, for a session whose
   * SSN_START ran. A session closed while SSN_START still holds it gets them when that hook reenables.
   */
  void sessionEnded() {
    if (!started || closeRan || afterHooks != null) {
      return;
    }
    closeRan = true;
    run(HttpHookId.SSN_CLOSE, () -> { });
  }

  /** A plugin reenabled the session with {@code event}: on the loop, locked. */
  void resume(Event event) {
    if (afterHooks == null) {
      return;
    }
    if (running == HttpHookId.SSN_START && (event == Event.HTTP_ERROR || session.isClosed())) {
      afterHooks = null;
      chain = null;
      if (event == Event.HTTP_ERROR) {
        LOG.debug("plugin at SSN_START closed the session of {}", session.clientAddress());
      }
      session.close(); // no-op if it closed meanwhile (the proxy shut down); runs SSN_CLOSE when it closes now
      sessionEnded();
      return;
    }
    next();
  }

  /** The hooks this session added for {@code hook}: any thread. */
  List<Continuation> added(HttpHookId hook) {
    if (!anyAdded) {
      return List.of();
    }
    synchronized (own) {
      List<Continuation> list = own.get(hook);
      return list == null ? List.of() : List.copyOf(list);
    }
  }

  private void run(HttpHookId hook, Runnable then) {
    running = hook;
    List<Continuation> global = session.config().hooks().get(hook);
    List<Continuation> mine = added(hook);
    if (mine.isEmpty()) {
      chain = global;
    } else {
      chain = new ArrayList<>(global);
      chain.addAll(mine);
    }
    index = 0;
    afterHooks = then;
    next();
  }

  private void next() {
    if (index < chain.size()) {
      Continuation c = chain.get(index++);
      HttpHookId hook = running;
      stoppedAt.set(hook);
      // Under the plugin's own lock; a plugin that throws must not leave the session held for ever: at SSN_START it
      // closes the session (the plugin could not vouch for it), at SSN_CLOSE the next hook runs.
      Continuation guardedHook = new Continuation((event, data) -> {
        try {
          c.handler().handle(event, data);
        } catch (RuntimeException e) {
          LOG.error("plugin hook {} threw on session {}", hook, id, e);
          if (stoppedAt.compareAndSet(hook, null)) {
            session.resume(this, hook == HttpHookId.SSN_START ? Event.HTTP_ERROR : Event.HTTP_CONTINUE);
          }
        }
      }, c.lock());
      ContinuationScheduler.dispatch(session.eventLoop(), guardedHook, hook.event(), this);
      return;
    }
    Runnable then = afterHooks;
    afterHooks = null;
    chain = null;
    then.run();
  }

  // ------------------------------------------------------------------------------------------------ HttpSsn

  @Override
  public long id() {
    return id;
  }

  @Override
  public SocketAddress clientAddress() {
    return session.clientAddress();
  }

  @Override
  public boolean isInternal() {
    return session.isInternal();
  }

  @Override
  public String pluginTag() {
    return session.pluginTag();
  }

  @Override
  public long pluginId() {
    return session.pluginId();
  }

  @Override
  public EventLoop eventLoop() {
    return session.eventLoop();
  }

  @Override
  public void addHook(HttpHookId id, Continuation continuation) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(continuation, "continuation");
    if (id == HttpHookId.SSN_START) {
      throw new IllegalArgumentException("SSN_START hooks are global only (HttpHooks.builder().add): "
          + "a session exists only once it started");
    }
    synchronized (own) {
      own.computeIfAbsent(id, k -> new ArrayList<>()).add(continuation);
      anyAdded = true;
    }
  }

  @Override
  public void reenable(Event event) {
    if (event != Event.HTTP_CONTINUE && event != Event.HTTP_ERROR) {
      throw new IllegalArgumentException("reenable takes HTTP_CONTINUE or HTTP_ERROR, not " + event);
    }
    if (stoppedAt.getAndSet(null) == null) {
      throw new IllegalStateException("reenable on session " + id
          + " that is not stopped at a session hook (TSHttpSsnReenable once per hook event)");
    }
    session.resume(this, event);
  }

  @Override
  public String toString() {
    return "HttpSsn[" + id + " " + session.clientAddress() + "]";
  }
}
