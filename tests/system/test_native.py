# SPDX-License-Identifier: MIT
"""The guest kernel and initramfs on QEMU alone (no hypervisor): the baseline.

Debian's arm64 kernel (<cache>/guest/Image) boots the busybox initramfs
(<build>/initramfs.cpio.gz, scripts/mkinitramfs.sh) straight on QEMU virt,
at EL1 and at EL2 (virtualization=on, where Linux uses VHE), with 1 and 4
CPUs. What Rhenium must later give the same guest is checked here first on
bare QEMU: the RHENIUM-GUEST-READY marker, a working shell with job control,
guest time that follows a `sleep`, and poweroff/reboot that end QEMU.
"""
import re
import time

import pytest

from conftest import BUILD, CACHE

KERNEL = CACHE / "guest" / "Image"
INITRAMFS = BUILD / "initramfs.cpio.gz"
BOOTARGS = "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init"
MARKER = "RHENIUM-GUEST-READY"
PROMPT = "~ # "
# TCG boots this kernel to the marker in 3-5 s; allow for a loaded machine.
BOOT_TIMEOUT = 40


@pytest.fixture(scope="module", autouse=True)
def guest_files():
    """Fail (not skip) with the command that provides a missing input."""
    if not KERNEL.is_file():
        pytest.fail(f"guest kernel {KERNEL} is missing: run scripts/setup.sh (make setup)")
    if not INITRAMFS.is_file():
        pytest.fail(f"initramfs {INITRAMFS} is missing: run "
                    f"scripts/mkinitramfs.sh {INITRAMFS} (make initramfs)")


def native_args(smp=1, mem="1G", virtualization=False, extra=()):
    """QEMU virt booting the guest kernel directly, no hypervisor."""
    machine = "virt,gic-version=3" + (",virtualization=on" if virtualization else "")
    return ["-M", machine, "-cpu", "max", "-m", mem, "-smp", str(smp), "-nographic",
            "-kernel", str(KERNEL), "-initrd", str(INITRAMFS),
            "-append", BOOTARGS] + list(extra)


def boot_to_prompt(m):
    """Wait for the marker and the first prompt; return the kernel log before it."""
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    log = m.before
    m.expect(PROMPT, timeout=10)
    return log


def run(m, command, timeout=10):
    """Type one command line, return what it printed (without the echo)."""
    m.child.sendline(command)
    m.expect(PROMPT, timeout=timeout)
    out = m.before.replace("\r", "")
    # Drop the echoed command line (the first line) and ash's cursor query.
    return out.split("\n", 1)[1] if "\n" in out else ""


@pytest.mark.parametrize("smp,virtualization", [(1, False), (1, True), (4, False)],
                         ids=["el1", "el2-vhe", "el1-smp4"])
def test_native_boot_shell_and_poweroff(machine, smp, virtualization):
    m = machine(native_args(smp=smp, virtualization=virtualization))
    log = boot_to_prompt(m)
    assert "Run /init as init process" in log
    assert f"SMP: Total of {smp} processors activated" in log
    started = "CPU: All CPU(s) started at EL2" if virtualization else "CPU: All CPU(s) started at EL1"
    assert started in log
    # The line right before the marker reports the boot time in guest time.
    assert re.search(r"rhenium-guest: uptime [\d.]+ s, cntvct \d+ at \d+ Hz", log), log[-500:]

    # Computed output, so the echoed command line cannot match by itself.
    assert re.search(r"^rh-42$", run(m, "echo rh-$((6 * 7))"), re.M)
    uname = run(m, "uname -a")
    assert re.search(r"^Linux rhenium-guest \S+ .* aarch64 GNU/Linux$", uname, re.M), uname

    interrupts = run(m, "cat /proc/interrupts")
    header = interrupts.splitlines()[0].split()
    assert header == [f"CPU{i}" for i in range(smp)], interrupts
    # The timer PPI ticks on every CPU (27, the EL1 virtual timer; at EL2 with
    # VHE, 28, the EL2 virtual timer); the UART's SPI has taken our input.
    ppi = 28 if virtualization else 27
    row = next((l for l in interrupts.splitlines()
                if re.search(rf"GICv3 +{ppi} Level +arch_timer$", l.rstrip())), None)
    assert row is not None, interrupts
    counts = [int(c) for c in row.split()[1:1 + smp]]
    assert all(c > 0 for c in counts), row
    assert re.search(r"GICv3 +33 Level +uart-pl011", interrupts), interrupts

    m.child.sendline("poweroff")
    m.expect("reboot: Power down", timeout=20)
    assert m.expect_exit(timeout=10) == 0


def test_native_ctrl_c_interrupts_the_foreground_job(machine):
    m = machine(native_args())
    boot_to_prompt(m)
    assert run(m, "tty").strip() == "/dev/ttyAMA0"  # a real controlling terminal
    m.child.sendline("sleep 60; echo not-interrupted")
    time.sleep(0.5)
    start = time.monotonic()
    m.child.sendcontrol("c")
    m.expect(r"\^C", timeout=5)
    m.expect(PROMPT, timeout=10)
    assert time.monotonic() - start < 5
    assert "not-interrupted" not in m.before  # the whole line was abandoned
    assert re.search(r"^ok-\d+$", run(m, "echo ok-$$"), re.M)
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=20) == 0


def test_native_sleep_takes_two_seconds_of_guest_time(machine):
    m = machine(native_args())
    boot_to_prompt(m)
    out = run(m, "read a x </proc/uptime; sleep 2; read b x </proc/uptime; echo \"slept $a $b\"",
              timeout=15)
    found = re.search(r"^slept ([\d.]+) ([\d.]+)$", out, re.M)
    assert found, out
    slept = float(found.group(2)) - float(found.group(1))
    # /proc/uptime has 10 ms resolution; TCG may overshoot, never undershoot.
    assert 1.99 <= slept < 3.0, f"sleep 2 took {slept:.2f} s of guest time"
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=20) == 0


def test_native_reboot_resets_the_machine(machine):
    # -no-reboot: QEMU exits on the guest's PSCI SYSTEM_RESET instead of rebooting.
    m = machine(native_args(extra=["-no-reboot"]))
    boot_to_prompt(m)
    m.child.sendline("reboot")
    m.expect("reboot: Restarting system", timeout=20)
    assert m.expect_exit(timeout=10) == 0


def test_native_shell_exit_powers_off(machine):
    m = machine(native_args())
    boot_to_prompt(m)
    m.child.sendline("exit")
    m.expect("rhenium-guest: shell exited, powering off", timeout=10)
    m.expect("reboot: Power down", timeout=20)
    assert m.expect_exit(timeout=10) == 0
    assert m.child.signalstatus is None
