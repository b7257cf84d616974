# SPDX-License-Identifier: MIT
"""Debian's arm64 kernel with the busybox initramfs, as a guest of Rhenium.

The same kernel and initramfs as test_native.py, now at EL1 under Rhenium at
EL2: Stage-2, the vGICv3, the virtual timer with its HW-linked PPI, the
emulated PL011 and PSCI all have to work for the shell to answer.
"""
import re

import pytest

from conftest import rhenium_vm_args
# guest_files: the same autouse check for the kernel and initramfs, applied here too.
from test_native import INITRAMFS, KERNEL, MARKER, PROMPT, guest_files, run  # noqa: F401

BOOTARGS = "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init"
BOOT_TIMEOUT = 60


def boot(machine, tmp_path, **kw):
    m = machine(rhenium_vm_args(tmp_path, KERNEL, INITRAMFS, BOOTARGS, **kw))
    m.expect(r"Rhenium \S+ \(\S+\), an ARM64 hypervisor")
    m.expect(r"vm@0: 1 vCPU\(s\), 512 MiB at IPA 0x40000000")
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    log = m.before
    m.expect(PROMPT, timeout=10)
    return m, log


def test_linux_boots_to_an_interactive_shell(machine, tmp_path):
    m, log = boot(machine, tmp_path)
    assert "Machine model: Rhenium virtual machine" in log
    assert "CPU: All CPU(s) started at EL1" in log
    assert "psci: PSCIv1.1 detected in firmware." in log
    # The guest's PMU is the real one, context-switched, with its overflow PPI forwarded.
    assert re.search(r"hw perfevents: enabled with armv8_pmuv3 PMU driver", log), log[-2000:]
    assert re.search(r"^rh-42$", run(m, "echo rh-$((6 * 7))"), re.M)
    uname = run(m, "uname -a")
    assert re.search(r"^Linux rhenium-guest \S+ .* aarch64 GNU/Linux$", uname, re.M), uname

    # Typed input is read back: the shell's read builtin gets our characters.
    m.child.sendline("read line; echo \"got <$line>\"")
    m.child.sendline("typed by the test 123")
    m.expect(PROMPT, timeout=10)
    assert "got <typed by the test 123>" in m.before
    # A pasted line longer than the guest's UART FIFO and the old 256-byte input buffer.
    out = run(m, "echo " + "p" * 600 + " | wc -c", timeout=30)
    assert re.search(r"^601$", out, re.M), out

    def timer_count():
        interrupts = run(m, "cat /proc/interrupts")
        row = next((l for l in interrupts.splitlines()
                    if re.search(r"GICv3 +27 Level +arch_timer$", l.rstrip())), None)
        assert row is not None, interrupts
        assert re.search(r"GICv3 +33 Level +uart-pl011", interrupts), interrupts
        return int(row.split()[1])

    first = timer_count()
    run(m, "sleep 1")
    second = timer_count()
    assert second > first, (first, second)

    m.child.sendline("poweroff")
    m.expect("reboot: Power down", timeout=20)
    m.expect("all VMs are off: system off", timeout=10)
    assert m.expect_exit(timeout=10) == 0


def test_linux_sleep_takes_two_seconds_of_guest_time(machine, tmp_path):
    m, _ = boot(machine, tmp_path)
    out = run(m, "read a x </proc/uptime; sleep 2; read b x </proc/uptime; echo \"slept $a $b\"",
              timeout=20)
    found = re.search(r"^slept ([\d.]+) ([\d.]+)$", out, re.M)
    assert found, out
    slept = float(found.group(2)) - float(found.group(1))
    assert 1.99 <= slept < 3.0, f"sleep 2 took {slept:.2f} s of guest time"
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=20) == 0


def test_linux_reboot_restarts_the_vm_from_fresh_images(machine, tmp_path):
    m, _ = boot(machine, tmp_path)
    # Leave a trace in guest RAM that a reset from fresh images must not keep.
    run(m, "echo survivor > /tmp/mark")
    m.child.sendline("reboot")
    m.expect("reboot: Restarting system", timeout=20)
    m.expect(r"vm@0: PSCI SYSTEM_RESET")
    m.expect(r"vm@0: reset")
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    m.expect(PROMPT, timeout=10)
    assert "No such file" in run(m, "cat /tmp/mark")
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=20) == 0


def test_linux_smp_four_vcpus_on_four_cpus(machine, tmp_path):
    m = machine(rhenium_vm_args(tmp_path, KERNEL, INITRAMFS, BOOTARGS, smp=4, vcpus=4))
    m.expect(r"vm@0: 4 vCPU\(s\)")
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    log = m.before
    m.expect(PROMPT, timeout=10)
    assert "SMP: Total of 4 processors activated" in log
    assert run(m, "grep -c ^processor /proc/cpuinfo").strip().endswith("4")
    # Four parallel shell loops finish: every vCPU schedules work and takes IPIs.
    out = run(m, "for i in 1 2 3 4; do (n=0; while [ $n -lt 3000 ]; do n=$((n+1)); done; "
                 "echo done-$i) & done; wait", timeout=60)
    assert sorted(re.findall(r"done-(\d)", out)) == ["1", "2", "3", "4"], out
    interrupts = run(m, "cat /proc/interrupts")
    row = next(l for l in interrupts.splitlines() if "arch_timer" in l)
    assert all(int(c) > 0 for c in row.split()[1:5]), row
    ipi = next(l for l in interrupts.splitlines() if "Function call interrupts" in l)
    assert sum(int(c) for c in ipi.split()[1:5]) > 0, ipi
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=30) == 0
