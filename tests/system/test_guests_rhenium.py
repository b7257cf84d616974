# SPDX-License-Identifier: MIT
"""The bare-metal test guests (tests/guests/) as VMs of Rhenium.

Every guest that passes natively (test_guests_native.py) must pass as a
guest of Rhenium too: HVC round trips (SMCCC/PSCI), MMIO of every size with
sign extension against the emulated PL011, WFI woken by the virtual timer,
SGIs to self through the vGIC, and accesses to unmapped IPA seen by the guest
as synchronous external aborts while the hypervisor keeps running. Each ends
with PSCI SYSTEM_OFF, which powers the whole machine off once no VM is left.
"""
import re

import pytest

from conftest import rhenium_vm_args
from test_guests_native import GUESTS, SUMMARY, guest_image


def run_guest(machine, tmp_path, name, bootargs="console=ttyAMA0"):
    m = machine(rhenium_vm_args(tmp_path, guest_image(name), bootargs=bootargs, smp=1),
                name=f"rhenium-guest-{name}")
    m.expect(r"vm@0: 1 vCPU\(s\)", timeout=30)
    m.expect(rf"guest: {re.escape(name)} starting at EL(\d)", timeout=20)
    assert m.child.match.group(1) == "1"
    m.expect(SUMMARY, timeout=60)
    passed, failed = int(m.child.match.group(1)), int(m.child.match.group(2))
    output = m.before.replace("\r", "")
    # The hypervisor survives everything the guest did and turns the machine off.
    m.expect("vm@0: PSCI SYSTEM_OFF from vcpu0", timeout=10)
    m.expect("all VMs are off: system off", timeout=10)
    assert m.expect_exit(timeout=10) == 0
    results = re.findall(r"^(ok|not ok) (\d+) - (.*)$", output, re.M)
    return passed, failed, results, output


@pytest.mark.parametrize("name", GUESTS)
def test_guest_passes_under_rhenium(machine, tmp_path, name):
    passed, failed, results, output = run_guest(machine, tmp_path, name)
    failures = [f"{n} - {d}" for r, n, d in results if r == "not ok"]
    assert failed == 0, f"{name}: {failed} failed:\n" + "\n".join(failures) + "\n" + output
    assert passed > 0
    assert [int(n) for _, n, _ in results] == list(range(1, passed + 1)), output


def test_smccc_1_1_is_offered_to_guests(machine, tmp_path):
    # Natively QEMU's PSCI is SMCCC 1.0 and this check fails; Rhenium offers 1.1.
    passed, failed, results, output = run_guest(machine, tmp_path, "hvc",
                                                bootargs="smccc=1.1")
    assert failed == 0, output


def test_guest_pmu_does_not_count_the_hypervisor(machine, tmp_path):
    # MDCR_EL2.HPMD/HCCD: a guest that asks to count only EL2 sees nothing.
    passed, failed, results, output = run_guest(machine, tmp_path, "pmu",
                                                bootargs="pmu-el2-hidden")
    assert failed == 0, output
    assert any("EL2" in d for r, _, d in results if r == "ok"), output
