package dev.vconn.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "first taste" example, kept compiling and checked. */
class ReadmeExampleTest {
    @Test
    void the_readme_example_moves_the_request_to_the_passive_end() {
        BlockPool pool = new BlockPool();
        VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
        List<Event> writerEvents = new ArrayList<>();
        StringBuilder seen = new StringBuilder();

        IOBuffer request = new IOBuffer(pool);
        IOBufferReader requestReader = request.allocReader();
        request.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        pair.active().write(new Continuation((event, data) -> writerEvents.add(event)),
                requestReader.readAvail(), requestReader);

        IOBuffer received = new IOBuffer(pool);
        IOBufferReader receivedReader = received.allocReader();
        pair.passive().read(new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
                byte[] bytes = new byte[(int) receivedReader.readAvail()];
                receivedReader.read(bytes, 0, bytes.length);
                seen.append(new String(bytes, StandardCharsets.US_ASCII));
            }
        }), Long.MAX_VALUE, received);

        loop.runUntilIdle();

        assertEquals("GET / HTTP/1.1\r\nHost: x\r\n\r\n", seen.toString());
        assertEquals(List.of(Event.WRITE_COMPLETE), writerEvents);
        pair.active().close();
        pair.passive().close();
        loop.runUntilIdle();
        request.close();
        received.close();
        assertEquals(0, pool.outstanding());
    }
}
