#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boot Xen 4.20 (Debian's xen-hypervisor-4.20-arm64) on QEMU virt: the peer
that `make bench` compares Rhenium with. Importable (scripts/bench.py) and a
command line tool.

Xen is entered at EL2 by QEMU's -kernel (it has an arm64 Image header); what
it should run is described in the DTB's /chosen, which QEMU does not write
for it: the DTB is QEMU's own (`-M ...,dumpdtb=`, with the same -M, -cpu,
-smp, -m and -seed as the final run, or it would not match the machine),
decompiled with dtc, given a /chosen with `xen,xen-bootargs` and
`multiboot,module` nodes, and compiled again. The module files go into guest
RAM with `-device loader,file=...,addr=...,force-raw=on` (raw bytes where the
DTB says; QEMU would otherwise parse an ELF or an Image itself).

dom0      Xen with a Linux dom0: the kernel and initramfs as the first
          `multiboot,kernel` and `multiboot,ramdisk` modules. Xen's options
          give dom0 as many vCPUs as the machine has CPUs (dom0_max_vcpus),
          dom0_mem, and Xen's console on the PL011 that /chosen stdout-path
          names (`console=dtuart`). dom0's own console is Xen's (hvc0, so
          bootargs "console=hvc0 rdinit=/init"; not ttyAMA0: Xen keeps the
          PL011 and dom0 does not see it), which Xen writes to the PL011.
dom0less  Xen with no dom0 at all: one "xen,domain" node under /chosen with a
          bare-metal arm64 Image as its `multiboot,kernel` (Xen loads it at
          guest address 0x40000000, its DTB near the top of its RAM), `vpl011`
          for a console. Xen 4.20 prints the guest's output line by line on
          its own console, prefixed "(XEN) [timestamp] " like its own
          messages (no domain tag); run_dom0less() tells them apart. The
          guest's DT is Xen's: GICv3 distributor at 0x03001000 and
          redistributors at 0x03020000, the UART an "arm,sbsa-uart" at
          0x22000000 (no UARTCR), PSCI by HVC, no stdout-path. Xen keeps
          running after the guest's SYSTEM_OFF: the caller ends QEMU.

Guest time. Xen gives each domain a virtual counter that starts at the
domain's creation (it writes CNTVOFF_EL2 = the physical count at that
moment), so a dom0's cntvct leaves out Xen's own boot, while natively and
under Rhenium cntvct counts from reset. To compare from reset, the args below
ask QEMU to log every CNTVOFF_EL2 write (trace event arm_gt_cntvoff_write, in
<workdir>/xen-<mode>-trace.log, host side: the guest sees nothing of it);
domain_offset() reads the domain's offset back, and from_reset = cntvct +
offset (trace=False leaves it out, e.g. if the caller wants -D for itself).
Under ICOUNT below (-icount shift=0,sleep=off -seed 1 and a fixed -rtc)
both are exact and repeat run to run.

Instructions. boot_dom0(count_insns=True) (CLI: --insns) also counts the
instructions from reset to the marker, Xen's own and dom0's on every CPU,
with the TCG plugin of scripts/insn_count.py: dom0's hvc0 output goes
through Xen to the PL011, so the marker reaches the same data register as
natively, and the plugin ends QEMU there.

    xen_boot.py dom0 [--smp N] [--kernel K] [--initrd I] [--bootargs ARGS] [--insns]
    xen_boot.py dom0less GUEST.bin [--bootargs ARGS]

Both run under ICOUNT (--no-icount for real time), print the figures (dom0) or the guest's lines (dom0less) and stop
QEMU. --log FILE keeps the whole console output, --workdir DIR the DTBs.
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("RHENIUM_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
XEN = CACHE / "xen" / "xen"
KERNEL = CACHE / "guest" / "Image"
INITRD = BUILD / "initramfs.cpio.gz"

MACHINE = "virt,gic-version=3,virtualization=on"
# Deterministic guest time. -seed: -cpu max has RNDR. -rtc: the PL031's time
# of day is the host's otherwise, and Linux reads it at boot (hctosys): the
# instruction count to the marker then changes by a few thousand from run to
# run (natively too); with a fixed date on the VM clock it repeats exactly.
ICOUNT = ["-icount", "shift=0,sleep=off", "-seed", "1",
          "-rtc", "base=2025-01-01T00:00:00,clock=vm"]
DOM0_BOOTARGS = "console=hvc0 rdinit=/init"
# Xen's options for both modes. bootscrub=0: Xen's default scrubs all free
# RAM in its idle loop after boot; under -icount the QEMU CPUs take turns
# and time is instructions, so that scrubbing would be charged to the guest's
# boot (on hardware it runs on otherwise idle CPUs). console_timestamps:
# Xen's own lines carry the time since Xen started, in guest time.
XEN_BOOTARGS = "console=dtuart bootscrub=0 console_timestamps=boot"
MARKER = "RHENIUM-GUEST-READY"
COUNTER = r"cntvct (\d+) at (\d+) Hz"
UPTIME_LINE = rf"rhenium-guest: uptime ([\d.]+) s, {COUNTER}"
TRACE_ARGS = ["-trace", "arm_gt_cntvoff_write"]

# Guest RAM layout for the modules: QEMU puts Xen at the start of RAM and its
# DTB at RAM + 128 MiB (past an absent -initrd); Xen moves itself to the top
# of RAM. The modules go at RAM + 256 MiB, each 2 MiB aligned.
RAM_BASE = 0x40000000
MODULE_BASE = RAM_BASE + 0x10000000
MODULE_ALIGN = 0x200000


class XenBootError(RuntimeError):
    pass


def machine_args(smp, mem):
    return ["-M", MACHINE, "-cpu", "max", "-smp", str(smp), "-m", str(mem), "-nographic"]


def _dt_string(s):
    if any(c in s for c in '"\\\n'):
        raise ValueError(f"not a plain device tree string: {s!r}")
    return f'"{s}"'


def _cells64(v):
    return f"0x{v >> 32:x} 0x{v & 0xffffffff:x}"


def _parse_size(s):
    """'512M', '2G', '65536K' or bytes -> bytes."""
    m = re.fullmatch(r"(\d+)([KMG]?)(i?B)?", str(s).strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {s!r}")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def _layout(files):
    """Guest physical address and size of each file, packed from MODULE_BASE."""
    out, addr = [], MODULE_BASE
    for f in files:
        size = pathlib.Path(f).stat().st_size
        out.append((pathlib.Path(f).resolve(), addr, size))
        addr = (addr + size + MODULE_ALIGN - 1) & ~(MODULE_ALIGN - 1)
    return out


def _loaders(layout):
    args = []
    for path, addr, _ in layout:
        if "," in str(path):
            raise ValueError(f"QEMU's -device loader cannot take a file name with a comma: {path}")
        args += ["-device", f"loader,file={path},addr=0x{addr:x},force-raw=on"]
    return args


def _module_node(compatible, addr, size, bootargs=None, indent="\t\t"):
    lines = [f"{indent}module@{addr:x} {{",
             f"{indent}\tcompatible = {', '.join(_dt_string(c) for c in compatible)};",
             f"{indent}\treg = <{_cells64(addr)} {_cells64(size)}>;"]
    if bootargs is not None:
        lines.append(f"{indent}\tbootargs = {_dt_string(bootargs)};")
    lines.append(f"{indent}}};")
    return "\n".join(lines)


def make_dtb(workdir, machine, chosen, name="xen"):
    """QEMU's DTB for MACHINE (a -M/-cpu/-smp/-m list) with CHOSEN (dts text)
    merged into /chosen. Returns the .dtb path; the .dts is kept beside it."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / f"{name}-qemu.dtb"
    m = list(machine)
    i = m.index("-M") + 1
    m[i] += f",dumpdtb={base}"
    # The same -seed as the run: QEMU fills /chosen rng-seed and kaslr-seed
    # from it, and they must not change from one run to the next.
    r = subprocess.run(["qemu-system-aarch64"] + m + ["-seed", "1"], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0 or not base.is_file():
        raise XenBootError(f"qemu dumpdtb failed: {r.stderr.strip()}")
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(base)], check=True,
                         capture_output=True, text=True).stdout
    dts += "\n/ {\n\tchosen {\n" + chosen + "\n\t};\n};\n"
    src = workdir / f"{name}.dts"
    src.write_text(dts)
    out = workdir / f"{name}.dtb"
    r = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out), str(src)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise XenBootError(f"dtc failed on {src}: {r.stderr.strip()}")
    return out


def trace_log(workdir, mode):
    """Where the CNTVOFF_EL2 trace of MODE ("dom0", "dom0less") goes."""
    return pathlib.Path(workdir) / f"xen-{mode}-trace.log"


def _common(workdir, mode, machine, dtb, layout, xen, trace):
    args = machine + ["-kernel", str(xen), "-dtb", str(dtb)] + _loaders(layout)
    if trace:
        log = trace_log(workdir, mode)
        log.unlink(missing_ok=True)
        args += TRACE_ARGS + ["-D", str(log)]
    return args


def dom0_args(workdir, kernel, initrd, bootargs, smp, mem="2G", dom0_mem="512M", xen=XEN,
              xen_bootargs="", trace=True, count_insns=False):
    """QEMU arguments (no -icount) that boot Xen with KERNEL (+ INITRD, may be
    None) as dom0 with BOOTARGS, SMP CPUs and as many dom0 vCPUs. Xen's options:
    XEN_BOOTARGS, dom0_mem, dom0_max_vcpus=SMP, then xen_bootargs (the last
    of a repeated option wins). count_insns loads the instruction-counting
    plugin (scripts/insn_count.py's libmarker.so), which ends QEMU when the
    marker reaches the UART; QEMU has one log file, so its line goes where
    the trace goes, trace_log(workdir, "dom0")."""
    xen = pathlib.Path(xen)
    if not xen.is_file():
        raise XenBootError(f"{xen} is missing: run scripts/fetch-xen.sh")
    machine = machine_args(smp, mem)
    files = [kernel] + ([initrd] if initrd else [])
    layout = _layout(files)
    xargs = f"{XEN_BOOTARGS} dom0_mem={dom0_mem} dom0_max_vcpus={smp} {xen_bootargs}".strip()
    chosen = [
        "\t\t#address-cells = <2>;",
        "\t\t#size-cells = <2>;",
        f"\t\txen,xen-bootargs = {_dt_string(xargs)};",
        _module_node(["multiboot,kernel", "multiboot,module"], layout[0][1], layout[0][2],
                     bootargs),
    ]
    if initrd:
        chosen.append(_module_node(["multiboot,ramdisk", "multiboot,module"], layout[1][1],
                                   layout[1][2]))
    dtb = make_dtb(workdir, machine, "\n".join(chosen), "xen-dom0")
    args = _common(workdir, "dom0", machine, dtb, layout, xen, trace)
    if count_insns:
        import insn_count  # scripts/insn_count.py

        log = trace_log(workdir, "dom0")
        if not trace:
            log.unlink(missing_ok=True)
        args += insn_count.marker_args(None if trace else log, marker=MARKER)
    return args


def dom0less_args(workdir, guest_image, bootargs, mem="1G", vcpus=1, guest_mem="128M", smp=None,
                  xen=XEN, xen_bootargs="", trace=True):
    """QEMU arguments (no -icount) that boot Xen with no dom0 and one domain,
    GUEST_IMAGE (an arm64 Image) with BOOTARGS, VCPUS vCPUs, GUEST_MEM of RAM
    and a vpl011 console; the machine has SMP CPUs (default VCPUS)."""
    xen = pathlib.Path(xen)
    if not xen.is_file():
        raise XenBootError(f"{xen} is missing: run scripts/fetch-xen.sh")
    machine = machine_args(smp or vcpus, mem)
    layout = _layout([guest_image])
    xargs = f"{XEN_BOOTARGS} {xen_bootargs}".strip()
    kib = _parse_size(guest_mem) >> 10
    chosen = "\n".join([
        "\t\t#address-cells = <2>;",
        "\t\t#size-cells = <2>;",
        f"\t\txen,xen-bootargs = {_dt_string(xargs)};",
        "\t\tdomU1 {",
        '\t\t\tcompatible = "xen,domain";',
        "\t\t\t#address-cells = <2>;",
        "\t\t\t#size-cells = <2>;",
        f"\t\t\tmemory = <{_cells64(kib)}>;",
        f"\t\t\tcpus = <{vcpus}>;",
        "\t\t\tvpl011;",
        _module_node(["multiboot,kernel", "multiboot,module"], layout[0][1], layout[0][2],
                     bootargs, indent="\t\t\t"),
        "\t\t};",
    ])
    dtb = make_dtb(workdir, machine, chosen, "xen-dom0less")
    return _common(workdir, "dom0less", machine, dtb, layout, xen, trace)


def domain_offset(workdir, mode="dom0"):
    """The first non-zero CNTVOFF_EL2 that Xen wrote (counter ticks): dom0's
    offset (or the first dom0less domain's), i.e. the physical count when Xen
    created it. None if the trace has none (QEMU built without the log trace
    backend, or trace=False)."""
    log = trace_log(workdir, mode)
    pat = re.compile(r"gt_cntvoff_write\b.*value 0x([0-9a-fA-F]+)")
    try:
        with open(log, errors="replace") as f:
            for line in f:
                m = pat.search(line)
                if m and int(m.group(1), 16):
                    return int(m.group(1), 16)
    except FileNotFoundError:
        pass
    return None


# ------------------------------------------------------------------ running

def spawn(args, log=None, icount=True, timeout=600):
    import pexpect  # only the runner needs it

    child = pexpect.spawn("timeout", ["-k", "5", str(timeout), "qemu-system-aarch64"] + args +
                          (ICOUNT if icount else []),
                          encoding="utf-8", codec_errors="replace", timeout=300)
    child.logfile_read = log
    return child


def boot_dom0(workdir, smp=1, kernel=KERNEL, initrd=INITRD, bootargs=DOM0_BOOTARGS, log=None,
              icount=True, count_insns=False, **kw):
    """Boot to the initramfs's marker; returns a dict: dom0's uptime (s), its
    cntvct and the counter frequency, dom0_s = cntvct / freq (guest time since
    Xen created dom0), offset (ticks, None without the trace) and from_reset_s
    = (cntvct + offset) / freq, comparable with native QEMU's cntvct. With
    count_insns also insns: the instructions from reset to the marker, Xen's
    and dom0's on every CPU (the initramfs prints the counter line just
    before the marker, so both come from this one run)."""
    import pexpect

    args = dom0_args(workdir, kernel, initrd, bootargs, smp, count_insns=count_insns, **kw)
    child = spawn(args, log, icount)
    try:
        i = child.expect([UPTIME_LINE, r"Panic on CPU \d+", pexpect.EOF], timeout=600)
        if i != 0:
            raise XenBootError("Xen or dom0 did not reach the marker line"
                               + (" (Xen panic)" if i == 1 else ""))
        uptime, count, freq = child.match.groups()
        # The plugin ends QEMU once the marker is on the UART: wait for that
        # rather than end QEMU before it gets there.
        if count_insns and child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=120) == 1:
            raise XenBootError(f"QEMU did not end at {MARKER}: the counting plugin did not see "
                               "it reach the UART's data register")
    finally:
        child.terminate(force=True)
    count, freq = int(count), int(freq)
    offset = domain_offset(workdir)
    result = {"smp": smp, "uptime_s": float(uptime), "cntvct": count, "freq": freq,
              "dom0_s": count / freq, "offset": offset,
              "from_reset_s": (count + offset) / freq if offset is not None else None}
    if count_insns:
        import insn_count

        try:
            result["insns"] = insn_count.read_marker(trace_log(workdir, "dom0"))
        except RuntimeError as e:
            raise XenBootError(str(e)) from None
    return result


# Xen's console lines: "(XEN) [   0.016249] text" (console_timestamps=boot).
# Xen 4.20 prints a dom0less guest's vpl011 output with its own prefix only,
# no "(d1)" (later versions add one, taken off here too), so the guest's
# lines are those after Xen hands over ("Freed NkB init memory.") that are
# not Xen's own notes about the domain ("d1v0 vpl011: unhandled read ...").
XEN_LINE = re.compile(r"^\(XEN\) (?:\[[ \d.]+\] )?(?:\(d\d+\) )?(.*)$")
XEN_HANDOVER = re.compile(r"Freed \d+kB init memory")
XEN_NOTE = re.compile(r"^(?:d\d+v\d+[ :]|d\d+: |printk: |\*\*\* )")
# A guest that touches an address Xen does not map gets a data abort; one
# whose exception handler does it again (a console at QEMU's PL011 address)
# ends with its stack below RAM and Xen repeating this note for ever.
XEN_LOOP = re.compile(r"Unable to decode instruction|unhandled Arm instruction")


def run_dom0less(workdir, guest_image, bootargs="", log=None, icount=True,
                 end=r"guest: \d+ passed|SYSTEM_OFF returned|not ok \d+ - fatal", timeout=300,
                 **kw):
    """Run GUEST_IMAGE as the only domain; returns its console lines (Xen's
    prefix removed), up to and including the first that matches END."""
    import pexpect

    args = dom0less_args(workdir, guest_image, bootargs, **kw)
    child = spawn(args, log, icount)
    lines = []
    end_re = re.compile(end)
    started = False
    loops = 0
    try:
        while True:
            i = child.expect([r"[^\n]*\n", r"Panic on CPU \d+", pexpect.EOF], timeout=timeout)
            if i != 0:
                raise XenBootError("Xen stopped before the guest finished"
                                   + (" (Xen panic)" if i == 1 else "") + f"; guest lines: {lines}")
            m = XEN_LINE.match(child.match.group(0).rstrip("\r\n"))
            if not m:
                continue
            text = m.group(1)
            if not started:
                started = bool(XEN_HANDOVER.search(text))
                continue
            if XEN_NOTE.match(text):
                loops += bool(XEN_LOOP.search(text))
                if loops >= 6:
                    raise XenBootError(
                        "the guest faults in a loop (Xen: '" + text + "'): does it use QEMU's "
                        "device addresses? Under Xen its UART is an arm,sbsa-uart at 0x22000000 "
                        "and the GICv3 at 0x03001000/0x03020000 (see its DTB)"
                        + (f"; guest lines: {lines}" if lines else ""))
                continue
            lines.append(text)
            if end_re.search(text):
                break
    finally:
        child.terminate(force=True)
    return lines


# --------------------------------------------------------------------- CLI

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    d = sub.add_parser("dom0", help="boot Linux as dom0 to the initramfs marker")
    d.add_argument("--smp", type=int, default=1)
    d.add_argument("--kernel", default=str(KERNEL))
    d.add_argument("--initrd", default=str(INITRD))
    d.add_argument("--bootargs", default=DOM0_BOOTARGS)
    d.add_argument("--mem", default="2G")
    d.add_argument("--dom0-mem", default="512M")
    d.add_argument("--insns", action="store_true",
                   help="also count instructions from reset to the marker (TCG plugin)")
    g = sub.add_parser("dom0less", help="run a bare-metal guest as the only domain")
    g.add_argument("guest")
    g.add_argument("--bootargs", default="")
    g.add_argument("--mem", default="1G")
    g.add_argument("--guest-mem", default="128M")
    for s in (d, g):
        s.add_argument("--xen", default=str(XEN))
        s.add_argument("--xen-bootargs", default="", help="more options for Xen")
        s.add_argument("--no-icount", action="store_true", help="real time, not deterministic")
        s.add_argument("--workdir", help="keep the DTBs and the trace here")
        s.add_argument("--log", help="write the whole console output here")
    opts = p.parse_args()

    tmp = None
    workdir = opts.workdir
    if not workdir:
        tmp = tempfile.mkdtemp(prefix="rhenium-xen-")
        workdir = tmp
    log = open(opts.log, "w") if opts.log else None
    try:
        if opts.mode == "dom0":
            r = boot_dom0(workdir, opts.smp, opts.kernel, opts.initrd or None, opts.bootargs,
                          log, not opts.no_icount, mem=opts.mem, dom0_mem=opts.dom0_mem,
                          xen=opts.xen, xen_bootargs=opts.xen_bootargs, count_insns=opts.insns)
            print(f"xen dom0: cpus {r['smp']} uptime {r['uptime_s']} s, cntvct {r['cntvct']} "
                  f"at {r['freq']} Hz = {r['dom0_s']:.6f} s since dom0 was created")
            if r["offset"] is not None:
                print(f"xen dom0: created at count {r['offset']} = "
                      f"{r['offset'] / r['freq']:.6f} s; from reset {r['from_reset_s']:.6f} s")
            if "insns" in r:
                print(f"xen dom0: {r['insns']} instructions from reset to the marker")
        else:
            for line in run_dom0less(workdir, opts.guest, opts.bootargs, log,
                                     not opts.no_icount, mem=opts.mem, guest_mem=opts.guest_mem,
                                     xen=opts.xen, xen_bootargs=opts.xen_bootargs):
                print(line)
    except XenBootError as e:
        sys.exit(f"xen_boot: {e}" + (f" (console output: {opts.log})" if opts.log else ""))
    finally:
        if log:
            log.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
