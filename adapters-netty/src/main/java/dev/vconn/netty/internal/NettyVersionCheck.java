package dev.vconn.netty.internal;

import io.netty.util.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Checks, before any Netty event loop is made, that the Netty on the class path is the 4.2 line this adapter is
 * built against. A build that lets another dependency decide the Netty version (a framework's {@code netty-bom}
 * 4.1 import, say) would otherwise fail later with a {@code NoClassDefFoundError} for a 4.2 class such as
 * {@code io.netty.channel.MultiThreadIoEventLoopGroup}; this turns it into one exception naming both versions.
 */
public final class NettyVersionCheck {
    /** The Netty release this adapter is compiled and tested against. */
    public static final String BUILT_AGAINST = "4.2.18.Final";
    /** The release line it needs: any 4.2.x. */
    public static final String REQUIRED_LINE = "4.2";

    /** The Netty artifacts the adapter loads classes from. */
    static final List<String> ARTIFACTS = List.of("netty-common", "netty-buffer", "netty-resolver", "netty-transport",
            "netty-transport-native-unix-common", "netty-transport-classes-epoll");

    private static volatile boolean checked;

    private NettyVersionCheck() {
    }

    /**
     * Throws unless the Netty on the class path (as {@code io.netty.util.Version.identify()} reports it) is 4.2.x.
     * The result of a successful check is remembered.
     *
     * @throws IllegalStateException naming the required and the found versions
     */
    public static void requireSupportedNetty() {
        if (checked) {
            return;
        }
        Map<String, String> found = new TreeMap<>();
        try {
            Version.identify(NettyVersionCheck.class.getClassLoader())
                    .forEach((artifact, version) -> found.put(artifact, version.artifactVersion()));
        } catch (LinkageError e) {
            throw new IllegalStateException("the netty transport needs Netty " + REQUIRED_LINE + ".x (built against "
                    + BUILT_AGAINST + ") but Netty's netty-common is not on the class path: " + e, e);
        }
        Optional<String> problem = mismatch(found);
        if (problem.isPresent()) {
            throw new IllegalStateException(problem.get());
        }
        checked = true;
    }

    /**
     * What is wrong with the Netty artifact versions {@code found} (artifact id to version, e.g.
     * {@code netty-transport -> 4.1.118.Final}), or empty if every artifact the adapter uses is 4.2.x. An artifact
     * missing from the map is not judged: Netty lists every jar it ships, so only a repackaged Netty lacks entries.
     */
    static Optional<String> mismatch(Map<String, String> found) {
        List<String> wrong = new ArrayList<>();
        for (String artifact : ARTIFACTS) {
            String version = found.get(artifact);
            if (version != null && !version.startsWith(REQUIRED_LINE + ".")) {
                wrong.add(artifact + " " + version);
            }
        }
        if (wrong.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("the netty transport needs Netty " + REQUIRED_LINE + ".x (built against " + BUILT_AGAINST
                + ") but found " + String.join(", ", wrong) + " on the class path; another dependency or an imported "
                + "bom chose that Netty: import io.netty:netty-bom:" + BUILT_AGAINST + " (or vconn-bom) before it, or "
                + "pin the Netty version (docs/netty-adapter.md, Netty version)");
    }
}
