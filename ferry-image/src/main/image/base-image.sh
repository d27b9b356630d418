#!/usr/bin/env bash
# Builds the base image Ferry's container image is layered on, as an image tarball (the format `docker save` writes and
# Jib reads from a tar:// reference): a Java runtime linked by jlink from the JDK that runs the build, and the C
# libraries that runtime and the native libraries of Ferry's dependencies load, taken from the build machine, nothing
# else (no shell, no package manager). Linux only.
#
#   base-image.sh JAVA_HOME OUT_DIR JARS_DIR
#
# JARS_DIR holds the jars the image runs: the native libraries they carry for this machine's Linux and architecture
# (the compression codecs', the terminal's) are what the C libraries are gathered for, besides the runtime's.
# Writes OUT_DIR/base.tar. Entries have fixed owners and times, so the same build machine gives the same layer.
set -euo pipefail
shopt -s nullglob
umask 022 # the image's user (65532) reads what root writes here
[ $# -eq 3 ] || { echo "usage: base-image.sh JAVA_HOME OUT_DIR JARS_DIR" >&2; exit 2; }
java_home="$1" jars="$3"
fail() { echo "base-image.sh: $*" >&2; exit 1; }
mkdir -p "$2" && out="$(cd "$2" && pwd)"
[ "$out" != / ] && [ "$out" != "$HOME" ] || fail "$out: will not empty that directory for the image"
[ "$(uname -s)" = Linux ] || fail "the container image is built on Linux only (it takes its C libraries from the build machine)"
[ -d "$jars" ] || fail "$jars: no such directory of jars"
jars="$(cd "$jars" && pwd)"
[[ "$jars/" != "$out/"* ]] || fail "$jars: the jars must not be in the output directory $out"
jar_files=("$jars"/*.jar)
[ ${#jar_files[@]} -gt 0 ] || fail "$jars: no jars"
case "$(uname -m)" in
  x86_64) arch=amd64 native='(amd64|x86_64|x86-64)' ;;
  aarch64) arch=arm64 native='(aarch64|arm64)' ;;
  *) fail "$(uname -m): the image is built for x86_64 and aarch64 only (skip it with -DskipImage)" ;;
esac
for tool in ldd tar sha256sum; do command -v "$tool" >/dev/null || fail "$tool not found: it is needed to build the base image"; done

root="$out/rootfs"
rm -rf "$out/rootfs" "$out/natives" "$out/image" "$out/base.tar" "$out/layer.tar" && mkdir -p "$root"

# 1. the Java runtime in /opt/java: the Java SE modules, the HTTP server, JFR and jcmd for diagnostics
modules="java.se,jdk.httpserver,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.management.agent,jdk.security.auth,jdk.security.jgss,jdk.naming.dns,jdk.zipfs,jdk.jfr,jdk.jcmd"
if "$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --output "$root/opt/java" \
    >"$out/jlink.log" 2>&1; then
  runtime="jlink"
else
  # a JDK whose jlink cannot link (no jmods): take its runtime as it is, links followed (a distribution's JDK links its
  # configuration and certificates to /etc, which the image does not have)
  echo "base-image.sh: jlink could not link a runtime from $java_home (see $out/jlink.log); copying the JDK instead" >&2
  rm -rf "$root/opt/java" && mkdir -p "$root/opt/java"
  (cd "$java_home" && tar -h --exclude=./jmods --exclude=./lib/src.zip --exclude=./src.zip --exclude=./demo --exclude=./man \
    --exclude=./include -cf - .) | tar -xf - -C "$root/opt/java"
  runtime="copied from the JDK"
fi
[ -x "$root/opt/java/bin/java" ] || fail "no bin/java in the runtime taken from $java_home"
outside="$(find "$root/opt/java" -lname '/*' -print)"
[ -z "$outside" ] || fail "the runtime links outside itself, which the image does not have: $outside"

# 2. the C libraries: what the runtime's binaries and libraries need, and what the native libraries in Ferry's
#    dependencies need (snappy links the C++ runtime, zstd libpthread)
# (AWT's libraries are left out: Ferry runs headless, and they would bring X11 and font libraries along)
objects=("$root/opt/java/bin/"*)
for so in "$root/opt/java/lib/"*.so "$root/opt/java/lib/server/"*.so; do
  case "$(basename "$so")" in libawt*|libjawt.so|libfontmanager.so|libjsound.so|libsplashscreen.so|liblcms.so|libjavajpeg.so|libmlib_image.so) ;;
    *) objects+=("$so") ;; esac
done
# the native libraries in the jars, for Linux (glibc) on this architecture, unpacked to be looked at
natives="$out/natives"
mkdir -p "$natives"
for jar in "${jar_files[@]}"; do
  listing="$("$java_home/bin/jar" tf "$jar")" || fail "$jar: cannot list it"
  mapfile -t entries < <(grep -E '\.so$' <<<"$listing" | grep -iE 'linux' | grep -E "/$native/" | grep -viE 'musl|alpine|android' || true)
  if [ ${#entries[@]} -gt 0 ]; then
    dir="$natives/$(basename "$jar")"
    mkdir -p "$dir"
    (cd "$dir" && "$java_home/bin/jar" xf "$jar" "${entries[@]}")
    for e in "${entries[@]}"; do objects+=("$dir/$e"); done
  fi
done
# what they load, by ldd: "name => /path (0x...)", "/path (0x...)" for the loader, "name => not found"
declare -A libs=()
missing=""
for o in "${objects[@]}"; do
  [ -f "$o" ] || continue
  while IFS= read -r line; do
    case "$line" in
      *"libjvm.so => not found"*) ;; # the runtime's libraries find it loaded already, by the launcher, from lib/server
      *"=> not found"*) missing+=" ${o#"$out/"} needs ${line%% =>*};" ;;
      *"=> /"*) path="${line#*=> }"; libs["${path% (0x*}"]=1 ;;
      [[:space:]]/*) path="${line#"${line%%[![:space:]]*}"}"; libs["${path% (0x*}"]=1 ;;
    esac
  done < <(ldd "$o" 2>/dev/null || true)
done
[ -z "$missing" ] || fail "libraries the image needs are not on this machine:$missing"
# before glibc 2.34, name resolution modules are loaded at run time (no ldd sees them): /etc/hosts, then DNS
libc=""
for l in "${!libs[@]}"; do if [[ "$l" == */libc.so.* ]]; then libc="$l"; fi; done
[ -n "$libc" ] || fail "could not find the C library of $java_home/bin/java with ldd"
for nss in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
  if [ -e "$(dirname "$libc")/$nss" ]; then libs["$(dirname "$libc")/$nss"]=1; fi
done
loader=0
for l in "${!libs[@]}"; do if [[ "$l" == */ld-linux* ]]; then loader=1; fi; done
[ "$loader" = 1 ] || fail "could not find the dynamic loader of $java_home/bin/java with ldd"
# each library where it really is, and the machine's links between directories (merged /usr: /lib -> usr/lib) as they are
for lib in "${!libs[@]}"; do
  if [[ "$lib" == "$root"/* || "$lib" == "$natives"/* ]]; then continue; fi
  dir="$(readlink -f "$(dirname "$lib")")"
  mkdir -p "$root$dir"
  cp -L "$lib" "$root$dir/$(basename "$lib")"
done
for d in lib lib64 lib32 libx32 bin sbin; do
  if [ -L "/$d" ] && [ -d "$root/$(readlink -f "/$d")" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done

# 3. a minimal system: a non-root user (65532, as distroless images have it), /tmp for the native libraries the
#    compression codecs unpack, name resolution from /etc/hosts then DNS
mkdir -p "$root/etc" "$root/tmp" "$root/home/nonroot"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"

# 4. the layer and the image around it (entries named without ./, as image builders write them)
layer="$out/layer.tar"
tar_fixed=(--sort=name --mtime=@0 --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
(cd "$root" && tar "${tar_fixed[@]}" --owner=0 --group=0 --exclude=home/nonroot -cf "$layer" $(ls -A) \
  && tar "${tar_fixed[@]}" --owner=65532 --group=65532 -rf "$layer" home/nonroot)
diff_id="$(sha256sum "$layer" | cut -d' ' -f1)"
java_version="$("$root/opt/java/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.version =/ {print $2}')"
config="{\"architecture\":\"$arch\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\",\
\"config\":{\"Env\":[\"PATH=/opt/java/bin:/usr/bin:/bin\",\"JAVA_HOME=/opt/java\",\"JAVA_VERSION=$java_version\",\"LANG=C.UTF-8\"],\
\"User\":\"65532:65532\",\"WorkingDir\":\"/home/nonroot\"},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\
\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"ferry-image base-image.sh: Java $java_version ($runtime) and C libraries\"}]}"
config_id="$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)"
image="$out/image"
mkdir -p "$image/$diff_id"
mv "$layer" "$image/$diff_id/layer.tar"
printf '%s' "$config" >"$image/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["ferry-base:local"],"Layers":["%s/layer.tar"]}]' "$config_id" "$diff_id" >"$image/manifest.json"
(cd "$image" && tar "${tar_fixed[@]}" --owner=0 --group=0 -cf "$out/base.tar" manifest.json "$config_id.json" "$diff_id")
rm -rf "$image" "$natives"
echo "base-image.sh: $out/base.tar: Java $java_version, $(du -sh "$root" | cut -f1) unpacked"
