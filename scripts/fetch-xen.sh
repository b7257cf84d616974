#!/usr/bin/env bash
# Fetch the Xen hypervisor that `make bench` compares Rhenium with: Debian's
# xen-hypervisor-4.20-arm64 from trixie. Idempotent: a second run only checks
# and prints an "ok" line. No root needed.
#
#   scripts/fetch-xen.sh            fetch if missing (or if the file changed)
#   scripts/fetch-xen.sh --refetch  download it again
#   scripts/fetch-xen.sh --print    print the path of the hypervisor binary
#                                   (after fetching it if needed)
#
# The .deb comes through the same private apt configuration as the guest
# artefacts (scripts/lib.sh: trixie, trixie-backports and sid from the URI of
# the system's /etc/apt/sources.list.d/debian.sources; apt checks it against
# the signed index). Its /boot/xen-4.20-arm64, an arm64 Image that QEMU boots
# with -kernel at EL2, goes into the cache ($RHENIUM_CACHE or <repo>/.cache):
#
#   xen/xen        the hypervisor binary
#   xen/VERSIONS   package, version, suite and sha256 of the .deb; sha256 of xen
#
# Logs: <cache>/apt/apt.log (private apt).
set -euo pipefail

RH_TAG=xen
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

PKG=xen-hypervisor-4.20-arm64
SUITE=trixie
MEMBER=boot/xen-4.20-arm64
XEN_DIR=$RH_CACHE/xen

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

refetch=0
print=0
for arg in "$@"; do
	case $arg in
	--refetch) refetch=1 ;;
	--print) print=1 ;;
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

sha256() { sha256sum <"$1" | cut -d' ' -f1; }

# The arm64 Image magic "ARM\x64" at 0x38: what QEMU's -kernel needs to
# enter it at EL2 with x0 = DTB.
image_ok() {
	[ -f "$1" ] && [ "$(od -An -tx1 -j 56 -N 4 "$1" | tr -d ' \n')" = 41524d64 ]
}

# The binary is there, is an arm64 Image and still has the recorded hash.
xen_ok() {
	local want
	image_ok "$XEN_DIR/xen" && [ -s "$XEN_DIR/VERSIONS" ] || return 1
	want=$(awk '$1 == "xen-sha256" { print $2 }' "$XEN_DIR/VERSIONS")
	[ -n "$want" ] && [ "$(sha256 "$XEN_DIR/xen")" = "$want" ]
}

xen_version() {
	awk -v p="$PKG:arm64" '$1 == p { print $2 }' "$XEN_DIR/VERSIONS"
}

fetch_xen() {
	local t0 ver dl tmp deb
	t0=$(rh_now)
	rh_papt_update
	ver=$(rh_papt_version "$PKG:arm64" "$SUITE")
	if [ -z "$ver" ]; then
		rh_papt_update force
		ver=$(rh_papt_version "$PKG:arm64" "$SUITE")
	fi
	[ -n "$ver" ] || rh_die "package $PKG:arm64 not found in $SUITE" "$RH_PAPT_LOG"
	printf '%s ' "$ver"

	dl=$RH_CACHE/apt/debs-xen
	rm -rf "$dl"
	mkdir -p "$dl"
	if ! (cd "$dl" && rh_papt apt-get -q download "$PKG:arm64=$ver") >>"$RH_PAPT_LOG" 2>&1; then
		# Lists up to a day old may name a version the mirror has dropped.
		rh_papt_update force
		ver=$(rh_papt_version "$PKG:arm64" "$SUITE")
		[ -n "$ver" ] || rh_die "package $PKG:arm64 not found in $SUITE" "$RH_PAPT_LOG"
		if ! (cd "$dl" && rh_papt apt-get -q download "$PKG:arm64=$ver") >>"$RH_PAPT_LOG" 2>&1; then
			rh_die "download of $PKG:arm64=$ver failed" "$RH_PAPT_LOG"
		fi
	fi
	deb=$(find "$dl" -maxdepth 1 -name "${PKG}_*.deb" | head -n 1)
	[ -n "$deb" ] || rh_die "apt-get download $PKG:arm64=$ver left no .deb in $dl" "$RH_PAPT_LOG"

	tmp=$XEN_DIR.new
	rm -rf "$tmp"
	mkdir -p "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x" || rh_die "dpkg-deb -x $deb failed"
	image_ok "$tmp/x/$MEMBER" || rh_die "$PKG $ver: /$MEMBER is missing or not an arm64 Image"
	mv "$tmp/x/$MEMBER" "$tmp/xen"
	rm -rf "$tmp/x"
	{
		printf '# Xen fetched by scripts/fetch-xen.sh on %s\n' "$(date -u '+%F %T UTC')"
		printf '# package version suite sha256(.deb); sha256 of the extracted /%s\n' "$MEMBER"
		printf '%s:arm64 %s %s %s\n' "$PKG" "$ver" "$SUITE" "$(sha256 "$deb")"
		printf 'xen-sha256 %s\n' "$(sha256 "$tmp/xen")"
	} >"$tmp/VERSIONS"
	rm -rf "$XEN_DIR" "$dl"
	mv "$tmp" "$XEN_DIR"
	xen_ok || rh_die "$XEN_DIR/xen failed verification after extraction"
	rh_done "done ($(rh_since "$t0"))"
}

step_xen() {
	if [ "$refetch" = 0 ] && xen_ok; then
		rh_step "$PKG $(xen_version)"
		rh_done ok
		return 0
	fi
	rh_step "$PKG ($SUITE)"
	printf 'fetching '
	fetch_xen
}

rh_lock
if [ "$print" = 1 ]; then
	step_xen >&2
	printf '%s\n' "$XEN_DIR/xen"
else
	step_xen
fi
