#!/usr/bin/env bash
# Boot Rhenium on QEMU virt with one guest VM: writes a one-VM manifest
# (docs/manifest.md) into the work directory and hands it to
# scripts/run-manifest.py, which places the images in host RAM, adds the VM
# to QEMU's own device tree as /chosen/vm@0 and runs (or prints) QEMU.
#
#   scripts/run-vm.sh [options] [-- extra qemu arguments]
#     --image FILE       Rhenium raw image (build/rhenium.bin)
#     --kernel FILE      guest kernel (Image with arm64 header, or raw)
#     --initrd FILE      guest initramfs (optional)
#     --bootargs STR     guest command line
#     --guest-mem SIZE   guest RAM, e.g. 512M (default 512M)
#     --vcpus N          guest vCPUs (default 1; vCPU i on physical CPU i % smp)
#     --smp N            physical CPUs (default 4)
#     --mem SIZE         host RAM (default 2G)
#     --hyp-args STR     Rhenium's own bootargs (rhenium.log=debug ...)
#     --devices LIST     the VM's emulated devices, comma-separated (default pl011;
#                        pl011, virtio-console, virtio-blk, virtio-net)
#     --disk FILE        give the VM a disk: the region [0, --disk-size) of this
#                        disk image (created sparse if absent, never truncated);
#                        adds virtio-blk to the devices
#     --disk-size SIZE   the VM's disk region, e.g. 256M (default 256M)
#     --workdir DIR      where the manifest and generated DTBs go (default build/run)
#     --print-args       print the QEMU argument vector, one per line, and exit
set -euo pipefail

image=build/rhenium.bin kernel='' initrd='' bootargs="console=ttyAMA0"
guest_mem=512M vcpus=1 smp=4 mem=2G hyp_args='' workdir=build/run print=0
devices=pl011 disk='' disk_size=256M
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--image) image=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--bootargs) bootargs=$2; shift 2 ;;
	--guest-mem) guest_mem=$2; shift 2 ;;
	--vcpus) vcpus=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--hyp-args) hyp_args=$2; shift 2 ;;
	--workdir) workdir=$2; shift 2 ;;
	--devices) devices=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--disk-size) disk_size=$2; shift 2 ;;
	--print-args) print=1; shift ;;
	--) shift; extra=("$@"); break ;;
	*) echo "run-vm.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

die() { echo "run-vm.sh: $*" >&2; exit 1; }
[ -f "$image" ] || die "no hypervisor image $image (run make)"
[ -n "$kernel" ] || die "--kernel is required"
[ -f "$kernel" ] || die "guest kernel $kernel not found"
[ -z "$initrd" ] || [ -f "$initrd" ] || die "guest initrd $initrd not found"
case $vcpus in '' | *[!0-9]*) die "--vcpus $vcpus: not a number" ;; esac

to_bytes() {
	local v=$1 n
	case $v in
	*[Gg]) n=${v%[Gg]}; echo $((n << 30)) ;;
	*[Mm]) n=${v%[Mm]}; echo $((n << 20)) ;;
	*[Kk]) n=${v%[Kk]}; echo $((n << 10)) ;;
	*) echo $((v)) ;;
	esac
}
guest_bytes=$(to_bytes "$guest_mem")

# "a,b" -> "a", "b" (an empty list is an empty property: no devices).
IFS=, read -r -a device_list <<<"$devices"
if [ -n "$disk" ]; then
	disk_bytes=$(to_bytes "$disk_size")
	if [ "$disk_bytes" -le 0 ] || [ $((disk_bytes % 512)) != 0 ]; then
		die "--disk-size $disk_size: must be a positive multiple of 512 bytes"
	fi
	case ",$devices," in *,virtio-blk,*) ;; *) device_list+=(virtio-blk) ;; esac
fi

# A device-tree source string: \ and " escaped; file names also $ (run-manifest.py expands $VAR).
dts_string() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}
dts_file() {
	local f
	f=$(realpath -- "$1")
	dts_string "${f//\$/\$\$}"
}

mkdir -p "$workdir"
{
	printf '/dts-v1/;\n/* Written by scripts/run-vm.sh. */\n/ {\n\tvm@0 {\n'
	printf '\t\tcompatible = "rhenium,vm";\n'
	printf '\t\tkernel-file = %s;\n' "$(dts_file "$kernel")"
	[ -z "$initrd" ] || printf '\t\tinitrd-file = %s;\n' "$(dts_file "$initrd")"
	printf '\t\tbootargs = %s;\n' "$(dts_string "$bootargs")"
	printf '\t\tmemory-size = /bits/ 64 <0x%x>;\n' "$guest_bytes"
	printf '\t\tvcpus = <%d>;\n' "$vcpus"
	if [ ${#device_list[@]} = 0 ]; then
		printf '\t\tdevices;\n'
	else
		printf '\t\tdevices = %s' "$(dts_string "${device_list[0]}")"
		for d in "${device_list[@]:1}"; do printf ', %s' "$(dts_string "$d")"; done
		printf ';\n'
	fi
	[ -z "$disk" ] || printf '\t\tdisk = /bits/ 64 <0x0 0x%x>;\n' "$disk_bytes"
	printf '\t\tautostart;\n'
	printf '\t};\n};\n'
} >"$workdir/vm.dts"

python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
args=(--image "$image" --smp "$smp" --mem "$mem" --workdir "$workdir")
[ -z "$hyp_args" ] || args+=(--hyp-args "$hyp_args")
[ -z "$disk" ] || args+=(--disk "$disk")
[ "$print" = 0 ] || args+=(--print-args)
exec "$python" "$(dirname "$0")/run-manifest.py" "${args[@]}" "$workdir/vm.dts" -- "${extra[@]}"
