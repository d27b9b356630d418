package dev.ferry.local;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Entry point of a local broker child process: formats the storage directory (once) and runs a combined
 * broker+controller KRaft node with the given properties file. One JVM per node, so it can be stopped by its pid.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: BrokerMain <server.properties> <cluster-id>");
      System.exit(2);
    }
    String properties = args[0];
    String clusterId = args[1];
    PrintStream out = new PrintStream(System.err, true, StandardCharsets.UTF_8);
    int formatted =
        kafka.tools.StorageTool.execute(
            new String[] {"format", "--ignore-formatted", "-t", clusterId, "-c", properties}, out);
    if (formatted != 0) {
      System.err.println("storage format failed with exit code " + formatted);
      System.exit(1);
    }
    kafka.Kafka.main(new String[] {properties});
  }
}
