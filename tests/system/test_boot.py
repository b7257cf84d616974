# SPDX-License-Identifier: MIT
"""Boot banner, CPU bring-up, memory map and the error-reporting paths."""
import re

import pytest

from conftest import virt_args

VERSION = (__import__("pathlib").Path(__file__).resolve().parents[2] / "VERSION").read_text().strip()
PAGE = 4096


def read_banner(m, cpus):
    """Consume the boot banner and return what it reported."""
    m.expect(r"Rhenium (\S+) \((\S+)\), an ARM64 hypervisor")
    version = m.child.match.group(1)
    m.expect(r"running at EL(\d)")
    el = int(m.child.match.group(1))
    m.expect(r"Memory map:")
    m.expect(r"Free pages: (\d+) of (\d+) ")
    free, total = int(m.child.match.group(1)), int(m.child.match.group(2))
    memmap = m.before
    m.expect(r"CPUs online: (\d+) of (\d+) \[([^\]]*)\]")
    online, count, states = int(m.child.match.group(1)), int(m.child.match.group(2)), m.child.match.group(3)
    m.expect("Rhenium ready")
    return dict(version=version, el=el, free=free, total=total, memmap=memmap,
                online=online, count=count, states=states)


@pytest.mark.parametrize("smp", [1, 4])
def test_banner_and_all_cpus_online(machine, smp):
    m = machine(virt_args(smp=smp))
    b = read_banner(m, smp)
    assert b["version"] == VERSION
    assert b["el"] == 2
    assert b["online"] == smp and b["count"] == smp
    assert b["states"] == " ".join(f"cpu{i}=on" for i in range(smp))
    # QEMU virt: 1 GiB of RAM at 0x40000000, PL011 at 0x09000000, GICv3.
    assert re.search(r"RAM +0x0*40000000-0x0*7fffffff 1 GiB", b["memmap"])
    assert re.search(r"uart +0x0*9000000 pl011, intid 33", b["memmap"])
    assert re.search(r"gicd +0x0*8000000", b["memmap"])
    # Everything but the image, the DTB and the allocator's bitmap is free.
    assert b["total"] <= (1 << 30) // PAGE
    used = b["total"] - b["free"]
    assert 0 < used < 64, f"{used} pages in use right after boot"
    assert b["free"] > (1 << 30) // PAGE - 1024


def test_secondaries_report_their_mpidr(machine):
    m = machine(virt_args(smp=4))
    seen = set()
    for _ in range(3):
        m.expect(r"cpu(\d) online, MPIDR 0x([0-9a-f]+)\r")
        seen.add((int(m.child.match.group(1)), int(m.child.match.group(2), 16)))
    assert {cpu for cpu, _ in seen} == {1, 2, 3}
    assert {mpidr for _, mpidr in seen} == {1, 2, 3}
    m.expect("CPUs online: 4 of 4")


@pytest.mark.parametrize("mem,size", [("512M", "512 MiB"), ("3G", "3 GiB")])
def test_memory_size_follows_the_device_tree(machine, mem, size):
    m = machine(virt_args(smp=2, mem=mem))
    b = read_banner(m, 2)
    assert re.search(rf"RAM +0x0*40000000-0x[0-9a-f]+ {size}\b", b["memmap"]), b["memmap"]
    assert b["online"] == 2


def test_hypervisor_mappings_are_never_writable_and_executable(machine):
    m = machine(virt_args())
    m.expect("Hypervisor mappings:")
    m.expect("Page allocator:")
    lines = [l for l in m.before.splitlines() if l.strip()]
    assert lines, "no mappings listed"
    perms = [l.split()[1] for l in lines if l.split()[0].startswith("0x")]
    assert "RX" in perms and "RW" in perms
    assert not any("W" in p and "X" in p for p in perms), lines


def test_not_at_el2_says_so_and_stops(machine):
    m = machine(virt_args(virtualization=False))
    m.expect(r"entered at EL1, but a hypervisor needs EL2")
    m.expect("Stopping.")
    # It must stay stopped: no banner follows.
    with pytest.raises(Exception):
        m.expect("Rhenium ready", timeout=3)


def test_unexpected_exception_dumps_all_registers(machine):
    m = machine(virt_args(append="rhenium.selftest=fault"))
    m.expect(r"Unexpected synchronous exception from EL2 with SP_EL2 on cpu0")
    m.expect(r"ESR_EL2  ([0-9a-f]{16})  \(EC 0x25: data abort \(same EL\)")
    esr = int(m.child.match.group(1), 16)
    assert esr >> 26 == 0x25
    m.expect(r"FAR_EL2  00000dead0000000")
    m.expect(r"ELR_EL2  [0-9a-f]{16}")
    m.expect(r"SPSR_EL2 [0-9a-f]{16}")
    for i in range(0, 30, 2):
        m.expect(rf"x{i:<2} [0-9a-f]{{16}}  x{i + 1:<2} [0-9a-f]{{16}}")
    m.expect(r"x30 [0-9a-f]{16}  sp  [0-9a-f]{16}")
    m.expect(r"cpu0 halted")


def test_panic_prints_message_and_registers(machine):
    m = machine(virt_args(append="rhenium.selftest=panic"))
    m.expect(r"\*\*\* PANIC on cpu0: selftest: panic requested on the command line")
    m.expect(r"x0  [0-9a-f]{16}  x1  [0-9a-f]{16}")
    m.expect(r"x30 [0-9a-f]{16}  sp  [0-9a-f]{16}")
    m.expect(r"cpu0 halted")


def test_assert_failure_panics_with_location(machine):
    m = machine(virt_args(append="rhenium.selftest=assert"))
    m.expect(r"PANIC on cpu0: assertion failed: boot_cpu_count == 0 \(core/boot.c:\d+\)")


def test_poweroff_ends_qemu(machine):
    m = machine(virt_args(smp=2, append="rhenium.poweroff"))
    m.expect("Rhenium ready")
    assert m.expect_exit(timeout=30) == 0


def test_log_level_debug_and_bad_level(machine):
    m = machine(virt_args(append="rhenium.log=bogus"))
    m.expect("unknown rhenium.log level")
    m.expect("Rhenium ready")


def test_malformed_device_tree_is_reported_by_node_and_property(machine, tmp_path):
    """QEMU's own tree with a broken GIC reg: an error naming it, then a clean stop."""
    import subprocess
    from conftest import QEMU
    good = tmp_path / "virt.dtb"
    subprocess.run([QEMU, "-M", f"virt,gic-version=3,virtualization=on,dumpdtb={good}",
                    "-cpu", "max", "-m", "1G", "-display", "none"], check=True,
                   capture_output=True)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(good)], check=True,
                         capture_output=True, text=True).stdout
    start = dts.index("intc@8000000 {")
    reg = dts.index("reg = <", start)
    end = dts.index(">;", reg)
    bad_dts = dts[:reg] + "reg = <0x00 0x8000000 0x00>" + dts[end + 1:]
    bad = tmp_path / "bad.dtb"
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(bad), "-"],
                   input=bad_dts, text=True, check=True)
    m = machine(virt_args(extra=["-dtb", str(bad)]))
    m.expect(r"cannot use the device tree at 0x[0-9a-f]+: "
             r"/intc@8000000: reg: length 12 not a multiple of 16")
    m.expect("Stopping.")
    with pytest.raises(Exception):
        m.expect("Rhenium ready", timeout=3)
