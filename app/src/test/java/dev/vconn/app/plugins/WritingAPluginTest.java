package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.ServerSettings;
import dev.vconn.app.VconnServer;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.plugin.Plugin;
import dev.vconn.plugin.PluginContext;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Write and load a plugin" example, verbatim, running in a server handed the plugin in code. */
class WritingAPluginTest {

  /** As in README.md. */
  public static final class ServedBy implements Plugin {
    private String value;

    @Override
    public String name() {
      return "served-by";                             // config keys: plugin.served-by.*
    }

    @Override
    public void init(PluginContext context) {
      value = context.settings().get("value", "vconn"); // plugin.served-by.value, default vconn
      context.addHook(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;                 // hook events carry the transaction
        txn.clientResponse().headers().set("X-Served-By", value);
        txn.reenable();                               // always resume it (from any thread, at any time)
      }));
    }

    @Override
    public List<String> describe() {
      return List.of("every response says X-Served-By: " + value);
    }
  }

  @Test
  void the_readme_plugin_stamps_every_response_and_is_listed() throws Exception {
    ServerSettings settings = ServerSettings.defaults().withListen(new InetSocketAddress("127.0.0.1", 0));
    VconnServer server = VconnServer.start(settings, null, List.of(new ServedBy()));
    try {
      for (String path : new String[] {"/", "/bytes/3", "/echo"}) {
        HttpResponse<String> r = TestServer.newClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.address().getPort() + path)).timeout(TestServer.WAIT).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals("vconn", r.headers().firstValue("x-served-by").orElse(""), path);
        if (path.equals("/")) {
          assertTrue(r.body().contains("every response says X-Served-By: vconn"), r.body());
        }
      }
    } finally {
      assertTrue(server.stop());
    }
  }
}
