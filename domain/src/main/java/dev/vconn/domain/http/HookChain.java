package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hook chain of one transaction: runs the plugins' continuations of a hook point one after another (the proxy's
 * global hooks, then the transaction's own), each stopping the transaction until it reenables it, then runs what
 * comes after the hook point (docs/http.md, "Hooks"). A plugin that throws resumes the transaction with an error
 * instead of leaving it stuck. The transaction owns its chain; its state machine gives it the {@link Owner} callbacks.
 *
 * <p>Everything but {@link #stoppedAt} and {@link #release} (called by plugins through {@link HttpTxn}, from any
 * thread) runs under the session lock. The session reuses the chain for its next transaction ({@link #reset}); a
 * stop belongs to the handle of the transaction it stopped, so a handle of an ended transaction never sees or
 * releases a later one's hook.
 */
final class HookChain {
  private static final Logger LOG = LoggerFactory.getLogger(HookChain.class);

  /** What the transaction's state machine ({@link HttpSM}) does for the chain. */
  interface Owner {
    /** Whether the session is closed: the client went away. */
    boolean isClosed();

    /**
     * A chain with at least one hook ran to its end, just before what comes after it runs: the clocks the hooks
     * stopped start again. Not called for a hook point without hooks (most of them), which stopped nothing.
     */
    void chainEnded(HttpTransaction t, HttpHookId hook);

    /** The client went away while a hook held the transaction: end it now (TXN_CLOSE, access log). */
    void endAfterClose(HttpTransaction t);

    /** A hook answered {@code HTTP_ERROR}: answer the client with the transaction's error status. */
    void hookFailed(HttpTransaction t, String reason);

    /**
     * A hook reenabled the transaction inside its own callback, which has returned: resume it now on the loop under
     * the session lock if that lock is free, else through the loop's queue as any other reenable.
     */
    void resumeAfterHook(Event event);
  }

  private final HttpTransaction txn;
  private final EventLoop loop;
  private final Owner owner;
  /** The hook call the transaction is stopped at, or null while it runs (reenable clears it). */
  private final AtomicReference<HookCall> stoppedAt = new AtomicReference<>();
  /** The hook point that runs, or ran last. */
  private HttpHookId running;
  private List<Continuation> chain;
  private int index;
  /** What runs once the chain is done; non-null exactly while a chain holds the transaction. */
  private Runnable afterHooks;
  /** The hook call whose callback runs on the loop now (loop-confined), or null. */
  private HookCall calling;
  /** A reenable made inside {@link #calling}'s callback, applied once the callback returned (loop-confined). */
  private Event reenabledInCallback;

  HookChain(HttpTransaction txn, EventLoop loop, Owner owner) {
    this.txn = txn;
    this.loop = loop;
    this.owner = owner;
  }

  /** Forgets the previous transaction's chain, for the session's next transaction (which the owner ended). */
  void reset() {
    stoppedAt.set(null);
    running = null;
    chain = null;
    index = 0;
    afterHooks = null;
    calling = null;
    reenabledInCallback = null;
  }

  /** Runs the hooks of {@code hook}, then {@code then}. */
  void run(HttpHookId hook, Runnable then) {
    running = hook;
    chain = txn.hooksFor(hook);
    index = 0;
    afterHooks = then;
    next();
  }

  /** A plugin reenabled the transaction with {@code event} (HTTP_CONTINUE or HTTP_ERROR): on the loop, locked. */
  void resume(Event event) {
    if (afterHooks == null) {
      return;
    }
    if (owner.isClosed() && running != HttpHookId.TXN_CLOSE) {
      // The client went away while the hook ran: skip to the transaction's end.
      afterHooks = null;
      owner.endAfterClose(txn);
      return;
    }
    if (event == Event.HTTP_ERROR && running != HttpHookId.TXN_CLOSE
        && !(running == HttpHookId.SEND_RESPONSE_HDR && txn.errorSent)) {
      afterHooks = null;
      owner.hookFailed(txn, "plugin at " + running + " answered with an error");
      return;
    }
    next();
  }

  private void next() {
    if (index < chain.size()) {
      HookCall call = new HookCall(chain.get(index++), running, txn.handle);
      stoppedAt.set(call);
      loop.execute(call);
      return;
    }
    Runnable then = afterHooks;
    afterHooks = null;
    boolean held = !chain.isEmpty();
    chain = null;
    if (held) {
      owner.chainEnded(txn, running); // a chain without hooks stopped no clock: nothing to start again
    }
    then.run();
  }

  /**
   * A plugin reenabled the transaction with {@code event} (any thread). Inside the hook's own callback on the loop
   * it is kept and applied as soon as the callback returns, in the same loop task; otherwise the caller resumes the
   * transaction through the loop's queue.
   *
   * @return whether the reenable was kept for after the callback
   */
  boolean keepReenableMadeInCallback(Event event) {
    if (loop.inEventLoop() && calling != null) {
      reenabledInCallback = event;
      return true;
    }
    return false;
  }

  /**
   * One hook event for one plugin continuation, run on the loop under the plugin's own lock (tried; retried after
   * {@link ContinuationScheduler#LOCK_RETRY} when busy, as any scheduled delivery). A plugin that throws must not take
   * the event loop down or leave the transaction stuck at its hook: it resumes with an error instead. A plugin that
   * reenables inside its callback (the common case) is resumed when the callback returns, after its lock was
   * released, without another trip through the loop's queue (docs/http.md, Hooks).
   */
  private final class HookCall implements Runnable {
    private final Continuation plugin;
    private final HttpHookId hook;
    /** The transaction's handle, which the plugin gets. */
    private final HttpTransaction.Handle handle;

    HookCall(Continuation plugin, HttpHookId hook, HttpTransaction.Handle handle) {
      this.plugin = plugin;
      this.hook = hook;
      this.handle = handle;
    }

    @Override
    public void run() {
      ReentrantLock lock = plugin.lock();
      if (!lock.tryLock()) {
        loop.schedule(this, ContinuationScheduler.LOCK_RETRY);
        return;
      }
      Event resume;
      try {
        calling = this;
        try {
          plugin.handler().handle(hook.event(), handle);
        } catch (RuntimeException e) {
          LOG.error("plugin hook {} threw on {}; answering with an error", hook, txn, e);
          if (stoppedAt.get() == this) {
            txn.reenable(handle, Event.HTTP_ERROR);
          }
        } finally {
          calling = null;
          resume = reenabledInCallback;
          reenabledInCallback = null;
        }
      } finally {
        lock.unlock();
      }
      if (resume != null) {
        owner.resumeAfterHook(resume);
      }
    }

    @Override
    public String toString() {
      return "hook " + hook + " of " + txn + " to " + plugin;
    }
  }

  /** The hook point that runs, or that ran last; null before the first or after {@link #forgetHookPoint()}. */
  HttpHookId hookPoint() {
    return running;
  }

  /** Forgets the hook point that ran last, so that a response that replaces the one its hooks saw is seen again. */
  void forgetHookPoint() {
    running = null;
  }

  /** The hook the transaction is stopped at, or null while it runs. Any thread. */
  HttpHookId stoppedAt() {
    HookCall call = stoppedAt.get();
    return call == null ? null : call.hook;
  }

  /** The hook {@code handle}'s transaction is stopped at, or null (it runs, or it ended). Any thread. */
  HttpHookId stoppedAt(HttpTransaction.Handle handle) {
    HookCall call = stoppedAt.get();
    return call == null || call.handle != handle ? null : call.hook;
  }

  /**
   * Clears the hook {@code handle}'s transaction is stopped at and returns it; null if it was not stopped, or the
   * stop is another transaction's. Any thread.
   */
  HttpHookId release(HttpTransaction.Handle handle) {
    while (true) {
      HookCall call = stoppedAt.get();
      if (call == null || call.handle != handle) {
        return null;
      }
      if (stoppedAt.compareAndSet(call, null)) {
        return call.hook;
      }
    }
  }
}
