package dev.ferry.cli;

import dev.ferry.FerryException;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The {@code ferry} command. */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = Ferry.Version.class,
    description = "Replicates Kafka topics between clusters, exactly once, with an exact offset map.",
    subcommands = {RunCommand.class, StatusCommand.class, FailoverCommand.class, OffsetsCommand.class, DrillCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 failure, 2 bad input; failover: 3 done with data at risk, 4 refused."})
public final class Ferry {
  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces and debug logs.")
  boolean verbose;

  public static void main(String[] args) {
    configureLogging(args);
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code; used by main and by in-process tests. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Ferry());
    cli.setOut(out);
    cli.setErr(err);
    boolean verbose = Arrays.asList(args).contains("--verbose");
    cli.setParameterExceptionHandler((ex, a) -> {
      err.println("ferry: " + describe(ex));
      return ExitCodes.BAD_INPUT;
    });
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (verbose) {
        ex.printStackTrace(err);
      }
      if (ex instanceof FerryException fe) {
        err.println("ferry: " + fe.getMessage());
        return ExitCodes.of(fe.reason());
      }
      err.println("ferry: unexpected error: " + ex + (verbose ? "" : " (run with --verbose for details)"));
      return ExitCodes.FAILURE;
    });
    return cli.execute(args);
  }

  /**
   * One line: "--naming: 'mirror' is not a naming mode ..." for a value a converter refused; picocli's own message and
   * where to look otherwise.
   */
  private static String describe(CommandLine.ParameterException ex) {
    if (ex.getCause() instanceof CommandLine.TypeConversionException t && ex.getArgSpec() instanceof CommandLine.Model.OptionSpec o) {
      return o.longestName() + ": " + t.getMessage();
    }
    return ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')";
  }

  private static void configureLogging(String[] args) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    boolean drill = args.length > 0 && args[0].equals("drill");
    if (verbose) {
      System.setProperty("org.slf4j.simpleLogger.log.dev.ferry", "debug");
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    } else if (drill) {
      System.setProperty("org.slf4j.simpleLogger.log.dev.ferry", "warn");
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Ferry.class.getPackage().getImplementationVersion();
      return new String[] {"ferry " + (v == null ? "development build" : v) + " (Kafka clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + ")"};
    }
  }
}
