package dev.ferry.topics;

import dev.ferry.FerryException;
import dev.ferry.client.FerryNames;
import dev.ferry.config.FlowConfig;
import dev.ferry.config.Naming;
import dev.ferry.kafka.KafkaCalls;
import dev.ferry.naming.TopicNaming;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACLs a flow keeps in step on the target ({@code sync-acls}): the source's topic ACLs of replicated topics, mapped
 * to their target names, and its group ACLs of the groups the flow checkpoints, READ and DESCRIBE only. Nobody gets to
 * write to a replicated topic through a copied ACL: ALL becomes READ (which implies DESCRIBE), every other operation is
 * left out. DENY entries are copied the same way (a principal kept from reading on the source is kept from reading the
 * copy; a DENY of ALL denies READ and DESCRIBE), except those for every principal ({@code User:*}), which would shut
 * Ferry itself out of the target topics. Prefixed topic ACLs are copied under prefix naming only (the mapped prefix
 * {@code A.ord} reaches only topics replicated from A; under identity naming it would reach the target's own topics);
 * prefixed group ACLs unless they reach Ferry's own groups. Literal wildcard resources ({@code *}) are not copied: on
 * the target they would reach topics the flow does not own.
 *
 * <p>The copies the sync made are recorded in the flow's state topic: a copy whose source ACL is dropped is removed from
 * the target, while an ACL the target had already (granted there by hand, or by another flow) is never the sync's to
 * remove. A source that suddenly lists none of the flow's ACLs (rebuilt, replaced) does not empty the target: that is
 * refused and logged, and left to {@code ferry audit --fix}.
 */
public final class AclSync {
  /** The state-topic key of the ACLs copied last. */
  static final String STATE_KEY = "acls-synced";
  private static final long TIMEOUT_MS = 30_000;

  /**
   * How the target differs: {@code missing} the copies of source ACLs the target lacks; {@code stale} copies made
   * earlier of ACLs the source no longer has, still on the target.
   */
  public record Diff(List<AclBinding> missing, List<AclBinding> stale) {
    public boolean empty() {
      return missing.isEmpty() && stale.isEmpty();
    }
  }

  /** How often a running flow compares the ACLs of both clusters. */
  public static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(AclSync.class);

  private final FlowConfig flow;
  private final TopicNaming naming;
  /** What the sync copied last (null until read from the state topic); only the running sync's thread uses it. */
  private Set<AclBinding> synced;
  private long lastRound;
  private String lastProblem = "";

  public AclSync(FlowConfig flow) {
    this.flow = flow;
    this.naming = TopicNaming.of(flow);
  }

  /**
   * One round of a running flow's sync, at most every {@link #INTERVAL} ({@code nowNanos}: a monotonic clock): reads both
   * clusters' ACLs, adds the missing copies and removes the stale ones on the target, each change logged. A failure is
   * logged once (until it changes) and the round is tried again next time; replication goes on.
   */
  public void round(Admin source, Admin target, long nowNanos) {
    if (lastRound != 0 && nowNanos - lastRound < INTERVAL.toNanos()) {
      return;
    }
    lastRound = nowNanos;
    String side = flow.source().describe();
    try {
      Set<AclBinding> fromSource = read(source, side);
      side = flow.target().describe();
      Set<AclBinding> wanted = wanted(fromSource);
      if (synced == null) {
        synced = readSynced(flow);
      }
      Diff d = diff(wanted, synced, read(target, side));
      if (wanted.isEmpty() && !d.stale().isEmpty() && d.stale().size() == synced.size()) {
        // every copy would go at once: a rebuilt or replaced source, not a revocation; an operator decides
        throw new FerryException(FerryException.Reason.REFUSED, "the source lists no ACLs of the flow's topics and groups any more (rebuilt or"
            + " replaced?): the " + d.stale().size() + " copies on " + side + " are kept; `ferry audit --fix` removes them");
      }
      apply(target, d, side).forEach(line -> LOG.atInfo().addKeyValue("flow", flow.name()).log("{} on {}", line, flow.target().describe()));
      Set<AclBinding> owned = owned(wanted, synced, d);
      if (!owned.equals(synced)) {
        writeSynced(flow, owned);
        synced = owned;
      }
      if (!lastProblem.isEmpty()) {
        LOG.atInfo().addKeyValue("flow", flow.name()).log("ACL sync works again");
      }
      lastProblem = "";
    } catch (FerryException e) {
      String why = explain(e, side);
      if (!why.equals(lastProblem)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("ACLs not synced: {}; tried again every {} s", why, INTERVAL.toSeconds());
      }
      lastProblem = why;
    } catch (RuntimeException e) {
      String why = e.toString();
      if (!why.equals(lastProblem)) {
        LOG.atWarn().addKeyValue("flow", flow.name()).log("ACLs not synced: {}; tried again every {} s", why, INTERVAL.toSeconds());
      }
      lastProblem = why;
    }
  }

  /**
   * The copies the sync owns after applying {@code d}: those it made before and still wants, and those it just made. An
   * ACL that was on the target already (granted there by hand, or by another flow) is never its to remove.
   */
  static Set<AclBinding> owned(Set<AclBinding> wanted, Set<AclBinding> synced, Diff d) {
    Set<AclBinding> out = new HashSet<>(synced);
    out.retainAll(wanted);
    out.addAll(d.missing());
    return out;
  }

  /** Stops until the next {@link #round}, which reads what was copied again (another process may have synced meanwhile). */
  public void pause() {
    synced = null;
    lastRound = 0;
  }

  /** The audit's view: how the target differs from what the sync keeps there; throws when a cluster cannot say. */
  public Diff audit(Admin source, Admin target) {
    Set<AclBinding> wanted = wanted(readExplained(source, flow.source().describe()));
    return diff(wanted, readSynced(flow), readExplained(target, flow.target().describe()));
  }

  /** Does what the running sync would do now, once; one line per change made. */
  public List<String> fix(Admin source, Admin target) {
    Set<AclBinding> wanted = wanted(readExplained(source, flow.source().describe()));
    Set<AclBinding> before = readSynced(flow);
    Diff d = diff(wanted, before, readExplained(target, flow.target().describe()));
    List<String> done = apply(target, d, flow.target().describe());
    Set<AclBinding> owned = owned(wanted, before, d);
    if (!owned.equals(before)) {
      writeSynced(flow, owned);
    }
    return done;
  }

  private static Set<AclBinding> readExplained(Admin admin, String where) {
    try {
      return read(admin, where);
    } catch (FerryException e) {
      throw new FerryException(e.reason(), "cannot read ACLs: " + explain(e, where), e);
    }
  }

  /** The target's copies of these source ACLs (see the class comment). */
  public Set<AclBinding> wanted(Collection<AclBinding> sourceAcls) {
    Set<AclBinding> out = new HashSet<>();
    for (AclBinding b : sourceAcls) {
      Optional<ResourcePattern> target = targetResource(b.pattern());
      if (target.isEmpty()) {
        continue;
      }
      AccessControlEntry e = b.entry();
      if (e.permissionType() == AclPermissionType.DENY && e.principal().endsWith(":*")) {
        continue;
      }
      // reading only: ALL allows reading as READ does (which implies DESCRIBE); a DENY of ALL denies both
      List<AclOperation> ops = switch (e.operation()) {
        case READ -> List.of(AclOperation.READ);
        case DESCRIBE -> List.of(AclOperation.DESCRIBE);
        case ALL -> e.permissionType() == AclPermissionType.DENY ? List.of(AclOperation.READ, AclOperation.DESCRIBE) : List.of(AclOperation.READ);
        default -> List.of();
      };
      if (e.permissionType() == AclPermissionType.ALLOW || e.permissionType() == AclPermissionType.DENY) {
        ops.forEach(op -> out.add(new AclBinding(target.get(), new AccessControlEntry(e.principal(), e.host(), op, e.permissionType()))));
      }
    }
    return out;
  }

  private Optional<ResourcePattern> targetResource(ResourcePattern p) {
    if (p.name().equals(ResourcePattern.WILDCARD_RESOURCE) && p.patternType() == PatternType.LITERAL) {
      return Optional.empty();
    }
    if (p.resourceType() == ResourceType.TOPIC) {
      return switch (p.patternType()) {
        case LITERAL -> naming.isReplicable(p.name()) && flow.topics().matches(p.name())
            ? Optional.of(new ResourcePattern(ResourceType.TOPIC, naming.targetTopic(p.name()), PatternType.LITERAL)) : Optional.empty();
        // under prefix naming the mapped prefix reaches only topics replicated from this source; under identity naming
        // it would reach the target's own topics too
        case PREFIXED -> flow.naming().mode() == Naming.Mode.PREFIX
            ? Optional.of(new ResourcePattern(ResourceType.TOPIC, naming.targetTopic(p.name()), PatternType.PREFIXED)) : Optional.empty();
        default -> Optional.empty();
      };
    }
    if (p.resourceType() == ResourceType.GROUP) {
      return switch (p.patternType()) {
        case LITERAL -> flow.groups().matches(p.name()) && !FerryNames.isFerryGroup(p.name()) ? Optional.of(p) : Optional.empty();
        case PREFIXED -> reachesFerryGroups(p.name()) ? Optional.empty() : Optional.of(p);
        default -> Optional.empty();
      };
    }
    return Optional.empty();
  }

  /** Whether a group prefix covers names of Ferry's own groups ({@code ferry.*}). */
  private static boolean reachesFerryGroups(String prefix) {
    return FerryNames.GROUP_PREFIX.startsWith(prefix) || prefix.startsWith(FerryNames.GROUP_PREFIX);
  }

  /** How {@code onTarget} differs from what it should hold, given what the sync copied before ({@code synced}). */
  public static Diff diff(Set<AclBinding> wanted, Set<AclBinding> synced, Set<AclBinding> onTarget) {
    List<AclBinding> missing = wanted.stream().filter(b -> !onTarget.contains(b)).sorted(ORDER).toList();
    List<AclBinding> stale = synced.stream().filter(b -> !wanted.contains(b) && onTarget.contains(b)).sorted(ORDER).toList();
    return new Diff(missing, stale);
  }

  private static final Comparator<AclBinding> ORDER = Comparator.comparing(AclSync::describe);

  /** One binding as an operator reads it: "User:alice READ ALLOW on topic A.orders (literal), host *". */
  public static String describe(AclBinding b) {
    return b.entry().principal() + " " + b.entry().operation() + " " + b.entry().permissionType() + " on " + b.pattern().resourceType().name().toLowerCase()
        + " " + b.pattern().name() + " (" + b.pattern().patternType().name().toLowerCase() + "), host " + b.entry().host();
  }

  /** The topic and group ACLs of a cluster. */
  static Set<AclBinding> read(Admin admin, String where) {
    Set<AclBinding> out = new HashSet<>();
    for (ResourceType type : List.of(ResourceType.TOPIC, ResourceType.GROUP)) {
      out.addAll(KafkaCalls.await(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(type, null, PatternType.ANY),
          AccessControlEntryFilter.ANY)).values(), TIMEOUT_MS, "describe " + type.name().toLowerCase() + " ACLs on " + where));
    }
    return out;
  }

  /** The ACLs the sync copied last, from the flow's state topic (none when it never copied any). */
  static Set<AclBinding> readSynced(FlowConfig flow) {
    byte[] v = StateTopic.read(flow, Duration.ofMillis(TIMEOUT_MS)).get(STATE_KEY);
    return v == null ? Set.of() : decode(new String(v, StandardCharsets.UTF_8));
  }

  static void writeSynced(FlowConfig flow, Set<AclBinding> synced) {
    StateTopic.write(flow, STATE_KEY, encode(synced).getBytes(StandardCharsets.UTF_8), Duration.ofMillis(TIMEOUT_MS));
  }

  /** Creates what is missing and deletes what is stale; returns one line per change made. */
  static List<String> apply(Admin target, Diff diff, String where) {
    List<String> done = new ArrayList<>();
    if (!diff.missing().isEmpty()) {
      KafkaCalls.await(target.createAcls(diff.missing()).all(), TIMEOUT_MS, "create ACLs on " + where);
      diff.missing().forEach(b -> done.add("ACL added: " + describe(b)));
    }
    if (!diff.stale().isEmpty()) {
      KafkaCalls.await(target.deleteAcls(diff.stale().stream().map(AclBinding::toFilter).toList()).all(), TIMEOUT_MS, "delete ACLs on " + where);
      diff.stale().forEach(b -> done.add("ACL removed (gone from the source): " + describe(b)));
    }
    return done;
  }

  /** One line per binding, its fields URL-encoded: "v1" then "TOPIC LITERAL A.orders User%3Aalice * READ ALLOW" lines. */
  static String encode(Set<AclBinding> bindings) {
    StringBuilder b = new StringBuilder("v1");
    new TreeSet<>(bindings.stream().map(AclSync::line).toList()).forEach(l -> b.append('\n').append(l));
    return b.toString();
  }

  private static String line(AclBinding b) {
    return String.join(" ", enc(b.pattern().resourceType().name()), enc(b.pattern().patternType().name()), enc(b.pattern().name()),
        enc(b.entry().principal()), enc(b.entry().host()), enc(b.entry().operation().name()), enc(b.entry().permissionType().name()));
  }

  static Set<AclBinding> decode(String s) {
    String[] lines = s.split("\n");
    if (lines.length == 0 || !lines[0].equals("v1")) {
      return Set.of(); // written by a later Ferry: nothing is removed on its account
    }
    Set<AclBinding> out = new HashSet<>();
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].split(" ");
      if (f.length != 7) {
        continue;
      }
      try {
        out.add(new AclBinding(new ResourcePattern(ResourceType.valueOf(dec(f[0])), dec(f[2]), PatternType.valueOf(dec(f[1]))),
            new AccessControlEntry(dec(f[3]), dec(f[4]), AclOperation.valueOf(dec(f[5])), AclPermissionType.valueOf(dec(f[6])))));
      } catch (IllegalArgumentException e) {
        // an entry this Ferry does not know: left alone
      }
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** Why ACLs cannot be synced with a cluster, as one line with what to do; the exception's message otherwise. */
  static String explain(FerryException e, String where) {
    Throwable c = e.getCause();
    if (c instanceof org.apache.kafka.common.errors.SecurityDisabledException) {
      return where + " has no authorizer (authorizer.class.name is not set): no ACLs to sync; turn sync-acls off or enable the authorizer";
    }
    if (e.reason() == FerryException.Reason.NOT_AUTHORIZED) {
      return e.getMessage() + " (ACL sync needs DESCRIBE on the source cluster resource and DESCRIBE and ALTER on the target's)";
    }
    return e.getMessage();
  }
}
