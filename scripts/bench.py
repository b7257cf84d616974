#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Rhenium's benchmarks, each beside its baseline in the same run (make bench).

Today: sequential virtio-blk throughput inside a Linux guest (busybox dd with
O_DIRECT, so every byte crosses the device), natively on QEMU with QEMU's own
virtio-blk and under Rhenium, whose emulated virtio-blk forwards to that same
kind of device (docs/virtio.md). Time is the guest's virtual counter
(CNTVCT_EL0) read right before and after each dd.

Disk throughput is measured in real time, not under -icount: waiting for the
host's I/O thread is not an instruction, and with -icount sleep=off an idle
guest's clock jumps to its next timer deadline, so the same run gives figures
that differ tenfold (tried: native 32 MiB writes took 1.01 s, then 0.04 s).
Real time varies too, but far less: native and Rhenium runs alternate, the
disk images live in /dev/shm when it exists, and each figure is the median of
--runs runs; the JSON keeps every run. --icount is there to see the effect.

    scripts/bench.py [--mib N] [--runs N] [--smoke] [--icount] [--json PATH]
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

import pexpect

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD = pathlib.Path(os.environ.get("RHENIUM_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
KERNEL = CACHE / "guest" / "Image"
INITRD = BUILD / "initramfs.cpio.gz"
BOOTARGS = "console=ttyAMA0 rdinit=/init"
ICOUNT_ARGS = ["-icount", "shift=0,sleep=off", "-seed", "1"]
ICOUNT = []
MARKER = "RHENIUM-GUEST-READY"
PROMPT = "~ # "
COUNTER = r"cntvct (\d+) at (\d+) Hz"


def spawn(args, log):
    child = pexpect.spawn("timeout", ["-k", "5", "600", "qemu-system-aarch64"] + args + ICOUNT,
                          encoding="utf-8", codec_errors="replace", timeout=300)
    child.logfile_read = log
    return child


def guest_dd(child, mib):
    """Runs the write then the read pass; returns (write s, read s) in guest time."""
    script = (f"c0=$(rhenium-counter); dd if=/dev/zero of=/dev/vda bs=1M count={mib} oflag=direct "
              f"2>/dev/null; c1=$(rhenium-counter); dd if=/dev/vda of=/dev/null bs=1M count={mib} "
              f"iflag=direct 2>/dev/null; c2=$(rhenium-counter); echo \"BENCH $c0 / $c1 / $c2 END\"")
    child.sendline(script)
    child.expect(rf"BENCH {COUNTER} / {COUNTER} / {COUNTER} END")
    g = [int(x) for x in child.match.groups()]
    t0, t1, t2 = g[0] / g[1], g[2] / g[3], g[4] / g[5]
    return t1 - t0, t2 - t1


def run_native(image, mib, log):
    args = ["-M", "virt,gic-version=3", "-cpu", "max", "-m", "512M", "-smp", "1", "-nographic",
            "-kernel", str(KERNEL), "-initrd", str(INITRD), "-append", BOOTARGS,
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={image},format=raw,if=none,id=d0,cache=writeback",
            "-device", "virtio-blk-device,drive=d0"]
    return run_guest(args, mib, log)


def run_rhenium(image, mib, workdir, log):
    args = subprocess.run(
        [str(ROOT / "scripts" / "run-vm.sh"), "--print-args", "--image", str(BUILD / "rhenium.bin"),
         "--kernel", str(KERNEL), "--initrd", str(INITRD), "--bootargs", BOOTARGS, "--smp", "1",
         "--vcpus", "1", "--guest-mem", "512M", "--workdir", str(workdir),
         "--devices", "pl011,virtio-blk", "--disk", str(image), "--disk-size", f"{mib}M"],
        check=True, capture_output=True, text=True).stdout.split()
    return run_guest(args, mib, log)


def run_guest(args, mib, log):
    child = spawn(args, log)
    try:
        child.expect(MARKER, timeout=300)
        child.expect(PROMPT)
        return guest_dd(child, mib)
    finally:
        child.terminate(force=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=128, help="MiB per dd pass")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one short run: the bench still works")
    parser.add_argument("--json", default=str(BUILD / "bench" / "results.json"))
    parser.add_argument("--icount", action="store_true", help="guest time from -icount (see above)")
    opts = parser.parse_args()
    if opts.icount:
        ICOUNT.extend(ICOUNT_ARGS)
    if opts.smoke:
        opts.mib, opts.runs = 4, 1
    for f in (KERNEL, INITRD, BUILD / "rhenium.bin"):
        if not f.is_file():
            sys.exit(f"bench: {f} is missing (make all initramfs)")
    out = pathlib.Path(opts.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    results = {"native": [], "rhenium": []}
    with open(out.parent / "blk.log", "w") as log, \
            tempfile.TemporaryDirectory(dir=scratch, prefix="rhenium-bench-") as tmp:
        for i in range(opts.runs):
            for name in ("native", "rhenium"):
                image = pathlib.Path(tmp) / f"{name}.img"
                image.unlink(missing_ok=True)
                with open(image, "wb") as f:
                    f.truncate(opts.mib << 20)
                if name == "native":
                    w, r = run_native(image, opts.mib, log)
                else:
                    w, r = run_rhenium(image, opts.mib, out.parent / "work", log)
                results[name].append({"write_s": w, "read_s": r})

    def mbps(name, key):
        return opts.mib / statistics.median(x[key] for x in results[name])

    rows = []
    for key, label in (("write_s", "sequential write"), ("read_s", "sequential read")):
        native, rhen = mbps("native", key), mbps("rhenium", key)
        rows.append({"metric": f"virtio-blk {label}", "unit": "MiB/s", "native": native,
                     "rhenium": rhen, "ratio": rhen / native, "target": 0.8})
    clock = "-icount shift=0,sleep=off guest time" if opts.icount else "real time"
    print(f"virtio-blk, busybox dd bs=1M count={opts.mib} O_DIRECT, 1 vCPU, median of "
          f"{opts.runs} runs ({clock})")
    print()
    print("| benchmark | native QEMU | under Rhenium | Rhenium / native | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        verdict = "met" if row["ratio"] >= row["target"] else "missed"
        print(f"| {row['metric']} | {row['native']:.1f} {row['unit']} | "
              f"{row['rhenium']:.1f} {row['unit']} | {row['ratio']:.2f} | "
              f">= {row['target']} ({verdict}) |")
    out.write_text(json.dumps({"blk": {"mib": opts.mib, "clock": clock, "runs": results,
                                       "rows": rows}},
                              indent=2) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
