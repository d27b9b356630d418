package dev.ferry.cli;

import dev.ferry.FerryException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The {@code ferry} command. */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = Ferry.Version.class,
    description = "Replicates Kafka topics between clusters, exactly once, with an exact offset map.",
    subcommands = {RunCommand.class, StatusCommand.class, FailoverCommand.class, FailbackCommand.class, ResyncCommand.class, AuditCommand.class, OffsetsCommand.class,
        DrillCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 failure, 2 bad input, 3 failover or failback finish done with data at risk, 4 refused, nothing"
        + " changed (failover: target unhealthy or a group active there; run: the flow failed over; resync: a group reads the topic; failback"
        + " plan, start: no failover, or the source unhealthy; failback finish: no failback started, or producers still write), 5 drift (audit)."})
public final class Ferry {
  @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces and debug logs.")
  boolean verbose;

  @Option(names = "--log-level", scope = CommandLine.ScopeType.INHERIT, paramLabel = "LEVEL", converter = LogLevelConverter.class,
      description = "Level of Ferry's own logs: error, warn, info (default; warn for drill), debug, trace.")
  String logLevel;

  @Option(names = "--log-format", scope = CommandLine.ScopeType.INHERIT, paramLabel = "text|json", converter = LogFormatConverter.class,
      description = "Log lines as text (default) or as one JSON object per line, for log pipelines.")
  String logFormat;

  /** The levels --log-level takes. */
  static final java.util.Set<String> LEVELS = java.util.Set.of("error", "warn", "info", "debug", "trace");

  public static void main(String[] args) {
    configureLogging(args);
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code; used by main and by in-process tests. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    Ferry root = new Ferry();
    CommandLine cli = new CommandLine(root);
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler((ex, a) -> {
      err.println("ferry: " + describe(ex));
      return ExitCodes.BAD_INPUT;
    });
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      boolean verbose = root.verbose; // an inherited option: set on this command's field wherever it was given
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

  /**
   * Sets the levels logback.xml reads, before anything logs: Ferry's own from --log-level (--verbose: debug; drill: warn,
   * its report is the output), the Kafka clients' WARN for {@code run} and {@code failback start} (services: their operators want the clients'
   * warnings) and with --verbose, ERROR for one-shot commands (their errors stay one line).
   */
  private static void configureLogging(String[] args) {
    List<String> a = Arrays.asList(args);
    boolean verbose = a.contains("--verbose");
    String command = "";
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--log-level") || args[i].equals("--log-format")) {
        i++; // its value
      } else if (!args[i].startsWith("-")) {
        command = args[i];
        break;
      }
    }
    String level = verbose ? "debug" : command.equals("drill") ? "warn" : "info";
    for (int i = 0; i < args.length; i++) {
      String given = args[i].startsWith("--log-level=") ? args[i].substring("--log-level=".length())
          : args[i].equals("--log-level") && i + 1 < args.length ? args[i + 1] : null;
      if (given != null && LEVELS.contains(given.toLowerCase(java.util.Locale.ROOT))) {
        level = given.toLowerCase(java.util.Locale.ROOT);
      }
    }
    System.setProperty("ferry.log.level", level);
    for (int i = 0; i < args.length; i++) {
      String given = args[i].startsWith("--log-format=") ? args[i].substring("--log-format=".length())
          : args[i].equals("--log-format") && i + 1 < args.length ? args[i + 1] : null;
      if ("json".equalsIgnoreCase(given) && System.getProperty("logback.configurationFile") == null) {
        System.setProperty("logback.configurationFile", "logback-json.xml"); // logback.xml's levels, JSON lines
      }
    }
    boolean service = command.equals("run") || command.equals("failback") && a.contains("start");
    System.setProperty("ferry.kafka.log.level", verbose || service ? "warn" : "error");
  }

  /** text or json, in any case. */
  static final class LogFormatConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String v = value.toLowerCase(java.util.Locale.ROOT);
      if (!v.equals("text") && !v.equals("json")) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a log format (text, json)");
      }
      return v;
    }
  }

  /** One of {@link #LEVELS}, in any case. */
  static final class LogLevelConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String v = value.toLowerCase(java.util.Locale.ROOT);
      if (!LEVELS.contains(v)) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a log level (error, warn, info, debug, trace)");
      }
      return v;
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
