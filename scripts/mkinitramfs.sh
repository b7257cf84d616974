#!/usr/bin/env bash
# Build the test guests' initramfs: a gzip'd newc cpio with static busybox.
#
#   scripts/mkinitramfs.sh OUT.cpio.gz
#
# Contents: /bin/busybox (from <cache>/guest/busybox), /bin/sh -> busybox,
# /bin/rhenium-counter (guest/initramfs/rhenium-counter.c, built here with
# the cross compiler), the files under guest/initramfs/rootfs/ (/init,
# /etc/inittab, /etc/profile, /etc/rc.shell), the empty directories the
# init script mounts on, and the kernel modules named in
# guest/initramfs/modules with their dependencies, decompressed from
# <cache>/guest/modules into /lib/modules/<name>.ko with the load order in
# /lib/modules/load-order (scripts/guest-modules.py; /init loads them).
# Boot it with rdinit=/init; it prints RHENIUM-GUEST-READY and gives a
# "~ # " shell on the console.
#
# No root needed: every entry is recorded as owned by 0:0 (cpio -R 0:0).
# Reproducible: sorted file list, fixed mtimes ($SOURCE_DATE_EPOCH, default
# 0), renumbered inodes, gzip -n: the same inputs give the same bytes.
# Idempotent: OUT is only rewritten when its bytes change (otherwise just
# touched, so make sees it up to date).
#
# Environment: RHENIUM_CACHE (default <repo>/.cache), CROSS_COMPILE
# (default aarch64-linux-gnu-), SOURCE_DATE_EPOCH, PYTHON (default
# /usr/bin/python3).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
fi
out=$1

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RHENIUM_CACHE:-$root/.cache}
busybox=$cache/guest/busybox
moddir=$cache/guest/modules
src=$root/guest/initramfs
cc=${CROSS_COMPILE:-aarch64-linux-gnu-}gcc
epoch=${SOURCE_DATE_EPOCH:-0}

die() {
	printf 'mkinitramfs: error: %s\n' "$1" >&2
	exit 1
}

[ -f "$busybox" ] || die "$busybox is missing: run scripts/setup.sh (or make setup) first"
command -v "$cc" >/dev/null 2>&1 || die "$cc not found: run scripts/setup.sh"
[ -d "$moddir/kernel" ] || die "$moddir is missing: run scripts/setup.sh (or make setup) first"
command -v cpio >/dev/null 2>&1 || die "cpio not found: run scripts/setup.sh"
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
command -v "$python" >/dev/null 2>&1 || die "python3 not found: run scripts/setup.sh"

umask 022
stage=$(mktemp -d "${TMPDIR:-/tmp}/rhenium-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/root
mkdir -p "$tree"

# Directories: the applet link targets of `busybox --install -s` (it does not
# create them) and the mount points of /init.
for d in bin sbin usr usr/bin usr/sbin dev proc sys etc root tmp mnt; do
	mkdir -p "$tree/$d"
done

install -m 0755 "$busybox" "$tree/bin/busybox"
ln -s busybox "$tree/bin/sh"

"$cc" -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -nostdlib -static -fno-pie -no-pie \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wl,--build-id=none -s -o "$tree/bin/rhenium-counter" "$src/rhenium-counter.c"
chmod 0755 "$tree/bin/rhenium-counter"

"$python" "$root/scripts/guest-modules.py" --modules "$moddir" --list "$src/modules" --out "$tree" ||
	die "could not collect the guest kernel modules"

# The overlay: executables keep the execute bit, everything else is 0644.
(cd "$src/rootfs" && find . -mindepth 1 -type d -printf '%P\n') | while read -r d; do
	mkdir -p "$tree/$d"
done
(cd "$src/rootfs" && find . -type f -printf '%P\n') | while read -r f; do
	if [ -x "$src/rootfs/$f" ]; then mode=0755; else mode=0644; fi
	install -m "$mode" "$src/rootfs/$f" "$tree/$f"
done

# Fixed permissions and times: nothing depends on the umask or the clock.
find "$tree" -type d -exec chmod 0755 {} +
chmod 0700 "$tree/root"
chmod 1777 "$tree/tmp"
find "$tree" -exec touch -h -d "@$epoch" {} +

(cd "$tree" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$stage/out.cpio.gz"

mkdir -p "$(dirname "$out")"
if cmp -s "$stage/out.cpio.gz" "$out"; then
	touch "$out"
	printf '  CPIO    %s (unchanged)\n' "$out"
else
	mv "$stage/out.cpio.gz" "$out.tmp"
	mv "$out.tmp" "$out"
	printf '  CPIO    %s (%s bytes)\n' "$out" "$(stat -c %s "$out")"
fi
