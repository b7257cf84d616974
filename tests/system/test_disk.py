# SPDX-License-Identifier: MIT
"""The physical disk Rhenium drives itself: QEMU's virtio-blk on the host's virtio-mmio bus.

rhenium.selftest=disk overwrites the disk's last 8 sectors with a pattern
carrying a run number, after reading back what the previous boot left there.
"""
import re

import pytest

from conftest import virt_args

SELFTEST_BYTES = 8 * 512
MAGIC = b"Rhenium disk selftest\0"
MODERN = ["-global", "virtio-mmio.force-legacy=false"]


def disk_args(image, readonly=False, extra=()):
    drive = f"file={image},format=raw,if=none,id=d0" + (",readonly=on" if readonly else "")
    return ["-drive", drive, "-device", "virtio-blk-device,drive=d0"] + list(extra)


def boot(machine, image, modern=True, readonly=False, selftest=True):
    append = "rhenium.poweroff" + (" rhenium.selftest=disk" if selftest else "")
    extra = (MODERN if modern else []) + (disk_args(image, readonly) if image else [])
    return machine(virt_args(smp=2, append=append, extra=extra))


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "disk.img"
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    return path


def test_disk_is_found_on_the_last_transport(machine, image):
    m = boot(machine, image, selftest=False)
    found = m.expect(r"disk: virtio-blk at (0x[0-9a-f]+) \(intid (\d+)\), (\d+) sectors \(([^)]*)\)([^\r]*)\r")
    # QEMU fills transports from the top: 32 from 0x0a000000, 0x200 apart, SPIs 16..47.
    assert found.group(1) == "0x0a003e00"
    assert int(found.group(2)) == 79
    assert int(found.group(3)) == (64 << 20) // 512
    assert found.group(4) == "64 MiB"
    assert found.group(5) == ", flush, indirect"
    m.expect(r"virtio +0x0*a000000-0x0*a003fff 32 virtio-mmio transports")
    m.expect(r"0x0*a000000-0x0*a003fff RW +device-nGnRE")
    m.expect("Rhenium ready")
    assert m.expect_exit(timeout=30) == 0


def test_disk_round_trip_persists_across_boots(machine, image):
    m = boot(machine, image)
    m.expect(r"disk selftest: pass, run 1, no earlier run's data found")
    assert m.expect_exit(timeout=30) == 0
    # What the driver wrote and flushed is in the host's image file.
    with open(image, "rb") as f:
        f.seek(-SELFTEST_BYTES, 2)
        tail = f.read()
    assert tail.startswith(MAGIC)
    assert int.from_bytes(tail[32:40], "little") == 1

    # A second machine on the same file reads the first one's data back, intact.
    m = boot(machine, image)
    m.expect(r"disk selftest: pass, run 2, run 1's data read back intact")
    assert m.expect_exit(timeout=30) == 0


def test_disk_corrupted_data_is_noticed(machine, image):
    m = boot(machine, image)
    m.expect(r"disk selftest: pass, run 1,")
    assert m.expect_exit(timeout=30) == 0
    with open(image, "r+b") as f:
        f.seek(-100, 2)
        f.write(b"\xff" * 4)
    m = boot(machine, image)
    m.expect(r"disk selftest: FAIL: the previous run's data did not read back intact")
    assert m.expect_exit(timeout=30) == 0


def test_read_only_disk_refuses_writes(machine, image):
    m = boot(machine, image, readonly=True)
    m.expect(r"disk: virtio-blk at 0x0a003e00 \(intid 79\), 131072 sectors \(64 MiB\), flush, read-only")
    m.expect(r"disk selftest: FAIL: writing and flushing failed")
    assert m.expect_exit(timeout=30) == 0


def test_no_disk(machine):
    m = boot(machine, None, selftest=False)
    m.expect(r"disk: none\r")
    m.expect("Rhenium ready")
    assert m.expect_exit(timeout=30) == 0


def test_legacy_transport_says_how_to_fix_it(machine, image):
    m = boot(machine, image, modern=False, selftest=False)
    m.expect(r"ERROR disk: virtio-blk at 0x0a003e00 is a legacy \(version 1\) virtio-mmio device; "
             r"Rhenium needs version 2: run QEMU with -global virtio-mmio.force-legacy=false")
    m.expect("Rhenium ready")
    assert m.expect_exit(timeout=30) == 0
