package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.Continuation;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * A hook that reenables the transaction inside its own callback (the common case) has the transaction resumed as soon
 * as the callback returns, in the same loop task; one that reenables later goes through the loop's queue (docs/http.md,
 * Hooks).
 */
class HttpHookResumeTest {
  private static final String ORIGIN = "10.0.0.1:8080";
  private static final String REQUEST = "GET /item HTTP/1.1\r\nHost: example.test\r\n\r\n";

  @Test
  void a_hook_that_reenables_inside_its_callback_costs_no_loop_task_for_the_resume() {
    long inside = tasksForOneTransaction((rig, txn) -> txn.reenable());
    long later = tasksForOneTransaction((rig, txn) -> rig.loop.execute(txn::reenable));
    // Reenabling later costs the plugin's own task plus the resume's trip through the queue; inside, neither.
    assertEquals(2, later - inside, "loop tasks per transaction: inside " + inside + ", later " + later);
  }

  @Test
  void a_hook_that_reenables_inside_its_callback_sees_the_transaction_go_on_only_after_it_returned() {
    StringBuilder order = new StringBuilder();
    try (HttpRig rig = rig((r, txn) -> {
      order.append("hook ");
      txn.reenable();
      order.append("returned ");
    }, order)) {
      HttpRig.Client c = rig.client();
      c.send(REQUEST);
      rig.run();
      assertEquals(1, c.responses().size());
      assertEquals("hook returned pre-remap ", order.toString());
    }
  }

  private static long tasksForOneTransaction(BiConsumer<HttpRig, HttpTxn> plugin) {
    try (HttpRig rig = rig(plugin, new StringBuilder())) {
      HttpRig.Client c = rig.client();
      c.send(REQUEST);
      rig.run(); // the first transaction opens the origin connection; the second reuses it
      c.send(REQUEST);
      long tasks = rig.loop.runReady();
      assertEquals(2, c.responses().size());
      return tasks;
    }
  }

  private static HttpRig rig(BiConsumer<HttpRig, HttpTxn> plugin, StringBuilder order) {
    HttpRig[] rig = new HttpRig[1];
    Continuation readRequest = new Continuation((event, data) -> plugin.accept(rig[0], (HttpTxn) data));
    Continuation preRemap = new Continuation((event, data) -> {
      order.append("pre-remap ");
      ((HttpTxn) data).reenable();
    });
    rig[0] = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, readRequest)
            .add(HttpHookId.PRE_REMAP, preRemap).build()));
    rig[0].origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    return rig[0];
  }
}
