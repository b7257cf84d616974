/* SPDX-License-Identifier: MIT */
/*
 * The AArch64 side of booting: turn what entry.S found (DTB address, current
 * EL) into a working console and a struct boot_info, then hand over to the
 * generic sequence in core/boot.c.
 */
#include <arch/pl011.h>

#include <rhenium/arch.h>
#include <rhenium/boot.h>
#include <rhenium/console.h>
#include <rhenium/fdt.h>
#include <rhenium/log.h>
#include <rhenium/platform_discover.h>

/* A device tree larger than this is treated as corrupt rather than trusted. */
#define BOOT_DTB_MAX_SIZE (2U << 20)

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static struct platform_info boot_platform;
struct pl011 boot_uart;

/*
 * Reads the platform from the DTB and starts the console on its PL011.
 * Returns false if the tree is unusable; the console may still be up if the
 * tree was readable far enough to name a UART.
 */
static bool boot_discover(paddr_t dtb, size_t *dtb_size, char *err, size_t err_len)
{
	const uint8_t *blob = (const uint8_t *)(uintptr_t)dtb;
	uint32_t totalsize;
	int ret;

	*dtb_size = 0;
	if (!dtb || !IS_ALIGNED(dtb, 8))
		return false;
	totalsize = fdt_be32(blob + 4);
	if (totalsize > BOOT_DTB_MAX_SIZE)
		totalsize = BOOT_DTB_MAX_SIZE;
	*dtb_size = totalsize;

	ret = platform_discover(blob, totalsize, &boot_platform, err, err_len);
	if (boot_platform.uart.size) {
		pl011_init(&boot_uart, boot_platform.uart.base);
		console_set_driver(&boot_uart.console);
	}
	return ret == 0;
}

void boot_wrong_el(paddr_t dtb, unsigned int el)
{
	char err[160] = "";
	size_t dtb_size;

	boot_discover(dtb, &dtb_size, err, sizeof(err));
	log_raw("\nRhenium %s: entered at EL%u, but a hypervisor needs EL2.\n", RHENIUM_VERSION,
		el);
	log_raw("On QEMU use -M virt,virtualization=on (and secure=on only with EL3 firmware).\n");
	log_raw("Stopping.\n");
	arch_cpu_halt();
}

void boot_primary(paddr_t dtb)
{
	static struct boot_info info;
	char err[160] = "";

	if (!boot_discover(dtb, &info.dtb_size, err, sizeof(err))) {
		/* Without a console this goes nowhere, but a debugger can read err. */
		log_raw("\nRhenium: cannot use the device tree at 0x%llx: %s\nStopping.\n",
			(unsigned long long)dtb, err[0] ? err : "missing or misaligned");
		arch_cpu_halt();
	}
	info.dtb = dtb;
	info.platform = &boot_platform;
	info.image.start = (paddr_t)(uintptr_t)__image_start;
	info.image.text_end = (paddr_t)(uintptr_t)__text_end;
	info.image.rodata_end = (paddr_t)(uintptr_t)__rodata_end;
	info.image.end = (paddr_t)(uintptr_t)__image_end;
	core_boot(&info);
}

void boot_secondary(unsigned int cpu)
{
	core_secondary_boot(cpu);
}
