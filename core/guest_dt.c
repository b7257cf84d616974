/* SPDX-License-Identifier: MIT */
/*
 * The guest's device tree, shaped like QEMU virt's (QEMU 10, gic-version=3)
 * so that kernels and firmware built for QEMU run unchanged. Differences
 * from QEMU, all deliberate:
 *  - no PCIe, fw_cfg, flash, RTC or GPIO node: we do not emulate them; a PMU
 *    node only when the caller passes the PMU interrupt (the guest's PMU is
 *    the real one, context-switched, with its overflow PPI forwarded);
 *  - PSCI is "arm,psci-1.0", "arm,psci-0.2" only: without the legacy
 *    "arm,psci" entry the 0.1 function-ID properties are not needed;
 *  - cpus are "arm,armv8" (the generic binding) rather than a core name, and
 *    always carry enable-method (booting.rst asks for one on every cpu);
 *  - the redistributor region covers exactly vcpu_count frames, so a guest
 *    probing past it faults instead of finding a missing frame.
 * Everything the configuration controls is checked before anything is
 * written, so a bad configuration gets a message rather than a half tree.
 */
#include <rhenium/fdt_write.h>
#include <rhenium/format.h>
#include <rhenium/guest_dt.h>
#include <rhenium/string.h>

#define GUEST_DT_PHANDLE_GIC 1u
#define GUEST_DT_PHANDLE_CLK 2u

/* GIC binding: first cell of an interrupt specifier, and SPI INTIDs 32..1019. */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define GIC_MAX_SPI 987u

/* PPIs (INTID - 16) QEMU virt and the architecture's recommendations use. */
#define PPI_GIC_MAINT 9u
#define PPI_TIMER_SEC_PHYS 13u
#define PPI_TIMER_PHYS 14u
#define PPI_TIMER_VIRT 11u
#define PPI_TIMER_HYP_PHYS 10u

#define APB_PCLK_HZ 24000000u

/* Without FEAT_LPA2 a stage-2 input address has at most 48 bits. */
#define GUEST_PA_LIMIT ((uint64_t)1 << 48)

#define NODE_NAME_MAX 31u
#define PATH_MAX_LEN 48

struct guest_dt_region {
	const char *what;
	int device; /* index into cfg->devices, or -1 */
	paddr_t base;
	uint64_t size;
};

struct guest_dt_ctx {
	const struct guest_dt_config *cfg;
	char *err;
	size_t err_len;
};

static int guest_dt_fail(struct guest_dt_ctx *c, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int guest_dt_fail(struct guest_dt_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->err_len) {
		va_start(ap, fmt);
		fmt_vsnprintf(c->err, c->err_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

uint64_t guest_dt_vcpu_mpidr(unsigned int index)
{
	return ((uint64_t)(index / 16) << 8) | (index % 16);
}

/* --- Validation -------------------------------------------------------------- */

static void guest_dt_region_name(const struct guest_dt_ctx *c, const struct guest_dt_region *r,
				 char *buf, size_t len)
{
	if (r->device < 0)
		fmt_snprintf(buf, len, "%s", r->what);
	else
		fmt_snprintf(buf, len, "device %d (%s)", r->device,
			     c->cfg->devices[r->device].name);
}

static bool guest_dt_name_ok(const char *name)
{
	size_t len = 0;

	if (!name || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (const char *p = name; *p; p++, len++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == ',' || ch == '.' || ch == '_' ||
		      ch == '+' || ch == '-'))
			return false;
	}
	return len <= NODE_NAME_MAX;
}

static int guest_dt_check_region(struct guest_dt_ctx *c, const struct guest_dt_region *r,
				 uint64_t align)
{
	char name[64];

	guest_dt_region_name(c, r, name, sizeof(name));
	if (r->size == 0)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "%s: size is 0", name);
	if (r->base % align || r->size % align)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "%s [0x%llx, +0x%llx): not %llu KiB aligned", name,
				     (unsigned long long)r->base, (unsigned long long)r->size,
				     (unsigned long long)(align >> 10));
	if (r->base >= GUEST_PA_LIMIT || r->size > GUEST_PA_LIMIT - r->base)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "%s [0x%llx, +0x%llx): beyond the 48-bit guest physical "
				     "address space",
				     name, (unsigned long long)r->base,
				     (unsigned long long)r->size);
	return GUEST_DT_OK;
}

static int guest_dt_check_overlaps(struct guest_dt_ctx *c, const struct guest_dt_region *r,
				   unsigned int count)
{
	char a[64], b[64];

	for (unsigned int i = 0; i < count; i++) {
		for (unsigned int j = i + 1; j < count; j++) {
			/* Ends are below 2^48 (checked above), so they cannot wrap. */
			if (r[i].base >= r[j].base + r[j].size ||
			    r[j].base >= r[i].base + r[i].size)
				continue;
			guest_dt_region_name(c, &r[j], a, sizeof(a));
			guest_dt_region_name(c, &r[i], b, sizeof(b));
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "%s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)", a,
					     (unsigned long long)r[j].base,
					     (unsigned long long)(r[j].base + r[j].size), b,
					     (unsigned long long)r[i].base,
					     (unsigned long long)(r[i].base + r[i].size));
		}
	}
	return GUEST_DT_OK;
}

static int guest_dt_check_devices(struct guest_dt_ctx *c)
{
	const struct guest_dt_config *cfg = c->cfg;

	if (cfg->pmu_ppi >= 16)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "PMU PPI %u is not a PPI number (0-15)", cfg->pmu_ppi);
	if (cfg->device_count > GUEST_DT_MAX_DEVICES)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "%u extra devices, at most %u",
				     cfg->device_count, GUEST_DT_MAX_DEVICES);
	if (cfg->device_count && !cfg->devices)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "device_count %u but no devices",
				     cfg->device_count);
	for (unsigned int i = 0; i < cfg->device_count; i++) {
		const struct guest_dt_device *d = &cfg->devices[i];

		if (!guest_dt_name_ok(d->name))
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "device %u: name \"%s\" is not a node name (a letter, "
					     "then up to 30 of a-z A-Z 0-9 , . _ + -)",
					     i, d->name ? d->name : "(null)");
		if (!d->compatible || !d->compatible[0])
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "device %u (%s): no compatible", i, d->name);
		if (d->trigger != GUEST_DT_EDGE_RISING && d->trigger != GUEST_DT_LEVEL_HIGH)
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "device %u (%s): trigger %d is not edge-rising (1) or "
					     "level-high (4)",
					     i, d->name, (int)d->trigger);
		if (d->spi > GIC_MAX_SPI)
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "device %u (%s): SPI %u is above %u (INTID 1019)", i,
					     d->name, d->spi, GIC_MAX_SPI);
		if (d->spi == cfg->uart_spi)
			return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
					     "device %u (%s): SPI %u is the UART's", i, d->name,
					     d->spi);
		for (unsigned int j = 0; j < i; j++) {
			if (cfg->devices[j].spi == d->spi)
				return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
						     "device %u (%s): SPI %u is also device %u's",
						     i, d->name, d->spi, j);
		}
	}
	return GUEST_DT_OK;
}

static int guest_dt_check(struct guest_dt_ctx *c)
{
	const struct guest_dt_config *cfg = c->cfg;
	struct guest_dt_region r[4 + GUEST_DT_MAX_DEVICES];
	unsigned int n = 0;
	int rc;

	if (cfg->vcpu_count == 0)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "vcpu_count is 0, a VM needs a vCPU");
	if (cfg->vcpu_count > GUEST_DT_MAX_VCPUS)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "vcpu_count %u, at most %u",
				     cfg->vcpu_count, GUEST_DT_MAX_VCPUS);
	if (cfg->psci_conduit != PSCI_CONDUIT_SMC && cfg->psci_conduit != PSCI_CONDUIT_HVC)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "psci_conduit must be SMC or HVC: vCPUs start through PSCI");
	if (cfg->uart_spi > GIC_MAX_SPI)
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG, "uart_spi %u is above %u (INTID 1019)",
				     cfg->uart_spi, GIC_MAX_SPI);
	if (cfg->bootargs) {
		size_t len = strlen(cfg->bootargs);

		/* Linux would truncate silently; a cut-off option is worse than an error. */
		if (len >= GUEST_DT_BOOTARGS_MAX)
			return guest_dt_fail(
				c, GUEST_DT_ERR_CONFIG,
				"bootargs is %zu bytes, at most %u fit Linux's command line", len,
				GUEST_DT_BOOTARGS_MAX - 1);
	}
	if (cfg->rng_seed_len > GUEST_DT_RNG_SEED_MAX || (cfg->rng_seed_len && !cfg->rng_seed))
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "rng_seed: %zu bytes (at most %u, and not NULL)",
				     cfg->rng_seed_len, GUEST_DT_RNG_SEED_MAX);
	rc = guest_dt_check_devices(c);
	if (rc)
		return rc;

	r[n++] = (struct guest_dt_region){ "RAM", -1, cfg->ram_base, cfg->ram_size };
	r[n++] = (struct guest_dt_region){ "GIC distributor", -1, cfg->gicd_base, GUEST_GICD_SIZE };
	r[n++] = (struct guest_dt_region){ "GIC redistributors", -1, cfg->gicr_base,
					   cfg->vcpu_count * GUEST_GICR_SIZE_PER_VCPU };
	r[n++] = (struct guest_dt_region){ "UART", -1, cfg->uart_base, GUEST_UART_SIZE };
	rc = guest_dt_check_region(c, &r[0], PAGE_SIZE);
	if (!rc)
		rc = guest_dt_check_region(c, &r[1], GUEST_GICD_SIZE);
	if (!rc)
		rc = guest_dt_check_region(c, &r[2], GUEST_GICD_SIZE);
	if (!rc)
		rc = guest_dt_check_region(c, &r[3], GUEST_UART_SIZE);
	for (unsigned int i = 0; !rc && i < cfg->device_count; i++) {
		const struct guest_dt_device *d = &cfg->devices[i];

		/* Unaligned is fine: stage 2 traps every access outside RAM. */
		r[n] = (struct guest_dt_region){ NULL, (int)i, d->base, d->size };
		rc = guest_dt_check_region(c, &r[n++], 1);
	}
	if (!rc)
		rc = guest_dt_check_overlaps(c, r, n);
	if (rc)
		return rc;

	if (cfg->initrd_end < cfg->initrd_start)
		return guest_dt_fail(
			c, GUEST_DT_ERR_CONFIG, "initrd ends (0x%llx) before it starts (0x%llx)",
			(unsigned long long)cfg->initrd_end, (unsigned long long)cfg->initrd_start);
	if (cfg->initrd_end > cfg->initrd_start &&
	    (cfg->initrd_start < cfg->ram_base || cfg->initrd_end - cfg->ram_base > cfg->ram_size))
		return guest_dt_fail(c, GUEST_DT_ERR_CONFIG,
				     "initrd [0x%llx, 0x%llx) is not inside RAM [0x%llx, 0x%llx)",
				     (unsigned long long)cfg->initrd_start,
				     (unsigned long long)cfg->initrd_end,
				     (unsigned long long)cfg->ram_base,
				     (unsigned long long)(cfg->ram_base + cfg->ram_size));
	return GUEST_DT_OK;
}

/* --- Nodes ------------------------------------------------------------------- */

static void guest_dt_reg(struct fdt_writer *w, paddr_t base, uint64_t size)
{
	const uint32_t cells[] = { (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
				   (uint32_t)size };

	fdt_write_prop_cells(w, "reg", cells, ARRAY_SIZE(cells));
}

static void guest_dt_irq(struct fdt_writer *w, uint32_t type, uint32_t num, uint32_t trigger)
{
	const uint32_t cells[] = { type, num, trigger };

	fdt_write_prop_cells(w, "interrupts", cells, ARRAY_SIZE(cells));
}

static void guest_dt_psci(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2" };

	fdt_write_begin_node(w, "psci");
	fdt_write_prop_strings(w, "compatible", compat, ARRAY_SIZE(compat));
	fdt_write_prop_string(w, "method", cfg->psci_conduit == PSCI_CONDUIT_HVC ? "hvc" : "smc");
	fdt_write_end_node(w);
}

static void guest_dt_memory(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	fdt_write_begin_node_at(w, "memory", cfg->ram_base);
	fdt_write_prop_string(w, "device_type", "memory");
	guest_dt_reg(w, cfg->ram_base, cfg->ram_size);
	fdt_write_end_node(w);
}

static void guest_dt_uart(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	static const char *const compat[] = { "arm,pl011", "arm,primecell" };
	static const char *const clock_names[] = { "uartclk", "apb_pclk" };
	/* One fixed clock feeds both the baud-rate generator and the bus interface. */
	static const uint32_t clocks[] = { GUEST_DT_PHANDLE_CLK, GUEST_DT_PHANDLE_CLK };

	fdt_write_begin_node_at(w, "pl011", cfg->uart_base);
	fdt_write_prop_strings(w, "compatible", compat, ARRAY_SIZE(compat));
	guest_dt_reg(w, cfg->uart_base, GUEST_UART_SIZE);
	guest_dt_irq(w, GIC_SPI, cfg->uart_spi, GUEST_DT_LEVEL_HIGH);
	fdt_write_prop_cells(w, "clocks", clocks, ARRAY_SIZE(clocks));
	fdt_write_prop_strings(w, "clock-names", clock_names, ARRAY_SIZE(clock_names));
	fdt_write_end_node(w);
}

static void guest_dt_gic(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	const uint64_t gicr_size = cfg->vcpu_count * GUEST_GICR_SIZE_PER_VCPU;
	const uint32_t reg[] = {
		(uint32_t)(cfg->gicd_base >> 32),  (uint32_t)cfg->gicd_base,
		(uint32_t)(GUEST_GICD_SIZE >> 32), (uint32_t)GUEST_GICD_SIZE,
		(uint32_t)(cfg->gicr_base >> 32),  (uint32_t)cfg->gicr_base,
		(uint32_t)(gicr_size >> 32),	   (uint32_t)gicr_size,
	};

	fdt_write_begin_node_at(w, "intc", cfg->gicd_base);
	fdt_write_prop_string(w, "compatible", "arm,gic-v3");
	fdt_write_prop_u32(w, "#interrupt-cells", 3);
	fdt_write_prop_empty(w, "interrupt-controller");
	/*
	 * dtc wants address cells on every interrupt provider (interrupt-map
	 * users need them); with "ranges" an ITS child can be added later.
	 */
	fdt_write_prop_u32(w, "#address-cells", 2);
	fdt_write_prop_u32(w, "#size-cells", 2);
	fdt_write_prop_empty(w, "ranges");
	fdt_write_prop_u32(w, "#redistributor-regions", 1);
	fdt_write_prop_cells(w, "reg", reg, ARRAY_SIZE(reg));
	guest_dt_irq(w, GIC_PPI, PPI_GIC_MAINT, GUEST_DT_LEVEL_HIGH);
	fdt_write_prop_u32(w, "phandle", GUEST_DT_PHANDLE_GIC);
	fdt_write_end_node(w);
}

static void guest_dt_cpus(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	fdt_write_begin_node(w, "cpus");
	fdt_write_prop_u32(w, "#address-cells", 1);
	fdt_write_prop_u32(w, "#size-cells", 0);
	for (unsigned int i = 0; i < cfg->vcpu_count; i++) {
		uint64_t mpidr = guest_dt_vcpu_mpidr(i);

		fdt_write_begin_node_at(w, "cpu", mpidr);
		fdt_write_prop_string(w, "device_type", "cpu");
		fdt_write_prop_string(w, "compatible", "arm,armv8");
		fdt_write_prop_u32(w, "reg", (uint32_t)mpidr);
		fdt_write_prop_string(w, "enable-method", "psci");
		fdt_write_end_node(w);
	}
	fdt_write_end_node(w);
}

static void guest_dt_timer(struct fdt_writer *w)
{
	static const char *const compat[] = { "arm,armv8-timer", "arm,armv7-timer" };
	/*
	 * Level-high with no CPU mask: the 0xf00 mask bits of the third cell are
	 * GICv2-only (QEMU emits e.g. 0x304 with gic-version=2 and 4 here).
	 */
	static const uint32_t irqs[] = {
		GIC_PPI, PPI_TIMER_SEC_PHYS, GUEST_DT_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_PHYS,     GUEST_DT_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_VIRT,     GUEST_DT_LEVEL_HIGH,
		GIC_PPI, PPI_TIMER_HYP_PHYS, GUEST_DT_LEVEL_HIGH,
	};

	fdt_write_begin_node(w, "timer");
	fdt_write_prop_strings(w, "compatible", compat, ARRAY_SIZE(compat));
	fdt_write_prop_cells(w, "interrupts", irqs, ARRAY_SIZE(irqs));
	/* The timer keeps counting in every idle state we offer (WFI only). */
	fdt_write_prop_empty(w, "always-on");
	fdt_write_end_node(w);
}

static void guest_dt_pmu(struct fdt_writer *w, const struct guest_dt_config *cfg)
{
	uint32_t irq[] = { GIC_PPI, cfg->pmu_ppi, GUEST_DT_LEVEL_HIGH };

	if (!cfg->pmu_ppi)
		return;
	fdt_write_begin_node(w, "pmu");
	fdt_write_prop_string(w, "compatible", "arm,armv8-pmuv3");
	fdt_write_prop_cells(w, "interrupts", irq, ARRAY_SIZE(irq));
	fdt_write_end_node(w);
}

static void guest_dt_clock(struct fdt_writer *w)
{
	fdt_write_begin_node(w, "apb-pclk");
	fdt_write_prop_string(w, "compatible", "fixed-clock");
	fdt_write_prop_u32(w, "#clock-cells", 0);
	fdt_write_prop_u32(w, "clock-frequency", APB_PCLK_HZ);
	fdt_write_prop_string(w, "clock-output-names", "clk24mhz");
	fdt_write_prop_u32(w, "phandle", GUEST_DT_PHANDLE_CLK);
	fdt_write_end_node(w);
}

static void guest_dt_device(struct fdt_writer *w, const struct guest_dt_device *d)
{
	fdt_write_begin_node_at(w, d->name, d->base);
	fdt_write_prop_string(w, "compatible", d->compatible);
	guest_dt_reg(w, d->base, d->size);
	guest_dt_irq(w, GIC_SPI, d->spi, (uint32_t)d->trigger);
	fdt_write_end_node(w);
}

static void guest_dt_chosen(struct fdt_writer *w, const struct guest_dt_config *cfg,
			    const char *uart_path)
{
	fdt_write_begin_node(w, "aliases");
	fdt_write_prop_string(w, "serial0", uart_path);
	fdt_write_end_node(w);

	fdt_write_begin_node(w, "chosen");
	if (cfg->bootargs)
		fdt_write_prop_string(w, "bootargs", cfg->bootargs);
	fdt_write_prop_string(w, "stdout-path", uart_path);
	if (cfg->initrd_end > cfg->initrd_start) {
		/* Two cells each, as QEMU writes them: the guest may sit above 4 GiB. */
		fdt_write_prop_u64(w, "linux,initrd-start", cfg->initrd_start);
		fdt_write_prop_u64(w, "linux,initrd-end", cfg->initrd_end);
	}
	if (cfg->kaslr_seed)
		fdt_write_prop_u64(w, "kaslr-seed", cfg->kaslr_seed);
	if (cfg->rng_seed_len)
		fdt_write_prop(w, "rng-seed", cfg->rng_seed, cfg->rng_seed_len);
	fdt_write_end_node(w);
}

int guest_dt_build(const struct guest_dt_config *cfg, void *buf, size_t size, size_t *out_size,
		   char *err, size_t err_len)
{
	struct guest_dt_ctx c = { cfg, err, err_len };
	struct fdt_writer w;
	char uart_path[PATH_MAX_LEN];
	size_t total = 0;
	int rc;

	if (err_len)
		err[0] = '\0';
	if (!cfg)
		return guest_dt_fail(&c, GUEST_DT_ERR_CONFIG, "no configuration");
	rc = guest_dt_check(&c);
	if (rc)
		return rc;
	fmt_snprintf(uart_path, sizeof(uart_path), "/pl011@%llx",
		     (unsigned long long)cfg->uart_base);

	fdt_write_init(&w, buf, size);
	fdt_write_begin_node(&w, "");
	fdt_write_prop_u32(&w, "interrupt-parent", GUEST_DT_PHANDLE_GIC);
	/* The devices are emulated by CPUs that snoop the guest's caches. */
	fdt_write_prop_empty(&w, "dma-coherent");
	fdt_write_prop_u32(&w, "#address-cells", 2);
	fdt_write_prop_u32(&w, "#size-cells", 2);
	fdt_write_prop_string(&w, "compatible", "linux,dummy-virt");
	fdt_write_prop_string(&w, "model", "Rhenium virtual machine");

	guest_dt_psci(&w, cfg);
	guest_dt_memory(&w, cfg);
	guest_dt_uart(&w, cfg);
	guest_dt_gic(&w, cfg);
	guest_dt_cpus(&w, cfg);
	guest_dt_timer(&w);
	guest_dt_pmu(&w, cfg);
	guest_dt_clock(&w);
	for (unsigned int i = 0; i < cfg->device_count; i++)
		guest_dt_device(&w, &cfg->devices[i]);
	guest_dt_chosen(&w, cfg, uart_path);
	fdt_write_end_node(&w);

	rc = fdt_write_finish(&w, &total);
	if (rc == FDT_WRITE_ERR_NOSPACE)
		return guest_dt_fail(&c, GUEST_DT_ERR_NOSPACE,
				     "a buffer of %zu bytes is too small for the device tree",
				     size);
	if (rc)
		return guest_dt_fail(&c, GUEST_DT_ERR_WRITE, "device tree writer: %s",
				     fdt_write_strerror(rc));
	if (out_size)
		*out_size = total;
	return GUEST_DT_OK;
}
