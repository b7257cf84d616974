/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <fake_arch.h>
#include <rhenium/hyp.h>
#include <rhenium/irq.h>

#include "fdt_test_util.h"
#include "test.h"

static struct platform_info hyp_plat;

static struct boot_info hyp_boot(uint8_t *dtb, size_t len)
{
	struct boot_info info = { 0 };

	memset(&hyp_plat, 0, sizeof(hyp_plat));
	hyp_plat.mem[0] = (struct mem_range){ 0x40000000, 0x80000000 };
	hyp_plat.mem_count = 1;
	hyp_plat.gicd = (struct mem_range){ 0x08000000, 0x10000 };
	hyp_plat.timer_virt_irq = 27;
	info.platform = &hyp_plat;
	info.dtb = (paddr_t)(uintptr_t)dtb;
	info.dtb_size = len;
	return info;
}

TEST(hyp_configure_keeps_vm_images_out_of_the_allocator)
{
	size_t len;
	uint8_t *dtb = load_fixture("vm-config.dtb", &len);
	struct boot_info info;
	struct mem_range excl[8];

	REQUIRE(dtb != NULL);
	info = hyp_boot(dtb, len);
	/* vm@0 has a kernel and an initrd, vm@1 a kernel only. */
	REQUIRE(hyp_configure(&info, excl, ARRAY_SIZE(excl)) == 3);
	CHECK_EQ(excl[0].base, 0xb0000000);
	CHECK_EQ(excl[0].size, 0x2f8a200);
	CHECK_EQ(excl[1].base, 0xb8000000);
	CHECK_EQ(excl[2].base, 0x60000000);
	free(dtb);
}

TEST(hyp_configure_rejects_a_bad_vm_node)
{
	size_t len;
	uint8_t *dtb = load_fixture("bad-vm-vcpus-9.dtb", &len);
	struct boot_info info;
	struct mem_range excl[8];

	REQUIRE(dtb != NULL);
	info = hyp_boot(dtb, len);
	CHECK(hyp_configure(&info, excl, ARRAY_SIZE(excl)) == -1);
	free(dtb);
}

TEST(hyp_interrupt_setup_and_forwarding_without_a_vcpu)
{
	size_t len;
	uint8_t *dtb = load_fixture("minimal.dtb", &len);
	struct boot_info info;
	unsigned int deact = fake_irq_deactivated[27];

	REQUIRE(dtb != NULL);
	info = hyp_boot(dtb, len);
	hyp_init_irqs(&info);
	/* No VM configured: hyp_run returns at once, having started nothing. */
	hyp_run(&info);
	CHECK_EQ(fake_irq_deactivated[27], deact);
	free(dtb);
}
