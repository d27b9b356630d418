package dev.ferry.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the ferry command in this JVM, as a user would type it, and keeps what it printed and its exit code. */
final class Cli {
  record Result(int code, String out, String err) {}

  private Cli() {}

  static Result ferry(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Ferry.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }
}
