package dev.vconn.domain.http;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
  * The header work of one proxied request with a 100-byte response, without sockets: parse the client's request
  * head (what {@code wrk} sends), make the request head for the origin (proxy header rules, {@code Host}) and its
  * bytes, parse the origin's response head (what nginx sends for a static file, body behind it), make the client's
  * response head and its bytes, with the lookups the HTTP session makes on the way. Run it with {@code -prof gc} for
  * bytes per operation. It sits in the domain's HTTP package to reach the proxy header rules, which are not public.
  *
  * <p>{@link #proxyRequestAndResponse} is the same exchange as vconn-server forwards it with its default settings:
  * the session's and the state machine's lookups in their order, the forwarding fields ({@code X-Forwarded-For}
  * appended, {@code X-Forwarded-Proto} replaced) and {@code Host} set to the remap target's authority, each head
  * written into an {@link IOBuffer} as the session writes it (then consumed, as a socket write would).
  */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Thread)
public class HeadForwardBenchmark {
    private static final byte[] REQUEST = ("GET /100b HTTP/1.1\r\nHost: 127.0.0.1:18082\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.24.0 (Ubuntu)\r\n"
            + "Date: Mon, 07 Dec 2026 15:00:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n"
            + "Last-Modified: Mon, 07 Dec 2026 14:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"6575f0a0-64\"\r\n"
            + "Accept-Ranges: bytes\r\n\r\n" + "x".repeat(100)).getBytes(StandardCharsets.ISO_8859_1);

    private BlockPool pool;
    private IOBuffer buffer;
    private IOBufferReader reader;
    private IOBuffer wire;
    private IOBufferReader wireReader;
    private HttpHeadParser parser;
    private ProxyHeaderRules rules;
    private final ForwardingPolicy forwarding = ForwardingPolicy.defaults();
    private final InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40312);

    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        buffer = new IOBuffer(pool);
        reader = buffer.allocReader();
        wire = new IOBuffer(pool);
        wireReader = wire.allocReader();
        parser = new HttpHeadParser();
        rules = new ProxyHeaderRules("vconn");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buffer.close();
        wire.close();
    }

    @Benchmark
    public int forwardRequestAndResponse() {
        buffer.write(REQUEST);
        HttpRequestHead request = ((HttpHeadParser.Parsed<HttpRequestHead>) parser.parseRequest(reader)).head();
        HttpHeaders in = request.headers();
        int sum = in.isChunked() ? 1 : 0;
        sum += in.connectionTokens().size() + (in.get("Expect") == null ? 0 : 1);
        String host = in.get(HttpHeaders.HOST);
        HttpHeaders out = rules.forwardedRequest(in, request.version());
        out.set(HttpHeaders.HOST, host);
        sum += new HttpRequestHead(request.method(), request.target(), HttpVersion.HTTP_1_1, out).toBytes().length;

        buffer.write(RESPONSE);
        HttpResponseHead response = ((HttpHeadParser.Parsed<HttpResponseHead>) parser.parseResponse(reader)).head();
        HttpHeaders origin = response.headers();
        sum += (int) origin.contentLength().orElse(-1) + (origin.isChunked() ? 1 : 0);
        sum += origin.connectionTokens().size();
        ProxyHeaderRules.ClientResponseFields fields = rules.clientResponse(response, request.version(), true, false,
                true);
        sum += new HttpResponseHead(response.version(), response.status(), response.reason(), fields.headers())
                .toBytes().length;
        reader.consume((int) reader.readAvail()); // the body
        return sum;
    }

    @Benchmark
    public int proxyRequestAndResponse() {
        buffer.write(REQUEST);
        HttpRequestHead request = ((HttpHeadParser.Parsed<HttpRequestHead>) parser.parseRequest(reader)).head();
        HttpHeaders in = request.headers();
        int sum = in.connectionTokens().contains("close") ? 1 : 0; // Http1ClientSession: keep-alive
        sum += in.isChunked() ? 1 : (int) in.contentLength().orElse(0); // BodyDecoder.forRequest
        sum += in.get("Expect") == null ? 0 : 1;
        sum += in.hostReadableInPlace() && in.hostIs("127.0.0.1") ? 1 : 0; // remap: the Host field read in place
        HttpHeaders out = rules.forwardedRequest(in, request.version());
        String requestedHost = HttpSM.requestedHost(request);
        ProxyHeaderRules.addForwarding(out, forwarding, new ProxyHeaderRules.ClientHop(client, false, requestedHost));
        out.set(HttpHeaders.HOST, "127.0.0.1:18081");
        sum += (int) new HttpRequestHead(request.method(), "/100b", HttpVersion.HTTP_1_1, out).writeTo(wire); // HttpSM

        buffer.write(RESPONSE);
        HttpResponseHead response = ((HttpHeadParser.Parsed<HttpResponseHead>) parser.parseResponse(reader)).head();
        HttpHeaders origin = response.headers();
        sum += origin.isChunked() ? 1 : (int) origin.contentLength().orElse(-1); // BodyDecoder.forResponse
        sum += origin.connectionOptionIs("close") ? 1 : 0;
        ProxyHeaderRules.ClientResponseFields fields = rules.clientResponse(response, request.version(), true, false,
                true);
        HttpResponseHead head = new HttpResponseHead(HttpVersion.HTTP_1_1, response.status(), response.reason(),
                fields.headers());
        sum += head.headers().isChunked() ? 1 : 0; // Http1ClientSession.sendResponseHead
        sum += (int) head.writeTo(wire); // Http1ClientSession.sendResponseHead
        wireReader.consume(wireReader.readAvail()); // both heads, as the sockets' writes would
        reader.consume((int) reader.readAvail()); // the body
        return sum;
    }
}
