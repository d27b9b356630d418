package dev.ferry.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import dev.ferry.FerryException;
import org.apache.kafka.common.TopicPartition;

/** JSON output of the commands, written from the core's result records: partitions as "topic-partition", absent values as null. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new Jdk8Module())
      .registerModule(new SimpleModule("ferry-json").addSerializer(TopicPartition.class, ToStringSerializer.instance))
      .enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  /** Checks a {@code --format} value: table or json, else bad input naming the flag. */
  static void requireFormat(String format) {
    if (!format.equals("table") && !format.equals("json")) {
      throw new dev.ferry.FerryException(dev.ferry.FerryException.Reason.BAD_INPUT, "--format: '" + format + "' is not table or json");
    }
  }

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new FerryException(FerryException.Reason.FAILED, "cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }
}
