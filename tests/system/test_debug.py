# SPDX-License-Identifier: MIT
"""`make debug`: QEMU paused with a gdbstub, and the printed gdb command works."""
import socket
import subprocess

from conftest import BUILD, ROOT, virt_args


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gdb_command_attaches_with_symbols(machine):
    port = free_port()
    m = machine(virt_args(smp=2, append="rhenium.poweroff") + ["-S", "-gdb", f"tcp::{port}"])
    cmd = subprocess.run(["make", "-s", "--no-print-directory", "debug-command",
                          f"GDB_PORT={port}", f"BUILD={BUILD.relative_to(ROOT)}"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    assert cmd.startswith("gdb-multiarch")
    script = cmd + " -batch -ex 'break core_boot' -ex continue -ex bt -ex 'continue'"
    out = subprocess.run(script, shell=True, cwd=ROOT, capture_output=True, text=True,
                         timeout=60).stdout
    assert "Breakpoint 1, core_boot" in out, out
    assert "boot_primary" in out and "primary_entry" in out, out
    # Released by gdb, the paused machine finishes booting and powers off.
    m.expect("Rhenium ready")
    assert m.expect_exit() == 0
