#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Rhenium on QEMU virt with the VMs of a manifest (docs/manifest.md).

    scripts/run-manifest.py [options] MANIFEST.dts [-- extra qemu arguments]

The manifest is device-tree source: one child of the root node per VM, with
the properties Rhenium reads from /chosen/<node> (include/rhenium/vm_config.h)
except that images are named by file: kernel-file and initrd-file, in which
$ROOT, $BUILD and $CACHE are expanded ($$ is a '$') and relative paths are
relative to the repository root. This script

  1. compiles the manifest with dtc and reads it back with fdtget (-l, -p,
     -t bx: exact bytes, so no device-tree source is parsed here),
  2. checks the image files, places every image 2 MiB aligned near the top of
     host RAM (below a 2 MiB guard), packed downwards in manifest order,
  3. dumps QEMU's own DTB with the same machine options, adds one
     /chosen/<node> per VM with rhenium,kernel / rhenium,initrd =
     /bits/ 64 <address size> in place of the file properties and every other
     property copied byte for byte, and compiles it (workdir/boot.dtb),
  4. if any VM has a `disk = /bits/ 64 <offset size>` region, makes sure
     the disk image file exists (created sparse if absent, never truncated
     or overwritten) and is large enough for every region,
  5. runs QEMU: -kernel <image> -dtb boot.dtb, one
     -device loader,file=...,addr=...,force-raw=on per image, the virtio-mmio
     transports as version 2, and the disk image as a virtio-blk device.

Options (defaults as scripts/run-vm.sh):
  --image FILE     Rhenium raw image (build/rhenium.bin)
  --smp N          physical CPUs (4)
  --mem SIZE       host RAM, as QEMU's -m: 2G, 1536M, 512 (MiB) (2G)
  --hyp-args STR   Rhenium's own bootargs (QEMU -append)
  --workdir DIR    where the generated files go (build/run)
  --build DIR      $BUILD ($RHENIUM_BUILD, else <root>/build)
  --cache DIR      $CACHE ($RHENIUM_CACHE, else <root>/.cache)
  --disk FILE      the physical disk's image: the VMs' disk regions are parts
                   of it ($BUILD/disk.img). Used only if a VM has a disk; if
                   absent it is created sparse, max(offset + size) rounded up
                   to 1 MiB
  --print-args     print the QEMU argument vector, one per line, and exit
  --verbose        say where each image goes (on stderr)

Only the standard library and the dtc, fdtget and QEMU executables are used.
"""
import argparse
import os
import re
import subprocess
import sys
from decimal import Decimal, InvalidOperation

PROG = "run-manifest.py"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RAM_BASE = 0x40000000      # QEMU virt
BLOCK = 2 << 20            # image alignment, and the guard at the top of RAM
HYP_HEADROOM = 256 << 20   # below the images: Rhenium, its DTB, page tables
DEFAULT_VM_MEM = 256 << 20  # VM_CONFIG_DEFAULT_MEM
DISK_ROUND = 1 << 20       # a new disk image's size is rounded up to this
MACHINE = "virt,gic-version=3,virtualization=on"
FILE_PROPS = {"kernel-file": "rhenium,kernel", "initrd-file": "rhenium,initrd"}
ROOT_PROPS = {"compatible", "model", "#address-cells", "#size-cells"}


class ManifestError(Exception):
    pass


def run(cmd, what):
    """Runs cmd; on failure raises ManifestError with its stderr."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ManifestError(f"{what}: cannot run {cmd[0]}: {e.strerror}") from e
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip()
        raise ManifestError(f"{what} failed" + (f":\n{msg}" if msg else ""))
    return res.stdout


def parse_size(text, default_unit):
    """QEMU's size syntax: a number with an optional B/K/M/G/T suffix (binary units)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([bBkKmMgGtT]?)[bB]?\s*", text)
    if not m:
        raise ManifestError(f"bad size '{text}' (want e.g. 2G, 512M)")
    unit = (m.group(2) or default_unit).upper()
    shift = {"B": 0, "K": 10, "M": 20, "G": 30, "T": 40}[unit]
    try:
        value = Decimal(m.group(1)) * (1 << shift)
    except InvalidOperation as e:
        raise ManifestError(f"bad size '{text}'") from e
    if value != int(value) or value <= 0:
        raise ManifestError(f"bad size '{text}' (not a whole number of bytes)")
    return int(value)


def mib(n):
    return f"{n / (1 << 20):.1f} MiB"


# ---------------------------------------------------------------- reading the manifest

class Dtb:
    """Read access to a compiled DTB through fdtget."""

    def __init__(self, path):
        self.path = path

    def subnodes(self, node):
        out = run(["fdtget", "-l", self.path, node], f"fdtget -l {node}")
        return [n for n in out.splitlines() if n]

    def props(self, node):
        out = run(["fdtget", "-p", self.path, node], f"fdtget -p {node}")
        return [p for p in out.splitlines() if p]

    def values(self, node, props):
        """{prop: bytes} for the given properties of node, in one fdtget call."""
        if not props:
            return {}
        cmd = ["fdtget", "-t", "bx", self.path]
        for p in props:
            cmd += [node, p]
        lines = run(cmd, f"fdtget {node}").split("\n")
        if len(lines) < len(props):
            raise ManifestError(f"fdtget {node}: {len(lines)} values for {len(props)} properties")
        return {p: bytes(int(b, 16) for b in line.split()) for p, line in zip(props, lines)}


def as_string(node, prop, value):
    if not value or value[-1] != 0 or 0 in value[:-1]:
        raise ManifestError(f"{node}: {prop}: must be one string")
    try:
        return value[:-1].decode("utf-8")
    except UnicodeDecodeError as e:
        raise ManifestError(f"{node}: {prop}: not UTF-8") from e


def expand(node, prop, text, variables):
    def sub(m):
        name = m.group(1) or m.group(2)
        if m.group(0) == "$$":
            return "$"
        if name not in variables:
            known = ", ".join("$" + v for v in variables)
            raise ManifestError(f"{node}: {prop}: unknown variable ${name} (known: {known}; "
                                "$$ for a '$')")
        return variables[name]
    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", sub, text)


class Vm:
    def __init__(self, node):
        self.node = node          # node name, as in /chosen
        self.props = []           # [(name, bytes)] in manifest order, files included
        self.files = {}           # "kernel-file" -> absolute path
        self.addr = {}            # "kernel-file" -> load address
        self.mem = DEFAULT_VM_MEM
        self.disk = None          # (offset, size) of its disk region, if any


def read_manifest(dtb_path, variables):
    dtb = Dtb(dtb_path)
    for p in dtb.props("/"):
        if p not in ROOT_PROPS:
            raise ManifestError(f"/: {p}: unknown property (VMs are child nodes of /)")
    vms = []
    for node in dtb.subnodes("/"):
        path = "/" + node
        if dtb.subnodes(path):
            raise ManifestError(f"{path}: has child nodes; a VM node has properties only")
        names = dtb.props(path)
        values = dtb.values(path, names)
        if "status" in values and as_string(path, "status", values["status"]) not in ("okay",
                                                                                     "ok"):
            continue
        if "compatible" in values and values["compatible"] != b"rhenium,vm\0":
            raise ManifestError(f'{path}: compatible: must be "rhenium,vm" (or left out)')
        for p in FILE_PROPS.values():
            if p in values:
                raise ManifestError(f"{path}: {p}: written by the build; name the file with "
                                    f"{'kernel-file' if p == 'rhenium,kernel' else 'initrd-file'}")
        if "kernel-file" not in values:
            raise ManifestError(f"{path}: kernel-file: missing")
        vm = Vm(node)
        for p in names:
            vm.props.append((p, values[p]))
            if p in FILE_PROPS:
                f = expand(path, p, as_string(path, p, values[p]), variables)
                f = os.path.normpath(os.path.join(ROOT, f))
                if not os.path.isfile(f):
                    raise ManifestError(f"{path}: {p}: {f} not found")
                if os.path.getsize(f) == 0:
                    raise ManifestError(f"{path}: {p}: {f} is empty")
                vm.files[p] = f
        mem = values.get("memory-size")
        if mem is not None and len(mem) in (4, 8):
            vm.mem = int.from_bytes(mem, "big")
        # Only what sizing the disk image needs: Rhenium judges the rest, and
        # a malformed region is left out here so that its message is Rhenium's.
        disk = values.get("disk")
        if disk is not None and len(disk) == 16:
            offset, size = int.from_bytes(disk[:8], "big"), int.from_bytes(disk[8:], "big")
            if size and offset + size < 1 << 63:
                vm.disk = (offset, size)
        vms.append(vm)
    if not vms:
        raise ManifestError("no VM: the root node has no (enabled) child node")
    return vms


# ---------------------------------------------------------------- placement

def place(vms, host_bytes):
    """Images at 2 MiB aligned addresses, packed downwards from the top of RAM."""
    top = RAM_BASE + host_bytes - BLOCK
    images = 0
    for vm in vms:
        for p in ("initrd-file", "kernel-file"):
            if p in vm.files:
                size = os.path.getsize(vm.files[p])
                top = (top - size) & ~(BLOCK - 1)
                vm.addr[p] = top
                images += size
    vm_mem = sum(vm.mem for vm in vms)
    if top < RAM_BASE + HYP_HEADROOM + vm_mem:
        raise ManifestError(
            f"host RAM of {mib(host_bytes)} is too small for {mib(vm_mem)} of VM memory plus "
            f"{mib(images)} of images (and {mib(HYP_HEADROOM)} for Rhenium): use --mem")


# ---------------------------------------------------------------- the disk image

def prepare_disk(path, vms):
    """Creates the disk image if absent; refuses one too small for the regions.

    An existing file is never truncated, extended or rewritten: it holds the
    VMs' data from earlier runs.
    """
    regions = [vm for vm in vms if vm.disk]
    if not regions:
        return
    last = max(regions, key=lambda vm: vm.disk[0] + vm.disk[1])
    need = last.disk[0] + last.disk[1]
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        try:
            with open(path, "rb") as f:
                have = f.seek(0, os.SEEK_END)  # a regular file or a block device
        except OSError as e:
            raise ManifestError(f"disk image {path}: {e.strerror}") from e
        if have < need:
            raise ManifestError(
                f"/{last.node}: disk: the region ends at {need} bytes ({mib(need)}), beyond the "
                f"end of the disk image {path} ({have} bytes, {mib(have)}): use a larger "
                "image, or remove it to have a new one created")
        return
    except OSError as e:
        raise ManifestError(f"disk image {path}: {e.strerror}") from e
    size = -(-need // DISK_ROUND) * DISK_ROUND
    try:
        os.ftruncate(fd, size)  # sparse: no blocks written
    except OSError as e:
        os.close(fd)
        os.unlink(path)
        raise ManifestError(f"disk image {path}: {e.strerror}") from e
    os.close(fd)
    print(f"{PROG}: created the disk image {path} ({mib(size)}, sparse)", file=sys.stderr)


# ---------------------------------------------------------------- writing the boot DTB

def dts_value(value):
    """Device-tree source for exactly these bytes, as readable as possible."""
    if not value:
        return None
    parts = value[:-1].split(b"\0") if value[-1] == 0 else None
    if parts and all(parts) and all(0x20 <= c < 0x7f for part in parts for c in part):
        def quote(s):
            return '"' + s.decode("ascii").replace("\\", "\\\\").replace('"', '\\"') + '"'
        return ", ".join(quote(s) for s in parts)
    if len(value) % 4 == 0:
        cells = [int.from_bytes(value[i:i + 4], "big") for i in range(0, len(value), 4)]
        return "<" + " ".join(f"0x{c:x}" for c in cells) + ">"
    return "[" + " ".join(f"{b:02x}" for b in value) + "]"


def vm_node_dts(vm):
    lines = [f"\t\t{vm.node} {{"]
    if not any(p == "compatible" for p, _ in vm.props):
        lines.append('\t\t\tcompatible = "rhenium,vm";')
    for p, value in vm.props:
        if p in FILE_PROPS:
            size = os.path.getsize(vm.files[p])
            lines.append(f"\t\t\t{FILE_PROPS[p]} = /bits/ 64 <0x{vm.addr[p]:x} 0x{size:x}>;")
            continue
        if p == "disk" and len(value) == 16:  # the same bytes, written as in the manifest
            text = (f"/bits/ 64 <0x{int.from_bytes(value[:8], 'big'):x} "
                    f"0x{int.from_bytes(value[8:], 'big'):x}>")
        else:
            text = dts_value(value)
        lines.append(f"\t\t\t{p};" if text is None else f"\t\t\t{p} = {text};")
    lines.append("\t\t};")
    return "\n".join(lines)


def boot_dtb(args, vms, workdir):
    qemu_cmd = [args.qemu, "-M", f"{MACHINE},dumpdtb={workdir}/host.dtb", "-cpu", "max",
                "-m", args.mem, "-smp", str(args.smp), "-display", "none"]
    # No -append here: QEMU refuses it without -kernel, and at boot it writes
    # -append into /chosen/bootargs of the -dtb it is given anyway.
    run(qemu_cmd, "QEMU dumpdtb")
    host = Dtb(f"{workdir}/host.dtb")
    clash = set(host.subnodes("/chosen")) & {vm.node for vm in vms}
    if clash:
        raise ManifestError(f"/{sorted(clash)[0]}: QEMU's /chosen already has a node of that "
                            "name: rename the VM node")
    host_dts = run(["dtc", "-q", "-I", "dtb", "-O", "dts", f"{workdir}/host.dtb"], "dtc (QEMU DTB)")
    with open(f"{workdir}/boot.dts", "w", encoding="utf-8") as f:
        f.write(host_dts)
        f.write(f"\n/* VMs from {args.manifest} */\n/ {{\n\tchosen {{\n")
        f.write("\n".join(vm_node_dts(vm) for vm in vms))
        f.write("\n\t};\n};\n")
    run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", f"{workdir}/boot.dtb", f"{workdir}/boot.dts"],
        "dtc (boot DTB)")

    # The copy must be exact: read every property back.
    boot = Dtb(f"{workdir}/boot.dtb")
    for vm in vms:
        path = f"/chosen/{vm.node}"
        copied = [p for p, _ in vm.props if p not in FILE_PROPS]
        got = boot.values(path, copied)
        for p, value in vm.props:
            if p not in FILE_PROPS and got[p] != value:
                raise ManifestError(f"{path}: {p}: changed on the way to the boot DTB "
                                    f"({value.hex()} became {got[p].hex()})")
    return f"{workdir}/boot.dtb"


def qemu_args(args, vms, dtb):
    # Rhenium drives QEMU's virtio-mmio transports as version 2 (VIRTIO 1.x)
    # only; QEMU's default is the legacy version 1.
    out = ["-M", MACHINE, "-cpu", "max", "-m", args.mem, "-smp", str(args.smp), "-nographic",
           "-kernel", args.image, "-dtb", dtb, "-global", "virtio-mmio.force-legacy=false"]
    for vm in vms:
        for p in ("kernel-file", "initrd-file"):
            if p in vm.files:
                f = vm.files[p].replace(",", ",,")  # QEMU option syntax
                out += ["-device", f"loader,file={f},addr=0x{vm.addr[p]:x},force-raw=on"]
    if any(vm.disk for vm in vms):
        f = args.disk.replace(",", ",,")
        out += ["-drive", f"file={f},format=raw,if=none,id=disk0,cache=writeback",
                "-device", "virtio-blk-device,drive=disk0"]
    if args.hyp_args:
        out += ["-append", args.hyp_args]
    return out + args.extra


def main(argv):
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog=PROG, description="Boot Rhenium with a VM manifest.")
    ap.add_argument("manifest")
    ap.add_argument("--image", default="build/rhenium.bin")
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--mem", default="2G")
    ap.add_argument("--hyp-args", default="")
    ap.add_argument("--workdir", default="build/run")
    ap.add_argument("--build", default=os.environ.get("RHENIUM_BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--cache",
                    default=os.environ.get("RHENIUM_CACHE", os.path.join(ROOT, ".cache")))
    ap.add_argument("--disk")
    ap.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-aarch64"))
    ap.add_argument("--print-args", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    args.extra = extra

    try:
        if not os.path.isfile(args.image):
            raise ManifestError(f"no hypervisor image {args.image} (run make)")
        if not os.path.isfile(args.manifest):
            raise ManifestError(f"{args.manifest}: no such file")
        if args.smp < 1:
            raise ManifestError("--smp must be at least 1")
        host_bytes = parse_size(args.mem, "M")
        variables = {"ROOT": ROOT, "BUILD": os.path.abspath(args.build),
                     "CACHE": os.path.abspath(args.cache)}
        args.disk = os.path.abspath(args.disk or os.path.join(args.build, "disk.img"))
        workdir = args.workdir
        os.makedirs(workdir, exist_ok=True)
        run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", f"{workdir}/manifest.dtb",
             args.manifest], f"dtc {args.manifest}")
        try:
            vms = read_manifest(f"{workdir}/manifest.dtb", variables)
            place(vms, host_bytes)
        except ManifestError as e:
            raise ManifestError(f"{args.manifest}: {e}") from e
        try:
            prepare_disk(args.disk, vms)
        except ManifestError as e:
            raise ManifestError(f"{args.manifest}: {e}") from e
        dtb = boot_dtb(args, vms, workdir)
    except ManifestError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1

    if args.verbose:
        for vm in vms:
            for p in ("kernel-file", "initrd-file"):
                if p in vm.files:
                    size = os.path.getsize(vm.files[p])
                    print(f"{PROG}: /chosen/{vm.node}: {FILE_PROPS[p]} 0x{vm.addr[p]:x} "
                          f"({mib(size)}) <- {vm.files[p]}", file=sys.stderr)
            if vm.disk:
                print(f"{PROG}: /chosen/{vm.node}: disk 0x{vm.disk[0]:x} ({mib(vm.disk[1])}) "
                      f"of {args.disk}", file=sys.stderr)
    argv_q = qemu_args(args, vms, dtb)
    if args.print_args:
        print("\n".join(argv_q))
        return 0
    sys.stdout.flush()
    try:
        os.execvp(args.qemu, [args.qemu] + argv_q)
    except OSError as e:
        print(f"{PROG}: cannot run {args.qemu}: {e.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
