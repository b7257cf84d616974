/* SPDX-License-Identifier: MIT */
/*
 * VM creation, loading and reset (core/vm.c) on the host: "physical" memory
 * is an arena whose host addresses serve as physical addresses, as in
 * test_core.c's mm tests.
 */
#include <stdlib.h>
#include <string.h>

#include <rhenium/boot.h>
#include <rhenium/console.h>
#include <rhenium/guest_dt.h>
#include <rhenium/mm.h>
#include <rhenium/platform_discover.h>
#include <rhenium/vm.h>

#include <fake_arch.h>
#include <rhenium/virtio.h>

#include "test.h"

#define ARENA_SIZE (64u << 20)

static uint8_t *arena;
static struct platform_info plat;
static struct boot_info info;

/* A minimal arm64 Image: header + a little code, 64 KiB image_size. */
static paddr_t put_kernel(uint8_t *at)
{
	memset(at, 0, 0x2000);
	at[3] = 0x14;						  /* b . */
	memcpy(at + 0x10, "\x00\x00\x01\x00\x00\x00\x00\x00", 8); /* image_size 64 KiB */
	at[0x18] = 0xa;						  /* flags: LE, 4K, anywhere */
	memcpy(at + 0x38, "ARM\x64", 4);
	at[0x1000] = 0x5a;
	return (paddr_t)(uintptr_t)at;
}

static bool setup_host(void)
{
	char err[128];
	struct mem_range images;

	if (!arena)
		arena = aligned_alloc(2u << 20, ARENA_SIZE);
	if (!arena)
		return false;
	memset(&plat, 0, sizeof(plat));
	plat.mem[0] = (struct mem_range){ (paddr_t)(uintptr_t)arena, ARENA_SIZE };
	plat.mem_count = 1;
	info.platform = &plat;
	info.image =
		(struct boot_image){ (paddr_t)(uintptr_t)arena, (paddr_t)(uintptr_t)arena + 0x1000,
				     (paddr_t)(uintptr_t)arena + 0x2000,
				     (paddr_t)(uintptr_t)arena + 0x100000 };
	/* The "boot images" the configs point at stay out of the allocator, as on hardware. */
	images = (struct mem_range){ (paddr_t)(uintptr_t)arena + 0x200000, 0x200000 };
	return mm_init(&info, &images, 1, err, sizeof(err)) == 0;
}

static void make_config(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->name, "vm@0");
	cfg->kernel.pa = put_kernel(arena + 0x200000);
	cfg->kernel.size = 0x2000;
	memset(arena + 0x300000, 0xc5, 0x3000);
	cfg->initrd.pa = (paddr_t)(uintptr_t)(arena + 0x300000);
	cfg->initrd.size = 0x3000;
	strcpy(cfg->bootargs, "console=ttyAMA0 quiet");
	cfg->mem_size = 16u << 20;
	cfg->vcpus = 2;
}

static char tx_buf[64];
static size_t tx_len;

static void capture_putc(void *ctx, char c)
{
	(void)ctx;
	if (tx_len < sizeof(tx_buf))
		tx_buf[tx_len++] = c;
}

static const struct console_driver capture = { "capture", capture_putc, NULL };

TEST(vm_create_loads_kernel_initrd_and_device_tree)
{
	static struct vm vm;
	struct vm_config cfg;
	struct platform_info guest;
	char err[160];
	paddr_t pa;
	uint64_t free_before;

	REQUIRE(setup_host());
	make_config(&cfg);
	free_before = mm_free_page_count();
	REQUIRE(vm_create(&vm, 0, &cfg) == 0);
	CHECK(vm.state == VM_STATE_RUNNING);
	CHECK_EQ(vm.vmid, 1);
	CHECK(mm_free_page_count() < free_before - (16u << 20) / PAGE_SIZE + 1);
	/* Stage-2 maps guest RAM at the QEMU virt address onto the allocated pages. */
	REQUIRE(pgtable_lookup(&vm.s2, 0x40001000, &pa, NULL, NULL));
	CHECK_EQ(pa, vm.ram_pa + 0x1000);
	CHECK(!pgtable_lookup(&vm.s2, 0x09000000, &pa, NULL, NULL));
	/* The kernel landed at the start of RAM (text_offset 0), entry there. */
	CHECK_EQ(vm.entry_ipa, 0x40000000);
	CHECK_EQ(((uint8_t *)mm_phys_to_virt(vm.ram_pa))[0x1000], 0x5a);
	CHECK_EQ(vm.vcpus[0].regs.pc, 0x40000000);
	CHECK_EQ(vm.vcpus[0].regs.x[0], vm.dtb_ipa);
	CHECK(vm.vcpus[0].state == VCPU_RUNNABLE);
	CHECK(vm.vcpus[1].state == VCPU_OFF);
	/* The generated DT describes the VM and reads back with our own parser. */
	REQUIRE(platform_discover(mm_phys_to_virt(vm.ram_pa + (vm.dtb_ipa - vm.ram_ipa)),
				  GUEST_DT_MAX_SIZE, &guest, err, sizeof(err)) == 0);
	CHECK_EQ(guest.mem[0].base, 0x40000000);
	CHECK_EQ(guest.mem[0].size, 16u << 20);
	CHECK_EQ(guest.cpu_count, 2);
	CHECK(guest.psci_conduit == PSCI_CONDUIT_HVC);
	CHECK(strcmp(guest.bootargs, "console=ttyAMA0 quiet") == 0);
	CHECK_EQ(guest.initrd_end - guest.initrd_start, 0x3000);
	CHECK_EQ(
		((uint8_t *)mm_phys_to_virt(vm.ram_pa + (guest.initrd_start - vm.ram_ipa)))[0x2fff],
		0xc5);
	/* Emulated devices: GICD, GICR and the PL011. */
	CHECK_EQ(vm.mmio.count, 3);
	CHECK(mmio_find(&vm.mmio, 0x09000000) != NULL);
	CHECK(mmio_find(&vm.mmio, 0x080a0000 + 2 * 0x20000 - 4) != NULL);
	CHECK(mmio_find(&vm.mmio, 0x080a0000 + 2 * 0x20000) == NULL);
}

TEST(vm_uart_output_and_console_input)
{
	static struct vm vm;
	struct vm_config cfg;
	uint64_t value = 'R';
	uint8_t typed[] = "ls\r";

	REQUIRE(setup_host());
	make_config(&cfg);
	REQUIRE(vm_create(&vm, 0, &cfg) == 0);
	tx_len = 0;
	console_set_driver(&capture);
	/* Guest writes UARTDR: without the console's focus, whole lines come out with its name. */
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000000, 4, true, &value) == MMIO_OK);
	value = '\n';
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000000, 4, true, &value) == MMIO_OK);
	console_set_driver(NULL);
	CHECK_EQ(tx_len, 10);
	CHECK(memcmp(tx_buf, "[vm@0] R\r\n", 10) == 0);
	/* Input the monitor routed to the VM waits until the VM polls it... */
	CHECK_EQ(vm_console_input(&vm, typed, 3), 3);
	vm_console_poll(&vm);
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000018, 4, false, &value) == MMIO_OK);
	CHECK(value & (1u << 4)); /* ...and while the receiver is off, it stays there. */
	value = 0x301;		  /* UARTCR: UARTEN | TXE | RXE */
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000030, 4, true, &value) == MMIO_OK);
	vm_console_poll(&vm);
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000018, 4, false, &value) == MMIO_OK);
	CHECK(!(value & (1u << 4))); /* RXFE clear */
	CHECK(mmio_dispatch(&vm.mmio, 0, 0x09000000, 4, false, &value) == MMIO_OK);
	CHECK_EQ(value & 0xff, 'l');
	/* FIFOs are off after reset (LCR_H.FEN): one byte at a time, the rest waits. */
	CHECK_EQ(vm.input_count, 2);
}

TEST(vm_reset_reloads_fresh_images_and_stop_stops)
{
	static struct vm vm;
	struct vm_config cfg;
	uint8_t *ram;
	uint64_t free_after_create;

	REQUIRE(setup_host());
	make_config(&cfg);
	REQUIRE(vm_create(&vm, 0, &cfg) == 0);
	free_after_create = mm_free_page_count();
	ram = mm_phys_to_virt(vm.ram_pa);
	ram[0x1000] = 0;      /* the guest overwrote its kernel */
	ram[0x800000] = 0x77; /* and left data behind */
	vm.vcpus[0].regs.pc = 0x40001234;
	vm.vcpus[1].state = VCPU_RUNNABLE;
	vm_stop(&vm);
	CHECK(vm.state == VM_STATE_STOPPED);
	CHECK(vm.vcpus[1].state == VCPU_STOPPED);
	REQUIRE(vm_reset(&vm) == 0);
	CHECK(vm.state == VM_STATE_RUNNING);
	CHECK_EQ(ram[0x1000], 0x5a);
	CHECK_EQ(ram[0x800000], 0);
	CHECK_EQ(vm.vcpus[0].regs.pc, 0x40000000);
	CHECK(vm.vcpus[0].reload && vm.vcpus[1].reload);
	CHECK(vm.vcpus[1].state == VCPU_OFF);
	CHECK_EQ(vm.resets, 1);
	/* A reset allocates nothing new. */
	CHECK_EQ(mm_free_page_count(), free_after_create);
}

TEST(vm_create_reports_what_does_not_fit)
{
	static struct vm vm;
	struct vm_config cfg;

	REQUIRE(setup_host());
	make_config(&cfg);
	cfg.mem_size = 128u << 20; /* more than the 64 MiB arena */
	CHECK(vm_create(&vm, 0, &cfg) != 0);
	make_config(&cfg);
	memset(arena + 0x200000, 0, 64); /* no header: a raw image at RAM + 0x80000 */
	cfg.mem_size = 2u << 20;
	CHECK(vm_create(&vm, 0, &cfg) != 0); /* too small for the raw image and its DTB */
}

/*
 * A VM with every virtio device: the transports at QEMU virt's slots, listed
 * in its device tree, a disk region checked against the disk, the console
 * taking input once its driver is ready, and a reset that waits for the disk.
 */
TEST(vm_with_virtio_devices)
{
	static struct vm vm;
	struct vm_config cfg;
	struct platform_info guest;
	char err[160];
	uint64_t value = 0;

	REQUIRE(setup_host());
	vswitch_reset();
	make_config(&cfg);
	cfg.devices = VM_DEVICE_PL011 | VM_DEVICE_VIRTIO_CONSOLE | VM_DEVICE_VIRTIO_BLK |
		      VM_DEVICE_VIRTIO_NET;
	cfg.disk_offset = 1u << 20;
	cfg.disk_size = 1u << 20;

	/* No physical disk, or one too small for the region: the VM is refused. */
	fake_disk_set(0, false);
	CHECK(vm_create(&vm, 0, &cfg) != 0);
	fake_disk_set(3000, true); /* ends before 2 MiB */
	CHECK(vm_create(&vm, 0, &cfg) != 0);
	fake_disk_set(4096, true);
	vswitch_reset();
	REQUIRE(vm_create(&vm, 0, &cfg) == 0);

	CHECK_EQ(vm.mmio.count, 6);
	for (unsigned int slot = 0; slot < 3; slot++) {
		CHECK(mmio_dispatch(&vm.mmio, 0, 0x0a000000 + slot * 0x200, 4, false, &value) ==
		      MMIO_OK);
		CHECK_EQ(value, 0x74726976);
		CHECK(mmio_dispatch(&vm.mmio, 0, 0x0a000008 + slot * 0x200, 4, false, &value) ==
		      MMIO_OK);
		CHECK_EQ(value, slot == 0   ? VIRTIO_ID_CONSOLE
				: slot == 1 ? VIRTIO_ID_BLOCK
					    : VIRTIO_ID_NET);
	}
	CHECK(mmio_find(&vm.mmio, 0x0a000600) == NULL);
	CHECK_EQ(vm.vblk.first_sector, 2048);
	CHECK_EQ(vm.vblk.sectors, 2048);
	CHECK(memcmp(vm.vnet.mac, "\x02\x52\x48\x00\x00\x01", 6) == 0);
	/* The guest DT lists the three transports (platform discovery reads them back). */
	REQUIRE(platform_discover(mm_phys_to_virt(vm.ram_pa + (vm.dtb_ipa - vm.ram_ipa)),
				  GUEST_DT_MAX_SIZE, &guest, err, sizeof(err)) == 0);
	CHECK_EQ(guest.virtio_mmio_count, 3);
	CHECK_EQ(guest.virtio_mmio[2].base, 0x0a000400);
	CHECK_EQ(guest.virtio_mmio[2].irq, 50);

	/* Until the guest's virtio-console driver runs, input goes to the PL011. */
	CHECK_EQ(vm_console_input(&vm, (const uint8_t *)"x", 1), 1);
	vm_console_poll(&vm);
	CHECK_EQ(vm.input_count, 1); /* the PL011's receiver is still off */

	REQUIRE(vm_reset(&vm) == 0);
	CHECK_EQ(vm.mmio.count, 6);
	CHECK_EQ(vm.vblk.transport.stats.resets, 2);
	fake_disk_set(0, false);
	vswitch_reset();
}
