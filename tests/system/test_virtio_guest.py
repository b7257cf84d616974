# SPDX-License-Identifier: MIT
"""The virtio test guest (tests/guests/virtio/virtio.c) as a VM of Rhenium.

The guest drives the VM's emulated virtio-console and virtio-blk (virtio-mmio
version 2 at 0x0a000000 and 0x0a000200) the way the VIRTIO 1.2 specification
says a driver must, and with every kind of malformed virtqueue it forbids:
rings, tables and buffers outside guest RAM, at the GIC or on the device's
own registers, out-of-range indices, loops, over-long chains, broken indirect
tables, the readable/writable order broken, the available index running
ahead. Each must put the device into NEEDS_RESET (the guest checks Status,
InterruptStatus and the recovery by a reset), none may hurt the hypervisor.

Here the test also checks what the guest cannot see: its virtio-console
output on Rhenium's console, that the hypervisor survived (no panic, a clean
system off) and said something about the broken devices, and the disk image
afterwards: the sectors the guest reports having written hold its pattern,
every other sector of its region still holds the test's pattern, and nothing
outside the region (or regions) changed.
"""
import re

import pytest

from conftest import BUILD, manifest, manifest_vm, rhenium_manifest_args

GUEST = BUILD / "guests" / "virtio" / "virtio.bin"
SUMMARY = r"guest: (\d+) passed, (\d+) failed"
SECTOR = 512
MIB = 1 << 20
OUTSIDE = 0xE5  # every byte of the image outside the VMs' regions
DEVICES = ["pl011", "virtio-console", "virtio-blk"]
# A hypervisor log line or another VM's tagged line is written whole, but may
# land in the middle of the focused VM's line: cut it out, newline included.
HYP_LINE = re.compile(r"\[\s*\d+\.\d+\] cpu\d+ [^\n]*\n")
MASK64 = (1 << 64) - 1


def pattern(sector, written):
    """Sector contents: pattern A (prepared here) or B = A ^ 0xa5 (the guest's); see virtio.c."""
    head = ((sector * 0x9E3779B97F4A7C15) & MASK64).to_bytes(8, "little")
    body = bytes((sector * 31 + i * 7 + 0x11) & 0xFF for i in range(8, SECTOR))
    data = head + body
    return bytes(b ^ 0xA5 for b in data) if written else data


def make_disk(path, size, regions):
    """An image filled with OUTSIDE, each region (offset, size) with pattern A."""
    image = bytearray([OUTSIDE]) * size
    for offset, length in regions:
        for s in range(length // SECTOR):
            image[offset + s * SECTOR:offset + (s + 1) * SECTOR] = pattern(s, False)
    path.write_bytes(bytes(image))


def vm(node, name, offset, size, cpus):
    return manifest_vm(
        node, name, GUEST, bootargs=f"console=ttyAMA0 disk-pattern disk-sectors={size // SECTOR}",
        mem_mib=16, cpus=cpus, devices=DEVICES, disk=(offset, size))


def guest_image():
    if not GUEST.is_file():
        pytest.fail(f"{GUEST} is missing: build the test guests with `make guests`")
    return GUEST


def written_sectors(output):
    found = re.search(r"^# disk: sectors written:((?: \d+-\d+)*)\r?$", output, re.M)
    assert found, "the guest did not list the sectors it wrote\n" + output
    sectors = set()
    for r in found.group(1).split():
        first, last = map(int, r.split("-"))
        sectors.update(range(first, last + 1))
    return sectors


def check_region(image, offset, size, written):
    wrong = [s for s in range(size // SECTOR)
             if image[offset + s * SECTOR:offset + (s + 1) * SECTOR] != pattern(s, s in written)]
    assert not wrong, f"region at {offset:#x}: sectors {wrong[:20]} hold the wrong data"


def check_outside(image, regions):
    inside = sorted(regions)
    pos = 0
    for offset, length in inside + [(len(image), 0)]:
        stray = next((i for i in range(pos, offset) if image[i] != OUTSIDE), None)
        assert stray is None, f"byte {stray:#x}, outside every region, was changed"
        pos = offset + length


def check_guest(output, passed, failed):
    results = re.findall(r"^(ok|not ok) (\d+) - (.*?)\r?$", output, re.M)
    failures = [f"{n} - {d}" for r, n, d in results if r == "not ok"]
    assert failed == 0, f"{failed} failed:\n" + "\n".join(failures) + "\n" + output
    assert passed > 250, output
    assert [int(n) for _, n, _ in results] == list(range(1, passed + 1)), output
    resets = [d for r, _, d in results if r == "ok" and d.endswith("the device sets NEEDS_RESET")]
    assert len(resets) >= 30, f"only {len(resets)} malformed cases ran\n" + output
    return results


def check_console_output(output, results):
    """What the guest sent through the transmitq is on Rhenium's console."""
    for line in ("VCON-1 hello from the virtio-console transmitq",
                 "VCON-2 split over three descriptors",
                 "VCON-4 across a 2 MiB boundary of guest RAM"):
        assert line in output, f"{line!r} not on the console\n" + output
    if any(r == "ok" and "console: an indirect descriptor: used" in d for r, _, d in results):
        assert "VCON-3 through an indirect table" in output, output
    lines = {int(n) for n in re.findall(r"VCON-5 line (\d+) of 40", output)}
    assert lines == set(range(1, 41)), f"lines missing: {sorted(set(range(1, 41)) - lines)}"
    assert len(re.findall(r"VCON-6 transmit works again after bad case \d+", output)) >= 7, output


def check_hypervisor(output):
    assert "PANIC" not in output, output
    # The log text is the hypervisor's to choose: only ask that it said something.
    logged = [line for line in HYP_LINE.findall(output) if re.search(r"virtio", line, re.I)
              and re.search(r"reset|malformed|invalid|bad|error", line, re.I)]
    assert logged, "no hypervisor log line about the broken virtqueues\n" + output


def test_virtio_guest(machine, tmp_path):
    offset, size = 1 * MIB, 1 * MIB
    disk = tmp_path / "disk.img"
    make_disk(disk, 4 * MIB, [(offset, size)])
    text = manifest(vm("vm@0", "virtio", offset, size, cpus=[0]))
    guest_image()
    m = machine(rhenium_manifest_args(tmp_path, text, smp=2, disk=disk),
                name="rhenium-virtio-guest")
    m.expect(r"guest: virtio starting at EL(\d)", timeout=60)
    assert m.child.match.group(1) == "1"
    m.expect(SUMMARY, timeout=240)
    passed, failed = int(m.child.match.group(1)), int(m.child.match.group(2))
    output = m.before.replace("\r", "")
    # The hypervisor survived all of it and turns the machine off.
    m.expect("all VMs are off: system off", timeout=30)
    assert m.expect_exit(timeout=20) == 0

    guest = HYP_LINE.sub("", output)
    results = check_guest(guest, passed, failed)
    check_console_output(guest, results)
    check_hypervisor(output)
    image = disk.read_bytes()
    written = written_sectors(guest)
    assert {8, 9, 10, 11, 12, size // SECTOR - 1} <= written, written
    check_region(image, offset, size, written)
    check_outside(image, [(offset, size)])


def test_two_virtio_guests_share_the_disk_in_their_own_regions(machine, tmp_path):
    """Two VMs, one region each: each sees only its own; concurrent abuse stays contained."""
    regions = {"virtio-a": (1 * MIB, 1 * MIB), "virtio-b": (3 * MIB, 512 * 1024)}
    disk = tmp_path / "disk.img"
    make_disk(disk, 4 * MIB, regions.values())
    text = manifest(vm("vm@0", "virtio-a", *regions["virtio-a"], cpus=[0]),
                    vm("vm@1", "virtio-b", *regions["virtio-b"], cpus=[1]))
    guest_image()
    m = machine(rhenium_manifest_args(tmp_path, text, smp=2, disk=disk),
                name="rhenium-virtio-two")
    # Both guests power off when done, and with them the machine.
    m.expect("all VMs are off: system off", timeout=280)
    log = m.before.replace("\r", "")
    assert m.expect_exit(timeout=20) == 0
    # virtio-a has the console (raw output); virtio-b's lines arrive tagged "[virtio-b] ".
    tagged = re.compile(r"\[virtio-b\] ([^\n]*)\n")
    out = {"b": "\n".join(tagged.findall(log)) + "\n",
           "a": tagged.sub("", HYP_LINE.sub("", log))}

    for k in "ab":
        found = re.findall(r"^" + SUMMARY + "$", out[k], re.M)
        assert len(found) == 1, f"virtio-{k}: no summary\n" + out[k]
        results = check_guest(out[k], *map(int, found[0]))
        check_console_output(out[k], results)
    check_hypervisor(log)
    image = disk.read_bytes()
    for k, name in (("a", "virtio-a"), ("b", "virtio-b")):
        offset, size = regions[name]
        check_region(image, offset, size, written_sectors(out[k]))
    check_outside(image, list(regions.values()))
