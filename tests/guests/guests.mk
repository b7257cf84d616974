# SPDX-License-Identifier: MIT
#
# Test guest artefacts, included by the top Makefile (or run alone:
# `make -f tests/guests/guests.mk guests initramfs`).
#
#   guests      build/guests/<name>.bin (arm64 Image) and .elf for every
#               tests/guests/<name>.c, linked with tests/guests/runtime/;
#               and build/guests/misbehave/<name>.bin for every
#               tests/guests/misbehave/<name>.c (misbehaving guests that are
#               not self-checking, so the guest tests do not pick them up);
#               and build/guests/virtio/<name>.bin for every
#               tests/guests/virtio/<name>.c (self-checking, but only under
#               Rhenium: they need its emulated virtio-mmio devices, which a
#               bare QEMU virt does not have, so they are not native guests)
#   initramfs   build/initramfs.cpio.gz (scripts/mkinitramfs.sh)
#
# Uses BUILD, CACHE, CROSS_COMPILE and SETUP_STAMP from the top Makefile when
# it includes this file; the defaults below are for running it alone.

BUILD ?= build
CACHE ?= $(CURDIR)/.cache
CROSS_COMPILE ?= aarch64-linux-gnu-

GUESTS_DIR := tests/guests
GUEST_BUILD := $(BUILD)/guests
GUEST_CC := $(CROSS_COMPILE)gcc
GUEST_LD := $(CROSS_COMPILE)ld
GUEST_OBJCOPY := $(CROSS_COMPILE)objcopy

GUEST_NAMES := $(sort $(basename $(notdir $(wildcard $(GUESTS_DIR)/*.c))))
GUEST_RUNTIME_SRCS := $(sort $(wildcard $(GUESTS_DIR)/runtime/*.c $(GUESTS_DIR)/runtime/*.S))
GUEST_RUNTIME_OBJS := $(patsubst $(GUESTS_DIR)/runtime/%,$(GUEST_BUILD)/runtime/%.o,$(GUEST_RUNTIME_SRCS))
# Subpaths work with the pattern rules below: misbehave/spin.c ->
# obj/misbehave/spin.o -> misbehave/spin.elf -> misbehave/spin.bin.
MISBEHAVE_NAMES := $(sort $(basename $(notdir $(wildcard $(GUESTS_DIR)/misbehave/*.c))))
VIRTIO_GUEST_NAMES := $(sort $(basename $(notdir $(wildcard $(GUESTS_DIR)/virtio/*.c))))
BENCH_GUEST_NAMES := $(sort $(basename $(notdir $(wildcard $(GUESTS_DIR)/bench/*.c))))
GUEST_NAMES_ALL := $(GUEST_NAMES) $(MISBEHAVE_NAMES:%=misbehave/%) $(VIRTIO_GUEST_NAMES:%=virtio/%) \
	$(BENCH_GUEST_NAMES:%=bench/%)
GUEST_BINS := $(GUEST_NAMES_ALL:%=$(GUEST_BUILD)/%.bin)

# Freestanding EL1 code with the MMU off: no FP/SIMD, strict alignment
# (memory is Device), position independent (start.S relocates), and no
# loop-to-memset rewriting inside our own memset.
GUEST_CFLAGS := -std=c11 -ffreestanding -nostdlib -fpie -fvisibility=hidden -fno-plt \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -mbranch-protection=none \
	-fno-stack-protector -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns \
	-ffunction-sections -fdata-sections -O2 -g \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wundef -Wvla -I$(GUESTS_DIR)/runtime -MMD -MP
GUEST_ASFLAGS := -g -I$(GUESTS_DIR)/runtime -MMD -MP -D__ASSEMBLY__
GUEST_LDFLAGS := -pie --no-dynamic-linker -z norelro -z noexecstack -z max-page-size=4096 \
	--gc-sections -T $(GUESTS_DIR)/runtime/guest.ld

.PHONY: guests initramfs
guests: $(GUEST_BINS)

$(GUEST_BUILD)/runtime/%.c.o: $(GUESTS_DIR)/runtime/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/runtime/%.S.o: $(GUESTS_DIR)/runtime/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_BUILD)/obj/%.o: $(GUESTS_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/%.elf: $(GUEST_BUILD)/obj/%.o $(GUEST_RUNTIME_OBJS) $(GUESTS_DIR)/runtime/guest.ld
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
	@CROSS_COMPILE=$(CROSS_COMPILE) scripts/check-image.sh $@

$(GUEST_BUILD)/%.bin: $(GUEST_BUILD)/%.elf
	@echo "  OBJCOPY $@"
	@$(GUEST_OBJCOPY) -O binary $< $@

.SECONDARY: $(GUEST_RUNTIME_OBJS) $(GUEST_NAMES_ALL:%=$(GUEST_BUILD)/obj/%.o) \
	$(GUEST_NAMES_ALL:%=$(GUEST_BUILD)/%.elf)

# ---------------------------------------------------------------- initramfs
INITRAMFS := $(BUILD)/initramfs.cpio.gz
INITRAMFS_INPUTS := scripts/mkinitramfs.sh scripts/guest-modules.py $(shell find guest/initramfs -type f 2>/dev/null)

initramfs: $(INITRAMFS)

# The busybox binary comes from setup (SETUP_STAMP when included by the top
# Makefile); the script says what to run if it is missing.
$(INITRAMFS): $(INITRAMFS_INPUTS) $(wildcard $(CACHE)/guest/busybox) | $(SETUP_STAMP)
	@RHENIUM_CACHE=$(CACHE) CROSS_COMPILE=$(CROSS_COMPILE) scripts/mkinitramfs.sh $@

-include $(GUEST_RUNTIME_OBJS:.o=.d) $(GUEST_NAMES_ALL:%=$(GUEST_BUILD)/obj/%.d)
