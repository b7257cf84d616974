#!/usr/bin/env bash
# Boot Rhenium on QEMU virt with one guest VM whose images QEMU's loader puts
# into host RAM. The VM is described to Rhenium by a /chosen/vm@0 node
# ("rhenium,vm", see include/rhenium/vm_config.h) added to QEMU's own device
# tree, which is dumped with the same machine options, decompiled, extended
# and recompiled.
#
#   scripts/run-vm.sh [options] [-- extra qemu arguments]
#     --image FILE       Rhenium raw image (build/rhenium.bin)
#     --kernel FILE      guest kernel (Image with arm64 header, or raw)
#     --initrd FILE      guest initramfs (optional)
#     --bootargs STR     guest command line
#     --guest-mem SIZE   guest RAM, e.g. 512M (default 512M)
#     --vcpus N          guest vCPUs (default 1)
#     --smp N            physical CPUs (default 4)
#     --mem SIZE         host RAM (default 2G)
#     --hyp-args STR     Rhenium's own bootargs (rhenium.log=debug ...)
#     --workdir DIR      where the generated DTB goes (default build/run)
#     --print-args       print the QEMU argument vector, one per line, and exit
set -euo pipefail

image=build/rhenium.bin kernel='' initrd='' bootargs="console=ttyAMA0"
guest_mem=512M vcpus=1 smp=4 mem=2G hyp_args='' workdir=build/run print=0
qemu=${QEMU:-qemu-system-aarch64}
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

to_bytes() {
	local v=$1 n
	case $v in
	*[Gg]) n=${v%[Gg]}; echo $((n << 30)) ;;
	*[Mm]) n=${v%[Mm]}; echo $((n << 20)) ;;
	*[Kk]) n=${v%[Kk]}; echo $((n << 10)) ;;
	*) echo $((v)) ;;
	esac
}
host_bytes=$(to_bytes "$mem")
guest_bytes=$(to_bytes "$guest_mem")
ram_end=$((0x40000000 + host_bytes))

# Images go at the top of host RAM, 2 MiB aligned, out of the way of Rhenium
# (RAM + 2 MiB) and of QEMU's DTB (placed low in RAM).
align_down() { echo $(($1 & ~0x1fffff)); }
kernel_size=$(stat -c %s "$kernel")
initrd_size=0
[ -z "$initrd" ] || initrd_size=$(stat -c %s "$initrd")
initrd_addr=$(align_down $((ram_end - initrd_size - 0x200000)))
kernel_addr=$(align_down $((initrd_addr - kernel_size - 0x200000)))
[ "$kernel_addr" -gt $((0x40000000 + guest_bytes + 0x10000000)) ] ||
	die "host RAM $mem is too small for a $guest_mem guest plus its images"

machine="virt,gic-version=3,virtualization=on"
mkdir -p "$workdir"
"$qemu" -M "$machine,dumpdtb=$workdir/host.dtb" -cpu max -m "$mem" -smp "$smp" \
	-display none ${hyp_args:+-append "$hyp_args"} >/dev/null
dtc -q -I dtb -O dts -o "$workdir/host.dts" "$workdir/host.dtb"
esc_bootargs=${bootargs//\\/\\\\}
esc_bootargs=${esc_bootargs//\"/\\\"}
{
	cat "$workdir/host.dts"
	printf '\n/ {\n\tchosen {\n\t\tvm@0 {\n'
	printf '\t\t\tcompatible = "rhenium,vm";\n'
	printf '\t\t\trhenium,kernel = /bits/ 64 <0x%x 0x%x>;\n' "$kernel_addr" "$kernel_size"
	if [ -n "$initrd" ]; then
		printf '\t\t\trhenium,initrd = /bits/ 64 <0x%x 0x%x>;\n' "$initrd_addr" "$initrd_size"
	fi
	printf '\t\t\tbootargs = "%s";\n' "$esc_bootargs"
	printf '\t\t\tmemory-size = /bits/ 64 <0x%x>;\n' "$guest_bytes"
	printf '\t\t\tvcpus = <%d>;\n' "$vcpus"
	printf '\t\t};\n\t};\n};\n'
} >"$workdir/boot.dts"
dtc -q -I dts -O dtb -o "$workdir/boot.dtb" "$workdir/boot.dts"

args=(-M "$machine" -cpu max -m "$mem" -smp "$smp" -nographic
	-kernel "$image" -dtb "$workdir/boot.dtb"
	-device "loader,file=$kernel,addr=$(printf 0x%x "$kernel_addr"),force-raw=on")
if [ -n "$initrd" ]; then
	args+=(-device "loader,file=$initrd,addr=$(printf 0x%x "$initrd_addr"),force-raw=on")
fi
[ -z "$hyp_args" ] || args+=(-append "$hyp_args")
args+=("${extra[@]}")

if [ "$print" = 1 ]; then
	printf '%s\n' "${args[@]}"
	exit 0
fi
exec "$qemu" "${args[@]}"
