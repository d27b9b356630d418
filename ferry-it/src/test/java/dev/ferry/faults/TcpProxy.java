package dev.ferry.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback between clients and one broker, which can cut the network: while cut, every byte either way is
 * dropped and connections stay open (as when packets are lost, not refused), so clients run into their timeouts. Healing
 * closes the connections that lived through the cut; clients reconnect through the proxy.
 */
final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final java.util.function.IntSupplier upstreamPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean cut;
  private volatile boolean closed;

  /** {@code upstreamPort} is asked at each new connection (a broker's port is known once it started). */
  TcpProxy(java.util.function.IntSupplier upstreamPort) {
    this.upstreamPort = upstreamPort;
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread accept = new Thread(this::accept, "proxy-accept-" + port());
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** From now on nothing gets through, either way. */
  void cut() {
    cut = true;
  }

  /** Traffic flows again, over new connections. */
  void heal() {
    cut = false;
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  private void accept() {
    while (!closed) {
      Socket client = null;
      try {
        client = server.accept();
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort.getAsInt()), 5_000);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // the server socket was closed, or the broker is down: the client sees its connection end
        if (client != null) {
          closeQuietly(client);
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (!cut) {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-pump-" + port());
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    heal();
  }
}
