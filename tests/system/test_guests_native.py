# SPDX-License-Identifier: MIT
"""The bare-metal test guests (tests/guests/, docs/test_guests.md) on QEMU alone.

Each guest must pass natively at EL1 before it means anything under Rhenium:
QEMU virt without virtualization=on enters it at EL1 and answers its HVCs
with QEMU's own PSCI. A guest prints "ok N - ..." / "not ok N - ..." lines,
then "guest: N passed, M failed", then calls PSCI SYSTEM_OFF, which ends QEMU.
"""
import re
import struct

import pytest

from conftest import BUILD, ROOT

GUEST_DIR = BUILD / "guests"
GUESTS = sorted(p.stem for p in (ROOT / "tests" / "guests").glob("*.c"))
SUMMARY = r"guest: (\d+) passed, (\d+) failed"


def guest_image(name):
    path = GUEST_DIR / f"{name}.bin"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the test guests with `make guests`")
    return path


def native_guest_args(name, virtualization=False, append=None):
    machine = "virt,gic-version=3" + (",virtualization=on" if virtualization else "")
    args = ["-M", machine, "-cpu", "max", "-m", "256M", "-nographic",
            "-kernel", str(guest_image(name))]
    return args + (["-append", append] if append else [])


def run_guest(machine, name, **kw):
    """Boot one guest; return (passed, failed, result lines, its whole output)."""
    m = machine(native_guest_args(name, **kw), name=f"guest-{name}")
    m.expect(rf"guest: {re.escape(name)} starting at EL(\d)", timeout=20)
    m.expect(SUMMARY, timeout=30)
    passed, failed = int(m.child.match.group(1)), int(m.child.match.group(2))
    output = m.before.replace("\r", "")
    status = m.expect_exit(timeout=10)  # PSCI SYSTEM_OFF ends QEMU
    assert status == 0, f"QEMU exit status {status}"
    results = re.findall(r"^(ok|not ok) (\d+) - (.*)$", output, re.M)
    return passed, failed, results, output


def test_there_are_guests():
    assert {"hvc", "mmio", "wfi", "sgi", "abort"} <= set(GUESTS), GUESTS


@pytest.mark.parametrize("name", GUESTS)
def test_guest_passes_natively(machine, name):
    passed, failed, results, output = run_guest(machine, name)
    failures = [f"{n} - {d}" for r, n, d in results if r == "not ok"]
    assert failed == 0, f"{name}: {failed} failed:\n" + "\n".join(failures) + "\n" + output
    assert passed > 0
    # One line per check, numbered 1..N, and the summary agrees with them.
    assert [int(n) for _, n, _ in results] == list(range(1, passed + 1)), output


@pytest.mark.parametrize("name", GUESTS)
def test_guest_image_header(name):
    """arm64 Image header: text_offset 0, 4 KiB pages, anywhere; size covers bss."""
    data = guest_image(name).read_bytes()
    code0, text_offset, image_size, flags = struct.unpack_from("<IxxxxQQQ", data, 0)
    assert data[0x38:0x3c] == b"ARM\x64"
    assert code0 >> 26 == 0b000101, "first instruction is not a branch"
    assert text_offset == 0
    assert flags == 0xa
    assert image_size >= len(data) and image_size % 16 == 0


def test_guest_refuses_el2(machine):
    # With virtualization=on QEMU enters the image at EL2: the runtime says
    # so and powers off through the DT's conduit (SMC there) instead of hanging.
    passed, failed, results, output = run_guest(machine, "hvc", virtualization=True)
    assert (passed, failed) == (0, 1)
    assert "entered at EL2" in output


def test_bootargs_reach_the_guest(machine):
    # smccc=1.1 makes SMCCC 1.1 mandatory; QEMU's own PSCI is SMCCC 1.0, so
    # exactly that check fails natively.
    passed, failed, results, output = run_guest(machine, "hvc", append="smccc=1.1")
    assert 'bootargs "smccc=1.1"' in output
    failures = [d for r, _, d in results if r == "not ok"]
    assert failed == 1 and failures == [
        "SMCCC 1.1+ required but PSCI_FEATURES(SMCCC_VERSION) = -1"], output
