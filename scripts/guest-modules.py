#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Copy guest kernel modules and their dependencies into an initramfs tree.

    scripts/guest-modules.py --modules DIR --list FILE --out TREE
    scripts/guest-modules.py --modules DIR --print NAME...

DIR is the kernel's module directory as Debian ships it
(<cache>/guest/modules: kernel/**/*.ko.xz). There is no modules.dep and the
host has no modinfo for arm64 modules, so the dependencies are read from
each module's own `.modinfo` ELF section (`depends=a,b`), after
decompressing it with lzma, and resolved recursively: every module comes
after everything it depends on. softdep= entries are not followed (they name
aliases; list such modules explicitly).

FILE names the wanted modules, one per line (# starts a comment), in the
order they should load when no dependency says otherwise. Module names use
`_` (a file name's `-` is read as `_`, as the kernel does).

Written into TREE:
  lib/modules/<name>.ko    each module, decompressed (busybox insmod takes
                           the plain ELF file)
  lib/modules/load-order   the module names, one per line, in load order

The output depends only on the inputs (no timestamps; the caller fixes mtimes).
--print prints the load order for NAMEs instead.
"""
import argparse
import lzma
import os
import struct
import sys

PROG = "guest-modules.py"


class ModuleError(Exception):
    pass


def index_modules(moddir):
    """Module name -> path of its .ko.xz, for every module under moddir."""
    index = {}
    for dirpath, dirnames, filenames in os.walk(moddir):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(".ko.xz"):
                name = fn[: -len(".ko.xz")].replace("-", "_")
                index.setdefault(name, os.path.join(dirpath, fn))
    if not index:
        raise ModuleError(f"{moddir}: no *.ko.xz modules found (run scripts/setup.sh)")
    return index


def modinfo(image, what):
    """The key=value strings of the .modinfo section of an ELF64 LE module."""
    if len(image) < 64 or image[:6] != b"\x7fELF\x02\x01":
        raise ModuleError(f"{what}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", image, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x3A)
    if shstrndx >= shnum or shoff + shnum * shentsize > len(image):
        raise ModuleError(f"{what}: bad section header table")
    sections = []
    for i in range(shnum):
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", image, shoff + i * shentsize)
        sections.append((name, off, size))
    strtab = sections[shstrndx][1]
    for name, off, size in sections:
        end = image.index(b"\0", strtab + name)
        if image[strtab + name:end] == b".modinfo":
            raw = image[off:off + size].split(b"\0")
            return [field.decode("utf-8", "replace") for field in raw if field]
    raise ModuleError(f"{what}: no .modinfo section")


class Modules:
    def __init__(self, moddir):
        self.index = index_modules(moddir)
        self.images = {}

    def image(self, name):
        if name not in self.images:
            path = self.index.get(name)
            if path is None:
                raise ModuleError(f"module {name} not found")
            try:
                with open(path, "rb") as f:
                    self.images[name] = lzma.decompress(f.read())
            except (OSError, lzma.LZMAError) as e:
                raise ModuleError(f"{path}: {e}") from None
        return self.images[name]

    def depends(self, name):
        for field in modinfo(self.image(name), self.index[name]):
            key, _, value = field.partition("=")
            if key == "depends":
                return [d.replace("-", "_") for d in value.split(",") if d]
        return []

    def load_order(self, wanted):
        """Depth-first: dependencies first, each module once, cycles refused."""
        order, done, stack = [], set(), []

        def visit(name, needed_by):
            if name in done:
                return
            if name in stack:
                raise ModuleError("dependency cycle: " + " -> ".join(stack + [name]))
            if name not in self.index:
                by = f" (needed by {needed_by})" if needed_by else ""
                raise ModuleError(f"module {name} not found{by}")
            stack.append(name)
            for dep in self.depends(name):
                visit(dep, name)
            stack.pop()
            done.add(name)
            order.append(name)

        for name in wanted:
            visit(name.replace("-", "_"), None)
        return order


def read_list(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    return names


def write_tree(mods, order, tree):
    libdir = os.path.join(tree, "lib", "modules")
    os.makedirs(libdir, exist_ok=True)
    for name in order:
        with open(os.path.join(libdir, name + ".ko"), "wb") as f:
            f.write(mods.image(name))
    with open(os.path.join(libdir, "load-order"), "w", encoding="utf-8") as f:
        f.write("".join(name + "\n" for name in order))


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("--modules", required=True, help="module directory (kernel/**/*.ko.xz)")
    ap.add_argument("--list", help="file naming the wanted modules")
    ap.add_argument("--out", help="initramfs tree to write lib/modules/ into")
    ap.add_argument("--print", nargs="+", metavar="NAME", help="print the load order of NAMEs")
    args = ap.parse_args(argv)
    if bool(args.print) == bool(args.list or args.out) or (args.list is None) != (args.out is None):
        ap.error("give either --list FILE --out TREE, or --print NAME...")
    try:
        mods = Modules(args.modules)
        if args.print:
            print("\n".join(mods.load_order(args.print)))
        else:
            write_tree(mods, mods.load_order(read_list(args.list)), args.out)
    except (ModuleError, OSError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
