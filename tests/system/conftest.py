# SPDX-License-Identifier: MIT
"""Boot Rhenium on QEMU and talk to it through its console (pexpect).

Every QEMU runs under `timeout`, so even if pytest itself dies no QEMU
outlives the test run; the fixture kills it when the test ends.
"""
import os
import shlex
import pathlib

import pexpect
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("RHENIUM_BUILD", ROOT / "build"))
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
IMAGE = BUILD / "rhenium.bin"
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
# Hard ceiling for one QEMU process, well above any test's own expect timeouts.
QEMU_LIFETIME_S = 300


class Machine:
    """One QEMU instance with its serial console on stdio."""

    def __init__(self, args, logname):
        self.args = args
        cmd = ["timeout", "-k", "5", str(QEMU_LIFETIME_S), QEMU] + args
        self.logfile = open(BUILD / "system-logs" / f"{logname}.log", "w")
        self.logfile.write("$ " + shlex.join(cmd) + "\n")
        self.child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace",
                                   timeout=30, logfile=self.logfile)

    def expect(self, pattern, timeout=30):
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def expect_exit(self, timeout=60):
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return self.child.exitstatus

    @property
    def before(self):
        return self.child.before

    def kill(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.logfile.close()


@pytest.fixture
def machine(request):
    """Factory: machine(qemu_args) -> Machine; all are killed after the test."""
    (BUILD / "system-logs").mkdir(parents=True, exist_ok=True)
    started = []

    def start(args, name=None):
        logname = name or request.node.name
        m = Machine(args, f"{logname}-{len(started)}")
        started.append(m)
        return m

    yield start
    for m in started:
        m.kill()


def virt_args(smp=1, mem="1G", append=None, virtualization=True, extra=()):
    """QEMU virt entering Rhenium directly at EL2 via -kernel."""
    machine = "virt,gic-version=3" + (",virtualization=on" if virtualization else "")
    args = ["-M", machine, "-cpu", "max", "-m", mem, "-smp", str(smp), "-nographic",
            "-kernel", str(IMAGE)]
    if append is not None:
        args += ["-append", append]
    return args + list(extra)


def rhenium_vm_args(workdir, kernel, initrd=None, bootargs="console=ttyAMA0", smp=1, vcpus=1,
                    guest_mem="512M", mem="2G", hyp_args=None, extra=(), devices=None,
                    disk=None, disk_size=None):
    """QEMU arguments booting Rhenium with one VM, from scripts/run-vm.sh (what `make run` uses).

    devices: a list of device names (default: run-vm.sh's, "pl011"); disk: a
    disk image path, giving the VM virtio-blk on its first disk_size bytes
    (a size such as "64M"; default 256M), the file created if absent.
    """
    import subprocess
    cmd = [str(ROOT / "scripts" / "run-vm.sh"), "--print-args", "--image", str(IMAGE),
           "--kernel", str(kernel), "--bootargs", bootargs, "--smp", str(smp),
           "--vcpus", str(vcpus), "--guest-mem", guest_mem, "--mem", mem,
           "--workdir", str(workdir)]
    if initrd:
        cmd += ["--initrd", str(initrd)]
    if hyp_args:
        cmd += ["--hyp-args", hyp_args]
    if devices is not None:
        cmd += ["--devices", ",".join(devices)]
    if disk is not None:
        cmd += ["--disk", str(disk)]
    if disk_size is not None:
        cmd += ["--disk-size", str(disk_size)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return out.splitlines() + list(extra)


def rhenium_manifest_args(workdir, manifest, smp=2, mem="2G", hyp_args=None, extra=(),
                          disk=None):
    """QEMU arguments booting Rhenium with the VMs of a manifest (text or path).

    If a VM has a disk region, the disk image is disk (default
    <workdir>/disk.img, never the user's build/disk.img), created sparse if
    absent and kept otherwise: pass a fresh path for an empty disk.
    """
    import subprocess
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if "\n" in str(manifest):
        path = workdir / "manifest.dts"
        path.write_text(manifest)
    else:
        path = pathlib.Path(manifest)
    cmd = ["/usr/bin/python3", str(ROOT / "scripts" / "run-manifest.py"), "--print-args",
           "--image", str(IMAGE), "--smp", str(smp), "--mem", mem, "--workdir", str(workdir),
           "--build", str(BUILD), "--cache", str(CACHE)]
    if hyp_args:
        cmd += ["--hyp-args", hyp_args]
    cmd += ["--disk", str(disk if disk is not None else workdir / "disk.img")]
    out = subprocess.run(cmd + [str(path)], check=True, capture_output=True, text=True).stdout
    return out.splitlines() + list(extra)


def manifest_vm(node, name, kernel, initrd=None, bootargs="console=ttyAMA0", mem_mib=256,
                vcpus=1, cpus=None, autostart=True, extra="", devices=None, disk=None):
    """One VM node of a manifest, as device-tree source.

    devices: a list of device names (None: the default, "pl011"; []: none);
    disk: its region of the disk image, (offset, size) in bytes.
    """
    lines = [f"\t{node} {{", '\t\tcompatible = "rhenium,vm";', f'\t\trhenium,name = "{name}";',
             f'\t\tkernel-file = "{kernel}";']
    if initrd:
        lines.append(f'\t\tinitrd-file = "{initrd}";')
    lines += [f'\t\tbootargs = "{bootargs}";', f"\t\tmemory-size = <{mem_mib << 20:#x}>;",
              f"\t\tvcpus = <{vcpus}>;"]
    if cpus is not None:
        lines.append("\t\tcpus = <" + " ".join(str(c) for c in cpus) + ">;")
    if devices is not None:
        lines.append("\t\tdevices" + (" = " + ", ".join(f'"{d}"' for d in devices)
                                        if devices else "") + ";")
    if disk is not None:
        lines.append(f"\t\tdisk = /bits/ 64 <{disk[0]:#x} {disk[1]:#x}>;")
    if autostart:
        lines.append("\t\tautostart;")
    if extra:
        lines.append("\t\t" + extra)
    lines.append("\t};")
    return "\n".join(lines)


def manifest(*vms):
    return "/dts-v1/;\n/ {\n\tcompatible = \"rhenium,manifest\";\n" + "\n".join(vms) + "\n};\n"


# Every virtio device of a VM, for manifest_vm(devices=...).
VIRTIO_DEVICES = ["pl011", "virtio-console", "virtio-blk", "virtio-net"]


def disk_read(path, offset, length):
    """length bytes of a disk image at offset (zeros past its end, as a sparse file reads)."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    return data + bytes(length - len(data))


def disk_write(path, offset, data):
    """Writes data into an existing disk image at offset (e.g. to plant a pattern)."""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
