package dev.vconn.bench.baseline.netty;

import dev.vconn.bench.support.BenchTransports;
import dev.vconn.bench.support.BulkPipe;
import dev.vconn.bench.support.Gate;
import dev.vconn.bench.support.Sources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The raw Netty baseline: a client channel writes slices of one pooled direct buffer while the channel is
 * writable, the accepted channel counts and releases what it reads (auto-read, Netty's default adaptive receive
 * allocator). Both channels on one event loop, epoll when available, as vconn's Netty transport runs its connected
 * and accepted channels.
 */
public final class RawNettyLoopback implements BulkPipe {
    /** Bytes per write: a slice of the source buffer, written while the channel stays writable. */
    public static final int WRITE_SIZE = 64 * 1024;

    private final EventLoopGroup group;
    private final Channel writer;
    private final ByteBuf source;
    private final Gate gate = new Gate();
    private final Reader readHandler = new Reader();
    private volatile long target;
    private long budget;

    /** Starts one loop, connects a pair over loopback. */
    public RawNettyLoopback() throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("raw-netty", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        source = ByteBufAllocator.DEFAULT.directBuffer(WRITE_SIZE).writeBytes(Sources.pattern(WRITE_SIZE));
        Channel server = new ServerBootstrap().group(group).channel(serverType)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(readHandler)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try {
            writer = new Bootstrap().group(group).channel(clientType)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new Writer())
                    .connect(server.localAddress()).sync().channel();
            if (!readHandler.active.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the accepted channel never became active");
            }
        } finally {
            server.close().sync();
        }
    }

    @Override
    public void transfer(long bytes) {
        gate.arm();
        target += bytes; // only the benchmark thread writes it
        writer.eventLoop().execute(() -> {
            budget += bytes;
            pump();
        });
        gate.await(BenchTransports.BATCH_TIMEOUT);
    }

    /** Writes slices while the channel is writable (on the loop). */
    private void pump() {
        boolean wrote = false;
        while (budget > 0 && writer.isWritable()) {
            int n = (int) Math.min(WRITE_SIZE, budget);
            writer.write(source.retainedSlice(0, n), writer.voidPromise());
            budget -= n;
            wrote = true;
        }
        if (wrote) {
            writer.flush();
        }
    }

    private final class Writer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                pump();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            gate.fail("raw netty writer: " + cause);
        }
    }

    @io.netty.channel.ChannelHandler.Sharable
    private final class Reader extends ChannelInboundHandlerAdapter {
        final CountDownLatch active = new CountDownLatch(1);
        long received;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active.countDown();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received += buf.readableBytes();
            buf.release();
            if (received >= target) {
                gate.open();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            gate.fail("raw netty reader: " + cause);
        }
    }

    @Override
    public void close() {
        writer.close().syncUninterruptibly();
        source.release();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
