package io.runnerfleet.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 in front of the engine's unix socket that can cut every open connection,
 * to test what the backend does when a long-lived stream (events) drops.
 */
final class DroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Path socket;
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    DroppingProxy(Path socket) throws IOException {
        this.socket = socket;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(this::acceptLoop, "dropping-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String endpoint() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
                engine.connect(UnixDomainSocketAddress.of(socket));
                open.add(client);
                open.add(engine);
                // Channel streams of one channel block each other; read and write the channel directly.
                InputStream fromEngine = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        return engine.read(ByteBuffer.wrap(b, off, len));
                    }
                };
                OutputStream toEngine = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                        while (buf.hasRemaining()) {
                            engine.write(buf);
                        }
                    }
                };
                pump(client.getInputStream(), toEngine);
                pump(fromEngine, client.getOutputStream());
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void pump(InputStream in, OutputStream out) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // The connection was cut.
            }
        }, "dropping-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Cuts every connection open now; new ones are accepted. */
    void dropAll() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Already closed.
            }
        }
        open.clear();
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropAll();
    }
}
