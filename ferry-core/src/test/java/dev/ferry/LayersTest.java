package dev.ferry;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The core's packages in layers; a package may use its own layer's and the ones below, never one above.
 *
 * <pre>
 * operations  status, failover, failback, drill   what an operator runs
 * flow        flow                           one running flow: topics, replication, checkpoints together
 * engines     replicate, groups              replication; consumer-group checkpoints (independent of each other)
 * domain      offsets, topics                the offset map; target topics kept in step
 * base        dev.ferry, config, kafka, naming, provenance, client, metrics   errors, config, Kafka plumbing, names, codecs, meter names
 * </pre>
 */
class LayersTest {
  private static final JavaClasses CORE = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.ferry");

  @Test
  void noPackageUsesALayerAboveIt() {
    ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("operations").definedBy("dev.ferry.status..", "dev.ferry.failover..", "dev.ferry.failback..", "dev.ferry.drill..")
        .layer("flow").definedBy("dev.ferry.flow..")
        .layer("engines").definedBy("dev.ferry.replicate..", "dev.ferry.groups..")
        .layer("domain").definedBy("dev.ferry.offsets..", "dev.ferry.topics..")
        .layer("base").definedBy("dev.ferry", "dev.ferry.config..", "dev.ferry.kafka..", "dev.ferry.naming..", "dev.ferry.provenance..",
            "dev.ferry.client..", "dev.ferry.metrics..")
        .whereLayer("operations").mayNotBeAccessedByAnyLayer()
        .whereLayer("flow").mayOnlyBeAccessedByLayers("operations")
        .whereLayer("engines").mayOnlyBeAccessedByLayers("flow", "operations")
        .whereLayer("domain").mayOnlyBeAccessedByLayers("engines", "flow", "operations");
    layers.check(CORE);
  }

  @Test
  void replicationAndCheckpointsDoNotKnowEachOther() {
    noClasses().that().resideInAPackage("dev.ferry.replicate..").should().dependOnClassesThat().resideInAPackage("dev.ferry.groups..")
        .check(CORE);
    noClasses().that().resideInAPackage("dev.ferry.groups..").should().dependOnClassesThat().resideInAPackage("dev.ferry.replicate..")
        .check(CORE);
  }

  @Test
  void theOffsetMapAndTheTopicsDoNotKnowEachOther() {
    noClasses().that().resideInAPackage("dev.ferry.offsets..").should().dependOnClassesThat().resideInAPackage("dev.ferry.topics..")
        .check(CORE);
    noClasses().that().resideInAPackage("dev.ferry.topics..").should().dependOnClassesThat().resideInAPackage("dev.ferry.offsets..")
        .check(CORE);
  }

  @Test
  void theCoreKnowsNothingOfTheCommandLineOrTheLocalClusters() {
    noClasses().that().resideOutsideOfPackages("dev.ferry.cli..", "dev.ferry.local..").should()
        .dependOnClassesThat().resideInAnyPackage("dev.ferry.cli..", "dev.ferry.local..", "picocli..").check(CORE);
  }
}
