# SPDX-License-Identifier: MIT
#
# Rhenium's one build front end (plain GNU make, no generated build system).
#
#   make            build build/rhenium.elf and build/rhenium.bin
#   make run        boot it on QEMU virt with the default Linux VM (see RUN_VM below)
#   make test       host unit tests, fuzz and bench smoke runs, QEMU system tests
#   make bench      performance beside its baseline (Markdown tables, build/bench/results.json, micro.png)
#   make lint       clang-format check, cppcheck, shellcheck
#   make coverage   line coverage of the host-tested generic code
#   make fuzz       libFuzzer on the device-tree reader and the virtio devices (FUZZ_SECONDS)
#   make debug      QEMU paused with a gdbstub; prints the gdb command
#   make clean
#
# Everything a fresh machine lacks is installed by scripts/setup.sh, which the
# targets that need tools run first (idempotent, one line per step).

BUILD ?= build
CACHE ?= $(CURDIR)/.cache
CROSS_COMPILE ?= aarch64-linux-gnu-
QEMU ?= qemu-system-aarch64
PYTHON ?= /usr/bin/python3
SMP ?= 4
FUZZ_SECONDS ?= 60

CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
HOST_CC ?= gcc
FUZZ_CC ?= clang

VERSION := $(shell cat VERSION)
GIT_REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# ---------------------------------------------------------------- sources
ARCH := aarch64
GENERIC_SRCS := $(wildcard core/*.c) $(wildcard lib/*.c) $(wildcard vdev/*.c)
ARCH_SRCS := $(wildcard arch/$(ARCH)/*.c) $(wildcard arch/$(ARCH)/*.S)
# Drivers of hardware Rhenium owns; on the host arch/fake stands in for them (fake_disk.c).
DRIVER_SRCS := $(wildcard drivers/*.c)
# Generic code that only makes sense on the hardware (boot orchestration).
HOST_EXCLUDE := core/boot.c
HOST_SRCS := $(filter-out $(HOST_EXCLUDE),$(GENERIC_SRCS)) $(wildcard arch/fake/*.c)
UNIT_SRCS := $(wildcard tests/unit/*.c)
DTS_FIXTURES := $(patsubst tests/dts/%.dts,$(BUILD)/fixtures/%.dtb,$(wildcard tests/dts/*.dts))
QEMU_FIXTURES := $(BUILD)/fixtures/qemu-virt-smp1.dtb $(BUILD)/fixtures/qemu-virt-smp4.dtb \
	$(BUILD)/fixtures/qemu-virt-secure.dtb

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wundef -Wvla
INCLUDES := -Iinclude -Iarch/$(ARCH)/include

# Freestanding, position independent (entry.S applies its own relocations),
# no FP/SIMD (guest state we must not clobber), strict alignment (runs with
# the MMU off at first, where memory is Device and unaligned accesses fault).
TARGET_CFLAGS := -std=c11 -ffreestanding -nostdlib -fpie -fvisibility=hidden \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -mbranch-protection=none \
	-fno-stack-protector -fno-omit-frame-pointer -ffunction-sections -fdata-sections \
	-fno-tree-loop-distribute-patterns -O2 -g $(WARNINGS) $(INCLUDES) -MMD -MP \
	-DRHENIUM_VERSION='"$(VERSION)"' -DRHENIUM_GIT_REV='"$(GIT_REV)"'
TARGET_ASFLAGS := -g $(INCLUDES) -MMD -MP -D__ASSEMBLY__
TARGET_LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack -z max-page-size=4096 \
	--gc-sections -T arch/$(ARCH)/image.ld

HOST_CFLAGS := -std=c11 -g -O1 -DRHENIUM_HOST $(WARNINGS) -Wno-missing-prototypes -Iarch/fake \
	-Iinclude -Itests/unit -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

TARGET_OBJS := $(patsubst %,$(BUILD)/target/%.o,$(ARCH_SRCS) $(DRIVER_SRCS) $(GENERIC_SRCS))

.PHONY: all run test unit system-test lint coverage fuzz fuzz-smoke debug clean setup \
	format help tfa debug-command boot-cost bench bench-smoke
all: $(BUILD)/rhenium.bin

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------- setup
SETUP_STAMP := $(CACHE)/setup.stamp
$(SETUP_STAMP): scripts/setup.sh
	@RHENIUM_CACHE=$(CACHE) bash scripts/setup.sh

setup:
	@RHENIUM_CACHE=$(CACHE) bash scripts/setup.sh

# ---------------------------------------------------------------- image
$(BUILD)/target/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(TARGET_CFLAGS) -c $< -o $@

$(BUILD)/target/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(TARGET_ASFLAGS) -c $< -o $@

# Changed compiler or linker flags rebuild everything (the revision is left
# out: only its user below needs rebuilding when HEAD moves).
TARGET_FLAGS_SIG := $(subst ',,$(filter-out -DRHENIUM_GIT_REV=%,$(TARGET_CFLAGS)) | \
	$(TARGET_ASFLAGS) | $(TARGET_LDFLAGS))
$(TARGET_OBJS): $(BUILD)/target/flags
$(BUILD)/target/flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(TARGET_FLAGS_SIG)' | cmp -s - $@ || echo '$(TARGET_FLAGS_SIG)' > $@

# The revision is baked into the banner: rebuild its user when HEAD moves.
$(BUILD)/target/core/boot.c.o: $(BUILD)/git-rev
$(BUILD)/git-rev: FORCE
	@mkdir -p $(BUILD)
	@echo '$(GIT_REV)' | cmp -s - $@ || echo '$(GIT_REV)' > $@

$(BUILD)/rhenium.elf: $(TARGET_OBJS) arch/$(ARCH)/image.ld
	@echo "  LD      $@"
	@$(LD) $(TARGET_LDFLAGS) -o $@ $(TARGET_OBJS)
	@scripts/check-image.sh $@

$(BUILD)/rhenium.bin: $(BUILD)/rhenium.elf
	@echo "  OBJCOPY $@"
	@$(OBJCOPY) -O binary $< $@

TFA_BIOS := $(CACHE)/tfa/qemu_fw.bios
tfa: $(SETUP_STAMP)
	@RHENIUM_CACHE=$(CACHE) bash scripts/build-tfa.sh

# ---------------------------------------------------------------- run / debug
QEMU_MACHINE := -M virt,gic-version=3,virtualization=on -cpu max -m $(HOST_MEM) -smp $(SMP)

# The default VM: Debian's arm64 kernel with the busybox initramfs. Override any of these.
KERNEL ?= $(CACHE)/guest/Image
INITRD ?= $(BUILD)/initramfs.cpio.gz
BOOTARGS ?= console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init
MEM ?= 512M
VCPUS ?= 1
HOST_MEM ?= 2G
HYP_ARGS ?=
# The physical disk's image, which the VMs' disk regions are parts of: created sparse
# if absent, kept between runs. The default VM has DEVICES and virtio-blk on the first
# DISK_SIZE of it (DISK= for a default VM without a disk).
DISK ?= $(BUILD)/disk.img
DISK_SIZE ?= 256M
DEVICES ?= pl011,virtio-console,virtio-net
RUN_VM = scripts/run-vm.sh --image $(BUILD)/rhenium.bin --kernel $(KERNEL) \
	$(if $(INITRD),--initrd $(INITRD)) --bootargs "$(BOOTARGS)" --guest-mem $(MEM) \
	--vcpus $(VCPUS) --smp $(SMP) --mem $(HOST_MEM) --workdir $(BUILD)/run \
	--devices "$(DEVICES)" $(if $(DISK),--disk $(DISK) --disk-size $(DISK_SIZE)) \
	$(if $(HYP_ARGS),--hyp-args "$(HYP_ARGS)")

# Or the VMs of a manifest (docs/manifest.md): make run MANIFEST=manifests/two-linux.dts
MANIFEST ?=
RUN_MANIFEST = $(PYTHON) scripts/run-manifest.py --image $(BUILD)/rhenium.bin --smp $(SMP) \
	--mem $(HOST_MEM) --workdir $(BUILD)/run --build $(BUILD) --cache $(CACHE) \
	$(if $(DISK),--disk $(DISK)) $(if $(HYP_ARGS),--hyp-args "$(HYP_ARGS)") $(MANIFEST)
RUN = $(if $(MANIFEST),$(RUN_MANIFEST),$(RUN_VM))
RUN_NEEDS_INITRAMFS = $(if $(or $(MANIFEST),$(filter $(BUILD)/initramfs.cpio.gz,$(INITRD))),initramfs)

run: $(SETUP_STAMP) $(BUILD)/rhenium.bin $(RUN_NEEDS_INITRAMFS) guests
	@echo "Rhenium on QEMU virt ($(SMP) CPUs, $(HOST_MEM)) with $(if $(MANIFEST),the VMs of $(MANIFEST),one VM ($(VCPUS) vCPU, $(MEM)))."
	@echo "Guest console on this terminal; Ctrl-] for Rhenium's monitor; 'poweroff' in the last guest ends QEMU; Ctrl-A x kills it."
	@$(RUN)

GDB_PORT ?= 1234
# Rhenium is loaded by QEMU at RAM base + 2 MiB; its symbols are linked at 0.
DEBUG_LOAD_ADDR ?= 0x40200000
GDB_COMMAND = gdb-multiarch -q -ex 'set confirm off' \
	-ex 'add-symbol-file $(CURDIR)/$(BUILD)/rhenium.elf -o $(DEBUG_LOAD_ADDR)' \
	-ex 'target remote :$(GDB_PORT)'
debug: $(SETUP_STAMP) $(BUILD)/rhenium.bin $(RUN_NEEDS_INITRAMFS)
	@echo "QEMU is paused at reset with its gdbstub on port $(GDB_PORT). In another terminal run:"
	@echo
	@echo "  $(GDB_COMMAND)"
	@echo
	@$(RUN) -- -S -gdb tcp::$(GDB_PORT)

# The same command alone, for scripts and tests.
debug-command:
	@echo "$(GDB_COMMAND)"

# ---------------------------------------------------------------- host tests
$(BUILD)/fixtures/%.dtb: tests/dts/%.dts
	@mkdir -p $(dir $@)
	@dtc -q -I dts -O dtb -o $@ $<

$(BUILD)/fixtures/qemu-virt-smp%.dtb: $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@$(QEMU) -M virt,gic-version=3,virtualization=on,dumpdtb=$@ -cpu max -m 1G -smp $* \
		-display none >/dev/null

$(BUILD)/fixtures/qemu-virt-secure.dtb: $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@$(QEMU) -M virt,gic-version=3,virtualization=on,secure=on,dumpdtb=$@ -cpu max -m 1G \
		-display none >/dev/null

$(BUILD)/host/unit-tests: $(HOST_SRCS) $(UNIT_SRCS) $(wildcard include/rhenium/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(HOST_CFLAGS) $(SAN_FLAGS) $(HOST_SRCS) $(UNIT_SRCS) -o $@

unit: $(BUILD)/host/unit-tests $(DTS_FIXTURES) $(QEMU_FIXTURES)
	@$(BUILD)/host/unit-tests --fixtures $(BUILD)/fixtures

# ---------------------------------------------------------------- system tests
system-test: $(SETUP_STAMP) $(BUILD)/rhenium.bin tfa guests initramfs
	@cd tests/system && RHENIUM_BUILD=$(CURDIR)/$(BUILD) RHENIUM_CACHE=$(CACHE) \
		$(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: $(SETUP_STAMP)
	@$(MAKE) --no-print-directory all guests initramfs
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory system-test
	@$(MAKE) --no-print-directory bench-smoke

# Performance, each figure beside its baseline from the same run (scripts/bench.py): a
# Markdown table and build/bench/results.json. bench-smoke runs each benchmark once,
# briefly, inside `make test`, so the benchmarks never rot; nothing asserts a timing.
# Xen 4.20, the peer in the boot section, comes from Debian (scripts/fetch-xen.sh, cached).
bench: $(SETUP_STAMP) $(BUILD)/rhenium.bin initramfs guests
	@RHENIUM_CACHE=$(CACHE) bash scripts/fetch-xen.sh
	@$(PYTHON) scripts/bench.py

bench-smoke: $(SETUP_STAMP) $(BUILD)/rhenium.bin initramfs guests
	@RHENIUM_CACHE=$(CACHE) bash scripts/fetch-xen.sh
	@$(PYTHON) scripts/bench.py --smoke --json $(BUILD)/bench/smoke.json

# Only the deterministic (icount) boot-to-shell cost: native, under Rhenium, under Xen.
boot-cost: $(SETUP_STAMP) $(BUILD)/rhenium.bin initramfs
	@RHENIUM_CACHE=$(CACHE) bash scripts/fetch-xen.sh
	@$(PYTHON) scripts/bench.py --only boot --json $(BUILD)/bench/boot.json

# ---------------------------------------------------------------- fuzzing
FUZZ_SRCS := $(filter-out $(HOST_EXCLUDE),$(GENERIC_SRCS)) $(wildcard arch/fake/*.c)
FUZZ_TARGETS := fdt virtio
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) -std=c11 -g -O1 -DRHENIUM_HOST -Iinclude -Iarch/fake -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $^ -o $@

# Each target for FUZZ_SECONDS: the device-tree reader, then the guest-facing virtio devices.
fuzz: $(SETUP_STAMP) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%) $(DTS_FIXTURES)
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus-virtio
	$(BUILD)/fuzz/fuzz_fdt -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-dict=tests/fuzz/fdt.dict $(BUILD)/fuzz/corpus tests/fuzz/corpus/fdt
	$(BUILD)/fuzz/fuzz_virtio -max_total_time=$(FUZZ_SECONDS) -max_len=4104 \
		$(BUILD)/fuzz/corpus-virtio

# A short run inside `make test` so the target never rots.
# The log is kept whole, the summary shown; a build error or a crash still fails the target.
fuzz-smoke:
	@mkdir -p $(BUILD)/fuzz
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10 > $(BUILD)/fuzz/smoke.log 2>&1; \
		status=$$?; grep -h '^Done' $(BUILD)/fuzz/smoke.log; \
		[ $$status -eq 0 ] || tail -n 40 $(BUILD)/fuzz/smoke.log; exit $$status

# ---------------------------------------------------------------- quality
C_FILES = $(shell git ls-files '*.c' '*.h')
lint: $(SETUP_STAMP)
	@echo "  FORMAT  clang-format --dry-run"
	@clang-format --dry-run --Werror $(C_FILES)
	@echo "  CPPCHECK"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --std=c11 -Iinclude -Iarch/$(ARCH)/include -DRHENIUM_HOST \
		--suppress=missingIncludeSystem core lib vdev arch drivers tests/unit
	@echo "  SHELLCHECK"
	@shellcheck -x scripts/*.sh .ci/run
	@echo "lint: ok"

format:
	@clang-format -i $(C_FILES)

COV_DIR := $(BUILD)/coverage
coverage: $(SETUP_STAMP) $(DTS_FIXTURES) $(QEMU_FIXTURES)
	@mkdir -p $(COV_DIR)
	@$(HOST_CC) $(HOST_CFLAGS) --coverage -O0 $(HOST_SRCS) $(UNIT_SRCS) -o $(COV_DIR)/unit-tests
	@rm -f $(COV_DIR)/*.gcda
	@cd $(COV_DIR) && ./unit-tests --fixtures $(CURDIR)/$(BUILD)/fixtures >/dev/null
	@lcov -q --capture --directory $(COV_DIR) --output-file $(COV_DIR)/all.info 2>/dev/null
	@lcov -q --extract $(COV_DIR)/all.info '$(CURDIR)/core/*' '$(CURDIR)/lib/*' '$(CURDIR)/vdev/*' \
		--output-file $(COV_DIR)/coverage.info
	@lcov --list $(COV_DIR)/coverage.info
	@genhtml -q $(COV_DIR)/coverage.info --output-directory $(COV_DIR)/html
	@echo "HTML report: $(COV_DIR)/html/index.html"

clean:
	rm -rf $(BUILD)

include tests/guests/guests.mk

FORCE:
-include $(TARGET_OBJS:.o=.d)
