# SPDX-License-Identifier: MIT
"""Linux guests using Rhenium's virtio devices (docs/virtio.md).

The shell of a VM with a virtio console runs on /dev/hvc0 (the initramfs's
rc.shell chooses it when it exists), so every command these tests type goes
through the emulated virtio console. On top of it:
- a disk that keeps an ext2 file system across a guest reboot and a restart
  of QEMU itself, with the guest's syncs reaching the disk as flushes;
- two VMs whose disk regions of one image never see each other's data;
- two VMs on the virtual switch: ping, and a few MB through busybox nc with
  the same checksum on both ends.
"""
import re

from conftest import (BUILD, VIRTIO_DEVICES, disk_read, disk_write, manifest, manifest_vm,
                      rhenium_manifest_args)
from test_native import INITRAMFS, KERNEL, MARKER, PROMPT, run
from test_platform import ESC, monitor, sync_shell

ARGS = "console=ttyAMA0 rdinit=/init"
MIB = 1 << 20
BOOT_TIMEOUT = 120


def vm(node, name, cpus, disk):
    return manifest_vm(node, name, KERNEL, INITRAMFS, bootargs=ARGS, mem_mib=256, cpus=cpus,
                       devices=VIRTIO_DEVICES, disk=disk)


def boot_one(machine, workdir, disk, name):
    m = machine(rhenium_manifest_args(workdir, manifest(vm("vm@0", "linux", [0], (0, 64 * MIB))),
                                      disk=disk), name=name)
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    sync_shell(m)
    return m


def shell_is_on_hvc0(m):
    out = run(m, "tty")
    assert re.search(r"^/dev/hvc0$", out, re.M), out


def test_disk_keeps_its_data_across_reboot_and_qemu_restart(machine, tmp_path):
    disk = tmp_path / "disk.img"
    m = boot_one(machine, tmp_path / "w1", disk, "virtio-disk-first")
    shell_is_on_hvc0(m)
    out = run(m, "cat /sys/block/vda/size")
    assert re.search(rf"^{64 * MIB // 512}$", out, re.M), out
    out = run(m, "mke2fs -F /dev/vda >/dev/null 2>&1 && mount -t ext2 /dev/vda /mnt && "
                 "dd if=/dev/urandom of=/mnt/data bs=1024 count=2048 2>/dev/null && "
                 "echo kept > /mnt/note && sync && md5sum /mnt/data", timeout=60)
    found = re.search(r"^([0-9a-f]{32})  /mnt/data$", out, re.M)
    assert found, out
    digest = found.group(1)
    # Kernel messages (console=ttyAMA0) share the VM's console: match whole lines.
    out = run(m, "umount /mnt && echo unmounted", timeout=30)
    assert re.search(r"^unmounted$", out, re.M), out

    # The guest's syncs became flushes of the physical disk.
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    listing = monitor(m, "list")
    found = re.search(r"virtio-blk: \d+ reads .* (\d+) writes .* (\d+) flushes, 0 failed, "
                      r"errors 0", listing)
    assert found and int(found.group(1)) > 0 and int(found.group(2)) > 0, listing
    m.child.sendline("switch linux")
    m.expect(r"\[monitor\] console: linux")

    # A reboot of the VM: fresh RAM, same disk.
    m.child.sendline("reboot")
    m.expect("linux: reset", timeout=60)
    m.expect(MARKER, timeout=BOOT_TIMEOUT)
    sync_shell(m)
    out = run(m, "mount -t ext2 /dev/vda /mnt && md5sum /mnt/data && cat /mnt/note && "
                 "umount /mnt", timeout=60)
    assert f"{digest}  /mnt/data" in out and "kept" in out, out
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=60) == 0

    # The host file holds an ext2 file system (magic 0xef53 in the superblock at 1 KiB).
    assert disk_read(disk, 1024 + 56, 2) == b"\x53\xef"

    # A new QEMU on the same image.
    m = boot_one(machine, tmp_path / "w2", disk, "virtio-disk-second")
    out = run(m, "mount -t ext2 /dev/vda /mnt && md5sum /mnt/data && cat /mnt/note", timeout=60)
    assert f"{digest}  /mnt/data" in out and "kept" in out, out
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=60) == 0


def two_vms(tmp_path):
    disk = tmp_path / "disk.img"
    text = manifest(vm("vm@0", "linux-a", [0], (0, 32 * MIB)),
                    vm("vm@1", "linux-b", [1], (32 * MIB, 32 * MIB)))
    args = rhenium_manifest_args(tmp_path / "w", text, disk=disk)
    return disk, args


def wait_both_ready(m):
    m.expect(r"\[monitor\] console: linux-a", timeout=30)
    seen = set()
    while len(seen) < 2:
        seen.add(m.child.expect([rf"\[linux-b\] {MARKER}", rf"\n{MARKER}"],
                                timeout=BOOT_TIMEOUT))
    sync_shell(m)


def switch(m, name):
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    m.child.sendline(f"switch {name}")
    m.expect(rf"\[monitor\] console: {name}")
    sync_shell(m)


def test_disk_regions_of_two_vms_are_isolated(machine, tmp_path):
    disk, args = two_vms(tmp_path)
    # Plant a secret in linux-b's region (its sector 8) before anything runs.
    disk_write(disk, 32 * MIB + 4096, b"SECRET-OF-B")
    m = machine(args)
    wait_both_ready(m)

    # linux-a reads all of its 32 MiB: no trace of the secret; its disk ends where b's begins.
    out = run(m, "cat /sys/block/vda/size")
    assert re.search(rf"^{32 * MIB // 512}$", out, re.M), out
    out = run(m, "grep -c SECRET-OF-B /dev/vda; echo status=$?", timeout=60)
    assert "status=1" in out and re.search(r"^0$", out, re.M), out
    out = run(m, "dd if=/dev/vda of=/dev/null bs=512 skip=65536 count=1 2>&1")
    assert "0+0 records in" in out, out
    run(m, "echo FROM-A-LAST-SECTOR | dd of=/dev/vda bs=512 seek=65535 conv=sync,fsync "
           "2>/dev/null")

    # linux-b finds its own secret at its sector 8, and nothing of a's.
    switch(m, "linux-b")
    out = run(m, "dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | grep -c SECRET-OF-B")
    assert re.search(r"^1$", out, re.M), out
    out = run(m, "grep -c FROM-A /dev/vda; echo status=$?", timeout=60)
    assert "status=1" in out, out
    m.child.sendline("poweroff")
    m.expect("linux-b: powered off", timeout=60)
    switch(m, "linux-a")
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=60) == 0

    # On the host: a's write is the last sector of its region, b's region starts untouched.
    assert disk_read(disk, 32 * MIB - 512, 18) == b"FROM-A-LAST-SECTOR"
    assert disk_read(disk, 32 * MIB, 512) == bytes(512)


def test_network_between_two_vms(machine, tmp_path):
    disk, args = two_vms(tmp_path)
    m = machine(args)
    wait_both_ready(m)
    out = run(m, "cat /sys/class/net/eth0/address")
    assert re.search(r"^02:52:48:00:00:01$", out, re.M), out
    run(m, "ip addr add 10.0.0.1/24 dev eth0 && ip link set eth0 up")

    switch(m, "linux-b")
    run(m, "ip addr add 10.0.0.2/24 dev eth0 && ip link set eth0 up")
    out = run(m, "dd if=/dev/urandom of=/tmp/blob bs=1024 count=4096 2>/dev/null; "
                 "md5sum /tmp/blob", timeout=60)
    found = re.search(r"^([0-9a-f]{32})  /tmp/blob$", out, re.M)
    assert found, out
    digest = found.group(1)
    run(m, "nc -l -p 5000 < /tmp/blob &")

    switch(m, "linux-a")
    out = run(m, "ping -c 3 -W 5 10.0.0.2", timeout=60)
    assert "3 packets transmitted, 3 packets received" in out, out
    out = run(m, "nc 10.0.0.2 5000 > /tmp/got; md5sum /tmp/got; ls -l /tmp/got", timeout=240)
    assert f"{digest}  /tmp/got" in out, out

    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    listing = monitor(m, "list")
    for found in re.finditer(r"virtio-net: tx (\d+) packets, rx (\d+) packets.*errors (\d+)",
                             listing):
        assert int(found.group(1)) > 0 and int(found.group(2)) > 0, listing
        assert found.group(3) == "0", listing
    m.child.sendline("switch linux-b")
    m.expect(r"\[monitor\] console: linux-b")
    m.child.sendline("poweroff")
    m.expect("linux-b: powered off", timeout=60)
    m.child.sendcontrol(ESC)
    m.expect("rhenium> ")
    m.child.sendline("switch linux-a")
    m.expect(r"\[monitor\] console: linux-a")
    m.child.sendline("poweroff")
    assert m.expect_exit(timeout=60) == 0
