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
    if (args.length != 3) {
      System.err.println("usage: BrokerMain <server.properties> <cluster-id> <parent-pid>");
      System.exit(2);
    }
    String properties = args[0];
    String clusterId = args[1];
    exitWithParent(Long.parseLong(args[2]));
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

  /** A broker must not outlive the process that started it (a test JVM that crashed, a drill killed with -9). */
  private static void exitWithParent(long parentPid) {
    java.util.Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
    if (parent.isEmpty()) {
      Runtime.getRuntime().halt(1);
    }
    parent.get().onExit().thenRun(() -> Runtime.getRuntime().halt(1));
  }
}
