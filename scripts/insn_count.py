#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Count guest instructions with QEMU's TCG plugin libinsn.so (stdlib only).

The plugin (QEMU's tests/tcg/plugins/insn.c, built for the installed QEMU by
scripts/build-insn-plugin.sh into <cache>/qemu-plugin/libinsn.so) counts every
instruction QEMU executes for the guest, at every exception level (under
Rhenium: the hypervisor's EL2 code and the VM's EL1/EL0 code together). It
prints only when QEMU exits normally, into the -D log file:

    cpu 0 insns: 1234
    cpu 1 insns: 5678
    total insns: 6912

QEMU exits normally on PSCI SYSTEM_OFF (guest `poweroff`), on the monitor's
`quit`, and on SIGTERM, SIGINT or SIGHUP ("terminating on signal 15"): all
three print the counts. SIGKILL does not. Under `timeout CMD`, a signal sent
to timeout is passed on to QEMU. Wait for QEMU to exit before reading.

    args = qemu_args + insn_count.plugin_args(log, smp)
    ... run QEMU to its end ...
    n = insn_count.read_count(log)

Use a fresh log path per run: QEMU truncates it when it opens it, but a run
that fails before that would leave the previous run's figures in place.

Reproducible counts need more than -icount: REPRODUCIBLE_ARGS adds a fixed
real-time clock. With QEMU's default (-rtc base=utc,clock=host) the native
guest reads the host's date from the PL031, and its boot to the shell marker
then varies by a few hundred instructions run to run, and by ~7.2 million
(0.3 %) between some dates and others. A VM under Rhenium has no RTC.
A run must also end where the guest decides, not where the host does: a
`poweroff` typed at the prompt, or a signal sent once the marker is seen,
lands after a varying number of idle-loop and timer instructions (with
sleep=off an idle guest's clock jumps to its next timer, so it keeps running
as fast as the host goes).

Under -icount (and with -accel tcg,thread=single) QEMU runs all vCPUs on one
thread, and there:
  - inline=on (a counter add in the generated code instead of a helper call
    per instruction, about 3x faster: 6 s instead of 19 s to the shell
    marker with one vCPU) makes QEMU 10.0.2 crash (SIGSEGV in the generated
    code) as soon as there is more than one vCPU; with -accel tcg,thread=multi
    (no -icount) it works. plugin_args() uses it only for smp == 1 unless told;
  - the per-vCPU lines are not trustworthy: the vCPU index is compiled into
    each translated block as a constant, and blocks are shared between vCPUs,
    so an instruction is credited to the vCPU that translated its block. The
    total is exact. read_count() returns the total.

Command line:
    scripts/insn_count.py args LOGFILE SMP   the QEMU arguments, one a line
    scripts/insn_count.py read LOGFILE       the total of a finished run
    scripts/insn_count.py build              build the plugin if needed, print its path
"""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
PLUGIN = CACHE / "qemu-plugin" / "libinsn.so"
BUILD_SCRIPT = ROOT / "scripts" / "build-insn-plugin.sh"

# Deterministic guest time and instruction counts (see above). Any fixed date
# will do; it is part of what is measured, so keep it fixed.
REPRODUCIBLE_ARGS = ["-icount", "shift=0,sleep=off", "-seed", "1",
                     "-rtc", "base=2025-01-01T00:00:00,clock=vm"]

_TOTAL = re.compile(r"^total insns: (\d+)$", re.M)
_PER_CPU = re.compile(r"^cpu (\d+) insns: (\d+)$", re.M)


def build_plugin(quiet=False):
    """Run scripts/build-insn-plugin.sh (one "ok" line when nothing is to be
    done) and return the plugin's path."""
    subprocess.run([str(BUILD_SCRIPT)], check=True,
                   stdout=subprocess.DEVNULL if quiet else None)
    return PLUGIN


def plugin_args(logfile, smp, plugin=None, inline=None):
    """QEMU arguments that load the counting plugin and send its output to
    logfile. inline=None: inline=on only with one vCPU (see the module
    docstring); True or False forces it."""
    so = str(plugin or PLUGIN)
    if not os.path.isfile(so):
        raise FileNotFoundError(f"{so}: run scripts/build-insn-plugin.sh")
    if inline is None:
        inline = int(smp) == 1
    opt = so + (",inline=on" if inline else "")
    return ["-plugin", opt, "-d", "plugin", "-D", str(logfile)]


def _text(logfile):
    try:
        return pathlib.Path(logfile).read_text(errors="replace")
    except FileNotFoundError:
        raise RuntimeError(f"{logfile}: no plugin log (did QEMU start?)") from None


def read_count(logfile):
    """The total instruction count that the plugin wrote at QEMU's exit.
    RuntimeError if there is none (QEMU still running, killed by SIGKILL or
    crashed)."""
    found = _TOTAL.findall(_text(logfile))
    if not found:
        raise RuntimeError(f"{logfile}: no 'total insns:' line (QEMU did not exit normally?)")
    return int(found[-1])


def read_per_cpu(logfile):
    """{vcpu index: count} as printed; only meaningful without -icount and
    with more than one host thread (see the module docstring)."""
    return {int(c): int(n) for c, n in _PER_CPU.findall(_text(logfile))}


def main(argv):
    try:
        if len(argv) == 3 and argv[0] == "args":
            print("\n".join(plugin_args(argv[1], int(argv[2]))))
        elif len(argv) == 2 and argv[0] == "read":
            print(read_count(argv[1]))
        elif argv == ["build"]:
            print(build_plugin(quiet=True))
        else:
            sys.exit(__doc__[__doc__.index("Command line:"):].rstrip())
    except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError) as e:
        sys.exit(f"insn_count: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
