# shellcheck shell=bash
# Shared helpers for scripts/setup.sh and scripts/build-tfa.sh.
# Source it; it defines functions and a few RH_* variables, nothing runs.
#
#   RH_ROOT    repository root
#   RH_CACHE   git-ignored cache ($RHENIUM_CACHE, default $RH_ROOT/.cache)
#   RH_TAG     progress-line prefix, set by the caller ("setup", "tfa")
#
# No mirror host is written anywhere: the archive URI and keyring are read at
# run time from the system's deb822 file (the stanza whose Suites include the
# plain "bookworm").

RH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RH_CACHE=${RHENIUM_CACHE:-$RH_ROOT/.cache}
mkdir -p "$RH_CACHE"
RH_CACHE=$(cd "$RH_CACHE" && pwd)
RH_TAG=${RH_TAG:-rhenium}
RH_SYSTEM_SOURCES=/etc/apt/sources.list.d/debian.sources

# ---------------------------------------------------------------- output ---
# One progress line per step: rh_step "what" ... rh_done "result".
_rh_open=0
rh_step() {
	printf '[%s] %s ... ' "$RH_TAG" "$1"
	_rh_open=1
}
rh_done() {
	printf '%s\n' "$1"
	_rh_open=0
}
# rh_die MESSAGE [LOGFILE]: finish any open line, print the error (and the
# tail of LOGFILE), exit 1.
rh_die() {
	if [ "$_rh_open" = 1 ]; then
		printf 'FAILED\n'
		_rh_open=0
	fi
	printf '[%s] error: %s\n' "$RH_TAG" "$1" >&2
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		printf '[%s] last lines of %s:\n' "$RH_TAG" "$2" >&2
		tail -n 25 "$2" | sed 's/^/    /' >&2
	fi
	exit 1
}
# Seconds since an epoch value taken with $(rh_now).
rh_now() { date +%s; }
rh_since() { printf '%ss' "$(($(date +%s) - $1))"; }

# rh_lock: serialise scripts that write the cache (parallel make, two shells).
# Held until the process exits. Do not call scripts that lock from inside.
rh_lock() {
	local fd
	command -v flock >/dev/null 2>&1 || return 0
	exec {fd}>"$RH_CACHE/.lock"
	flock "$fd"
}

# ------------------------------------------------------------ privileges ---
# rh_as_root CMD...: run CMD as root (directly if we are root, else sudo).
rh_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -- "$@"
	else
		rh_die "not root and sudo is not installed: cannot run '$*'"
	fi
}

# ------------------------------------------------- system archive details ---
# Print field $1 (URIs, Signed-By) of the stanza of $RH_SYSTEM_SOURCES whose
# Suites include the plain "bookworm".
rh_system_field() {
	[ -r "$RH_SYSTEM_SOURCES" ] || rh_die "$RH_SYSTEM_SOURCES not found: cannot derive the Debian archive URI"
	awk -v want="$1" '
		function flush() {
			if (ok && val != "") { print val; found = 1; exit }
			ok = 0; val = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = $1; sub(/:$/, "", key)
			rest = $0; sub(/^[^:]*:[ \t]*/, "", rest)
			if (key == "Suites") {
				n = split(rest, s, /[ \t]+/)
				for (i = 1; i <= n; i++) if (s[i] == "bookworm") ok = 1
			}
			if (key == want) { split(rest, u, /[ \t]+/); val = u[1] }
		}
		END { if (!found) flush() }
	' "$RH_SYSTEM_SOURCES"
}

rh_archive_uri() {
	local uri
	uri=$(rh_system_field URIs)
	[ -n "$uri" ] || rh_die "no URIs: line for suite bookworm in $RH_SYSTEM_SOURCES"
	printf '%s\n' "$uri"
}
rh_archive_keyring() {
	local k
	k=$(rh_system_field Signed-By)
	case $k in
	/*) printf '%s\n' "$k" ;;
	*) printf '%s\n' /usr/share/keyrings/debian-archive-keyring.gpg ;;
	esac
}

# ------------------------------------------------------ host package query ---
# rh_pkg_installed PKG: true if dpkg says PKG is installed.
rh_pkg_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

# --------------------------------------------------------- private apt ---
# A private apt configuration under $RH_CACHE/apt used only to *download*
# (arm64 binaries, source packages) from trixie, trixie-backports and sid.
# The system's apt state is never touched; no root needed.
RH_PAPT_DIR=$RH_CACHE/apt
RH_PAPT_LOG=$RH_PAPT_DIR/apt.log
_rh_papt_updated=0

_rh_papt_opts() {
	local d=$RH_PAPT_DIR
	printf '%s\n' \
		-o "Dir::Etc::sourcelist=$d/private.sources" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::Etc::preferences=/dev/null \
		-o Dir::Etc::preferencesparts=/dev/null \
		-o "Dir::State::Lists=$d/lists" \
		-o "Dir::Cache=$d/cache" \
		-o APT::Architectures::=amd64 \
		-o APT::Architectures::=arm64 \
		-o Acquire::Languages=none \
		-o APT::Get::Show-Versions=false \
		-o "APT::Sandbox::User=$(id -un)"
}

# rh_papt apt-get|apt-cache ARGS...
rh_papt() {
	local tool=$1
	shift
	local -a opts
	mapfile -t opts < <(_rh_papt_opts)
	"$tool" "${opts[@]}" "$@"
}

# Write the private sources file (idempotent) and create apt's directories.
rh_papt_init() {
	local d=$RH_PAPT_DIR uri key new
	uri=$(rh_archive_uri)
	key=$(rh_archive_keyring)
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	new=$(printf 'Types: deb deb-src\nURIs: %s\nSuites: trixie trixie-backports sid\nComponents: main\nSigned-By: %s\n' "$uri" "$key")
	if [ ! -f "$d/private.sources" ] || [ "$(cat "$d/private.sources")" != "$new" ]; then
		printf '%s\n' "$new" >"$d/private.sources"
		rm -f "$d/updated"
	fi
}

# rh_papt_update [force]: refresh the private lists, at most once per run;
# without "force", lists younger than a day are reused.
rh_papt_update() {
	rh_papt_init
	[ "$_rh_papt_updated" = 1 ] && return 0
	if [ "${1:-}" != force ] && [ -f "$RH_PAPT_DIR/updated" ] &&
		[ -n "$(find "$RH_PAPT_DIR/updated" -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	if ! rh_papt apt-get -q update >>"$RH_PAPT_LOG" 2>&1; then
		rh_die "private apt-get update (trixie, trixie-backports, sid) failed" "$RH_PAPT_LOG"
	fi
	touch "$RH_PAPT_DIR/updated"
	_rh_papt_updated=1
}

# rh_papt_version PKG[:ARCH] SUITE: the version of PKG that SUITE offers
# (empty if none). SUITE is matched exactly against madison's "suite/component".
rh_papt_version() {
	rh_papt apt-cache madison "$1" 2>/dev/null |
		awk -F'|' -v s="$2" '
			{ gsub(/^[ \t]+|[ \t]+$/, "", $2); split($3, a, " ");
			  for (i in a) if (a[i] ~ ("^" s "/")) { print $2; exit } }'
}

# rh_papt_depends PKG:ARCH=VER: print the Depends of that exact version, one
# alternative group per line.
rh_papt_depends() {
	rh_papt apt-cache show "$1" 2>/dev/null |
		awk '/^Depends:/ { sub(/^Depends:[ \t]*/, ""); n = split($0, d, /,[ \t]*/);
		     for (i = 1; i <= n; i++) print d[i]; exit }'
}
