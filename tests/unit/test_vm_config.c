/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <rhenium/vm_config.h>

#include "fdt_test_util.h"
#include "test.h"

/* Host RAM as on QEMU virt with -m 2G. */
static void two_gig_platform(struct platform_info *plat)
{
	memset(plat, 0, sizeof(*plat));
	plat->mem[0] = (struct mem_range){ 0x40000000, 0x80000000 };
	plat->mem_count = 1;
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
	CHECK(strcmp(cfgs[1].name, "vm@1") == 0);
	CHECK_EQ(cfgs[1].initrd.size, 0);
	CHECK_EQ(cfgs[1].mem_size, VM_CONFIG_DEFAULT_MEM);
	CHECK_EQ(cfgs[1].vcpus, 1);
	CHECK(cfgs[1].bootargs[0] == '\0');
	free(dtb);
}

static void expect_error(const char *fixture, const char *message)
{
	struct platform_info plat;
	struct vm_config cfgs[VM_CONFIG_MAX];
	unsigned int count;
	char err[160] = "";
	size_t len;
	uint8_t *dtb = load_fixture(fixture, &len);

	REQUIRE(dtb != NULL);
	two_gig_platform(&plat);
	CHECK(vm_config_parse(dtb, len, &plat, cfgs, &count, err, sizeof(err)) != 0);
	if (strcmp(err, message) != 0) {
		fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", fixture, err, message);
		CHECK(strcmp(err, message) == 0);
	}
	free(dtb);
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
