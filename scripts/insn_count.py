#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Count guest instructions with TCG plugins built for the installed QEMU
(stdlib only).

scripts/build-insn-plugin.sh builds two plugins into <cache>/qemu-plugin/:

libmarker.so  ours (scripts/qemu-plugins/marker.c): counts to a marker.
    Counts every instruction of every vCPU at every exception level (under a
    hypervisor: its own code and the guest's together) and logs the total at
    the moment the marker string has been stored to the UART's data register
    (PL011 DR at PA 0x09000000 on QEMU virt). The boot section of `make bench`
    uses it: natively, under Rhenium (whose PL011 emulation writes to the
    real one) and under Xen (which writes dom0's hvc0 output to its UART) the
    marker reaches that register, so all three stop at the same point of the
    guest's boot. With exit=on it ends QEMU there. Log (-d plugin -D LOG):

        marker insns: 2197596151
        total insns: 2197596151

    Counting modes (count=inline|segment|insn) give identical totals; the
    default is the fastest that works: inline with one vCPU, segment with
    several (see marker.c for why inline crashes QEMU 10.0 under -icount
    with more than one vCPU).

    args = qemu_args + insn_count.marker_args(log)
    ... run QEMU until it exits at the marker ...
    n = insn_count.read_marker(log)

libinsn.so  QEMU's own (tests/tcg/plugins/insn.c). Counts until QEMU exits
    and prints only then, into the -D log file:

        cpu 0 insns: 1234
        cpu 1 insns: 5678
        total insns: 6912

    QEMU exits normally on PSCI SYSTEM_OFF (guest `poweroff`), on the
    monitor's `quit`, and on SIGTERM, SIGINT or SIGHUP ("terminating on
    signal 15"): all three print the counts. SIGKILL does not. Under
    `timeout CMD`, a signal sent to timeout is passed on to QEMU. But a run
    that ends where the host decides (a `poweroff` typed at the prompt, a
    signal sent once the marker is seen) lands after a varying number of
    idle-loop and timer instructions (with sleep=off an idle guest's clock
    jumps to its next timer, so it keeps running as fast as the host goes):
    totals to a typed poweroff differ run to run by up to 1.5 M. That is
    what libmarker.so is for.

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
Loading a plugin does not change guest time: the guest's counter reads the
same with and without one.

Under -icount (and with -accel tcg,thread=single) QEMU runs all vCPUs on one
thread, and there:
  - inline=on (libinsn.so) or count=inline (libmarker.so), a counter add in
    the generated code instead of a helper call per instruction, makes QEMU
    10.0.2 crash (SIGSEGV in the generated code) as soon as there is more
    than one vCPU: the counter's address is computed from the translating
    vCPU's index as a TCG constant, scaled in place (see marker.c); with
    -accel tcg,thread=multi (no -icount) it works. plugin_args() uses it only
    for smp == 1 unless told, libmarker.so by default only with one vCPU;
  - the per-vCPU lines are not trustworthy: the vCPU index is compiled into
    each translated block as a constant, and blocks are shared between vCPUs,
    so an instruction is credited to the vCPU that translated its block. The
    total is exact. read_count() returns the total.

Command line:
    scripts/insn_count.py marker-args LOGFILE   libmarker.so's QEMU arguments, one a line
    scripts/insn_count.py read-marker LOGFILE   the count at the marker of a finished run
    scripts/insn_count.py args LOGFILE SMP      libinsn.so's QEMU arguments, one a line
    scripts/insn_count.py read LOGFILE          libinsn.so's total of a finished run
    scripts/insn_count.py build                 build both if needed, print libmarker.so's path
"""
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("RHENIUM_CACHE", ROOT / ".cache"))
PLUGIN = CACHE / "qemu-plugin" / "libinsn.so"
MARKER_PLUGIN = CACHE / "qemu-plugin" / "libmarker.so"
MARKER = "RHENIUM-GUEST-READY"
UART_DR = 0x09000000  # the PL011's data register on QEMU virt
BUILD_SCRIPT = ROOT / "scripts" / "build-insn-plugin.sh"

# Deterministic guest time and instruction counts (see above). Any fixed date
# will do; it is part of what is measured, so keep it fixed.
REPRODUCIBLE_ARGS = ["-icount", "shift=0,sleep=off", "-seed", "1",
                     "-rtc", "base=2025-01-01T00:00:00,clock=vm"]

_TOTAL = re.compile(r"^total insns: (\d+)$", re.M)
_PER_CPU = re.compile(r"^cpu (\d+) insns: (\d+)$", re.M)
_MARKER = re.compile(r"^marker insns: (\d+)$", re.M)


def build_plugin(quiet=False):
    """Run scripts/build-insn-plugin.sh (an "ok" line per plugin when nothing
    is to be done; on stderr, so that a caller's stdout stays its own) and
    return libmarker.so's path."""
    subprocess.run([str(BUILD_SCRIPT)], check=True,
                   stdout=subprocess.DEVNULL if quiet else sys.stderr)
    return MARKER_PLUGIN


def marker_args(logfile=None, exit_at_marker=True, count=None, marker=MARKER, uart=UART_DR,
                plugin=None):
    """QEMU arguments that load libmarker.so. Its lines go to logfile (-D), or,
    with logfile None, to whatever -D the command line already has (e.g. a
    trace log: QEMU has one log file). exit_at_marker ends QEMU there; count
    None lets the plugin choose (see the module docstring)."""
    so = str(plugin or MARKER_PLUGIN)
    if not os.path.isfile(so):
        raise FileNotFoundError(f"{so}: run scripts/build-insn-plugin.sh")
    if "," in marker or "," in so:
        raise ValueError("QEMU's -plugin option cannot take a comma in a value")
    opt = f"{so},marker={marker},uart=0x{uart:x},exit={'on' if exit_at_marker else 'off'}"
    if count:
        opt += f",count={count}"
    return ["-plugin", opt, "-d", "plugin"] + (["-D", str(logfile)] if logfile else [])


def read_marker(logfile):
    """The instruction count at the marker. RuntimeError if the plugin did
    not see the marker (QEMU ended before it, or the marker never reached the
    UART's data register)."""
    found = _MARKER.findall(_text(logfile))
    if not found:
        raise RuntimeError(f"{logfile}: no 'marker insns:' line (QEMU ended before the marker?)")
    return int(found[-1])


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
        if len(argv) == 2 and argv[0] == "marker-args":
            print("\n".join(marker_args(argv[1])))
        elif len(argv) == 2 and argv[0] == "read-marker":
            print(read_marker(argv[1]))
        elif len(argv) == 3 and argv[0] == "args":
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
