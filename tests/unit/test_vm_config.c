/* SPDX-License-Identifier: MIT */
/*
 * The VM manifest validator (core/vm_config.c): tests/dts/vm-config.dts and
 * vm-manifest.dts are good; every bad-vm-*.dts breaks one rule and must be
 * rejected with the exact message naming the node and property.
 */
#include <stdlib.h>
#include <string.h>

#include <rhenium/vm_config.h>

#include "fdt_test_util.h"
#include "test.h"

/* Host RAM and CPUs as on QEMU virt with -m 2G -smp 4. */
static void two_gig_platform(struct platform_info *plat)
{
	memset(plat, 0, sizeof(*plat));
	plat->mem[0] = (struct mem_range){ 0x40000000, 0x80000000 };
	plat->mem_count = 1;
	plat->cpu_count = 4;
}

TEST(vm_config_reads_every_property_and_skips_others)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count = 99;
	char err[160] = "";
	size_t len;
	uint8_t *dtb = load_fixture("vm-config.dtb", &len);

	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	REQUIRE(vm_config_parse(dtb, len, &plat, cfgs, &count, err, sizeof(err)) == 0);
	REQUIRE(count == 2);
	CHECK(strcmp(cfgs[0].name, "vm@0") == 0);
	CHECK_EQ(cfgs[0].kernel.pa, 0xb0000000);
	CHECK_EQ(cfgs[0].kernel.size, 0x2f8a200);
	CHECK_EQ(cfgs[0].initrd.pa, 0xb8000000);
	CHECK_EQ(cfgs[0].initrd.size, 0x1a0000);
	CHECK(strcmp(cfgs[0].bootargs, "console=ttyAMA0 rdinit=/init") == 0);
	CHECK_EQ(cfgs[0].mem_size, 0x20000000);
	CHECK_EQ(cfgs[0].vcpus, 2);
	/* Defaults. */
	CHECK_EQ(cfgs[0].cpu_affinity[0], 0);
	CHECK_EQ(cfgs[0].cpu_affinity[1], 1);
	CHECK_EQ(cfgs[0].devices, VM_DEVICE_PL011);
	CHECK_EQ(cfgs[0].disk_size, 0);
	CHECK(!cfgs[0].autostart);
	CHECK(strcmp(cfgs[1].name, "vm@1") == 0);
	CHECK_EQ(cfgs[1].initrd.size, 0);
	CHECK_EQ(cfgs[1].mem_size, VM_CONFIG_DEFAULT_MEM);
	CHECK_EQ(cfgs[1].vcpus, 1);
	CHECK_EQ(cfgs[1].cpu_affinity[0], 0);
	CHECK(cfgs[1].bootargs[0] == '\0');
	CHECK_EQ(cfgs[1].devices, VM_DEVICES_DEFAULT);
	CHECK(!cfgs[1].autostart);
	free(dtb);
}

TEST(vm_config_reads_a_multi_vm_manifest)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count = 99;
	char err[160] = "";
	size_t len;
	uint8_t *dtb = load_fixture("vm-manifest.dtb", &len);

	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	if (vm_config_parse(dtb, len, &plat, cfgs, &count, err, sizeof(err)) != 0)
		fprintf(stderr, "  %s\n", err);
	REQUIRE(count == 3);
	CHECK(strcmp(cfgs[0].name, "linux-a") == 0);
	CHECK_EQ(cfgs[0].mem_size, 256u << 20); /* one cell */
	CHECK_EQ(cfgs[0].vcpus, 1);
	CHECK_EQ(cfgs[0].cpu_affinity[0], 0);
	CHECK_EQ(cfgs[0].devices, VM_DEVICE_PL011);
	CHECK(cfgs[0].autostart);

	CHECK(strcmp(cfgs[1].name, "linux-b") == 0);
	CHECK_EQ(cfgs[1].kernel.pa, 0xb2000000);
	CHECK_EQ(cfgs[1].vcpus, 3);
	CHECK_EQ(cfgs[1].cpu_affinity[0], 1);
	CHECK_EQ(cfgs[1].cpu_affinity[1], 3);
	CHECK_EQ(cfgs[1].cpu_affinity[2], 1);
	CHECK_EQ(cfgs[1].devices, VM_DEVICE_PL011 | VM_DEVICE_VIRTIO_CONSOLE |
					  VM_DEVICE_VIRTIO_BLK | VM_DEVICE_VIRTIO_NET);
	CHECK_EQ(cfgs[1].disk_offset, 0);
	CHECK_EQ(cfgs[1].disk_size, 0x10000000);
	CHECK(cfgs[1].autostart);

	/* No unit address, status "okay", a phandle, 6 vCPUs on 4 CPUs, no devices. */
	CHECK(strcmp(cfgs[2].name, "spare") == 0);
	CHECK_EQ(cfgs[2].vcpus, 6);
	for (unsigned int i = 0; i < 6; i++)
		CHECK_EQ(cfgs[2].cpu_affinity[i], i % 4);
	CHECK_EQ(cfgs[2].devices, 0);
	CHECK(!cfgs[2].autostart);
	free(dtb);
}

TEST(vm_config_reads_disk_regions)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count = 99;
	char err[160] = "";
	size_t len;
	uint8_t *dtb = load_fixture("vm-disk.dtb", &len);

	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	if (vm_config_parse(dtb, len, &plat, cfgs, &count, err, sizeof(err)) != 0)
		fprintf(stderr, "  %s\n", err);
	REQUIRE(count == 4);
	CHECK_EQ(cfgs[0].devices, VM_DEVICE_VIRTIO_BLK);
	CHECK_EQ(cfgs[0].disk_offset, 0);
	CHECK_EQ(cfgs[0].disk_size, 0x8000000);
	CHECK_EQ(cfgs[1].disk_offset, 0);
	CHECK_EQ(cfgs[1].disk_size, 0);
	/* Adjacent to vm@0's region, one sector long. */
	CHECK_EQ(cfgs[2].disk_offset, 0x8000000);
	CHECK_EQ(cfgs[2].disk_size, 0x200);
	CHECK_EQ(cfgs[3].devices, VM_DEVICE_VIRTIO_NET | VM_DEVICE_VIRTIO_BLK);
	CHECK_EQ(cfgs[3].disk_offset, 0x1fffffe00ULL);
	CHECK_EQ(cfgs[3].disk_size, 0x100000000ULL);
	free(dtb);
}

TEST(vm_config_names_devices)
{
	CHECK(strcmp(vm_device_name(VM_DEVICE_PL011), "pl011") == 0);
	CHECK(strcmp(vm_device_name(VM_DEVICE_VIRTIO_CONSOLE), "virtio-console") == 0);
	CHECK(strcmp(vm_device_name(VM_DEVICE_VIRTIO_BLK), "virtio-blk") == 0);
	CHECK(strcmp(vm_device_name(VM_DEVICE_VIRTIO_NET), "virtio-net") == 0);
	CHECK(vm_device_name(0) == NULL);
	CHECK(vm_device_name(VM_DEVICE_PL011 | VM_DEVICE_VIRTIO_NET) == NULL);
}

static void expect_error_on(const struct platform_info *plat,
			    const struct vm_config_host_range *used, unsigned int used_count,
			    const char *fixture, const char *message)
{
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count = 99;
	char err[160] = "";
	size_t len;
	uint8_t *dtb = load_fixture(fixture, &len);

	REQUIRE(dtb != NULL);
	CHECK(vm_config_parse_host(dtb, len, plat, used, used_count, cfgs, &count, err,
				   sizeof(err)) != 0);
	CHECK_EQ(count, 0);
	if (strcmp(err, message) != 0) {
		fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", fixture, err, message);
		CHECK(strcmp(err, message) == 0);
	}
	free(dtb);
}

static void expect_error(const char *fixture, const char *message)
{
	struct platform_info plat;

	two_gig_platform(&plat);
	expect_error_on(&plat, NULL, 0, fixture, message);
}

TEST(vm_config_rejects_bad_nodes_by_name_and_property)
{
	expect_error("bad-vm-kernel-missing.dtb", "/chosen/vm@0: rhenium,kernel: missing");
	expect_error("bad-vm-kernel-outside.dtb",
		     "/chosen/vm@0: rhenium,kernel: image is not inside host RAM");
	expect_error("bad-vm-kernel-size0.dtb", "/chosen/vm@0: rhenium,kernel: size is zero");
	expect_error("bad-vm-kernel-short.dtb",
		     "/chosen/vm@0: rhenium,kernel: must be two 64-bit cells <address size>");
	expect_error("bad-vm-mem-odd.dtb",
		     "/chosen/vm@0: memory-size: must be a multiple of 2 MiB, at least 2 MiB");
	expect_error("bad-vm-vcpus-9.dtb", "/chosen/vm@0: vcpus: must be 1 to 8");
	expect_error("bad-vm-bootargs-bin.dtb", "/chosen/vm@0: bootargs: not a string");
	expect_error("bad-vm-initrd-straddle.dtb",
		     "/chosen/vm@0: rhenium,initrd: image is not inside host RAM");
	expect_error("bad-vm-too-many.dtb", "/chosen/vm@4: compatible: more than 4 VMs configured");
}

TEST(vm_config_rejects_unknown_properties)
{
	expect_error("bad-vm-unknown-prop.dtb", "/chosen/vm@1: foo: unknown property");
	/* A manifest source used as a boot DTB: its file names mean nothing to Rhenium. */
	expect_error("bad-vm-manifest-source.dtb", "/chosen/vm@0: kernel-file: unknown property");
}

TEST(vm_config_rejects_bad_names)
{
	expect_error("bad-vm-name-dup.dtb",
		     "/chosen/vm@1: rhenium,name: \"linux-a\" is already the name of vm@0");
	expect_error("bad-vm-name-dup-default.dtb",
		     "/chosen/vm@1: rhenium,name: \"linux-a\" is already the name of linux-a");
	expect_error("bad-vm-name-chars.dtb",
		     "/chosen/vm@0: rhenium,name: only letters, digits, '-' and '_' are allowed");
	expect_error("bad-vm-name-long.dtb",
		     "/chosen/vm@0: rhenium,name: must be 1 to 31 characters");
	expect_error("bad-vm-name-empty.dtb",
		     "/chosen/vm@0: rhenium,name: must be 1 to 31 characters");
	expect_error("bad-vm-name-bin.dtb", "/chosen/vm@0: rhenium,name: not a string");
}

TEST(vm_config_rejects_bad_cpus_devices_and_autostart)
{
	expect_error("bad-vm-cpus-count.dtb",
		     "/chosen/vm@0: cpus: 1 CPU(s) for 2 vCPU(s): one per vCPU");
	expect_error("bad-vm-cpus-range.dtb",
		     "/chosen/vm@0: cpus: CPU 4 does not exist (the platform has CPUs 0-3)");
	expect_error("bad-vm-cpus-cells.dtb", "/chosen/vm@0: cpus: must be one cell per vCPU");
	expect_error("bad-vm-devices-unknown.dtb",
		     "/chosen/vm@0: devices: unknown device \"e1000\" (known: pl011, "
		     "virtio-console, virtio-blk, virtio-net)");
	expect_error("bad-vm-devices-dup.dtb",
		     "/chosen/vm@0: devices: \"virtio-blk\" listed twice");
	expect_error("bad-vm-devices-bin.dtb", "/chosen/vm@0: devices: not a list of strings");
	expect_error("bad-vm-autostart-value.dtb",
		     "/chosen/vm@0: autostart: takes no value (present: start at boot)");
}

TEST(vm_config_rejects_overlapping_images)
{
	struct platform_info plat;
	const struct vm_config_host_range hyp[] = {
		{ 0x40200000, 0x100000, "the hypervisor image" },
		{ 0xb5100000, 0x1000, "the boot device tree" },
	};

	expect_error("bad-vm-overlap.dtb",
		     "/chosen/vm@1: rhenium,kernel: overlaps the initrd of vm@0");
	expect_error("bad-vm-overlap-self.dtb",
		     "/chosen/vm@0: rhenium,initrd: overlaps the kernel of vm@0");
	two_gig_platform(&plat);
	expect_error_on(&plat, hyp, 2, "vm-manifest.dtb",
			"/chosen/vm@1: rhenium,initrd: overlaps the boot device tree");
}

TEST(vm_config_rejects_bad_disk_regions)
{
	expect_error("bad-vm-disk-cells.dtb",
		     "/chosen/vm@0: disk: must be two 64-bit cells <offset size>");
	expect_error("bad-vm-disk-size0.dtb", "/chosen/vm@0: disk: size is zero");
	expect_error("bad-vm-disk-align.dtb",
		     "/chosen/vm@0: disk: offset and size must be multiples of 512 bytes");
	expect_error("bad-vm-disk-offset-align.dtb",
		     "/chosen/vm@0: disk: offset and size must be multiples of 512 bytes");
	expect_error("bad-vm-disk-wrap.dtb",
		     "/chosen/vm@0: disk: offset + size does not fit in 64 bits");
	expect_error("bad-vm-disk-no-blk.dtb",
		     "/chosen/vm@0: disk: given without \"virtio-blk\" in devices");
	expect_error("bad-vm-disk-missing.dtb",
		     "/chosen/vm@0: disk: missing (devices has \"virtio-blk\")");
	/* One VM reading another's sectors would break isolation. */
	expect_error("bad-vm-disk-overlap.dtb",
		     "/chosen/vm@2: disk: overlaps the disk region of vm@0");
}

TEST(vm_config_memory_must_fit_in_host_ram)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count;
	char err[160] = "";
	size_t len;
	uint8_t *dtb;
	/* In the reserved range below (counted once) and a partial page (counted as one). */
	const struct vm_config_host_range used[] = {
		{ 0x40200000, 0x200000, "the hypervisor image" },
		{ 0xa0000000, 0x10, "the boot device tree" },
	};

	expect_error("bad-vm-mem-total.dtb",
		     "/chosen/vm@1: memory-size: 1 GiB is more than the 1020 MiB of host RAM left "
		     "for VMs (of 1.9 GiB, after the VMs before it)");
	expect_error("bad-vm-mem-huge.dtb", "/chosen/vm@0: memory-size: 4 GiB is more than the "
					    "1.9 GiB of host RAM left for VMs");

	/*
	 * vm-manifest's images take 0x6257000 bytes in whole pages, its VMs
	 * 768 MiB; reserved memory, the host's initrd and the caller's ranges
	 * take the rest of 2 GiB, overlaps counted once.
	 */
	dtb = load_fixture("vm-manifest.dtb", &len);
	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	plat.reserved[0] = (struct mem_range){ 0x40000000, 0x40000000 };
	plat.reserved[1] = (struct mem_range){ 0x48000000, 0x1000 };
	plat.reserved_count = 2;
	plat.initrd_start = 0x90000000;
	plat.initrd_end = 0x90000000 + (0x80000000 - 0x30000000 - 0x6257000 - 0x1000 - 0x40000000);
	CHECK(vm_config_parse_host(dtb, len, &plat, used, 2, cfgs, &count, err, sizeof(err)) == 0);
	CHECK_EQ(count, 3);
	/* One page more in use and the last VM no longer fits. */
	plat.initrd_end += 0x1000;
	expect_error_on(&plat, used, 2, "vm-manifest.dtb",
			"/chosen/spare: memory-size: 256 MiB is more than the 255.9 MiB of host "
			"RAM left for VMs (of 767.9 MiB, after the VMs before it)");
	free(dtb);
}

TEST(vm_config_without_vms_or_chosen_is_empty)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count = 7;
	size_t len;
	uint8_t *dtb = load_fixture("minimal.dtb", &len);

	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	CHECK(vm_config_parse(dtb, len, &plat, cfgs, &count, NULL, 0) == 0);
	CHECK_EQ(count, 0);
	CHECK(vm_config_parse(dtb, 10, &plat, cfgs, &count, NULL, 0) != 0);
	free(dtb);
}
