package dev.vconn.netty.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Registers an adopted channel with a loop and attaches its VConn there, waiting for the outcome. */
final class Registration {
    /** How long an adoption waits for its loop; a loop that does not answer in this time is wedged. */
    private static final long WAIT_SECONDS = 30;

    private Registration() {
    }

    /**
     * Registers {@code channel} with {@code loop} and calls {@code vconn.attach()} on the loop, so the VConn is
     * listed as open before this returns. Runs inline when called on {@code loop}.
     *
     * @return null on success, else the failure (Netty has then closed the channel)
     */
    @SuppressWarnings("deprecation") // EventLoop.register(Channel): how Netty's own bootstraps register a channel
    static Throwable registerAndAttach(NettyEventLoop loop, Channel channel, ChannelVConn vconn) {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                ChannelFuture reg = loop.netty().register(channel);
                reg.addListener(f -> {
                    if (f.isSuccess()) {
                        vconn.attach();
                        outcome.complete(null);
                    } else {
                        outcome.complete(f.cause());
                    }
                });
            } catch (RuntimeException e) {
                outcome.complete(e);
            }
        };
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.netty().execute(task);
        }
        try {
            return outcome.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (ExecutionException | TimeoutException e) {
            return e;
        }
    }
}
