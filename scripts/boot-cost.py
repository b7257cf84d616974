#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boot-to-shell cost of the Linux guest, natively and under Rhenium, in one run.

QEMU runs with -icount shift=0,sleep=off -seed 1, so guest-visible time is a
deterministic function of the instructions executed (1 ns per instruction):
the figures repeat exactly from run to run. The initramfs prints the virtual
counter (time since reset) right before its RHENIUM-GUEST-READY marker, and
the kernel's own uptime, which starts at timekeeping init.

    scripts/boot-cost.py [--smp N]      (make boot-cost)
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys

import pexpect

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("RHENIUM_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
KERNEL = CACHE / "guest" / "Image"
INITRD = BUILD / "initramfs.cpio.gz"
BOOTARGS = "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init"
ICOUNT = ["-icount", "shift=0,sleep=off", "-seed", "1"]
MARK = r"rhenium-guest: uptime ([\d.]+) s, cntvct (\d+) at (\d+) Hz"


def boot(args):
    child = pexpect.spawn("timeout", ["300", "qemu-system-aarch64"] + args + ICOUNT,
                          encoding="utf-8", codec_errors="replace", timeout=300)
    try:
        child.expect(MARK)
        uptime, count, freq = child.match.groups()
    finally:
        child.terminate(force=True)
    return float(uptime), int(count) / int(freq)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smp", type=int, default=1)
    opts = parser.parse_args()
    for f in (KERNEL, INITRD, BUILD / "rhenium.bin"):
        if not f.is_file():
            sys.exit(f"boot-cost: {f} is missing (make all initramfs)")
    # The same guest RAM both ways: 512 MiB.
    native = boot(["-M", "virt,gic-version=3", "-cpu", "max", "-m", "512M",
                   "-smp", str(opts.smp), "-nographic", "-kernel", str(KERNEL),
                   "-initrd", str(INITRD), "-append", BOOTARGS])
    args = subprocess.run(
        [str(ROOT / "scripts" / "run-vm.sh"), "--print-args", "--image", str(BUILD / "rhenium.bin"),
         "--kernel", str(KERNEL), "--initrd", str(INITRD), "--bootargs", BOOTARGS,
         "--smp", str(opts.smp), "--vcpus", str(opts.smp), "--guest-mem", "512M", "--workdir", str(BUILD / "boot-cost")],
        check=True, capture_output=True, text=True).stdout.split()
    rhenium = boot(args)
    print(f"| {opts.smp} CPU(s) | reset to shell marker | kernel uptime at marker |")
    print("|---|---|---|")
    print(f"| native (EL1) | {native[1]:.6f} s | {native[0]:.2f} s |")
    print(f"| under Rhenium | {rhenium[1]:.6f} s | {rhenium[0]:.2f} s |")
    print(f"| ratio | {rhenium[1] / native[1]:.3f}x | {rhenium[0] / native[0]:.3f}x |")


if __name__ == "__main__":
    main()
