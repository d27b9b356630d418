package dev.ferry.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Key and trust stores (PKCS12) for a local TLS cluster, made with the JDK's keytool: a self-signed certificate for the
 * broker (for 127.0.0.1 and localhost) and, for mutual TLS, one per user (CN = user name, key store password = the
 * user's password). Clients trust the broker's certificate; the broker trusts its own and the users'.
 */
final class Tls {
  static final String BROKER_PASSWORD = "broker-store-secret";
  static final String TRUST_PASSWORD = "trust-store-secret";

  private Tls() {}

  static void make(Path dir, Map<String, String> users, boolean clientCertificates) {
    try {
      Files.createDirectories(dir);
      keyPair(dir.resolve("broker.p12"), "broker", BROKER_PASSWORD, true);
      Path brokerCert = export(dir.resolve("broker.p12"), "broker", BROKER_PASSWORD, dir.resolve("broker.crt"));
      trust(dir.resolve("client-trust.p12"), "broker", brokerCert);
      trust(dir.resolve("broker-trust.p12"), "broker", brokerCert);
      if (clientCertificates) {
        for (Map.Entry<String, String> u : users.entrySet()) {
          Path store = dir.resolve(u.getKey() + ".p12");
          keyPair(store, u.getKey(), u.getValue(), false);
          trust(dir.resolve("broker-trust.p12"), u.getKey(), export(store, u.getKey(), u.getValue(), dir.resolve(u.getKey() + ".crt")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make TLS stores under " + dir, e);
    }
  }

  private static void keyPair(Path store, String cn, String password, boolean server) {
    List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", cn, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
        "-validity", "30", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
    if (server) {
      args.addAll(List.of("-ext", "SAN=ip:127.0.0.1,dns:localhost"));
    }
    keytool(args);
  }

  private static Path export(Path store, String alias, String password, Path cert) {
    keytool(List.of("-exportcert", "-rfc", "-alias", alias, "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", password,
        "-file", cert.toString()));
    return cert;
  }

  private static void trust(Path store, String alias, Path cert) {
    keytool(List.of("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", TRUST_PASSWORD));
  }

  private static void keytool(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(args);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + args.get(0) + " failed: " + out.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
  }
}
