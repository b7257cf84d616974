#!/usr/bin/env bash
# Rhenium development setup. Idempotent: a second run only checks and prints
# "ok" lines. Called by `make run` / `make test` when something is missing.
#
#   scripts/setup.sh              host packages + QEMU >= 10 + guest artefacts
#   scripts/setup.sh --host-only  host packages + QEMU >= 10 only
#   scripts/setup.sh --guest-only guest artefacts only (no root needed)
#   scripts/setup.sh --refetch    download the guest artefacts again
#
# Host packages come from bookworm, QEMU from bookworm-backports (a deb822
# file /etc/apt/sources.list.d/rhenium-bookworm-backports.sources, created
# here). Guest artefacts (arm64 kernel Image + modules + config from
# trixie-backports' linux-image-arm64, busybox-static from trixie) are
# downloaded with a private apt configuration into the cache
# ($RHENIUM_CACHE or <repo>/.cache):
#
#   guest/Image      raw arm64 kernel Image ("ARM\x64" at 0x38)
#   guest/modules/   the lib/modules/<release> tree (.ko.xz, modules.*; no dtb/)
#   guest/config     the kernel's config
#   guest/busybox    static aarch64 busybox
#   guest/VERSIONS   exactly which packages (and .deb sha256) were used
#   setup.stamp      written after a complete (default-mode) run
#
# Logs: <cache>/setup-apt.log (system apt), <cache>/apt/apt.log (private apt).
set -euo pipefail

RH_TAG=setup
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

HOST_PKGS=(
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu gdb-multiarch
	device-tree-compiler cpio dpkg-dev python3-pexpect python3-pytest lcov
	clang libclang-rt-14-dev cppcheck clang-format clang-tidy shellcheck xz-utils zstd
	# build-tfa.sh: host compiler for fiptool, which links libcrypto
	make gcc libc6-dev libssl-dev
	# bench.py: the chart; the TCG instruction-counting plugin's glib headers
	gnuplot-nox libglib2.0-dev pkg-config
)
QEMU_MIN_MAJOR=10
BPO_FILE=/etc/apt/sources.list.d/rhenium-bookworm-backports.sources
SYS_LOG=$RH_CACHE/setup-apt.log
GUEST=$RH_CACHE/guest

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

do_host=1
do_guest=1
refetch=0
for arg in "$@"; do
	case $arg in
	--host-only) do_guest=0 ;;
	--guest-only) do_host=0 ;;
	--refetch) refetch=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done

# ------------------------------------------------------------ system apt ---
_sys_updated=0
need_qemu=0

# sys_apt ARGS...: run apt-get as root, output to $SYS_LOG. Retries while
# another apt/dpkg holds a lock (up to ~15 minutes).
sys_apt() {
	local tries=0
	{
		printf '\n=== %s apt-get %s\n' "$(date '+%F %T')" "$*"
	} >>"$SYS_LOG"
	while :; do
		if rh_as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -q -y -o DPkg::Lock::Timeout=900 "$@" >>"$SYS_LOG" 2>&1; then
			return 0
		fi
		if tail -n 5 "$SYS_LOG" | grep -q 'Could not get lock' && [ "$tries" -lt 180 ]; then
			tries=$((tries + 1))
			sleep 5
			continue
		fi
		return 1
	done
}

write_backports_source() {
	local uri key new tmp
	uri=$(rh_archive_uri)
	key=$(rh_archive_keyring)
	new=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uri" "$key")
	if [ -f "$BPO_FILE" ] && [ "$(cat "$BPO_FILE")" = "$new" ]; then
		return 0
	fi
	tmp=$RH_CACHE/.bpo.sources.tmp
	printf '%s\n' "$new" >"$tmp"
	rh_as_root install -m 0644 "$tmp" "$BPO_FILE"
	rm -f "$tmp"
	_sys_updated=0 # new source: the lists must be refreshed
}

# apt-get update, at most once per run (again only if a source was added).
sys_update_once() {
	if [ "$need_qemu" = 1 ]; then
		write_backports_source
	fi
	[ "$_sys_updated" = 1 ] && return 0
	sys_apt update || rh_die "apt-get update failed" "$SYS_LOG"
	_sys_updated=1
}

# Name the packages of "$@" that apt cannot offer (no candidate).
unavailable_pkgs() {
	local p cand bad=()
	for p in "$@"; do
		cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			bad+=("$p")
		fi
	done
	printf '%s\n' "${bad[*]:-}"
}

step_host_packages() {
	local p missing=() bad t0
	for p in "${HOST_PKGS[@]}"; do
		rh_pkg_installed "$p" || missing+=("$p")
	done
	rh_step "host packages (${#HOST_PKGS[@]} from bookworm)"
	if [ "${#missing[@]}" -eq 0 ]; then
		rh_done ok
		return 0
	fi
	printf 'installing %s ' "${missing[*]}"
	t0=$(rh_now)
	sys_update_once
	if ! sys_apt install "${missing[@]}"; then
		bad=$(unavailable_pkgs "${missing[@]}")
		if [ -n "$bad" ]; then
			rh_die "package(s) not available from the configured apt sources: $bad" "$SYS_LOG"
		fi
		rh_die "apt-get install ${missing[*]} failed" "$SYS_LOG"
	fi
	for p in "${missing[@]}"; do
		rh_pkg_installed "$p" || rh_die "package $p is still not installed after apt-get install" "$SYS_LOG"
	done
	rh_done "done ($(rh_since "$t0"))"
}

qemu_version() {
	command -v qemu-system-aarch64 >/dev/null 2>&1 || return 0
	qemu-system-aarch64 --version 2>/dev/null |
		sed -n '1s/.*version \([0-9][0-9.]*\).*/\1/p'
}
qemu_ok() {
	local v
	v=$(qemu_version)
	[ -n "$v" ] && [ "${v%%.*}" -ge "$QEMU_MIN_MAJOR" ]
}

step_qemu() {
	local v t0 cand
	v=$(qemu_version)
	if qemu_ok; then
		rh_step "qemu-system-aarch64 $v"
		rh_done ok
		return 0
	fi
	rh_step "qemu-system-aarch64 >= $QEMU_MIN_MAJOR (have: ${v:-none}) from bookworm-backports"
	printf 'installing '
	t0=$(rh_now)
	sys_update_once
	cand=$(apt-cache madison qemu-system-arm 2>/dev/null |
		awk -F'|' '$3 ~ /bookworm-backports\// { gsub(/[ \t]/, "", $2); print $2; exit }')
	if [ -z "$cand" ]; then
		rh_die "package qemu-system-arm is not available from bookworm-backports ($BPO_FILE)" "$SYS_LOG"
	fi
	if ! sys_apt install -t bookworm-backports qemu-system-arm; then
		rh_die "apt-get install -t bookworm-backports qemu-system-arm ($cand) failed" "$SYS_LOG"
	fi
	hash -r
	qemu_ok || rh_die "qemu-system-arm $cand installed but qemu-system-aarch64 reports '$(qemu_version)', need >= $QEMU_MIN_MAJOR"
	rh_done "$(qemu_version) installed ($(rh_since "$t0"))"
}

# ------------------------------------------------------ guest artefacts ---
image_ok() {
	[ -f "$1" ] && [ "$(od -An -tx1 -j 56 -N 4 "$1" | tr -d ' \n')" = 41524d64 ]
}
# aarch64 ELF (e_machine 183), 64-bit, statically linked (no PT_INTERP).
busybox_ok() {
	[ -f "$1" ] || return 1
	[ "$(od -An -tx1 -N 5 "$1" | tr -d ' \n')" = 7f454c4602 ] || return 1
	[ "$(od -An -tx1 -j 18 -N 2 "$1" | tr -d ' \n')" = b700 ] || return 1
	if command -v aarch64-linux-gnu-readelf >/dev/null 2>&1; then
		if aarch64-linux-gnu-readelf -lW "$1" 2>/dev/null | grep -q INTERP; then
			return 1
		fi
	fi
}
guest_ok() {
	image_ok "$GUEST/Image" && busybox_ok "$GUEST/busybox" &&
		[ -s "$GUEST/config" ] && [ -d "$GUEST/modules/kernel" ] &&
		[ -s "$GUEST/VERSIONS" ]
}

# pick_dep DEPLIST PREFIX: the package name in DEPLIST (one group a line)
# that starts with PREFIX and ends with -arm64.
pick_dep() {
	printf '%s\n' "$1" | sed 's/ *(.*//; s/ *|.*//' | grep -E "^$2.*-arm64\$" | head -n 1
}

fetch_guest() {
	local t0 meta_ver img_pkg img_deps bin_pkg mod_pkg base_pkg bb_ver
	local dl tmp rel p deb
	t0=$(rh_now)
	rh_papt_update
	meta_ver=$(rh_papt_version linux-image-arm64:arm64 trixie-backports)
	if [ -z "$meta_ver" ]; then
		rh_papt_update force
		meta_ver=$(rh_papt_version linux-image-arm64:arm64 trixie-backports)
	fi
	[ -n "$meta_ver" ] || rh_die "package linux-image-arm64:arm64 not found in trixie-backports" "$RH_PAPT_LOG"
	img_pkg=$(pick_dep "$(rh_papt_depends "linux-image-arm64:arm64=$meta_ver")" linux-image-)
	[ -n "$img_pkg" ] || rh_die "linux-image-arm64 $meta_ver has no versioned linux-image-*-arm64 dependency"
	img_deps=$(rh_papt_depends "$img_pkg:arm64=$meta_ver")
	bin_pkg=$(pick_dep "$img_deps" linux-binary-)
	mod_pkg=$(pick_dep "$img_deps" linux-modules-)
	base_pkg=$(pick_dep "$img_deps" linux-base-)
	for p in bin_pkg mod_pkg base_pkg; do
		[ -n "${!p}" ] || rh_die "$img_pkg $meta_ver: no ${p%_pkg} package among its dependencies"
	done
	bb_ver=$(rh_papt_version busybox-static:arm64 trixie)
	[ -n "$bb_ver" ] || rh_die "package busybox-static:arm64 not found in trixie" "$RH_PAPT_LOG"

	dl=$RH_CACHE/apt/debs
	rm -rf "$dl"
	mkdir -p "$dl"
	local -a want=(
		"$bin_pkg:arm64=$meta_ver" "$mod_pkg:arm64=$meta_ver"
		"$base_pkg:arm64=$meta_ver" "busybox-static:arm64=$bb_ver"
	)
	if ! (cd "$dl" && rh_papt apt-get -q download "${want[@]}") >>"$RH_PAPT_LOG" 2>&1; then
		rh_die "download of ${want[*]} failed" "$RH_PAPT_LOG"
	fi

	tmp=$GUEST.new
	rm -rf "$tmp"
	mkdir -p "$tmp/x"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/x" || rh_die "dpkg-deb -x $deb failed"
	done
	# exactly one kernel release directory expected
	rel=$(find "$tmp/x/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | head -n 2)
	if [ -z "$rel" ] || [ "$(printf '%s\n' "$rel" | wc -l)" -ne 1 ]; then
		rh_die "expected one release under usr/lib/modules in the kernel packages, found: ${rel:-none}"
	fi
	local mdir=$tmp/x/usr/lib/modules/$rel
	image_ok "$mdir/vmlinuz" || rh_die "$bin_pkg: usr/lib/modules/$rel/vmlinuz is not a raw arm64 Image (no ARM\\x64 magic at 0x38)"
	busybox_ok "$tmp/x/usr/bin/busybox" || rh_die "busybox-static:arm64 $bb_ver: usr/bin/busybox is not a static aarch64 ELF"
	[ -s "$mdir/config" ] || rh_die "$base_pkg: no usr/lib/modules/$rel/config"
	[ -d "$mdir/kernel" ] || rh_die "$mod_pkg: no usr/lib/modules/$rel/kernel"

	mv "$mdir/vmlinuz" "$tmp/Image"
	cp "$mdir/config" "$tmp/config"
	mv "$tmp/x/usr/bin/busybox" "$tmp/busybox"
	rm -rf "$mdir/dtb" # board DTBs, useless for QEMU virt (~100 MB)
	mv "$mdir" "$tmp/modules"
	rm -rf "$tmp/x"
	{
		printf '# Guest artefacts fetched by scripts/setup.sh on %s\n' "$(date -u '+%F %T UTC')"
		printf '# package version suite sha256(.deb)\n'
		printf 'linux-image-arm64:arm64 %s trixie-backports -\n' "$meta_ver"
		printf '%s:arm64 %s trixie-backports -\n' "$img_pkg" "$meta_ver"
		for p in "$bin_pkg" "$mod_pkg" "$base_pkg" busybox-static; do
			deb=$(ls "$dl/${p}_"*.deb)
			if [ "$p" = busybox-static ]; then
				printf '%s:arm64 %s trixie %s\n' "$p" "$bb_ver" "$(sha256sum <"$deb" | cut -d' ' -f1)"
			else
				printf '%s:arm64 %s trixie-backports %s\n' "$p" "$meta_ver" "$(sha256sum <"$deb" | cut -d' ' -f1)"
			fi
		done
		printf 'kernel-release %s\n' "$rel"
	} >"$tmp/VERSIONS"
	rm -rf "$GUEST" "$dl"
	mv "$tmp" "$GUEST"
	guest_ok || rh_die "guest artefacts in $GUEST failed verification after extraction"
	rh_done "done ($(rh_since "$t0"))"
}

guest_summary() {
	awk '$1 == "kernel-release" { k = $2 } $1 == "busybox-static:arm64" { b = $2 }
	     END { printf "kernel %s, busybox %s", k, b }' "$GUEST/VERSIONS"
}

step_guest() {
	if [ "$refetch" = 0 ] && guest_ok; then
		rh_step "guest artefacts ($(guest_summary))"
		rh_done ok
		return 0
	fi
	rh_step "guest artefacts (linux-image-arm64 trixie-backports, busybox-static trixie)"
	printf 'fetching '
	fetch_guest
}

# ------------------------------------------------------------------ main ---
mkdir -p "$RH_CACHE"
rh_lock
if [ "$do_host" = 1 ]; then
	qemu_ok || need_qemu=1
	step_host_packages
	step_qemu
fi
if [ "$do_guest" = 1 ]; then
	step_guest
fi
if [ "$do_host" = 1 ] && [ "$do_guest" = 1 ]; then
	{
		printf 'setup complete %s\n' "$(date -u '+%F %T UTC')"
		printf 'qemu %s\n' "$(qemu_version)"
		[ -f "$GUEST/VERSIONS" ] && grep -v '^#' "$GUEST/VERSIONS"
	} >"$RH_CACHE/setup.stamp"
fi
