# SPDX-License-Identifier: MIT
"""Rhenium as TF-A's BL33: loaded at 0x60000000, entered at EL2, DTB at 0x40000000.

TF-A 2.12 is built from Debian's source package by `make tfa`
(scripts/build-tfa.sh) with PRELOADED_BL33_BASE=0x60000000, so QEMU's
loader device puts our raw image there without repacking the FIP.
"""
import re

import pytest

from conftest import CACHE, IMAGE

BIOS = CACHE / "tfa" / "qemu_fw.bios"


def tfa_args(smp):
    if not BIOS.exists():
        pytest.fail(f"{BIOS} missing: run `make tfa` (make system-test does)")
    return ["-M", "virt,secure=on,virtualization=on,gic-version=3", "-cpu", "max,sme=off",
            "-m", "1G", "-smp", str(smp), "-nographic", "-bios", str(BIOS),
            "-device", f"loader,file={IMAGE},addr=0x60000000,force-raw=on"]


@pytest.mark.parametrize("smp", [1, 4])
def test_boots_as_bl33_with_all_cpus(machine, smp):
    m = machine(tfa_args(smp))
    m.expect(r"NOTICE:  BL31")
    m.expect(r"Rhenium \S+ \(\S+\), an ARM64 hypervisor")
    m.expect(r"running at EL2")
    m.expect(r"PSCI 1\.\d via SMC")
    m.expect(r"Memory map:")
    m.expect(r"CPUs online: (\d+) of (\d+) ")
    assert m.child.match.group(1) == m.child.match.group(2) == str(smp)
    memmap = m.before
    # Loaded where TF-A put it, with the DTB that BL2 patched at the start of RAM.
    assert re.search(r"image +0x0*60000000-", memmap), memmap
    assert re.search(r"dtb +0x0*40000000-", memmap), memmap
    m.expect("Rhenium ready")
