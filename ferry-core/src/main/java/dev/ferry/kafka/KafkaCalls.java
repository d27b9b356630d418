package dev.ferry.kafka;

import dev.ferry.FerryException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;

/** Waits on Admin futures and unwraps their {@link ExecutionException}s into {@link FerryException}s. */
public final class KafkaCalls {
  private KafkaCalls() {}

  /**
   * Waits for {@code future} at most {@code timeoutMs}. {@code what} names the operation and where, for the message
   * ("describe topics on cluster A (localhost:9092)").
   */
  public static <T> T await(KafkaFuture<T> future, long timeoutMs, String what) {
    try {
      return future.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(FerryException.Reason.FAILED, what + ": interrupted", e);
    } catch (TimeoutException e) {
      throw new FerryException(FerryException.Reason.UNREACHABLE, what + ": no answer within " + timeoutMs + " ms", e);
    } catch (ExecutionException e) {
      throw translate(e.getCause(), what);
    }
  }

  /** Turns a Kafka client exception into a {@link FerryException} whose reason fits it. */
  public static FerryException translate(Throwable cause, String what) {
    if (cause instanceof FerryException fe) {
      return fe;
    }
    String detail = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    LinkageError linkage = linkageError(cause);
    if (linkage != null) {
      // a compression codec whose native library does not load fails every fetch or send that uses it, as "Received
      // exception when fetching the next record": say what to do about it
      detail = "a library does not load in this process (" + linkage.getClass().getSimpleName() + ": " + linkage.getMessage()
          + "); the compression codecs (zstd, snappy, lz4) unpack their native libraries into java.io.tmpdir ("
          + System.getProperty("java.io.tmpdir") + "), which must be writable and not mounted noexec, and need the C"
          + " libraries they link; " + detail;
    }
    FerryException.Reason reason;
    if (cause instanceof AuthorizationException || cause instanceof AuthenticationException) {
      reason = FerryException.Reason.NOT_AUTHORIZED;
    } else if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
      reason = FerryException.Reason.UNREACHABLE;
    } else if (cause instanceof InvalidConfigurationException) {
      reason = FerryException.Reason.BAD_INPUT;
    } else {
      reason = FerryException.Reason.FAILED;
    }
    return new FerryException(reason, what + ": " + detail, cause);
  }

  /** The first {@link LinkageError} in the cause chain (a native library or a class that does not load), or null. */
  private static LinkageError linkageError(Throwable t) {
    for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
      if (t instanceof LinkageError e) {
        return e;
      }
    }
    return null;
  }
}
