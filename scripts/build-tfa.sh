#!/usr/bin/env bash
# Build TF-A (Debian trixie's arm-trusted-firmware 2.12.x source package) for
# QEMU's virt machine, with Rhenium as a preloaded BL33 at 0x60000000.
#
#   scripts/build-tfa.sh               fetch + build if needed -> <cache>/tfa/qemu_fw.bios
#   scripts/build-tfa.sh --force       rebuild even if the output is up to date
#   scripts/build-tfa.sh --smoke-test  also boot the firmware in QEMU (nothing
#                                      at 0x60000000) and check TF-A's banner
#
# Use the result with:
#   qemu-system-aarch64 -M virt,secure=on,virtualization=on,gic-version=3 \
#     -cpu max,sme=off -m 1G -nographic -bios <cache>/tfa/qemu_fw.bios \
#     -device loader,file=<raw image>,addr=0x60000000,force-raw=on
# BL33 is entered at EL2 with x0 = the DTB at 0x40000000, to which TF-A's BL2
# adds a /psci node (method = "smc") and enable-method = "psci" on every cpu.
#
# Cache layout (<cache> = $RHENIUM_CACHE or <repo>/.cache):
#   tfa/src/            unpacked source (dpkg-source -x, Debian patches applied)
#   tfa/SOURCE-VERSION  Debian source version
#   tfa/BUILD-INFO      source version + make flags of the current qemu_fw.bios
#   tfa/build.log       fetch/unpack/build log; tfa/smoke.log  QEMU console
set -euo pipefail

RH_TAG=tfa
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TFA=$RH_CACHE/tfa
SRC=$TFA/src
OUT=$TFA/qemu_fw.bios
LOG=$TFA/build.log
BL33_BASE=0x60000000
TFA_MAKE_FLAGS=(
	CROSS_COMPILE=aarch64-linux-gnu-
	PLAT=qemu
	QEMU_USE_GIC_DRIVER=QEMU_GICV3
	ARM_LINUX_KERNEL_AS_BL33=1
	"PRELOADED_BL33_BASE=$BL33_BASE"
)
TFA_GOALS=(all fip qemu_fw.bios)

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

force=0
smoke=0
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	--smoke-test) smoke=1 ;;
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

mkdir -p "$TFA"

# Host tools the build needs; setup.sh --host-only installs them.
tools_ok() {
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 &&
		command -v make >/dev/null 2>&1 &&
		command -v gcc >/dev/null 2>&1 &&
		command -v dpkg-source >/dev/null 2>&1 &&
		command -v xz >/dev/null 2>&1 &&
		[ -f /usr/include/openssl/sha.h ]
}
if ! tools_ok; then
	"$RH_ROOT/scripts/setup.sh" --host-only
	tools_ok || rh_die "build tools still missing after scripts/setup.sh --host-only"
fi
rh_lock

build_info() {
	printf 'source arm-trusted-firmware %s\n' "$(cat "$TFA/SOURCE-VERSION")"
	printf 'make %s %s\n' "${TFA_MAKE_FLAGS[*]}" "${TFA_GOALS[*]}"
}

src_ok() { [ -f "$SRC/Makefile" ] && [ -s "$TFA/SOURCE-VERSION" ]; }

# Download trixie's source package with the private apt configuration and
# unpack it (Debian patches applied) into $SRC.
fetch_source() {
	local dl=$TFA/dl dsc ver
	rh_papt_update
	rm -rf "$dl"
	mkdir -p "$dl"
	if ! (cd "$dl" && rh_papt apt-get -q source --download-only arm-trusted-firmware/trixie) >>"$LOG" 2>&1; then
		# lists may be stale (a version dropped from the mirror): refresh once
		rh_papt_update force
		(cd "$dl" && rh_papt apt-get -q source --download-only arm-trusted-firmware/trixie) >>"$LOG" 2>&1 ||
			rh_die "source package arm-trusted-firmware (trixie) could not be downloaded" "$LOG"
	fi
	dsc=$(find "$dl" -maxdepth 1 -name 'arm-trusted-firmware_*.dsc' | head -n 1)
	[ -n "$dsc" ] || rh_die "no arm-trusted-firmware .dsc was downloaded" "$LOG"
	ver=$(sed -n 's/^Version: //p' "$dsc")
	case $ver in
	2.12.*) ;;
	*) rh_die "trixie offers arm-trusted-firmware $ver; this script is written for 2.12.x" ;;
	esac
	rm -rf "$SRC" "$SRC.new"
	dpkg-source --no-copy -x "$dsc" "$SRC.new" >>"$LOG" 2>&1 || rh_die "dpkg-source -x $dsc failed" "$LOG"
	mv "$SRC.new" "$SRC"
	printf '%s\n' "$ver" >"$TFA/SOURCE-VERSION"
	rm -rf "$dl"
}

build() {
	local t0 what=""
	t0=$(rh_now)
	: >"$LOG"
	if ! src_ok; then
		what="fetching source, "
		fetch_source
	fi
	rm -rf "$SRC/build" "$OUT" "$TFA/BUILD-INFO"
	{
		printf '=== %s make -j%s %s %s\n' "$(date '+%F %T')" "$(nproc)" \
			"${TFA_MAKE_FLAGS[*]}" "${TFA_GOALS[*]}"
	} >>"$LOG"
	if ! make -C "$SRC" -j"$(nproc)" "${TFA_MAKE_FLAGS[@]}" "${TFA_GOALS[@]}" >>"$LOG" 2>&1; then
		rh_die "TF-A build failed" "$LOG"
	fi
	local bios=$SRC/build/qemu/release/qemu_fw.bios
	[ -s "$bios" ] || rh_die "TF-A build produced no $bios" "$LOG"
	cp "$bios" "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	build_info >"$TFA/BUILD-INFO"
	rh_done "${what}built ($(rh_since "$t0"))"
}

if [ "$force" = 0 ] && src_ok && [ -s "$OUT" ] && [ -f "$TFA/BUILD-INFO" ] &&
	[ "$(cat "$TFA/BUILD-INFO")" = "$(build_info)" ]; then
	rh_step "qemu_fw.bios (arm-trusted-firmware $(cat "$TFA/SOURCE-VERSION"))"
	rh_done ok
else
	if src_ok; then
		rh_step "qemu_fw.bios (arm-trusted-firmware $(cat "$TFA/SOURCE-VERSION"))"
	else
		rh_step "qemu_fw.bios (arm-trusted-firmware 2.12.x from trixie)"
	fi
	build
fi

# Boot the firmware with nothing at BL33 and wait for BL31's banner (a
# release build logs NOTICE lines only; BL31's last one is "BL31: Built").
smoke_test() {
	local slog=$TFA/smoke.log pid i t0
	t0=$(rh_now)
	rh_step "QEMU boots qemu_fw.bios"
	command -v qemu-system-aarch64 >/dev/null 2>&1 ||
		rh_die "qemu-system-aarch64 not found (run scripts/setup.sh --host-only)"
	: >"$slog"
	timeout 60 qemu-system-aarch64 \
		-M virt,secure=on,virtualization=on,gic-version=3 -cpu max,sme=off \
		-m 1G -nographic -bios "$OUT" </dev/null >"$slog" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q 'NOTICE:  BL31: Built' "$slog" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if ! grep -q 'NOTICE:  Booting Trusted Firmware' "$slog" ||
		! grep -q 'NOTICE:  BL31: Built' "$slog"; then
		rh_die "TF-A banner / BL31 banner not seen on the QEMU console" "$slog"
	fi
	rh_done "ok, BL1 -> BL2 -> BL31 banners seen ($(rh_since "$t0"))"
}
if [ "$smoke" = 1 ]; then
	smoke_test
fi
