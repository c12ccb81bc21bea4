package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.ServerSettings;
import dev.vconn.app.VconnServer;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpTxn;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "Writing a plugin" example, verbatim, running in a server. */
class WritingAPluginTest {

  /** As in README.md. */
  public static final class ServedBy implements Plugin {
    @Override
    public List<String> describe() {
      return List.of("every response says X-Served-By: vconn");
    }

    @Override
    public void register(HttpHooks.Builder hooks) {
      hooks.add(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;                 // hook events carry the transaction
        txn.clientResponse().headers().set("X-Served-By", "vconn");
        txn.reenable();                               // always resume it (from any thread, at any time)
      }));
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
