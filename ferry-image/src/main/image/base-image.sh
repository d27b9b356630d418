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
java_home="$1" jars="$3"
mkdir -p "$2" && out="$(cd "$2" && pwd)"
fail() { echo "base-image.sh: $*" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || fail "the container image is built on Linux only (it takes its C libraries from the build machine)"
[ -d "$jars" ] || fail "$jars: no such directory of jars"
case "$(uname -m)" in
  x86_64) arch=amd64 native='(amd64|x86_64|x86-64)' ;;
  aarch64) arch=arm64 native='(aarch64|arm64)' ;;
  *) fail "$(uname -m): the image is built for x86_64 and aarch64 only" ;;
esac
for tool in ldd tar sha256sum; do command -v "$tool" >/dev/null || fail "$tool not found: it is needed to build the base image"; done

root="$out/rootfs"
rm -rf "$out" && mkdir -p "$root"

# 1. the Java runtime in /opt/java: the Java SE modules, the HTTP server, JFR and jcmd for diagnostics
modules="java.se,jdk.httpserver,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.management.agent,jdk.security.auth,jdk.security.jgss,jdk.naming.dns,jdk.zipfs,jdk.jfr,jdk.jcmd"
if [ -d "$java_home/jmods" ] && "$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --output "$root/opt/java" >"$out/jlink.log" 2>&1; then
  :
else
  # a JDK without jmods cannot link: take its runtime as it is
  echo "base-image.sh: jlink could not link a runtime from $java_home (see $out/jlink.log); copying the JDK instead" >&2
  rm -rf "$root/opt/java" && mkdir -p "$root/opt/java"
  (cd "$java_home" && tar --exclude=./jmods --exclude=./src.zip --exclude=./demo --exclude=./man --exclude=./include -cf - .) \
    | tar -xf - -C "$root/opt/java"
fi
[ -x "$root/opt/java/bin/java" ] || fail "no bin/java in the runtime taken from $java_home"

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
for jar in "$jars"/*.jar; do
  entries="$("$java_home/bin/jar" tf "$jar" | grep -E '\.so$' | grep -iE 'linux' | grep -E "/$native/" | grep -viE 'musl|alpine|android' || true)"
  if [ -n "$entries" ]; then
    dir="$natives/$(basename "$jar")"
    mkdir -p "$dir"
    (cd "$dir" && "$java_home/bin/jar" xf "$jar" $entries)
    while IFS= read -r e; do objects+=("$dir/$e"); done <<<"$entries"
  fi
done
needs="$(for o in "${objects[@]}"; do
  if [ -f "$o" ]; then ldd "$o" 2>/dev/null | sed "s|^|${o#"$out/"}: |" || true; fi
done)"
# (the runtime's libraries find libjvm.so loaded already, by the launcher, from lib/server)
missing="$(grep 'not found' <<<"$needs" | grep -v 'libjvm.so => not found' || true)"
[ -z "$missing" ] || fail "a library the image needs is not on this machine: $(tr -s ' \t\n' ' ' <<<"$missing")"
libs="$(awk '/=> \// {print $4} /^[^ ]+: [ \t]*\/[^ ]+ \(0x/ {print $2}' <<<"$needs" | grep -v "^$root" | grep -v "^$natives" | sort -u)"
[[ "$libs" == *ld-linux* ]] || fail "could not find the dynamic loader of $java_home/bin/java with ldd"
# each library where it really is, and the machine's links between directories (merged /usr: /lib -> usr/lib) as they are
for lib in $libs; do
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
\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"ferry-image base-image.sh: Java $java_version (jlink) and C libraries\"}]}"
config_id="$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)"
image="$out/image"
mkdir -p "$image/$diff_id"
mv "$layer" "$image/$diff_id/layer.tar"
printf '%s' "$config" >"$image/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["ferry-base:local"],"Layers":["%s/layer.tar"]}]' "$config_id" "$diff_id" >"$image/manifest.json"
(cd "$image" && tar "${tar_fixed[@]}" --owner=0 --group=0 -cf "$out/base.tar" manifest.json "$config_id.json" "$diff_id")
rm -rf "$image" "$natives"
echo "base-image.sh: $out/base.tar: Java $java_version, $(du -sh "$root" | cut -f1) unpacked"
