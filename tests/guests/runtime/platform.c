// SPDX-License-Identifier: MIT
/*
 * Where the devices are (guest_platform, see guest.h), from the DTB the guest
 * was given. Runs before the console's first character: the DTB is in RAM,
 * the reader is pure, and the console needs the UART's address.
 *
 * QEMU virt (natively and Rhenium's guest map): a PL011 that stdout-path
 * names, GICv3 at 0x08000000/0x080a0000. Xen 4.20's dom0less guests: an
 * "arm,sbsa-uart" at 0x22000000 and no stdout-path, GICv3 at
 * 0x03001000/0x03020000. Whatever is not found keeps QEMU virt's address.
 */
#include "internal.h"

#define MPIDR_AFFINITY_MASK 0xff00ffffffUL /* Aff3 [39:32], Aff2..Aff0 [23:0] */
#define ALIAS_MAX 32

struct guest_platform guest_platform = {
	.uart = QEMU_PL011_BASE,
	.gicd = QEMU_GICD_BASE,
	.gicr = QEMU_GICR_BASE,
	.ncpus = 1,
};

struct uart_choice {
	bool found, sbsa;
	uintptr_t base;
};

struct discovery {
	const char *stdout_node; /* what stdout-path names, NULL if nothing */
	struct uart_choice stdout_uart, first_uart;
	const char *gic_node; /* the first arm,gic-v3 */
	uintptr_t gicd, gicr;
};

static void discover_region(const struct dt_region *r, void *arg)
{
	struct discovery *d = arg;

	if (r->kind != DT_REGION_DEVICE)
		return;
	bool pl011 = dt_region_compatible(r, "arm,pl011");
	bool sbsa = !pl011 && dt_region_compatible(r, "arm,sbsa-uart");

	if ((pl011 || sbsa) && r->index == 0) {
		struct uart_choice *u =
			r->node == d->stdout_node ? &d->stdout_uart : &d->first_uart;

		if (!u->found)
			*u = (struct uart_choice){ .found = true, .sbsa = sbsa, .base = r->base };
	}
	if (dt_region_compatible(r, "arm,gic-v3")) {
		if (!d->gic_node)
			d->gic_node = r->node;
		if (r->node == d->gic_node && r->index == 0)
			d->gicd = r->base;
		if (r->node == d->gic_node && r->index == 1)
			d->gicr = r->base;
	}
}

/* A NUL-terminated string property, or NULL. */
static const char *dt_string(const void *dtb, const char *path, const char *name)
{
	uint32_t len;
	const char *s = fdt_getprop(dtb, path, name, &len);

	return s && len && s[len - 1] == '\0' ? s : NULL;
}

/*
 * The node /chosen stdout-path names: "/path[:options]" or
 * "alias[:options]" (an /aliases property holding the path).
 */
static const char *stdout_node(const void *dtb)
{
	const char *path = dt_string(dtb, "/chosen", "stdout-path");
	size_t len = 0;

	if (!path)
		path = dt_string(dtb, "/chosen", "linux,stdout-path");
	if (!path)
		return NULL;
	while (path[len] && path[len] != ':')
		len++;
	if (path[0] != '/') {
		char alias[ALIAS_MAX];

		if (len >= sizeof(alias))
			return NULL;
		memcpy(alias, path, len);
		alias[len] = '\0';
		path = dt_string(dtb, "/aliases", alias);
		if (!path)
			return NULL;
		len = strlen(path);
	}
	return fdt_node(dtb, path, len);
}

static void discover_cpus(const void *dtb)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
	uint64_t mpidr[GUEST_MAX_CPUS];
	int n = dtb ? fdt_cpus(dtb, mpidr, GUEST_MAX_CPUS) : -1;

	for (int i = 0; i < n; i++) {
		if ((mpidr[i] & MPIDR_AFFINITY_MASK) != self)
			continue;
		guest_platform.ncpus = (unsigned)n;
		for (int j = 0; j < n; j++)
			guest_platform.cpu_mpidr[j] = mpidr[j] & MPIDR_AFFINITY_MASK;
		write_sysreg(i, tpidr_el1);
		return;
	}
	/* No DTB, or one that does not list us: this CPU alone. */
	guest_platform.ncpus = 1;
	guest_platform.cpu_mpidr[0] = self;
	write_sysreg(0, tpidr_el1);
}

void platform_init(const void *dtb)
{
	struct discovery d = { 0 };

	discover_cpus(dtb);
	if (!dtb)
		return;
	d.stdout_node = stdout_node(dtb);
	fdt_regions(dtb, discover_region, &d);

	const struct uart_choice *u = d.stdout_uart.found ? &d.stdout_uart : &d.first_uart;
	if (u->found) {
		guest_platform.uart = u->base;
		guest_platform.uart_sbsa = u->sbsa;
	}
	if (d.gicd && d.gicr) {
		guest_platform.gicd = d.gicd;
		guest_platform.gicr = d.gicr;
	}
}
