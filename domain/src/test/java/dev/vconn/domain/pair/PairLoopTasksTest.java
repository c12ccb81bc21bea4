package dev.vconn.domain.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How many loop tasks the pair's small exchanges cost (docs/threading.md, Passes): a reenable or a close made inside
 * one of the VConn's own callbacks is applied by the pass that runs it, and an end that is already closed is not
 * woken when its peer closes. Each case counts the tasks the virtual loop runs and checks the events are those of the
 * rules (docs/semantics.md, rules 2.3, 2.4, 3.4 and 6.5).
 */
class PairLoopTasksTest extends PairFixture {

    /**
     * A request/answer exchange as a plugin client makes it: the active end reads the answer and, inside that
     * READ_READY, writes the next request and reenables its write. The write goes out in the same pass (the pass
     * reaches the write side after the read side), so only the peer's pass follows: one task, not two.
     */
    @Test
    void a_write_reenabled_inside_the_same_vconns_read_callback_costs_only_the_peers_pass() {
        VConnPair pair = pair();
        IOBuffer serverIn = buffer();
        IOBufferReader serverInReader = serverIn.allocReader();
        IOBuffer serverOut = buffer();
        IOBufferReader serverOutReader = serverOut.allocReader();
        IOBuffer clientIn = buffer();
        IOBufferReader clientInReader = clientIn.allocReader();
        IOBuffer clientOut = buffer();
        IOBufferReader clientOutReader = clientOut.allocReader();
        List<String> serverEvents = new ArrayList<>();
        Continuation server = new Continuation((event, data) -> {
            serverEvents.add(event.name());
            if (event == Event.READ_READY) {
                serverInReader.consume(serverInReader.readAvail());
            }
        });
        pair.passive().read(server, Long.MAX_VALUE, serverIn);
        pair.passive().write(server, Long.MAX_VALUE, serverOutReader);
        WriteVio[] clientWrite = new WriteVio[1];
        Continuation client = new Continuation((event, data) -> {
            if (event == Event.READ_READY) {
                clientInReader.consume(clientInReader.readAvail());
                clientOut.write(bytes(10, 1));
                clientWrite[0].reenable();
            }
        });
        pair.active().read(client, Long.MAX_VALUE, clientIn);
        clientWrite[0] = pair.active().write(client, Long.MAX_VALUE, clientOutReader);
        loop.runUntilIdle();

        serverOut.write(bytes(20, 2)); // the server answers; the client's READ_READY writes the next request
        ((WriteVio) pair.passive().writeVio()).reenable();
        serverEvents.clear();
        long tasks = loop.runUntilIdle();

        assertEquals(10, ((ReadVio) pair.passive().readVio()).ndone(), "the server got the request");
        assertEquals(List.of("WRITE_READY", "READ_READY"), serverEvents, "the server wrote its answer, then read the request");
        assertEquals(3, tasks, "the server's pass (push), the client's pass (READ_READY, then the write it reenabled"
                + " inside it goes out) and the server's pass (READ_READY); no pass for the reenable");
    }

    /**
     * A server that closes inside its own WRITE_COMPLETE: the pass that delivered it processes the close when it ends
     * (no callback follows, rule 2.4), and the peer still hears at once (rule 6.5): its bytes, then EOS.
     */
    @Test
    void a_close_inside_the_vconns_own_callback_is_processed_by_that_pass_without_a_task() {
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        List<String> readerEvents = new ArrayList<>();
        List<String> writerEvents = new ArrayList<>();
        Continuation reader = new Continuation((event, data) -> readerEvents.add(event.name() + " " + inReader.readAvail()));
        pair.active().read(reader, Long.MAX_VALUE, in);
        loop.runUntilIdle();
        VConn passive = pair.passive();
        Continuation writer = new Continuation((event, data) -> {
            writerEvents.add(event.name());
            if (event == Event.WRITE_COMPLETE) {
                passive.close();
            }
        });
        out.write(bytes(5, 3));
        passive.write(writer, 5, outReader);

        long tasks = loop.runUntilIdle();

        assertEquals(List.of("WRITE_COMPLETE"), writerEvents, "no callback after the close");
        assertEquals(List.of("READ_READY 5", "EOS 5"), readerEvents, "the peer gets the bytes, then EOS");
        assertEquals(CloseState.CLOSED, passive.closeState());
        assertEquals(2, tasks, "the writer's pass (push, WRITE_COMPLETE, close) and the reader's pass");
    }

    /** The second end to close does not wake the first, which has nothing left to deliver. */
    @Test
    void closing_the_second_end_does_not_wake_the_end_closed_first() {
        VConnPair pair = pair();
        IOBuffer in = buffer();
        pair.active().read(new Continuation((event, data) -> { }), Long.MAX_VALUE, in);
        pair.passive().read(new Continuation((event, data) -> { }), Long.MAX_VALUE, buffer());
        loop.runUntilIdle();
        pair.passive().close();
        assertEquals(2, loop.runUntilIdle(), "the close, then the peer's pass that delivers its EOS");

        pair.active().close();
        long tasks = loop.runUntilIdle();

        assertTrue(pair.isFreed());
        assertEquals(1, tasks, "only the close: the passive end, closed already, gets no pass");
    }

    /** A read reenabled inside its own READ_READY before EOS: EOS answers it, and no further pass is run. */
    @Test
    void a_read_reenabled_inside_its_read_ready_gets_eos_once_and_no_extra_pass() {
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        List<String> events = new ArrayList<>();
        ReadVio[] read = new ReadVio[1];
        Continuation reader = new Continuation((event, data) -> {
            events.add(event.name());
            if (event == Event.READ_READY) {
                inReader.consume(inReader.readAvail());
                read[0].reenable();
            }
        });
        read[0] = pair.active().read(reader, Long.MAX_VALUE, in);
        loop.runUntilIdle();
        out.write(bytes(7, 4));
        pair.passive().write(new Continuation((event, data) -> { }), 7, outReader);
        loop.runUntilIdle();
        pair.passive().close();

        loop.runUntilIdle();

        assertEquals(List.of("READ_READY", "EOS"), events, "EOS once (docs/semantics.md, rule 3.4)");
    }
}
