#!/usr/bin/env bash
# Makes the two base images the Dockerfile names, locally, when they are missing from buildah's
# storage (vfs driver): there is no Docker Hub here, so they are built from Debian's own packages.
#
#   docker.io/library/debian:bookworm-slim   debootstrap (minbase) of Debian 12 from this machine's
#                                            Debian mirror, trimmed the way the official -slim is
#                                            (no docs, man pages or locales; apt lists removed).
#   docker.io/library/swift:6.3.1-bookworm   a stand-in for the official Swift image: the same rootfs
#                                            plus the packages the official image installs, this
#                                            machine's toolchain (/opt/swift/usr -> /usr, where the
#                                            official image has it) and its SwiftPM package mirror
#                                            (github.com URLs resolve to /opt/swift-packages through
#                                            git's url.insteadOf, as on this machine). It stands for
#                                            what Docker Hub and GitHub provide elsewhere; nothing
#                                            local is named in the Dockerfile.
#
# `--force` rebuilds both. Needs root (debootstrap, chroot). Installs buildah and debootstrap if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

SLIM=docker.io/library/debian:bookworm-slim
SWIFT=docker.io/library/swift:6.3.1-bookworm
SWIFT_VERSION=6.3.1
TOOLCHAIN=${CRMGW_TOOLCHAIN:-/opt/swift}
PACKAGE_MIRROR=${CRMGW_PACKAGE_MIRROR:-/opt/swift-packages}
WORK=${CRMGW_BASE_WORK:-/var/tmp/crm-gateway-base}
bah=(buildah --storage-driver vfs)

force=false
[ "${1:-}" = "--force" ] && force=true

[ "$(id -u)" -eq 0 ] || { echo "base-images: run as root (debootstrap, chroot)" >&2; exit 1; }
for tool in buildah debootstrap; do
  if ! command -v "$tool" >/dev/null; then
    echo "base-images: installing $tool" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
  fi
done

have() { "${bah[@]}" inspect --type image "$1" >/dev/null 2>&1; }

need_slim=true; need_swift=true
if ! $force; then
  have "$SLIM" && need_slim=false
  have "$SWIFT" && need_swift=false
fi
if ! $need_slim && ! $need_swift; then
  echo "base-images: $SLIM and $SWIFT already in storage (--force rebuilds them)"
  exit 0
fi

# The Debian mirror this machine's apt uses (the first deb822 URIs line or one-line `deb` entry
# that is not the security archive); deb.debian.org when none is found.
mirror=${CRMGW_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' \
    | grep -E '/debian/?$' | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security
security=${security%/}

rootfs=$WORK/rootfs
ctr=
cleanup() {
  for m in proc dev; do
    mountpoint -q "$rootfs/$m" 2>/dev/null && umount -l "$rootfs/$m" || true
  done
  # A working container left by a failed step (a committed one is already gone: commit --rm).
  [ -n "$ctr" ] && "${bah[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT

in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

# Imports $rootfs as image $1: a container from scratch, the tree copied in with tar (device nodes,
# /proc and /sys left out: the runtime provides them), the usual config, one commit.
import_rootfs() {
  local name=$1; shift
  local ctr mnt
  ctr=$("${bah[@]}" from scratch)
  mnt=$("${bah[@]}" mount "$ctr")
  tar -C "$rootfs" --numeric-owner --xattrs --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
    --exclude='./run/*' --exclude='./tmp/*' -cpf - . | tar -C "$mnt" --numeric-owner --xattrs -xpf -
  "${bah[@]}" umount "$ctr" >/dev/null
  "${bah[@]}" config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" "$ctr"
  "${bah[@]}" commit --quiet --format docker --rm "$ctr" "$name" >/dev/null
  echo "base-images: committed $name ($(du -sh --exclude=proc --exclude=sys "$rootfs" | cut -f1) rootfs)"
}

start=$SECONDS
rm -rf "$WORK"
mkdir -p "$WORK"

# --- debian:bookworm-slim -------------------------------------------------------------------
if $need_slim; then
echo "base-images: debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

# What the official slim image sets: dpkg leaves docs, man pages and locales out, apt keeps no
# downloaded .debs nor translations, and sources as deb822 with updates and security.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount -t proc proc "$rootfs/proc"
in_root apt-get update -qq
in_root apt-get upgrade -y -qq >/dev/null
in_root apt-get clean
# What debootstrap installed before the dpkg excludes existed.
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/groff/* \
  "$rootfs"/usr/share/lintian/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old
: >"$rootfs/etc/resolv.conf"
umount "$rootfs/proc"
echo "debian bookworm-slim stand-in, $(date -u +%Y-%m-%d)" >"$rootfs/etc/crm-gateway-base"
import_rootfs "$SLIM" --cmd bash
"${bah[@]}" tag "$SLIM" localhost/debian:bookworm-slim
echo "base-images: $SLIM in $((SECONDS - start)) s"
fi
slim_done=$SECONDS

# --- swift:6.3.1-bookworm stand-in -----------------------------------------------------------
if $need_swift; then
# On top of the slim image: the packages the official swift:<version>-bookworm image installs
# (its Dockerfile, Debian 12).
ctr=$("${bah[@]}" from --pull-never "$SLIM")
rootfs=$("${bah[@]}" mount "$ctr")
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"   # the image has an empty /dev (the runtime fills it); apt needs /dev/null
in_root apt-get update -qq
in_root apt-get install -y -qq \
  binutils-gold gcc git libc6-dev libcurl4-openssl-dev libedit-dev libicu-dev libncurses-dev \
  libpython3-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev pkg-config tzdata unzip \
  uuid-dev zlib1g-dev >/dev/null
in_root apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/apt/*
echo "base-images: copying the toolchain $TOOLCHAIN/usr -> /usr ($(du -sh "$TOOLCHAIN" | cut -f1))"
tar -C "$TOOLCHAIN" -cf - usr | tar -C "$rootfs" --keep-directory-symlink -xf -
in_root swift --version 2>&1 | head -n1   # needs /proc: the runtime finds its libraries from /proc/self/exe
# GitHub, as this machine sees it: github.com URLs are read from a local mirror of the packages.
mkdir -p "$rootfs/opt"
cp -a "$PACKAGE_MIRROR" "$rootfs/opt/swift-packages"
cat >"$rootfs/etc/gitconfig" <<'EOF'
[url "/opt/swift-packages/"]
	insteadOf = https://github.com/
	insteadOf = git@github.com:
	insteadOf = ssh://git@github.com/
[safe]
	directory = *
EOF
echo "swift $SWIFT_VERSION bookworm stand-in (toolchain from $TOOLCHAIN), $(date -u +%Y-%m-%d)" >"$rootfs/etc/crm-gateway-base"
: >"$rootfs/etc/resolv.conf"
umount "$rootfs/proc"
umount "$rootfs/dev"
"${bah[@]}" umount "$ctr" >/dev/null
"${bah[@]}" config --env SWIFT_VERSION="swift-$SWIFT_VERSION-RELEASE" --env SWIFT_PLATFORM=debian12 "$ctr"
"${bah[@]}" commit --quiet --format docker --rm "$ctr" "$SWIFT" >/dev/null
"${bah[@]}" tag "$SWIFT" localhost/swift:6.3.1-bookworm
echo "base-images: $SWIFT in $((SECONDS - slim_done)) s"
fi

rm -rf "$WORK"
echo "base-images: done in $((SECONDS - start)) s"
"${bah[@]}" images
