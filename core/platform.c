/* SPDX-License-Identifier: MIT */
/*
 * Platform discovery: turns the boot device tree into struct platform_info.
 *
 * One walk over all nodes keeps, per depth, the node's #address-cells,
 * #size-cells and "ranges", so every "reg" is decoded with its parent's
 * cells and translated up to the root's (CPU physical) address space without
 * any second lookup. /chosen is read first so the walk already knows which
 * node stdout-path names.
 *
 * Policy: anything we read must be consistent, or we stop with a message
 * naming the node and property; anything optional that is simply absent
 * (PL011, GIC, PSCI, timer, virtio-mmio transports, /chosen) leaves zeroes.
 */
#include <rhenium/fdt.h>
#include <rhenium/format.h>
#include <rhenium/platform.h>
#include <rhenium/platform_discover.h>
#include <rhenium/string.h>

/* Only used for messages, so a long path is truncated rather than refused. */
#define PATH_BUF 160

/* MPIDR affinity fields a cpu "reg" may carry (arm/cpus.yaml). */
#define MPIDR_AFF_MASK_1CELL 0x0000000000ffffffull
#define MPIDR_AFF_MASK_2CELL 0x000000ff00ffffffull

/* GIC binding (arm,gic-v3.yaml): first interrupt cell. */
#define GIC_IRQ_TYPE_SPI 0
#define GIC_IRQ_TYPE_PPI 1
#define GIC_IRQ_TYPE_ESPI 2
#define GIC_IRQ_TYPE_EPPI 3

#define GIC_REDIST_STRIDE_ALIGN 0x10000u

/* VIRTIO 1.2 4.2.2: registers up to 0x0fc, device configuration from 0x100. */
#define VIRTIO_MMIO_MIN_SIZE 0x100u

struct level {
	int node;
	const char *name;
	struct fdt_cells cells; /* what this node declares for its children */
	struct fdt_prop ranges;
	bool has_ranges;
	size_t path_len;
};

struct discover {
	struct fdt fdt;
	struct platform_info *out;
	char *err;
	size_t err_len;
	struct level lv[FDT_MAX_DEPTH];
	char path[PATH_BUF];
	int stdout_node; /* negative if stdout-path names nothing we found */
	bool have_uart;
	bool uart_is_stdout;
	bool have_psci;
	bool have_gic;
	bool have_timer;
};

/* "interrupts" of one node, decodable only if its parent is a GIC. */
struct irq_list {
	const uint8_t *data;
	uint32_t cells; /* 0: interrupt parent is not a GIC, entries unknown */
	unsigned int count;
};

static const char *const gic_compatibles[] = {
	"arm,gic-v3", "arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic", "arm,cortex-a7-gic",
};

/* --- Error messages ------------------------------------------------------ */

static int fail(struct discover *d, int code, const char *path, const char *prop, const char *fmt,
		...) PRINTF_LIKE(5, 6);

/* Writes "<path>: <prop>: <message>" (or "<path>: <message>") and returns `code`. */
static int fail(struct discover *d, int code, const char *path, const char *prop, const char *fmt,
		...)
{
	va_list ap;
	int n;

	if (d->err_len == 0)
		return code;
	if (prop)
		n = fmt_snprintf(d->err, d->err_len, "%s: %s: ", path, prop);
	else
		n = fmt_snprintf(d->err, d->err_len, "%s: ", path);
	if (n >= 0 && (size_t)n < d->err_len) {
		va_start(ap, fmt);
		fmt_vsnprintf(d->err + n, d->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int fail_fdt(struct discover *d, const char *path, const char *prop, int err)
{
	/* A property we could read but not use is a DT bug, not a broken blob. */
	int code = err == FDT_ERR_BADVALUE || err == FDT_ERR_BADCELLS ? PLATFORM_ERR_INVALID
								      : PLATFORM_ERR_FDT;

	return fail(d, code, path, prop, "%s", fdt_strerror(err));
}

/* --- Helpers --------------------------------------------------------------- */

static bool is_compatible_any(const struct fdt *fdt, int node, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fdt_is_compatible(fdt, node, list[i]))
			return true;
	}
	return false;
}

/* Inclusive ends: a bank may end at the very top of the address space. */
static bool ranges_overlap(const struct mem_range *a, const struct mem_range *b)
{
	return a->base <= b->base + (b->size - 1) && b->base <= a->base + (a->size - 1);
}

static size_t path_append(char *buf, size_t pos, const char *s)
{
	while (*s && pos + 1 < PATH_BUF)
		buf[pos++] = *s++;
	buf[pos] = '\0';
	return pos;
}

/* The path of the node at `depth`; the parent's path is already a prefix. */
static void set_path(struct discover *d, int depth, const char *name)
{
	size_t pos;

	if (depth == 0) {
		pos = path_append(d->path, 0, "/");
	} else {
		pos = d->lv[depth - 1].path_len;
		if (depth > 1)
			pos = path_append(d->path, pos, "/");
		pos = path_append(d->path, pos, name);
	}
	d->lv[depth].path_len = pos;
}

static int add_reserved_range(struct discover *d, const char *path, const char *prop,
			      struct mem_range r)
{
	struct platform_info *out = d->out;

	if (r.size == 0)
		return PLATFORM_OK;
	if (out->reserved_count == PLATFORM_MAX_RESERVED)
		return fail(d, PLATFORM_ERR_LIMIT, path, prop, "more than %u reserved regions",
			    PLATFORM_MAX_RESERVED);
	out->reserved[out->reserved_count++] = r;
	return PLATFORM_OK;
}

/* --- Addresses ------------------------------------------------------------- */

/* Finds "reg" of the node at `depth` and checks it against the parent's cells. */
static int read_reg(struct discover *d, int depth, bool required, struct fdt_prop *reg, int *count)
{
	struct fdt_cells cells = d->lv[depth - 1].cells;
	int rc = fdt_get_prop(&d->fdt, d->lv[depth].node, "reg", reg);

	*count = 0;
	if (rc == FDT_ERR_NOTFOUND)
		return required ? fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "missing")
				: PLATFORM_OK;
	if (rc)
		return fail_fdt(d, d->path, "reg", rc);
	if (cells.addr == 0 || cells.addr > 2 || cells.size > 2)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "parent #address-cells = %u, #size-cells = %u not supported (max 2)",
			    cells.addr, cells.size);
	rc = fdt_reg_count(reg, cells);
	if (rc < 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "length %u not a multiple of %u", reg->len,
			    (cells.addr + cells.size) * 4);
	if (required && rc == 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "empty");
	*count = rc;
	return PLATFORM_OK;
}

/*
 * Maps a region from the address space of the node at `depth`'s parent to the
 * root's, through each ancestor bus's "ranges" (spec 2.3.8). An empty
 * "ranges" is an identity map; a missing one means the children are not
 * memory-mapped, except under /reserved-memory whose binding requires an
 * identity mapping anyway.
 */
static int translate(struct discover *d, int depth, struct mem_range *r)
{
	for (int k = depth - 1; k >= 1; k--) {
		const struct level *bus = &d->lv[k];
		uint32_t child_cells = bus->cells.addr;
		uint32_t parent_cells = d->lv[k - 1].cells.addr;
		uint32_t size_cells = bus->cells.size;
		uint32_t entry;
		bool found = false;

		if (!bus->has_ranges) {
			if (k == 1 && fdt_name_is(bus->name, "reserved-memory"))
				continue;
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "an ancestor bus has no ranges (not memory-mapped)");
		}
		if (bus->ranges.len == 0)
			continue;
		if (child_cells == 0 || child_cells > 2 || parent_cells == 0 || parent_cells > 2 ||
		    size_cells > 2)
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "an ancestor's ranges use more than 2 cells per field");
		entry = (child_cells + parent_cells + size_cells) * 4;
		if (bus->ranges.len % entry != 0)
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "an ancestor's ranges length %u is not a multiple of %u",
				    bus->ranges.len, entry);
		for (uint32_t off = 0; off < bus->ranges.len && !found; off += entry) {
			const uint8_t *p = bus->ranges.data + off;
			uint64_t child, parent, len;

			fdt_read_cells(p, child_cells, &child);
			fdt_read_cells(p + child_cells * 4, parent_cells, &parent);
			fdt_read_cells(p + (child_cells + parent_cells) * 4, size_cells, &len);
			if (r->base >= child && r->base - child < len &&
			    r->size <= len - (r->base - child)) {
				r->base = parent + (r->base - child);
				found = true;
			}
		}
		if (!found)
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "region at 0x%llx (size 0x%llx) not covered by parent ranges",
				    (unsigned long long)r->base, (unsigned long long)r->size);
	}
	return PLATFORM_OK;
}

static int reg_region(struct discover *d, int depth, const struct fdt_prop *reg, unsigned int index,
		      struct mem_range *r)
{
	int rc = fdt_reg_entry(reg, d->lv[depth - 1].cells, index, &r->base, &r->size);

	if (rc)
		return fail_fdt(d, d->path, "reg", rc);
	if (r->size && r->base + (r->size - 1) < r->base)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "entry %u wraps around the address space", index);
	rc = translate(d, depth, r);
	if (rc)
		return rc;
	/* A bad parent window in "ranges" can push the result past the top. */
	if (r->size && r->base + (r->size - 1) < r->base)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "entry %u wraps around the address space after translation", index);
	return PLATFORM_OK;
}

/* A device node's first "reg" entry, translated to a CPU physical range. */
static int first_region(struct discover *d, int depth, struct mem_range *r)
{
	struct fdt_prop reg;
	int count;
	int rc = read_reg(d, depth, true, &reg, &count);

	return rc ? rc : reg_region(d, depth, &reg, 0, r);
}

/* --- Interrupts ------------------------------------------------------------ */

static int read_irqs(struct discover *d, int node, struct irq_list *irqs)
{
	const struct fdt *fdt = &d->fdt;
	struct fdt_prop prop;
	uint32_t cells;
	int ic, rc;

	irqs->data = NULL;
	irqs->cells = 0;
	irqs->count = 0;
	rc = fdt_get_prop(fdt, node, "interrupts", &prop);
	if (rc == FDT_ERR_NOTFOUND)
		return PLATFORM_OK;
	if (rc)
		return fail_fdt(d, d->path, "interrupts", rc);

	ic = fdt_interrupt_parent(fdt, node);
	if (ic == FDT_ERR_NOTFOUND)
		return PLATFORM_OK;
	if (ic < 0)
		return fail_fdt(d, d->path, "interrupt-parent", ic);
	/* Another controller (or a nexus) numbers interrupts its own way. */
	if (!is_compatible_any(fdt, ic, gic_compatibles, ARRAY_SIZE(gic_compatibles)))
		return PLATFORM_OK;

	rc = fdt_get_u32(fdt, ic, "#interrupt-cells", &cells);
	if (rc)
		return fail_fdt(d, d->path, "interrupt-parent #interrupt-cells", rc);
	/* The optional fourth cell (PPI partition) does not change the INTID. */
	if (cells != 3 && cells != 4)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
			    "GIC interrupt parent has #interrupt-cells = %u (expected 3 or 4)",
			    cells);
	if (prop.len % (cells * 4) != 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
			    "length %u not a multiple of %u", prop.len, cells * 4);
	irqs->data = prop.data;
	irqs->cells = cells;
	irqs->count = prop.len / (cells * 4);
	return PLATFORM_OK;
}

static int irq_intid(struct discover *d, const struct irq_list *irqs, unsigned int index,
		     uint32_t *intid)
{
	const uint8_t *p = irqs->data + (size_t)index * irqs->cells * 4;
	uint32_t type = fdt_be32(p);
	uint32_t num = fdt_be32(p + 4);
	uint32_t base, limit;

	switch (type) {
	case GIC_IRQ_TYPE_SPI:
		base = 32;
		limit = 988; /* INTIDs 32..1019 */
		break;
	case GIC_IRQ_TYPE_PPI:
		base = 16;
		limit = 16;
		break;
	case GIC_IRQ_TYPE_ESPI:
		base = 4096;
		limit = 1024;
		break;
	case GIC_IRQ_TYPE_EPPI:
		base = 1056;
		limit = 64;
		break;
	default:
		return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
			    "entry %u has unknown type %u", index, type);
	}
	if (num >= limit)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
			    "entry %u: interrupt number %u out of range", index, num);
	*intid = base + num;
	return PLATFORM_OK;
}

/* --- Nodes ----------------------------------------------------------------- */

static int add_memory(struct discover *d, int depth)
{
	struct platform_info *out = d->out;
	struct fdt_prop reg;
	int count;
	int rc = read_reg(d, depth, true, &reg, &count);

	if (rc)
		return rc;
	for (unsigned int i = 0; i < (unsigned int)count; i++) {
		struct mem_range r;

		rc = reg_region(d, depth, &reg, i, &r);
		if (rc)
			return rc;
		/* An empty bank describes nothing (Linux skips them too). */
		if (r.size == 0)
			continue;
		for (unsigned int j = 0; j < out->mem_count; j++) {
			if (ranges_overlap(&r, &out->mem[j]))
				return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
					    "bank at 0x%llx overlaps the bank at 0x%llx",
					    (unsigned long long)r.base,
					    (unsigned long long)out->mem[j].base);
		}
		if (out->mem_count == PLATFORM_MAX_MEM_BANKS)
			return fail(d, PLATFORM_ERR_LIMIT, d->path, "reg",
				    "more than %u memory banks", PLATFORM_MAX_MEM_BANKS);
		out->mem[out->mem_count++] = r;
	}
	return PLATFORM_OK;
}

/* Children of /reserved-memory without "reg" are allocated by the OS: skip. */
static int add_reserved_node(struct discover *d, int depth)
{
	struct fdt_prop reg;
	int count;
	int rc = read_reg(d, depth, false, &reg, &count);

	for (unsigned int i = 0; rc == PLATFORM_OK && i < (unsigned int)count; i++) {
		struct mem_range r;

		rc = reg_region(d, depth, &reg, i, &r);
		if (rc == PLATFORM_OK)
			rc = add_reserved_range(d, d->path, "reg", r);
	}
	return rc;
}

/* A cpu with status "fail*" is broken; "disabled" ones can still be started. */
static bool cpu_usable(const struct fdt *fdt, int node)
{
	const char *status;

	if (fdt_get_string(fdt, node, "status", &status) != FDT_OK)
		return true;
	return strncmp(status, "fail", 4) != 0;
}

static int add_cpu(struct discover *d, int depth)
{
	struct platform_info *out = d->out;
	struct fdt_cells cells = d->lv[1].cells;
	int node = d->lv[depth].node;
	struct fdt_prop reg;
	uint64_t mpidr, mask;
	int rc;

	if (!cpu_usable(&d->fdt, node))
		return PLATFORM_OK;
	if (cells.addr < 1 || cells.addr > 2 || cells.size != 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "/cpus has #address-cells = %u, #size-cells = %u (need 1 or 2, and 0)",
			    cells.addr, cells.size);
	rc = fdt_get_prop(&d->fdt, node, "reg", &reg);
	if (rc == FDT_ERR_NOTFOUND)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "missing");
	if (rc)
		return fail_fdt(d, d->path, "reg", rc);
	if (reg.len != cells.addr * 4)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "length %u, expected %u",
			    reg.len, cells.addr * 4);
	fdt_read_cells(reg.data, cells.addr, &mpidr);
	mask = cells.addr == 1 ? MPIDR_AFF_MASK_1CELL : MPIDR_AFF_MASK_2CELL;
	if (mpidr & ~mask)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "0x%llx has bits set outside the MPIDR affinity fields",
			    (unsigned long long)mpidr);
	for (unsigned int i = 0; i < out->cpu_count; i++) {
		if (out->cpu_mpidr[i] == mpidr)
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "MPIDR 0x%llx already used by another cpu node",
				    (unsigned long long)mpidr);
	}
	if (out->cpu_count == PLATFORM_MAX_CPUS)
		return fail(d, PLATFORM_ERR_LIMIT, d->path, "reg", "more than %u cpus",
			    PLATFORM_MAX_CPUS);
	out->cpu_mpidr[out->cpu_count++] = mpidr;
	return PLATFORM_OK;
}

static int add_psci(struct discover *d, int node)
{
	const char *method;
	int rc;

	if (d->have_psci)
		return PLATFORM_OK;
	rc = fdt_get_string(&d->fdt, node, "method", &method);
	if (rc == FDT_ERR_NOTFOUND)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "method", "missing");
	if (rc)
		return fail_fdt(d, d->path, "method", rc);
	if (strcmp(method, "smc") == 0)
		d->out->psci_conduit = PSCI_CONDUIT_SMC;
	else if (strcmp(method, "hvc") == 0)
		d->out->psci_conduit = PSCI_CONDUIT_HVC;
	else
		return fail(d, PLATFORM_ERR_INVALID, d->path, "method",
			    "must be \"smc\" or \"hvc\"");
	/* 0.2 and later use the standard function IDs instead of cpu_on etc. */
	d->out->psci_0_2 = fdt_is_compatible(&d->fdt, node, "arm,psci-0.2") ||
			   fdt_is_compatible(&d->fdt, node, "arm,psci-1.0");
	d->have_psci = true;
	return PLATFORM_OK;
}

/* The GIC INTID of a node's first interrupt; 0 if it has none (or no GIC parent). */
static int first_intid(struct discover *d, int node, uint32_t *intid)
{
	struct irq_list irqs;
	int rc = read_irqs(d, node, &irqs);

	*intid = 0;
	if (rc || !irqs.cells || irqs.count == 0)
		return rc;
	return irq_intid(d, &irqs, 0, intid);
}

static int add_uart(struct discover *d, int depth)
{
	int node = d->lv[depth].node;
	bool is_stdout = node == d->stdout_node;
	struct mem_range r;
	uint32_t intid = 0;
	int rc;

	/* First PL011 unless stdout-path names another one; that one wins. */
	if (d->uart_is_stdout || (d->have_uart && !is_stdout))
		return PLATFORM_OK;
	rc = first_region(d, depth, &r);
	if (rc)
		return rc;
	if (r.size == 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "size is 0");
	rc = first_intid(d, node, &intid);
	if (rc)
		return rc;
	d->out->uart = r;
	d->out->uart_irq = intid;
	d->have_uart = true;
	d->uart_is_stdout = is_stdout;
	return PLATFORM_OK;
}

static int add_gic(struct discover *d, int depth)
{
	struct platform_info *out = d->out;
	int node = d->lv[depth].node;
	struct fdt_prop reg;
	uint32_t nr_redist = 1;
	uint64_t stride = 0;
	int count;
	int rc;

	if (d->have_gic)
		return PLATFORM_OK;
	rc = fdt_get_u32(&d->fdt, node, "#redistributor-regions", &nr_redist);
	if (rc && rc != FDT_ERR_NOTFOUND)
		return fail_fdt(d, d->path, "#redistributor-regions", rc);
	if (nr_redist == 0)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "#redistributor-regions", "is 0");
	if (nr_redist > PLATFORM_MAX_GICR_REGIONS)
		return fail(d, PLATFORM_ERR_LIMIT, d->path, "#redistributor-regions",
			    "%u regions, at most %u supported", nr_redist,
			    PLATFORM_MAX_GICR_REGIONS);
	rc = fdt_get_u64(&d->fdt, node, "redistributor-stride", &stride);
	if (rc && rc != FDT_ERR_NOTFOUND)
		return fail_fdt(d, d->path, "redistributor-stride", rc);
	if (rc == FDT_OK && (stride == 0 || stride % GIC_REDIST_STRIDE_ALIGN != 0))
		return fail(d, PLATFORM_ERR_INVALID, d->path, "redistributor-stride",
			    "0x%llx is not a non-zero multiple of 64 KiB",
			    (unsigned long long)stride);

	rc = read_reg(d, depth, true, &reg, &count);
	if (rc)
		return rc;
	/* GICC/GICH/GICV may follow the redistributors; we do not use them. */
	if ((unsigned int)count < 1 + nr_redist)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "%u entries, need %u (distributor + #redistributor-regions)",
			    (unsigned int)count, 1 + nr_redist);
	rc = reg_region(d, depth, &reg, 0, &out->gicd);
	for (unsigned int i = 0; rc == PLATFORM_OK && i < nr_redist; i++)
		rc = reg_region(d, depth, &reg, 1 + i, &out->gicr[i]);
	if (rc)
		return rc;
	out->gicr_count = nr_redist;
	out->gicr_stride = stride;
	d->have_gic = true;
	return PLATFORM_OK;
}

static int add_timer(struct discover *d, int depth)
{
	struct platform_info *out = d->out;
	uint32_t *const slots[] = {
		&out->timer_sec_phys_irq, &out->timer_phys_irq,	    &out->timer_virt_irq,
		&out->timer_hyp_phys_irq, &out->timer_hyp_virt_irq,
	};
	struct irq_list irqs;
	int rc;

	if (d->have_timer)
		return PLATFORM_OK;
	d->have_timer = true;
	rc = read_irqs(d, d->lv[depth].node, &irqs);
	if (rc || irqs.cells == 0)
		return rc;
	/* arm,arch_timer.yaml: sec-phys, phys, virt, hyp-phys, then optional hyp-virt. */
	if (irqs.count < 4 || irqs.count > ARRAY_SIZE(slots))
		return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
			    "%u entries, expected 4 or 5", irqs.count);
	for (unsigned int i = 0; i < irqs.count; i++) {
		uint32_t intid;

		rc = irq_intid(d, &irqs, i, &intid);
		if (rc)
			return rc;
		if (!(intid >= 16 && intid < 32) && !(intid >= 1056 && intid < 1120))
			return fail(d, PLATFORM_ERR_INVALID, d->path, "interrupts",
				    "entry %u (INTID %u) is not a PPI", i, intid);
		*slots[i] = intid;
	}
	return PLATFORM_OK;
}

/*
 * A transport is only a window: whether a device sits behind it (QEMU has 32,
 * most empty) is read from its registers later, by whoever drives it.
 */
static int add_virtio_mmio(struct discover *d, int depth)
{
	struct platform_info *out = d->out;
	struct platform_virtio_mmio *t;
	struct mem_range r;
	uint32_t intid = 0;
	int rc;

	rc = first_region(d, depth, &r);
	if (rc)
		return rc;
	if (r.size < VIRTIO_MMIO_MIN_SIZE)
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
			    "size 0x%llx is smaller than the 0x%x-byte register block",
			    (unsigned long long)r.size, VIRTIO_MMIO_MIN_SIZE);
	if (!IS_ALIGNED(r.base, 4))
		return fail(d, PLATFORM_ERR_INVALID, d->path, "reg", "0x%llx is not 4-byte aligned",
			    (unsigned long long)r.base);
	for (unsigned int i = 0; i < out->virtio_mmio_count; i++) {
		const struct platform_virtio_mmio *o = &out->virtio_mmio[i];

		if (ranges_overlap(&r, &(struct mem_range){ o->base, o->size }))
			return fail(d, PLATFORM_ERR_INVALID, d->path, "reg",
				    "0x%llx overlaps the virtio-mmio transport at 0x%llx",
				    (unsigned long long)r.base, (unsigned long long)o->base);
	}
	rc = first_intid(d, d->lv[depth].node, &intid);
	if (rc)
		return rc;
	if (out->virtio_mmio_count == PLATFORM_MAX_VIRTIO_MMIO)
		return fail(d, PLATFORM_ERR_LIMIT, d->path, NULL,
			    "more than %u virtio-mmio transports", PLATFORM_MAX_VIRTIO_MMIO);
	t = &out->virtio_mmio[out->virtio_mmio_count++];
	t->base = r.base;
	t->size = r.size;
	t->irq = intid;
	return PLATFORM_OK;
}

/* --- Walk ------------------------------------------------------------------ */

static int enter_node(struct discover *d, int node, int depth)
{
	struct level *lv = &d->lv[depth];
	int rc = fdt_node_name(&d->fdt, node, &lv->name);

	if (rc)
		return fail_fdt(d, d->path, NULL, rc);
	lv->node = node;
	set_path(d, depth, lv->name);
	/* Checked for range only where used: a PCI bus with 3 cells is fine. */
	rc = fdt_get_cells(&d->fdt, node, &lv->cells);
	if (rc)
		return fail_fdt(d, d->path, "#address-cells/#size-cells", rc);
	rc = fdt_get_prop(&d->fdt, node, "ranges", &lv->ranges);
	lv->has_ranges = rc == FDT_OK;
	if (rc && rc != FDT_ERR_NOTFOUND)
		return fail_fdt(d, d->path, "ranges", rc);
	return PLATFORM_OK;
}

static int visit_node(struct discover *d, int depth)
{
	static const char *const psci_compatibles[] = { "arm,psci", "arm,psci-0.2",
							"arm,psci-1.0" };
	static const char *const timer_compatibles[] = { "arm,armv8-timer", "arm,armv7-timer" };
	const struct fdt *fdt = &d->fdt;
	int node = d->lv[depth].node;
	const char *type = NULL;
	int rc;

	if (depth == 0)
		return PLATFORM_OK;
	rc = fdt_get_string(fdt, node, "device_type", &type);
	if (rc && rc != FDT_ERR_NOTFOUND)
		return fail_fdt(d, d->path, "device_type", rc);

	if (depth == 2 && fdt_name_is(d->lv[1].name, "cpus") && type && strcmp(type, "cpu") == 0)
		return add_cpu(d, depth);
	if (!fdt_is_available(fdt, node))
		return PLATFORM_OK;
	if (type && strcmp(type, "memory") == 0)
		return add_memory(d, depth);
	if (depth == 2 && fdt_name_is(d->lv[1].name, "reserved-memory"))
		return add_reserved_node(d, depth);
	if (is_compatible_any(fdt, node, psci_compatibles, ARRAY_SIZE(psci_compatibles)))
		return add_psci(d, node);
	if (fdt_is_compatible(fdt, node, "arm,pl011"))
		return add_uart(d, depth);
	if (fdt_is_compatible(fdt, node, "arm,gic-v3"))
		return add_gic(d, depth);
	if (is_compatible_any(fdt, node, timer_compatibles, ARRAY_SIZE(timer_compatibles)))
		return add_timer(d, depth);
	if (fdt_is_compatible(fdt, node, "virtio,mmio"))
		return add_virtio_mmio(d, depth);
	return PLATFORM_OK;
}

static int walk(struct discover *d)
{
	int depth = 0;
	int node = fdt_root(&d->fdt);
	int rc;

	while (node >= 0) {
		/* fdt_init already capped the depth; this guards our array. */
		if (depth < 0 || depth >= FDT_MAX_DEPTH)
			return fail_fdt(d, d->path, NULL, FDT_ERR_TOODEEP);
		rc = enter_node(d, node, depth);
		if (rc)
			return rc;
		rc = visit_node(d, depth);
		if (rc)
			return rc;
		node = fdt_next_node(&d->fdt, node, &depth);
	}
	return node == FDT_ERR_NOTFOUND ? PLATFORM_OK : fail_fdt(d, d->path, NULL, node);
}

/* --- /memreserve/ and /chosen ------------------------------------------------ */

static int read_memreserve(struct discover *d)
{
	unsigned int n = fdt_memrsv_count(&d->fdt);

	for (unsigned int i = 0; i < n; i++) {
		struct mem_range r;
		int rc = fdt_memrsv_entry(&d->fdt, i, &r.base, &r.size);

		if (rc)
			return fail_fdt(d, "/memreserve/", NULL, rc);
		if (r.size && r.base + (r.size - 1) < r.base)
			return fail(d, PLATFORM_ERR_INVALID, "/memreserve/", NULL,
				    "entry %u wraps around the address space", i);
		rc = add_reserved_range(d, "/memreserve/", NULL, r);
		if (rc)
			return rc;
	}
	return PLATFORM_OK;
}

/* Copies a string property into `dst`; absent leaves it empty. */
static int chosen_string(struct discover *d, int chosen, const char *name, char *dst, size_t size,
			 bool *found)
{
	const char *s;
	int rc = fdt_get_string(&d->fdt, chosen, name, &s);

	*found = rc == FDT_OK;
	if (rc == FDT_ERR_NOTFOUND)
		return PLATFORM_OK;
	if (rc == FDT_ERR_BADVALUE)
		return fail(d, PLATFORM_ERR_INVALID, "/chosen", name,
			    "not a single NUL-terminated string");
	if (rc)
		return fail_fdt(d, "/chosen", name, rc);
	/* A silently shortened command line would be worse than stopping. */
	if (strlen(s) >= size)
		return fail(d, PLATFORM_ERR_LIMIT, "/chosen", name, "%zu bytes long, limit is %zu",
			    strlen(s), size - 1);
	str_copy(dst, s, size);
	return PLATFORM_OK;
}

static int read_chosen(struct discover *d)
{
	struct platform_info *out = d->out;
	uint64_t start, end;
	int chosen, rc_start, rc_end, rc;
	bool found;
	size_t len;

	d->stdout_node = FDT_ERR_NOTFOUND;
	chosen = fdt_find_path(&d->fdt, "/chosen");
	if (chosen == FDT_ERR_NOTFOUND)
		return PLATFORM_OK;
	if (chosen < 0)
		return fail_fdt(d, "/chosen", NULL, chosen);

	rc = chosen_string(d, chosen, "bootargs", out->bootargs, sizeof(out->bootargs), &found);
	if (rc)
		return rc;
	rc = chosen_string(d, chosen, "stdout-path", out->stdout_path, sizeof(out->stdout_path),
			   &found);
	if (rc == PLATFORM_OK && !found)
		rc = chosen_string(d, chosen, "linux,stdout-path", out->stdout_path,
				   sizeof(out->stdout_path), &found);
	if (rc)
		return rc;
	/*
	 * Spec 3.6: a ':' ends the path and starts the console options. A path
	 * that leads nowhere only loses the preference for that console.
	 */
	for (len = 0; out->stdout_path[len] && out->stdout_path[len] != ':'; len++)
		;
	if (len > 0)
		d->stdout_node = fdt_find_path_len(&d->fdt, out->stdout_path, len);

	rc_start = fdt_get_u64(&d->fdt, chosen, "linux,initrd-start", &start);
	rc_end = fdt_get_u64(&d->fdt, chosen, "linux,initrd-end", &end);
	if (rc_start == FDT_ERR_NOTFOUND && rc_end == FDT_ERR_NOTFOUND)
		return PLATFORM_OK;
	if (rc_start == FDT_ERR_BADVALUE)
		return fail(d, PLATFORM_ERR_INVALID, "/chosen", "linux,initrd-start",
			    "must be 1 or 2 cells");
	if (rc_end == FDT_ERR_BADVALUE)
		return fail(d, PLATFORM_ERR_INVALID, "/chosen", "linux,initrd-end",
			    "must be 1 or 2 cells");
	if (rc_start == FDT_ERR_NOTFOUND || rc_end == FDT_ERR_NOTFOUND)
		return fail(d, PLATFORM_ERR_INVALID, "/chosen",
			    rc_start ? "linux,initrd-start" : "linux,initrd-end",
			    "missing while the other initrd bound is present");
	if (rc_start || rc_end)
		return fail_fdt(d, "/chosen", "linux,initrd-start", rc_start ? rc_start : rc_end);
	if (end < start)
		return fail(d, PLATFORM_ERR_INVALID, "/chosen", "linux,initrd-end",
			    "0x%llx is below linux,initrd-start 0x%llx", (unsigned long long)end,
			    (unsigned long long)start);
	out->initrd_start = start;
	out->initrd_end = end;
	return PLATFORM_OK;
}

int platform_discover(const void *dtb, size_t dtb_len, struct platform_info *out, char *err,
		      size_t err_len)
{
	struct discover d;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	d.out = out;
	d.err = err;
	d.err_len = err ? err_len : 0;
	if (d.err_len)
		err[0] = '\0';

	rc = fdt_init(&d.fdt, dtb, dtb_len);
	if (rc)
		return fail(&d, PLATFORM_ERR_FDT, "device tree", NULL, "%s", fdt_strerror(rc));
	rc = read_memreserve(&d);
	if (rc)
		return rc;
	rc = read_chosen(&d);
	if (rc)
		return rc;
	rc = walk(&d);
	if (rc)
		return rc;

	if (out->mem_count == 0)
		return fail(&d, PLATFORM_ERR_MISSING, "/", NULL,
			    "no memory node (device_type = \"memory\") with a non-empty reg");
	if (out->cpu_count == 0)
		return fail(&d, PLATFORM_ERR_MISSING, "/cpus", NULL,
			    "no cpu nodes (device_type = \"cpu\")");
	return PLATFORM_OK;
}
