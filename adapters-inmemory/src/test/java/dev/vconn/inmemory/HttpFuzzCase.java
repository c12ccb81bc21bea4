package dev.vconn.inmemory;

import dev.vconn.ports.contract.BytePattern;
import dev.vconn.ports.contract.HttpWire;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One fuzzed client connection to the proxy, a pure function of its seed: the requests it writes (valid ones,
 * ones with one targeted defect whose status is known, or ones mutated at random), how it writes them (pipelined
 * or one after the other, in slices with virtual-time gaps), how it connects (in-process, an adopted in-memory
 * socket with its own fault plans, or through the proxy's listener) and how it ends (waiting for the proxy,
 * half-closing, closing or resetting). {@link #expect} says how strictly {@link HttpFuzzOracle} judges it.
 */
final class HttpFuzzCase {
    /** The bytes of every 200 response body and every request body: {@code PATTERN} from offset 0. */
    static final BytePattern PATTERN = new BytePattern(0xF022);
    /**
     * Marks the target of a request hidden in another request's body, followed by the case's seed: an origin or
     * intercept that receives such a target read a body as a request (smuggling).
     */
    static final String SMUGGLED = "SMUGGLED-";
    /**
     * A field on every valid request, {@code seed.n.bodyLength}: the origin and intercept must receive the body with
     * exactly the length the client framed.
     */
    static final String ID_FIELD = "X-Fuzz-Id";

    /** How the client reaches the proxy. */
    enum Via { IN_PROCESS, ADOPTED_SOCKET, LISTENER }

    /** How the requests are written. */
    enum Sending { PIPELINED, SEQUENTIAL }

    /** What the client does once its requests are written (or part-way). */
    enum End { WAIT, SHUTDOWN_WRITE, SHUTDOWN_MID, CLOSE_AFTER_SEND, ABORT_MID }

    /** How strictly the outcome is judged. */
    enum Expect {
        /** Valid requests only: exactly one 200 per request, framed and filled as asked, then the end. */
        EXACT,
        /** Valid requests, one of which has a single defect with a known status: 200s, that status, then EOS. */
        TARGETED,
        /** Random mutations or odd timing: well-formed responses of allowed statuses, then the end. */
        RELAXED,
        /** The client itself breaks the connection: a well-formed prefix of responses is all that is asked. */
        FAULTED,
        /** Access control denies the client: nothing at all, then EOS. */
        DENIED,
        /** A CONNECT exchange ({@link #tunnel}), judged by {@link TunnelExchange#judge}. */
        TUNNEL
    }

    /** The share of connections (in percent) that are CONNECT exchanges. */
    static final int TUNNEL_PERCENT = 8;
    /** Tunnel streams in the fuzz stay small: the simulation has the large ones. */
    static final TunnelExchange.Limits TUNNEL_LIMITS = new TunnelExchange.Limits(60_000, Duration.ofMillis(40), true);

    /**
     * One request as written.
     *
     * @param bytes          what goes on the wire
     * @param head           whether it is a HEAD (its response has no body)
     * @param bodyLength     the 200 response's body length, -1 if not known
     * @param framing        the expected framing of the 200 response ({@code length}, {@code chunked},
     *                       {@code close}, {@code none}); null if not known
     * @param ends           whether the connection ends after its response
     * @param what           a short description
     */
    record Req(byte[] bytes, boolean head, long bodyLength, String framing, boolean ends, String what) {
    }

    /** One write: {@code length} bytes of request {@code request} from {@code offset}, after {@code delay}. */
    record Slice(int request, int offset, int length, Duration delay) {
    }

    final long seed;
    final Via via;
    final Sending sending;
    final End end;
    final Expect expect;
    final List<Req> requests = new ArrayList<>();
    final List<Slice> slices = new ArrayList<>();
    final List<String> mutations = new ArrayList<>();
    /** For {@link Expect#TARGETED}: which request has the defect and the status it must get. */
    int targetIndex = -1;
    int targetStatus;
    /** For {@link End#SHUTDOWN_MID} and {@link End#ABORT_MID}: the act happens after this many slices. */
    int breakAfterSlice = -1;
    /** For {@link Via#ADOPTED_SOCKET}: faults of the bytes the client writes, and of those it reads. */
    FaultPlan toProxy = FaultPlan.NONE;
    FaultPlan toClient = FaultPlan.NONE;
    /**
     * The client stops consuming once it has read {@code pauseAfter} bytes and goes on {@code pauseFor} later
     * (shorter than every proxy timeout): the proxy must hold the rest back and lose nothing. -1: never pauses.
     */
    long pauseAfter = -1;
    Duration pauseFor = Duration.ZERO;
    /** For {@link Via#IN_PROCESS}: the client address (a denied range for {@link Expect#DENIED}). */
    final String clientIp;
    final int clientPort;
    /** For {@link Expect#TUNNEL}: the exchange; null otherwise. */
    final TunnelExchange.Plan tunnel;
    /** For {@link Expect#TUNNEL}: whether a byte fault (reset, EOF, error at byte N) is on its connection. */
    boolean tunnelFaulted;

    private final SplittableRandom r;
    private int made;

    HttpFuzzCase(long seed) {
        this.seed = seed;
        this.r = new SplittableRandom(seed);
        int v = r.nextInt(100);
        via = v < 45 ? Via.IN_PROCESS : v < 80 ? Via.ADOPTED_SOCKET : Via.LISTENER;
        sending = r.nextInt(100) < 65 ? Sending.PIPELINED : Sending.SEQUENTIAL;
        clientPort = 1 + r.nextInt(65535);

        // Tunnels draw from a random source of their own, so that every other case stays what it was.
        SplittableRandom t = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x7E);
        tunnel = t.nextInt(100) < TUNNEL_PERCENT ? new TunnelExchange.Plan(seed, t, TUNNEL_LIMITS) : null;
        if (tunnel != null) {
            expect = Expect.TUNNEL;
            end = End.WAIT;
            clientIp = "10." + t.nextInt(60) + "." + t.nextInt(256) + "." + (1 + t.nextInt(254));
            for (int i = 0; i < tunnel.priors.size(); i++) {
                requests.add(new Req(tunnel.priors.get(i), false, tunnel.priorLengths.get(i), "length", false,
                        tunnel.head == null ? tunnel.describe() : "GET before the tunnel request"));
            }
            if (tunnel.head != null) {
                requests.add(new Req(tunnel.head, false, -1, null, true, tunnel.describe()));
            }
            if (via == Via.ADOPTED_SOCKET) {
                boolean fault = t.nextInt(10) == 0;
                boolean towardsProxy = t.nextBoolean();
                toProxy = tunnelPlan(t, fault && towardsProxy);
                toClient = tunnelPlan(t, fault && !towardsProxy);
                tunnelFaulted = fault;
            }
            return;
        }

        int kind = r.nextInt(100);
        Expect e;
        End en = End.WAIT;
        if (via == Via.IN_PROCESS && kind < 3) {
            e = Expect.DENIED;
        } else if (kind < 45) {
            e = Expect.EXACT;
        } else if (kind < 62) {
            e = Expect.TARGETED;
        } else if (kind < 90) {
            e = Expect.RELAXED;
        } else {
            e = Expect.FAULTED;
        }
        clientIp = e == Expect.DENIED ? "10.66." + r.nextInt(256) + "." + r.nextInt(256)
                : "10." + r.nextInt(60) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));

        int n = 1 + r.nextInt(r.nextInt(100) < 70 ? 2 : 5);
        for (int i = 0; i < n; i++) {
            Req q = valid(i == n - 1, e == Expect.EXACT || e == Expect.TARGETED || e == Expect.DENIED);
            requests.add(q);
            if (q.ends()) {
                break; // nothing after a request that ends the connection would be answered
            }
        }
        if (e == Expect.TARGETED) {
            targetIndex = r.nextInt(requests.size());
            Req q = targeted(targetIndex);
            requests.set(targetIndex, q);
            while (requests.size() > targetIndex + 1) {
                requests.remove(requests.size() - 1);
            }
        } else if (e == Expect.RELAXED) {
            int m = 1 + r.nextInt(3);
            for (int i = 0; i < m; i++) {
                int k = r.nextInt(requests.size());
                requests.set(k, mutate(requests.get(k)));
            }
            if (r.nextInt(10) == 0) {
                requests.add(new Req(junk(), false, -1, null, false, "trailing junk"));
                mutations.add("trailing junk");
            }
        }
        if (e == Expect.EXACT || e == Expect.TARGETED) {
            en = r.nextInt(4) == 0 ? End.SHUTDOWN_WRITE : End.WAIT;
        } else if (e == Expect.RELAXED) {
            int x = r.nextInt(10);
            en = x < 6 ? End.WAIT : x < 8 ? End.SHUTDOWN_WRITE : End.SHUTDOWN_MID;
        } else if (e == Expect.FAULTED) {
            int x = r.nextInt(3);
            en = x == 0 ? End.CLOSE_AFTER_SEND : x == 1 ? End.ABORT_MID : End.WAIT;
        }
        slice(e == Expect.RELAXED);
        if (en == End.SHUTDOWN_MID || en == End.ABORT_MID) {
            breakAfterSlice = r.nextInt(slices.size());
        }
        if (via == Via.ADOPTED_SOCKET) {
            toProxy = plan(e == Expect.FAULTED && en == End.WAIT);
            toClient = plan(e == Expect.FAULTED && en == End.WAIT && toProxy.resetAtByte() == FaultPlan.NEVER
                    && toProxy.eofAtByte() == FaultPlan.NEVER);
        }
        if (e == Expect.FAULTED && en == End.WAIT && toProxy.resetAtByte() == FaultPlan.NEVER
                && toClient.resetAtByte() == FaultPlan.NEVER && toProxy.eofAtByte() == FaultPlan.NEVER
                && toClient.eofAtByte() == FaultPlan.NEVER) {
            en = End.ABORT_MID; // a fault case must have a fault
            breakAfterSlice = r.nextInt(slices.size());
        }
        if (r.nextInt(5) == 0) {
            pauseAfter = r.nextInt(r.nextBoolean() ? 200 : 20_000);
            pauseFor = Duration.ofMillis(1 + r.nextInt(r.nextBoolean() ? 20 : 3000));
        }
        expect = e;
        end = en;
    }

    /** How many requests the case writes. */
    int requestCount() {
        return requests.size();
    }

    // ------------------------------------------------------------------------------------------------ valid

    private static final String[] TOKEN_METHODS = {"PATCH", "PROPFIND", "MKCOL", "LINK", "X-FUZZ", "M-SEARCH",
        "purge", "A", "Z1"};

    private Req valid(boolean last, boolean allowHead) {
        boolean http10 = r.nextInt(100) < 15;
        boolean keepAlive10 = http10 && r.nextBoolean();
        int m = r.nextInt(100);
        String method = m < 45 ? "GET" : m < 65 ? "POST" : m < 75 ? "PUT" : m < 80 ? (allowHead ? "HEAD" : "GET")
                : m < 85 ? "DELETE" : m < 90 ? "OPTIONS" : TOKEN_METHODS[r.nextInt(TOKEN_METHODS.length)];
        boolean head = method.equals("HEAD");
        boolean intercept = r.nextInt(100) < 55;
        int k = r.nextInt(100);
        String kind = k < 40 ? "len" : k < 65 ? "chunk" : k < 80 ? "close" : "echo";
        int size = size();
        boolean hasBody = method.equals("POST") || method.equals("PUT") || r.nextInt(10) == 0;
        int bodySize = hasBody ? size() / 2 : 0;
        boolean chunkedBody = hasBody && !http10 && r.nextInt(3) == 0;
        boolean expect100 = hasBody && !http10 && r.nextInt(8) == 0;
        boolean close = last && !http10 && r.nextInt(6) == 0;
        boolean absolute = r.nextInt(10) == 0;
        String path = (intercept ? "/i/" : "/o/") + kind + (kind.equals("echo") ? "" : "/" + size);
        path = (r.nextInt(6) == 0 ? dotted(path) : path)
                + (r.nextInt(4) == 0 ? "?q=" + r.nextInt(1000) + "&x=%20y" : "");
        String target = absolute ? "http://fuzz.test" + path : path;
        StringBuilder h = new StringBuilder(method).append(' ').append(target).append(' ')
                .append(http10 ? "HTTP/1.0" : "HTTP/1.1").append("\r\n");
        if (!http10 || r.nextBoolean()) {
            h.append(r.nextInt(20) == 0 ? "host" : "Host").append(": fuzz.test")
                    .append(r.nextInt(5) == 0 ? ":8080" : "").append("\r\n");
        }
        int extra = r.nextInt(5);
        for (int i = 0; i < extra; i++) {
            h.append("X-Fuzz-").append(i).append(": ").append(token(1 + r.nextInt(30)))
                    .append(r.nextInt(4) == 0 ? " \t" : "").append("\r\n");
        }
        if (keepAlive10) {
            h.append("Connection: keep-alive\r\n");
        }
        if (close) {
            h.append("Connection: close\r\n");
        }
        if (expect100) {
            h.append("Expect: 100-continue\r\n");
        }
        if (r.nextInt(6) == 0) {
            // Framing fields named as hop-by-hop: the proxy must forward the framing all the same.
            String[] named = {"Content-Length", "Transfer-Encoding", "Host", "content-length, Host",
                "Transfer-Encoding, Content-Length", "Host, Content-Length, Transfer-Encoding"};
            h.append(r.nextBoolean() ? "Connection" : "connection").append(": ")
                    .append(named[r.nextInt(named.length)]).append("\r\n");
        }
        // A body that is itself a request: it must reach the origin as a body (not for echo: its answer is the body).
        boolean smuggle = hasBody && !kind.equals("echo") && r.nextInt(3) == 0;
        byte[] body = smuggle ? HttpWire.bytes("GET /o/len/7?" + SMUGGLED + seed + " HTTP/1.1\r\nHost: fuzz.test\r\n"
                + "Content-Length: 0\r\n\r\n") : PATTERN.bytes(0, bodySize);
        bodySize = body.length;
        byte[] wireBody;
        if (chunkedBody) {
            h.append("Transfer-Encoding: chunked\r\n");
            wireBody = chunked(body);
        } else {
            if (hasBody) {
                h.append("Content-Length: ").append(bodySize).append("\r\n");
            }
            wireBody = body;
        }
        h.append(ID_FIELD).append(": ").append(seed).append('.').append(made++).append('.').append(bodySize)
                .append("\r\n\r\n");
        long responseLength = kind.equals("echo") ? bodySize : size;
        String framing;
        boolean ends = http10 && !keepAlive10 || close;
        if (head) {
            framing = "none";
            responseLength = 0;
        } else if (kind.equals("len") || kind.equals("echo")) {
            framing = "length";
        } else if (http10) {
            framing = "close"; // HTTP/1.0 knows no chunking: the proxy ends such a body with the connection
            ends = true;
        } else {
            framing = "chunked";
        }
        String what = method + " " + target + (http10 ? " 1.0" + (keepAlive10 ? "ka" : "") : "")
                + (hasBody ? " body=" + bodySize + (chunkedBody ? "c" : "") + (smuggle ? "smuggled" : "") : "")
                + (close ? " close" : "")
                + (expect100 ? " expect" : "");
        return new Req(HttpWire.concat(HttpWire.bytes(h.toString()), wireBody), head, responseLength, framing, ends,
                what);
    }

    /**
     * {@code path} ({@code /o/...} or {@code /i/...}) spelled with dot segments and percent-encodings that normalise
     * back to it (RFC 3986 §5.2.4, §6.2.2): the proxy must route, hook and forward it as {@code path}.
     */
    private String dotted(String path) {
        int second = path.indexOf('/', 1);
        String first = path.substring(0, second);
        String rest = path.substring(second);
        return switch (r.nextInt(7)) {
            case 0 -> first + "/x/.." + rest;
            case 1 -> first + "/." + rest;
            case 2 -> first + (r.nextBoolean() ? "/%2e" : "/%2E") + rest;
            case 3 -> first + "/" + token(1 + r.nextInt(5)).replace('.', 'd') + "/.%2e" + rest;
            case 4 -> "/%" + Integer.toHexString(first.charAt(1)) + rest.replace("n", "%6E");
            case 5 -> (first.equals("/o") ? "/i" : "/o") + "/.." + path; // the hook must see the normalised path
            default -> first + rest.replace("/", "/./");
        };
    }

    private int size() {
        int s = r.nextInt(100);
        return s < 10 ? 0 : s < 50 ? 1 + r.nextInt(200) : s < 92 ? 200 + r.nextInt(4000) : 4000 + r.nextInt(70_000);
    }

    /** A chunked encoding of {@code body} with random chunk sizes, extensions and trailers. */
    private byte[] chunked(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < body.length) {
            int n = Math.min(body.length - at, 1 + r.nextInt(r.nextBoolean() ? 16 : 5000));
            String size = Integer.toHexString(n);
            out.writeBytes(HttpWire.bytes((r.nextInt(5) == 0 ? size.toUpperCase(Locale.ROOT) : size)
                    + (r.nextInt(8) == 0 ? extension() : "") + "\r\n"));
            out.write(body, at, n);
            out.writeBytes(HttpWire.bytes("\r\n"));
            at += n;
        }
        out.writeBytes(HttpWire.bytes("0\r\n" + (r.nextInt(6) == 0 ? "X-Trailer: " + token(4) + "\r\n" : "") + "\r\n"));
        return out.toByteArray();
    }

    /** A chunk extension the RFC 9112 grammar allows: names, tokens and quoted strings with escapes, and BWS. */
    private String extension() {
        return switch (r.nextInt(4)) {
            case 0 -> ";ext=" + token(3);
            case 1 -> " ; q = \"a \\\" b;c\"";
            case 2 -> ";" + token(2) + ";" + token(1) + "=" + token(4);
            default -> ";n=\"" + token(3) + "\t\"";
        };
    }

    private String token(int n) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'*+^`|";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    // --------------------------------------------------------------------------------------------- targeted

    /** Request {@code k} rebuilt with exactly one defect whose answer is known (docs/http.md). */
    private Req targeted(int k) {
        String path = (r.nextBoolean() ? "/i/" : "/o/") + "len/" + r.nextInt(300);
        String ok = "Host: fuzz.test\r\n";
        int d = r.nextInt(28);
        String head;
        byte[] body = new byte[0];
        int status;
        String what;
        switch (d) {
            case 0 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n";
                body = HttpWire.bytes("5\r\nhello\r\n0\r\n\r\n");
                status = 400;
                what = "Content-Length with Transfer-Encoding";
            }
            case 1 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Content-Length: 3\r\nContent-Length: 4\r\n";
                body = HttpWire.bytes("abcd");
                status = 400;
                what = "conflicting Content-Length";
            }
            case 2 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "Host: other.test\r\n";
                status = 400;
                what = "two Host fields";
            }
            case 3 -> {
                head = "GET " + path + "?" + "a".repeat(8200 + r.nextInt(3000)) + " HTTP/1.1\r\n" + ok;
                status = 414;
                what = "request line too long";
            }
            case 4 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "X-Big: " + "b".repeat(66_000 + r.nextInt(10_000))
                        + "\r\n";
                status = 431;
                what = "head too large";
            }
            case 5 -> {
                StringBuilder many = new StringBuilder();
                for (int i = 0; i < 101 + r.nextInt(50); i++) {
                    many.append("X-H").append(i).append(": v\r\n");
                }
                head = "GET " + path + " HTTP/1.1\r\n" + ok + many;
                status = 431;
                what = "too many fields";
            }
            case 6 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Transfer-Encoding: gzip\r\n";
                status = 501;
                what = "unknown transfer coding";
            }
            case 7 -> {
                head = "GET " + path + " HTTP/" + (r.nextBoolean() ? "2.0" : "1.2") + "\r\n" + ok;
                status = 505;
                what = "unsupported version";
            }
            case 8 -> {
                head = "GET " + path + " HTTX/1.1\r\n" + ok;
                status = 400;
                what = "garbage version";
            }
            case 9 -> {
                head = "GET " + path + " HTTP/1.1\r\nHost : fuzz.test\r\n";
                status = 400;
                what = "whitespace before colon";
            }
            case 10 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "X-Fold: a\r\n  folded\r\n";
                status = 400;
                what = "obs-fold";
            }
            case 11 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "X-Nul: a\0b\r\n";
                status = 400;
                what = "NUL in a field value";
            }
            case 12 -> {
                head = "GET " + path + " HTTP/1.1\r\nX-No-Host: 1\r\n";
                status = 400;
                what = "HTTP/1.1 without Host";
            }
            case 13 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Transfer-Encoding: chunked\r\n";
                body = HttpWire.bytes(r.nextBoolean() ? "zz\r\nhello\r\n0\r\n\r\n" : "5\r\nhelloXX0\r\n\r\n");
                status = 400;
                what = "bad chunked request body";
            }
            case 14 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Expect: teapot\r\nContent-Length: 2\r\n";
                body = HttpWire.bytes("hi");
                status = 417;
                what = "unknown expectation";
            }
            case 15 -> {
                // No CONNECT port is allowed in the fuzz proxy (the default): refused (docs/http.md, Tunnels).
                head = "CONNECT fuzz.test:443 HTTP/1.1\r\n" + ok;
                status = 403;
                what = "CONNECT";
            }
            case 16 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "X-Cr: a\rb\r\n";
                status = 400;
                what = "bare CR in a field value";
            }
            case 17 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Content-Length: 12a\r\n";
                status = 400;
                what = "non-numeric Content-Length";
            }
            case 18 -> {
                head = "GET " + path + " HTTP/1.1\r\n" + ok + "X(A): 1\r\n";
                status = 400;
                what = "bad field name";
            }
            case 19 -> {
                head = "GET  " + path + " HTTP/1.1\r\n" + ok;
                status = 400;
                what = "two spaces in the request line";
            }
            case 20 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Transfer-Encoding: chunked, chunked\r\n";
                status = 400;
                what = "chunked twice";
            }
            case 22 -> {
                // A 404 to a fully read request keeps the connection (docs/http.md, Bad input): the client asks for
                // the close, so the case still ends with its target.
                head = "GET " + path.substring(0, 3) + ".." + path.substring(2) + " HTTP/1.1\r\n" + ok
                        + "Connection: close\r\n";
                status = 404; // "/o/../len/N" is "/len/N": outside every remap prefix and not intercepted
                what = "dot segments out of the prefix";
            }
            case 23 -> {
                String[] climbs = {"/..", "/%2e%2e", "/.%2E", "/o/../.."};
                head = "GET " + climbs[r.nextInt(climbs.length)] + path + " HTTP/1.1\r\n" + ok;
                status = 400;
                what = "path above the root";
            }
            case 24 -> {
                String[] hidden = {"/..%2F", "/..%2f", "/..%5C", "/..;x/", "\\..\\"};
                head = "GET " + path.substring(0, 2) + hidden[r.nextInt(hidden.length)] + path.substring(3)
                        + " HTTP/1.1\r\n" + ok;
                status = 400;
                what = "dot segment behind an encoded separator, with parameters or a backslash";
            }
            case 25 -> {
                head = "GET " + path + "%" + (r.nextBoolean() ? "g0" : "") + " HTTP/1.1\r\n" + ok;
                status = 400;
                what = "bad percent-encoding in the path";
            }
            case 26, 27 -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Transfer-Encoding: chunked\r\n";
                String[] lines = {"2;x=\"a\r\nb\"", "2;x=\"a\nb\"", "5;x=\"unterminated", "5;x y", "5;=v"};
                body = HttpWire.bytes(lines[r.nextInt(lines.length)] + "\r\n"
                        + (r.nextBoolean() ? "0\r\n\r\n" : "hello\r\n0\r\n\r\n"));
                status = 400;
                what = "chunk extension outside the grammar (a quoted CRLF)";
            }
            default -> {
                head = "POST " + path + " HTTP/1.1\r\n" + ok + "Content-Length: -1\r\n";
                status = 400;
                what = "negative Content-Length";
            }
        }
        targetStatus = status;
        mutations.add("request " + k + ": " + what + " -> " + status);
        return new Req(HttpWire.concat(HttpWire.bytes(head + "\r\n"), body), false, -1, null, true, what);
    }

    // ------------------------------------------------------------------------------------------------ random

    /** Request {@code q} with one to three random mutations of its bytes. */
    private Req mutate(Req q) {
        byte[] b = q.bytes();
        int m = 1 + r.nextInt(3);
        StringBuilder what = new StringBuilder(q.what());
        for (int i = 0; i < m; i++) {
            int kind = r.nextInt(13);
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            String w;
            switch (kind) {
                case 0 -> {
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] = (byte) r.nextInt(256);
                    }
                    w = "byte " + at + " set";
                }
                case 1 -> {
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                    w = "bit flipped at " + at;
                }
                case 2 -> {
                    byte[] ins = {(byte) "\r\n\0 \t:".charAt(r.nextInt(6))};
                    b = splice(b, at, 0, ins);
                    w = "inserted " + Printable.show(ins) + " at " + at;
                }
                case 3 -> {
                    int len = Math.min(b.length - at, 1 + r.nextInt(20));
                    b = splice(b, at, len, new byte[0]);
                    w = "deleted " + len + " at " + at;
                }
                case 4 -> {
                    b = java.util.Arrays.copyOf(b, at);
                    w = "truncated at " + at;
                }
                case 5 -> {
                    int[] line = lineAt(b, at);
                    b = splice(b, line[1], 0, java.util.Arrays.copyOfRange(b, line[0], line[1]));
                    w = "duplicated the line at " + line[0];
                }
                case 6 -> {
                    int n = r.nextInt(3) == 0 ? 60_000 + r.nextInt(20_000) : 1 + r.nextInt(9000);
                    b = splice(b, at, 0, HttpWire.bytes("a".repeat(n)));
                    w = "inserted " + n + " x 'a' at " + at;
                }
                case 7 -> {
                    String[] versions = {"HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/0.9", "HTTP/1.10", "http/1.1",
                        "HTTP/1", "HTTP/11.1", ""};
                    b = replaceFirst(b, "HTTP/1.", versions[r.nextInt(versions.length)] + "#");
                    w = "version replaced";
                }
                case 8 -> {
                    // Never HEAD: its responses have no body whatever their length says, and the oracle could not
                    // tell which response answers it once the stream is mutated.
                    String[] methods = {"GET", "G ET", "", "CONNECT", "OPTIONS", "get", "\u00e9T", "TRACE", "X"};
                    String repl = methods[r.nextInt(methods.length)];
                    int sp = indexOf(b, (byte) ' ');
                    b = splice(b, 0, Math.max(0, sp), HttpWire.bytes(repl));
                    w = "method '" + repl + "'";
                }
                case 9 -> {
                    String[] fields = {"Content-Length: 0", "Content-Length: 7", "Content-Length: 99999999999999999999",
                        "Transfer-Encoding: chunked", "Transfer-Encoding: identity", "Host: x", "Expect: 100-continue",
                        "Connection: close", "Content-Length: ", "Transfer-Encoding: chunked, gzip"};
                    int[] line = lineAt(b, at);
                    b = splice(b, line[1], 0, HttpWire.bytes(fields[r.nextInt(fields.length)] + "\r\n"));
                    w = "added a field";
                }
                case 10 -> {
                    // A chunk size line made bad: hex garbage, a huge size or a negative one.
                    String[] sizes = {"zz", "fffffffffffffffffff", "-1", "", " ", "1;\0"};
                    b = replaceFirst(b, "\r\n\r\n", "\r\n\r\n" + sizes[r.nextInt(sizes.length)] + "\r\n");
                    w = "bad chunk size";
                }
                case 11 -> {
                    b = replaceFirst(b, "\r\n", "\n");
                    w = "bare LF line end";
                }
                default -> {
                    int n = 1 + r.nextInt(40);
                    byte[] noise = new byte[n];
                    for (int j = 0; j < n; j++) {
                        noise[j] = (byte) r.nextInt(256);
                    }
                    b = splice(b, at, 0, noise);
                    w = n + " random bytes at " + at;
                }
            }
            what.append("; ").append(w);
        }
        mutations.add(what.toString());
        return new Req(b, false, -1, null, false, what.toString());
    }

    private byte[] junk() {
        byte[] b = new byte[1 + r.nextInt(300)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (r.nextInt(4) == 0 ? "\r\n: \0".charAt(r.nextInt(5)) : 32 + r.nextInt(95));
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        at = Math.max(0, Math.min(at, b.length));
        remove = Math.max(0, Math.min(remove, b.length - at));
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    private static byte[] replaceFirst(byte[] b, String find, String with) {
        String s = HttpWire.text(b);
        int i = s.indexOf(find);
        return i < 0 ? b : splice(b, i, find.length(), HttpWire.bytes(with.replace("#", "")));
    }

    private static int indexOf(byte[] b, byte c) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** The start and end (after its LF) of the line holding offset {@code at}. */
    private static int[] lineAt(byte[] b, int at) {
        int s = Math.min(at, b.length);
        while (s > 0 && b[s - 1] != '\n') {
            s--;
        }
        int e = Math.min(at, b.length);
        while (e < b.length && b[e] != '\n') {
            e++;
        }
        return new int[] {s, Math.min(b.length, e + 1)};
    }

    // ------------------------------------------------------------------------------------------ writing, faults

    /**
     * Cuts every request into slices with virtual-time gaps (a long stall only when judged relaxed). A request
     * expecting 100-continue is cut after its head, so the proxy sees the head alone and answers 100 first.
     */
    private void slice(boolean stalls) {
        for (int i = 0; i < requests.size(); i++) {
            int len = requests.get(i).bytes().length;
            int pieces = r.nextInt(3) == 0 ? 1 + r.nextInt(6) : 1;
            int at = 0;
            int headEnd = HttpWire.text(requests.get(i).bytes()).indexOf("\r\n\r\n") + 4;
            if (requests.get(i).what().endsWith(" expect") && headEnd > 4 && headEnd < len) {
                slices.add(new Slice(i, 0, headEnd, gap(stalls)));
                slices.add(new Slice(i, headEnd, len - headEnd, Duration.ofMillis(5 + r.nextInt(20))));
                continue;
            }
            for (int p = 0; p < pieces && at < len || at == 0 && p == 0; p++) {
                int n = p == pieces - 1 ? len - at : Math.min(len - at, 1 + r.nextInt(Math.max(1, len / pieces * 2)));
                slices.add(new Slice(i, at, n, gap(stalls)));
                at += n;
            }
            if (at < len) {
                slices.add(new Slice(i, at, len - at, gap(stalls)));
            }
        }
    }

    private Duration gap(boolean stalls) {
        int g = r.nextInt(100);
        if (stalls && g == 0) {
            return Duration.ofSeconds(12); // longer than the header timeout
        }
        return g < 50 ? Duration.ZERO
                : g < 90 ? Duration.ofMillis(1 + r.nextInt(3)) : Duration.ofMillis(20 + r.nextInt(200));
    }

    /** Fault plan of one direction of an adopted socket; byte faults only when the case is a fault case. */
    private FaultPlan plan(boolean byteFault) {
        FaultPlan.Builder b = FaultPlan.builder(r.nextLong());
        if (r.nextInt(2) == 0) {
            b.fragmentation(true);
        }
        if (r.nextInt(4) == 0) {
            b.latency(Duration.ofMillis(r.nextInt(5)));
        }
        if (r.nextInt(10) == 0) {
            b.bytesPerSecond(200_000 + r.nextInt(2_000_000));
        }
        if (byteFault && r.nextBoolean()) {
            long at = r.nextInt(2000);
            int f = r.nextInt(3);
            if (f == 0) {
                b.resetAt(at);
            } else if (f == 1) {
                b.eofAt(at);
            } else {
                b.errorAt(at);
            }
        }
        return b.build();
    }

    /** Fault plan of one direction of a tunnel client's adopted socket; a byte fault only if {@code byteFault}. */
    private static FaultPlan tunnelPlan(SplittableRandom t, boolean byteFault) {
        FaultPlan.Builder b = FaultPlan.builder(t.nextLong()).fragmentation(t.nextBoolean());
        if (t.nextInt(4) == 0) {
            b.latency(Duration.ofMillis(t.nextInt(5)));
        }
        if (t.nextInt(10) == 0) {
            b.bytesPerSecond(200_000 + t.nextInt(2_000_000));
        }
        if (byteFault) {
            long at = t.nextInt(3000);
            switch (t.nextInt(3)) {
                case 0 -> b.resetAt(at);
                case 1 -> b.eofAt(at);
                default -> b.errorAt(at);
            }
        }
        return b.build();
    }

    /** One line for reports. */
    String describe() {
        StringBuilder sb = new StringBuilder("seed ").append(seed).append(": ").append(expect).append(", ")
                .append(via).append(", ").append(sending).append(", end ").append(end);
        if (breakAfterSlice >= 0) {
            sb.append(" after slice ").append(breakAfterSlice);
        }
        sb.append(", ").append(slices.size()).append(" slices, client ").append(clientIp).append(':')
                .append(clientPort);
        if (via == Via.ADOPTED_SOCKET) {
            sb.append(", to proxy ").append(toProxy).append(", to client ").append(toClient);
        }
        if (expect == Expect.TARGETED) {
            sb.append(", target request ").append(targetIndex).append(" -> ").append(targetStatus);
        }
        if (pauseAfter >= 0) {
            sb.append(", reading pauses after ").append(pauseAfter).append(" bytes for ").append(pauseFor);
        }
        for (int i = 0; i < requests.size(); i++) {
            sb.append("\n    request ").append(i).append(": ").append(requests.get(i).what());
        }
        for (String m : mutations) {
            sb.append("\n    mutation: ").append(m);
        }
        return sb.toString();
    }

    /** Printable form of bytes, for traces. */
    static final class Printable {
        private Printable() {
        }

        static String show(byte[] b) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < Math.min(b.length, 400); i++) {
                int c = b[i] & 0xff;
                out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c)
                        : c == '\r' ? "\\r" : c == '\n' ? "\\n\n      " : String.format(Locale.ROOT, "\\x%02x", c));
            }
            return out.append(b.length > 400 ? "... (" + b.length + " bytes)" : "").toString();
        }
    }
}
