package dev.vconn.app.architecture.planted.thirdparty.netty;

/** Stand-in for {@code io.netty.channel.Channel}. */
public interface FakeChannel {
    void writeAndFlush(Object message);
}
