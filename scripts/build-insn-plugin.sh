#!/usr/bin/env bash
# Build the instruction-counting TCG plugins for the installed QEMU.
#
#   scripts/build-insn-plugin.sh           build if missing or stale, else one "ok" line each
#   scripts/build-insn-plugin.sh --force   build again
#
# No Debian package ships QEMU's plugins or qemu-plugin.h, so this takes the
# orig tarball of the qemu source package whose version matches the package
# that owns qemu-system-aarch64 (apt-get source --download-only with a
# private apt configuration; the mirror serves only the .orig.tar.xz, so the
# missing .dsc and .debian.tar.xz are expected and ignored, the tarball is
# checked against the Sources index's SHA-256 instead). From it only
# include/qemu/qemu-plugin.h and insn.c (tests/tcg/plugins/ in QEMU 10,
# contrib/plugins/ also looked at) are kept, and built with gcc -shared -fPIC
# against glib (libglib2.0-dev, installed by scripts/setup.sh). Our own
# plugin, scripts/qemu-plugins/marker.c, is built against the same header
# with -Wall -Wextra -Werror.
#
# Output in <cache>/qemu-plugin/ (<cache> is $RHENIUM_CACHE or <repo>/.cache):
#
#   libmarker.so     ours: -plugin <this>[,exit=on] -d plugin -D <log>; the
#                    log gets "marker insns: X" when the guest has written
#                    RHENIUM-GUEST-READY to the PL011 (scripts/insn_count.py,
#                    the boot section of scripts/bench.py)
#   libinsn.so       QEMU's: -plugin <this>[,inline=on] -d plugin -D <log>; at
#                    exit the log gets "cpu N insns: X" per vCPU and "total insns: X"
#   src/             the two files taken from the tarball
#   BUILD-INFO       qemu package and source versions, tarball SHA-256, compile line
#   libmarker.info   what libmarker.so was built from (header and source SHA-256)
#   build.log        compiler and apt output
#
# libinsn.so and src/ are reused while the installed QEMU's source version
# and the compile line are those recorded in BUILD-INFO; libmarker.so while
# the header, marker.c and its compile line are those in libmarker.info.
# The mirror is the system's (URIs: of the bookworm stanza of
# /etc/apt/sources.list.d/debian.sources).
set -euo pipefail

RH_TAG='insn-plugin'
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

OUT=$RH_CACHE/qemu-plugin
SO=$OUT/libinsn.so
INFO=$OUT/BUILD-INFO
LOG=$OUT/build.log
SAPT=$OUT/apt # private apt state for the source download
CFLAGS=(-std=gnu11 -O2 -g -Wall -shared -fPIC)
MARKER_SRC=$RH_ROOT/scripts/qemu-plugins/marker.c
MARKER_SO=$OUT/libmarker.so
MARKER_INFO=$OUT/libmarker.info
MARKER_CFLAGS=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -shared -fPIC)

force=0
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	*)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
		exit 2
		;;
	esac
done

# ------------------------------------------------------- installed QEMU ---
qemu_bin=$(command -v qemu-system-aarch64 || true)
[ -n "$qemu_bin" ] || rh_die "qemu-system-aarch64 not found: run scripts/setup.sh"
# The package that owns the binary (qemu-system-arm), then its source package.
qemu_pkg=$(dpkg -S "$(readlink -f "$qemu_bin")" 2>/dev/null | sed -n '1s/:.*//p')
qemu_pkg=${qemu_pkg:-qemu-system-arm}
read -r src_pkg src_ver < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' "$qemu_pkg" 2>/dev/null) ||
	rh_die "dpkg does not know package $qemu_pkg (owner of $qemu_bin)"
[ -n "${src_ver:-}" ] || rh_die "no source version for $qemu_pkg"
pkg_ver=$(dpkg-query -W -f='${Version}' "$qemu_pkg")
# Upstream version: no epoch, no Debian revision (1:10.0.2+ds-2+... -> 10.0.2+ds).
upstream=${src_ver#*:}
upstream=${upstream%-*}

compile_line="gcc ${CFLAGS[*]} \$(pkg-config --cflags glib-2.0) insn.c \$(pkg-config --libs glib-2.0)"
key="$src_pkg $src_ver | $compile_line"

# plugin_loads SO [OPTIONS]: QEMU accepts the plugin (API version, options)
# and runs its exit callback. A machine without CPUs, quit from the monitor
# at once: both plugins then log "total insns: 0".
plugin_loads() {
	local smoke=$OUT/.smoke.log
	rm -f "$smoke"
	if ! printf 'quit\n' | timeout 30 "$qemu_bin" -M none -display none -serial none \
		-monitor stdio -plugin "$1${2:-}" -d plugin -D "$smoke" >>"$LOG" 2>&1 ||
		! grep -q '^total insns: 0$' "$smoke"; then
		return 1
	fi
	rm -f "$smoke"
}

# build_marker: libmarker.so from scripts/qemu-plugins/marker.c and the
# header in src/ (present once libinsn.so is built).
build_marker() {
	local hdr=$OUT/src/qemu-plugin.h key t0 glib_cflags glib_libs
	rh_step "TCG plugin libmarker.so (scripts/qemu-plugins/marker.c)"
	[ -f "$MARKER_SRC" ] || rh_die "$MARKER_SRC is missing"
	[ -f "$hdr" ] || rh_die "$hdr is missing: run $0 --force"
	key="qemu-plugin.h $(sha256sum <"$hdr" | cut -d' ' -f1) marker.c $(sha256sum <"$MARKER_SRC" |
		cut -d' ' -f1) | gcc ${MARKER_CFLAGS[*]} \$(pkg-config --cflags glib-2.0) marker.c \$(pkg-config --libs glib-2.0)"
	if [ "$force" = 0 ] && [ -s "$MARKER_SO" ] && [ -f "$MARKER_INFO" ] &&
		[ "$(sed -n 's/^key: //p' "$MARKER_INFO")" = "$key" ]; then
		rh_done ok
		return 0
	fi
	t0=$(rh_now)
	if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists glib-2.0; then
		rh_die "pkg-config does not find glib-2.0: run scripts/setup.sh first"
	fi
	mapfile -t glib_cflags < <(pkg-config --cflags glib-2.0 | tr ' ' '\n' | sed '/^$/d')
	mapfile -t glib_libs < <(pkg-config --libs glib-2.0 | tr ' ' '\n' | sed '/^$/d')
	printf '== gcc %s\n' "$MARKER_SRC" >>"$LOG"
	gcc "${MARKER_CFLAGS[@]}" -I"$OUT/src" "${glib_cflags[@]}" -o "$MARKER_SO.tmp" "$MARKER_SRC" \
		"${glib_libs[@]}" >>"$LOG" 2>&1 || rh_die "gcc failed to build libmarker.so" "$LOG"
	plugin_loads "$MARKER_SO.tmp" ",exit=on" ||
		rh_die "$qemu_bin did not load the freshly built libmarker.so" "$LOG"
	mv "$MARKER_SO.tmp" "$MARKER_SO"
	{
		printf '# TCG plugin built by scripts/build-insn-plugin.sh on %s\n' "$(date -u '+%F %T UTC')"
		printf 'qemu-binary: %s (package %s %s)\n' "$qemu_bin" "$qemu_pkg" "$pkg_ver"
		printf 'key: %s\n' "$key"
	} >"$MARKER_INFO"
	rh_done "built ($MARKER_SO, $(rh_since "$t0"))"
}

mkdir -p "$OUT"
rh_lock
rh_step "TCG plugin libinsn.so for $qemu_pkg $pkg_ver"
if [ "$force" = 0 ] && [ -s "$SO" ] && [ -f "$INFO" ] &&
	[ "$(sed -n 's/^key: //p' "$INFO")" = "$key" ] && [ -f "$OUT/src/qemu-plugin.h" ]; then
	rh_done ok
	build_marker
	exit 0
fi
t0=$(rh_now)
: >"$LOG"

# ----------------------------------------------------------------- glib ---
# The glib headers come with setup.sh's host packages (libglib2.0-dev).
if ! rh_pkg_installed libglib2.0-dev || ! command -v pkg-config >/dev/null 2>&1; then
	rh_die "libglib2.0-dev and pkg-config are missing: run scripts/setup.sh first"
fi
pkg-config --exists glib-2.0 || rh_die "pkg-config does not find glib-2.0 although libglib2.0-dev is installed"

# ------------------------------------------------- the orig tarball ---
# deb-src for the suite(s) apt says the installed version came from
# (bookworm-backports for QEMU 10 on bookworm), on the system's mirror.
suites=$(LC_ALL=C apt-cache policy "$qemu_pkg" 2>/dev/null | awk -v v="$pkg_ver" '
	/^ *\*\*\* / { on = ($2 == v); next }
	/^     [^ ]/ { on = ($1 == v); next }
	on && /(https?|file|ftp|copy|cdrom|mirror[+a-z]*):/ { split($3, s, "/"); print s[1] }' |
	sort -u | tr '\n' ' ')
suites=${suites% }
[ -n "$suites" ] || suites="bookworm-backports trixie"
uri=$(rh_archive_uri)
keyring=$(rh_archive_keyring)
mkdir -p "$SAPT/lists/partial" "$SAPT/cache/archives/partial"
new_sources=$(printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$uri" "$suites" "$keyring")
if [ ! -f "$SAPT/src.sources" ] || [ "$(cat "$SAPT/src.sources")" != "$new_sources" ]; then
	printf '%s\n' "$new_sources" >"$SAPT/src.sources"
	rm -f "$SAPT/updated"
fi
sapt() {
	local tool=$1
	shift
	"$tool" -o "Dir::Etc::sourcelist=$SAPT/src.sources" -o Dir::Etc::sourceparts=/dev/null \
		-o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts=/dev/null \
		-o "Dir::State::Lists=$SAPT/lists" -o "Dir::Cache=$SAPT/cache" \
		-o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)" "$@"
}
sapt_update() {
	sapt apt-get -q update >>"$LOG" 2>&1 || rh_die "apt-get update (deb-src $suites) failed" "$LOG"
	touch "$SAPT/updated"
}
# src_versions: the qemu source versions the index offers, one a line.
src_versions() { sapt apt-cache showsrc "$src_pkg" 2>/dev/null | sed -n 's/^Version: //p'; }
# pick_version: the installed source version if offered, else any version
# with the same upstream version (it has the same orig tarball).
pick_version() {
	local vs
	vs=$(src_versions)
	if grep -qxF "$src_ver" <<<"$vs"; then
		printf '%s\n' "$src_ver"
		return 0
	fi
	awk -v up="$upstream" '{ v = $0; sub(/^[0-9]+:/, "", v); sub(/-[^-]*$/, "", v)
		if (v == up) { print; exit } }' <<<"$vs"
}
[ -f "$SAPT/updated" ] || sapt_update
want=$(pick_version)
if [ -z "$want" ]; then
	sapt_update
	want=$(pick_version)
fi
[ -n "$want" ] || rh_die "no $src_pkg source with upstream version $upstream in deb-src $suites on $uri" "$LOG"

# The orig tarball's expected SHA-256, from that version's Sources record.
orig_sha_name=$(sapt apt-cache showsrc "$src_pkg" 2>/dev/null | awk -v v="$want" '
	/^Package:/ { p = 0 } /^Version:/ { p = ($2 == v) }
	p && /^Checksums-Sha256:/ { c = 1; next } /^[^ ]/ { c = 0 }
	p && c && $3 ~ /\.orig\.tar\.[a-z0-9]+$/ { print $1, $3; exit }')
read -r orig_sha orig_name <<<"$orig_sha_name" || true
[ -n "${orig_name:-}" ] || rh_die "the Sources record of $src_pkg $want lists no .orig.tar file" "$LOG"

dl=$OUT/download
mkdir -p "$dl"
tarball=$dl/$orig_name
if [ ! -f "$tarball" ] || [ "$(sha256sum <"$tarball" | cut -d' ' -f1)" != "$orig_sha" ]; then
	rm -f "$tarball"
	# Only the orig tarball is served: apt-get fails on the .dsc and the
	# .debian.tar.xz (404) after fetching it. Its SHA-256 decides.
	(cd "$dl" && sapt apt-get -q source --download-only "$src_pkg=$want") >>"$LOG" 2>&1 || true
	[ -f "$tarball" ] || rh_die "apt-get source --download-only $src_pkg=$want did not fetch $orig_name" "$LOG"
	[ "$(sha256sum <"$tarball" | cut -d' ' -f1)" = "$orig_sha" ] ||
		rh_die "$orig_name: SHA-256 differs from the Sources index ($orig_sha)"
fi

# ------------------------------------------------------------- extract ---
members=$(tar -tf "$tarball") || rh_die "cannot list $orig_name"
find_member() {
	local rel
	for rel in "$@"; do
		grep -m1 -E "^[^/]+/$rel\$" <<<"$members" && return 0
	done
	return 0
}
hdr=$(find_member include/qemu/qemu-plugin.h)
insn=$(find_member tests/tcg/plugins/insn.c contrib/plugins/insn.c '.*/plugins/insn\.c')
[ -n "$hdr" ] || rh_die "$orig_name has no include/qemu/qemu-plugin.h"
[ -n "$insn" ] || rh_die "$orig_name has no insn.c (looked in tests/tcg/plugins, contrib/plugins)"
tmp=$OUT/.extract
rm -rf "$tmp"
mkdir -p "$tmp"
tar --no-same-owner -xf "$tarball" -C "$tmp" "$hdr" "$insn" || rh_die "cannot extract $hdr and $insn from $orig_name"
rm -rf "$OUT/src"
mkdir -p "$OUT/src"
mv "$tmp/$hdr" "$tmp/$insn" "$OUT/src/"
rm -rf "$tmp"

# --------------------------------------------------------------- build ---
mapfile -t glib_cflags < <(pkg-config --cflags glib-2.0 | tr ' ' '\n' | sed '/^$/d')
mapfile -t glib_libs < <(pkg-config --libs glib-2.0 | tr ' ' '\n' | sed '/^$/d')
if ! gcc "${CFLAGS[@]}" -I"$OUT/src" "${glib_cflags[@]}" -o "$SO.tmp" "$OUT/src/insn.c" \
	"${glib_libs[@]}" >>"$LOG" 2>&1; then
	rh_die "gcc failed to build the plugin" "$LOG"
fi

plugin_loads "$SO.tmp" || rh_die "$qemu_bin did not load the freshly built libinsn.so" "$LOG"
mv "$SO.tmp" "$SO"

plugin_api=$(sed -n 's/^#define QEMU_PLUGIN_VERSION \([0-9]*\).*/\1/p' "$OUT/src/qemu-plugin.h")
{
	printf '# TCG plugin built by scripts/build-insn-plugin.sh on %s\n' "$(date -u '+%F %T UTC')"
	printf 'qemu-binary: %s (package %s %s)\n' "$qemu_bin" "$qemu_pkg" "$pkg_ver"
	printf 'source: %s %s from deb-src %s, %s sha256 %s\n' "$src_pkg" "$want" "$suites" "$orig_name" "$orig_sha"
	printf 'files: %s %s\n' "$hdr" "$insn"
	printf 'plugin-api: %s\n' "$plugin_api"
	printf 'key: %s\n' "$key"
} >"$INFO"
# The tarball (~40 MB) is not needed any more: the two files are in src/.
rm -rf "$dl"
rh_done "built ($SO, plugin API $plugin_api, from $orig_name, $(rh_since "$t0"))"
build_marker
