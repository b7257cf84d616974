# SPDX-License-Identifier: MIT
"""Several VMs from a manifest, SMP guests, the monitor console, isolation and restarts."""
import re

import pytest

from conftest import BUILD, CACHE, ROOT, manifest, manifest_vm, rhenium_manifest_args
from test_native import INITRAMFS, KERNEL, MARKER, PROMPT, run

LINUX_ARGS = "console=ttyAMA0 rdinit=/init"
SPIN = BUILD / "guests" / "misbehave" / "spin.bin"
ESC = "]"  # sendcontrol: Ctrl-] switches to the monitor


def monitor(m, command, timeout=30):
    """Run one monitor command (the prompt must have the console); return its output."""
    m.child.sendline(command)
    m.expect("rhenium> ", timeout=timeout)
    return m.before.replace("\r", "")


def sync_shell(m, timeout=60):
    """Get a fresh prompt, whatever prompts were printed before."""
    m.child.sendline("echo sync-$((20+3))")
    m.expect(r"\nsync-23", timeout=timeout)
    m.expect(PROMPT, timeout=timeout)


def free_pages(m):
    out = monitor(m, "mem")
    found = re.search(r"host pages: (\d+) total, (\d+) free", out)
    assert found, out
    return int(found.group(2))


def test_two_linux_vms_side_by_side_through_the_console_switch(machine):
    m = machine(rhenium_manifest_args(BUILD / "t-two", ROOT / "manifests" / "two-linux.dts"))
    m.expect(r"\[monitor\] console: linux-a")
    # linux-b is not in focus: its output arrives as whole lines tagged with its name.
    seen = set()
    while len(seen) < 2:
        i = m.child.expect([rf"\[linux-b\] {MARKER}", rf"\n{MARKER}"], timeout=120)
        seen.add(i)
    sync_shell(m)
    assert re.search(r"^A-42$", run(m, "echo A-$((40+2))"), re.M)

    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    listing = monitor(m, "list")
    assert re.search(r"^linux-a +running +1 +256 MiB +0 +0 +\(console\)$", listing, re.M), listing
    assert re.search(r"^linux-b +running +1 +256 MiB +0 +1$", listing, re.M), listing
    assert re.search(r"vcpu0 (runnable|waiting)(, loaded)?: hvc \d+ smc 0 mmio [1-9]\d* ", listing), listing

    m.child.sendline("switch linux-b")
    m.expect(r"\[monitor\] console: linux-b")
    sync_shell(m)
    assert re.search(r"^B-43$", run(m, "echo B-$((40+3))"), re.M)
    # Input went to linux-b only: linux-a's shell did not see it.
    m.child.sendline("poweroff")
    m.expect("linux-b: powered off", timeout=30)

    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    assert re.search(r"^linux-b +stopped", monitor(m, "list"), re.M)
    # Start it again, then crash its kernel: linux-a does not notice, the monitor restarts it.
    assert "linux-b: started" in monitor(m, "start linux-b")
    m.expect(rf"\[linux-b\] {MARKER}", timeout=120)
    m.child.sendline("switch linux-b")
    m.expect(r"\[monitor\] console: linux-b")
    sync_shell(m)
    m.child.sendline("echo c > /proc/sysrq-trigger")
    m.expect("Kernel panic - not syncing", timeout=30)
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    m.child.sendline("switch linux-a")
    m.expect(r"\[monitor\] console: linux-a")
    sync_shell(m)
    assert re.search(r"^still-5$", run(m, "echo still-$((2+3))"), re.M)
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    assert "linux-b: started" in monitor(m, "restart linux-b")
    m.expect(rf"\[linux-b\] {MARKER}", timeout=120)
    m.child.sendline("switch linux-b")
    m.expect(r"\[monitor\] console: linux-b")
    sync_shell(m)
    m.child.sendline("poweroff")
    m.expect("linux-b: powered off", timeout=30)
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    m.child.sendline("switch linux-a")
    m.expect(r"\[monitor\] console: linux-a")
    m.child.sendline("poweroff")
    m.expect("all VMs are off: system off", timeout=30)
    assert m.expect_exit(timeout=20) == 0


def test_four_vcpus_time_sliced_on_two_cpus(machine):
    text = manifest(manifest_vm("vm@0", "smp", KERNEL, INITRAMFS, LINUX_ARGS, mem_mib=512,
                                vcpus=4, cpus=[0, 1, 0, 1]))
    m = machine(rhenium_manifest_args(BUILD / "t-4on2", text, smp=2))
    m.expect(MARKER, timeout=120)
    log = m.before
    m.expect(PROMPT, timeout=20)
    assert "SMP: Total of 4 processors activated" in log
    out = run(m, "for i in 1 2 3 4; do (n=0; while [ $n -lt 2000 ]; do n=$((n+1)); done; "
                 "echo done-$i) & done; wait", timeout=120)
    assert sorted(re.findall(r"done-(\d)", out)) == ["1", "2", "3", "4"], out
    m.child.sendline("reboot")
    m.expect(MARKER, timeout=120)
    m.expect(PROMPT, timeout=20)
    m.child.sendline("poweroff")
    m.expect("all VMs are off: system off", timeout=60)


MISBEHAVING = sorted(p.stem for p in (ROOT / "tests" / "guests" / "misbehave").glob("*.c"))


@pytest.mark.parametrize("name", MISBEHAVING)
def test_a_misbehaving_vm_sharing_linux_cpu_is_contained(machine, name):
    """Spinning with interrupts masked, broken vectors, abort and HVC storms, on Linux's CPU."""
    bad = BUILD / "guests" / "misbehave" / f"{name}.bin"
    text = manifest(
        manifest_vm("vm@0", "linux", KERNEL, INITRAMFS, LINUX_ARGS, cpus=[0]),
        manifest_vm("vm@1", "bad", bad, mem_mib=16, cpus=[0]))
    m = machine(rhenium_manifest_args(BUILD / f"t-{name}", text, smp=1))
    m.expect(rf"\[bad\] misbehave: {re.escape(name)} starting", timeout=60)
    m.expect(MARKER, timeout=180)
    sync_shell(m, timeout=60)
    assert re.search(r"^ok-7$", run(m, "echo ok-$((3+4))", timeout=60), re.M)
    # The monitor can restart the misbehaving VM; Linux keeps working meanwhile and after.
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    assert "bad: started" in monitor(m, "restart bad")
    m.expect(rf"\[bad\] misbehave: {re.escape(name)} starting", timeout=60)
    assert re.search(r"^bad +running +1 +16 MiB +1 ", monitor(m, "list"), re.M)
    m.child.sendline("switch linux")
    sync_shell(m, timeout=60)
    assert re.search(r"^ok-9$", run(m, "echo ok-$((4+5))", timeout=60), re.M)
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    assert "bad: stopped" in monitor(m, "stop bad")
    m.child.sendline("switch linux")
    m.child.sendline("poweroff")
    m.expect("all VMs are off: system off", timeout=90)


def test_hundred_restarts_leak_no_pages(machine):
    text = manifest(manifest_vm("vm@0", "spinner", SPIN, mem_mib=16, cpus=[1]),
                    manifest_vm("vm@1", "spinner2", SPIN, mem_mib=16, cpus=[1], autostart=False))
    m = machine(rhenium_manifest_args(BUILD / "t-restart", text, smp=2))
    m.expect(r"\[monitor\] console: spinner")
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    assert re.search(r"^spinner2 +stopped", monitor(m, "list"), re.M)
    before = free_pages(m)
    for i in range(100):
        assert "spinner: started" in monitor(m, "restart spinner")
    assert "spinner2: started" in monitor(m, "start spinner2")
    assert "spinner2: stopped" in monitor(m, "stop spinner2")
    after = free_pages(m)
    assert after == before, f"{before - after} pages lost over 100 restarts"
    listing = monitor(m, "list")
    assert re.search(r"^spinner +running +1 +16 MiB +100 ", listing, re.M), listing


@pytest.mark.parametrize("extra,message", [
    pytest.param("frobnicate = <1>;", "/chosen/vm@1: frobnicate: unknown property", id="unknown"),
    pytest.param("cpus = <7>;",
                 "/chosen/vm@1: cpus: CPU 7 does not exist (the platform has CPUs 0-1)",
                 id="cpus"),
])
def test_a_bad_manifest_is_rejected_naming_node_and_property(machine, extra, message):
    text = manifest(manifest_vm("vm@0", "good", SPIN, mem_mib=16),
                    manifest_vm("vm@1", "bad", SPIN, mem_mib=16, extra=extra))
    m = machine(rhenium_manifest_args(BUILD / "t-bad", text, smp=2))
    m.expect(r"VM manifest rejected: ([^\r\n]*)\r")
    assert message in m.child.match.group(1), m.child.match.group(1)
    m.expect("no VM configured")
