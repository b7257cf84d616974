// SPDX-License-Identifier: MIT
/*
 * Just enough of a flattened device tree reader for the runtime: look up one
 * property of one node, or the node, by absolute path (/chosen bootargs,
 * /psci method, the node stdout-path names), walk every node's address
 * regions with its compatible (the UART and the GIC), list the CPUs.
 * All reads are byte loads (the MMU is off, so the DTB is Device memory and
 * must not be read unaligned), and every offset is bounds-checked against
 * the header's sizes.
 */
#include "internal.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define FDT_MAX_DEPTH 16

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t hdr(const void *dtb, unsigned field)
{
	return be32((const uint8_t *)dtb + 4 * field);
}

bool fdt_valid(const void *dtb)
{
	if (!dtb || ((uintptr_t)dtb & 3) || hdr(dtb, 0) != FDT_MAGIC)
		return false;
	uint32_t total = hdr(dtb, 1), off_struct = hdr(dtb, 2), off_strings = hdr(dtb, 3);
	uint32_t size_strings = hdr(dtb, 8), size_struct = hdr(dtb, 9);
	return hdr(dtb, 6) <= 17 && hdr(dtb, 5) >= 17 && total >= 40 && (off_struct & 3) == 0 &&
	       off_struct <= total && size_struct <= total - off_struct && off_strings <= total &&
	       size_strings <= total - off_strings;
}

/* Does node NAME (up to its NUL) match path component COMP (LEN bytes)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	bool unit = false;

	for (size_t i = 0; i < len; i++)
		unit |= comp[i] == '@';
	if (strncmp(name, comp, len) != 0)
		return false;
	return name[len] == '\0' || (!unit && name[len] == '@');
}

/* A walk through the structure block, one token at a time, every offset checked. */
struct cursor {
	const uint8_t *st;
	const char *strings;
	uint32_t size, size_strings, off;
};

struct token {
	uint32_t kind;	      /* FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP or FDT_END */
	const char *name;     /* node name, or property name */
	size_t name_max;      /* bytes left in the strings block from a property's name */
	const uint8_t *value; /* property value */
	uint32_t len;	      /* its length */
};

static bool cursor_init(struct cursor *c, const void *dtb)
{
	if (!fdt_valid(dtb))
		return false;
	c->st = (const uint8_t *)dtb + hdr(dtb, 2);
	c->strings = (const char *)dtb + hdr(dtb, 3);
	c->size = hdr(dtb, 9);
	c->size_strings = hdr(dtb, 8);
	c->off = 0;
	return true;
}

/* The next token but NOPs; false at a malformed one or the end of the block without FDT_END. */
static bool cursor_next(struct cursor *c, struct token *t)
{
	while (c->off + 4 <= c->size) {
		uint32_t kind = be32(c->st + c->off);

		c->off += 4;
		t->kind = kind;
		switch (kind) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)c->st + c->off;
			uint32_t n = 0;

			while (c->off + n < c->size && name[n])
				n++;
			if (c->off + n >= c->size)
				return false;
			t->name = name;
			c->off = (c->off + n + 1 + 3) & ~3U;
			return true;
		}
		case FDT_PROP: {
			if (c->off + 8 > c->size)
				return false;
			uint32_t len = be32(c->st + c->off), nameoff = be32(c->st + c->off + 4);

			c->off += 8;
			if (len > c->size - c->off || nameoff >= c->size_strings)
				return false;
			t->name = c->strings + nameoff;
			t->name_max = c->size_strings - nameoff;
			t->value = c->st + c->off;
			t->len = len;
			c->off = (c->off + len + 3) & ~3U;
			return true;
		}
		case FDT_NOP:
			break;
		case FDT_END_NODE:
		case FDT_END:
			return true;
		default:
			return false;
		}
	}
	return false;
}

static bool prop_is(const struct token *t, const char *name)
{
	return strncmp(t->name, name, t->name_max) == 0;
}

/*
 * The node at PATH (its first PATH_LEN bytes): with NAME, that node's
 * property NAME (value, and its length in *LEN); without, the node itself
 * (a pointer to its name in the structure block).
 */
static const void *lookup(const void *dtb, const char *path, size_t path_len, const char *name,
			  uint32_t *len)
{
	const char *comp[FDT_MAX_DEPTH];
	size_t comp_len[FDT_MAX_DEPTH];
	unsigned ncomp = 0;
	const char *end = path + path_len;

	if (!fdt_valid(dtb) || path_len == 0 || path[0] != '/')
		return NULL;
	for (const char *p = path; p < end;) {
		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		if (ncomp == FDT_MAX_DEPTH)
			return NULL;
		comp[ncomp] = p;
		while (p < end && *p != '/')
			p++;
		comp_len[ncomp] = (size_t)(p - comp[ncomp]);
		ncomp++;
	}

	struct cursor c;
	struct token t;
	unsigned level = 0, matched = 0; /* root is level 1; components match from level 2 */

	if (!cursor_init(&c, dtb))
		return NULL;
	while (cursor_next(&c, &t)) {
		switch (t.kind) {
		case FDT_BEGIN_NODE:
			level++;
			if (level == matched + 2 && matched < ncomp &&
			    name_matches(t.name, comp[matched], comp_len[matched]))
				matched++;
			if (!name && matched == ncomp && level == ncomp + 1)
				return t.name;
			break;
		case FDT_END_NODE:
			if (level == 0)
				return NULL;
			if (matched && matched == level - 1)
				matched--;
			level--;
			break;
		case FDT_PROP:
			if (name && matched == ncomp && level == ncomp + 1 && prop_is(&t, name)) {
				if (len)
					*len = t.len;
				return t.value;
			}
			break;
		default: /* FDT_END */
			return NULL;
		}
	}
	return NULL;
}

const void *fdt_getprop(const void *dtb, const char *path, const char *name, uint32_t *len)
{
	return lookup(dtb, path, strlen(path), name, len);
}

const char *fdt_node(const void *dtb, const char *path, size_t path_len)
{
	return lookup(dtb, path, path_len, NULL, NULL);
}

bool fdt_stringlist_contains(const char *list, uint32_t len, const char *s)
{
	size_t n = strlen(s);

	for (uint32_t off = 0; list && off < len;) {
		uint32_t end = off;

		while (end < len && list[end])
			end++;
		if (end - off == n && strncmp(list + off, s, n) == 0)
			return true;
		off = end + 1;
	}
	return false;
}

/*
 * Regions of the CPU's physical address space a DTB describes (see
 * guest.h): every node's reg, translated to CPU addresses through the
 * ranges of its ancestors, and the parent-side windows of every non-empty
 * ranges (bus windows: PCIe, platform bus). A node whose parent, or any
 * ancestor below the root, has no ranges property (cpus, for instance) has
 * no CPU address and is skipped. Properties precede subnodes in a DTB, so a
 * node is complete at its first subnode or at its end: it is reported then.
 * Cells beyond 64 bits (PCI's flags cell) are dropped by read_cells.
 */
struct walk_node {
	const char *name, *compatible;
	const uint8_t *reg, *ranges;
	uint32_t reg_len, ranges_len, compatible_len;
	uint32_t addr_cells, size_cells; /* for its children */
	bool has_ranges, memory, done;
};

static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

/* ADDR (SIZE bytes) in the child address space of node LEVEL, to a CPU address. */
static bool walk_translate(const struct walk_node *n, unsigned level, uint64_t *addr, uint64_t size)
{
	for (; level > 0; level--) {
		const struct walk_node *bus = &n[level], *parent = &n[level - 1];
		uint32_t cac = bus->addr_cells, pac = parent->addr_cells, sc = bus->size_cells;
		uint32_t entry = 4 * (cac + pac + sc);
		bool found = false;

		if (!bus->has_ranges || cac > 4 || pac > 4 || sc > 4)
			return false;
		if (bus->ranges_len == 0)
			continue; /* "ranges;": identity */
		for (uint32_t off = 0; entry && off + entry <= bus->ranges_len; off += entry) {
			const uint8_t *e = bus->ranges + off;
			uint64_t child = read_cells(e, cac), pbase = read_cells(e + 4 * cac, pac);
			uint64_t len = read_cells(e + 4 * (cac + pac), sc);

			if (*addr >= child && *addr - child < len &&
			    size <= len - (*addr - child)) {
				*addr = pbase + (*addr - child);
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static int walk_finish(struct walk_node *n, unsigned level, dt_region_fn fn, void *arg)
{
	struct walk_node *node = &n[level];
	int count = 0;

	node->done = true;
	if (level == 0)
		return 0;
	for (unsigned l = 1; l < level; l++)
		if (!n[l].has_ranges)
			return 0; /* not in the CPU's address space */

	const struct walk_node *parent = &n[level - 1];
	uint32_t ac = parent->addr_cells, sc = parent->size_cells;

	if (ac > 4 || sc > 4 || node->addr_cells > 4 || node->size_cells > 4)
		return 0; /* no address is that wide: a malformed node */
	if (node->reg && ac + sc > 0) {
		unsigned index = 0;

		for (uint32_t off = 0; off + 4 * (ac + sc) <= node->reg_len; off += 4 * (ac + sc)) {
			struct dt_region r = {
				.node = node->name,
				.base = read_cells(node->reg + off, ac),
				.size = read_cells(node->reg + off + 4 * ac, sc),
				.kind = node->memory ? DT_REGION_MEMORY : DT_REGION_DEVICE,
				.index = index++,
				.compatible = node->compatible,
				.compatible_len = node->compatible_len,
			};
			if (walk_translate(n, level - 1, &r.base, r.size)) {
				fn(&r, arg);
				count++;
			}
		}
	}
	if (node->has_ranges && node->ranges_len) {
		uint32_t cac = node->addr_cells, nsc = node->size_cells;
		uint32_t entry = 4 * (cac + ac + nsc);
		unsigned index = 0;

		for (uint32_t off = 0; entry && off + entry <= node->ranges_len; off += entry) {
			const uint8_t *e = node->ranges + off;
			struct dt_region r = {
				.node = node->name,
				.base = read_cells(e + 4 * cac, ac),
				.size = read_cells(e + 4 * (cac + ac), nsc),
				.kind = DT_REGION_BUS,
				.index = index++,
				.compatible = node->compatible,
				.compatible_len = node->compatible_len,
			};
			if (walk_translate(n, level - 1, &r.base, r.size)) {
				fn(&r, arg);
				count++;
			}
		}
	}
	return count;
}

int fdt_regions(const void *dtb, dt_region_fn fn, void *arg)
{
	struct walk_node n[FDT_MAX_DEPTH];
	int count = 0;
	int level = -1;

	struct cursor c;
	struct token t;

	if (!cursor_init(&c, dtb))
		return -1;
	while (cursor_next(&c, &t)) {
		struct walk_node *node;

		switch (t.kind) {
		case FDT_BEGIN_NODE:
			if (level + 1 >= FDT_MAX_DEPTH)
				return -1;
			if (level >= 0 && !n[level].done)
				count += walk_finish(n, (unsigned)level, fn, arg);
			level++;
			memset(&n[level], 0, sizeof(n[level]));
			n[level].name = t.name;
			n[level].addr_cells = 2; /* the defaults (Devicetree spec 2.3.5) */
			n[level].size_cells = 1;
			break;
		case FDT_END_NODE:
			if (level < 0)
				return -1;
			if (!n[level].done)
				count += walk_finish(n, (unsigned)level, fn, arg);
			level--;
			break;
		case FDT_PROP:
			if (level < 0)
				return -1;
			node = &n[level];
			if (prop_is(&t, "reg")) {
				node->reg = t.value;
				node->reg_len = t.len;
			} else if (prop_is(&t, "ranges")) {
				node->has_ranges = true;
				node->ranges = t.value;
				node->ranges_len = t.len;
			} else if (prop_is(&t, "#address-cells") && t.len == 4) {
				node->addr_cells = be32(t.value);
			} else if (prop_is(&t, "#size-cells") && t.len == 4) {
				node->size_cells = be32(t.value);
			} else if (prop_is(&t, "device_type")) {
				node->memory = t.len == 7 && memcmp(t.value, "memory", 7) == 0;
			} else if (prop_is(&t, "compatible")) {
				node->compatible = (const char *)t.value;
				node->compatible_len = t.len;
			}
			break;
		default: /* FDT_END */
			return level == -1 ? count : -1;
		}
	}
	return -1;
}

int guest_dt_regions(dt_region_fn fn, void *arg)
{
	return guest_dtb() ? fdt_regions(guest_dtb(), fn, arg) : -1;
}

bool dt_region_compatible(const struct dt_region *r, const char *compat)
{
	return fdt_stringlist_contains(r->compatible, r->compatible_len, compat);
}

/*
 * The CPU nodes: children of /cpus with device_type "cpu", their reg in
 * /cpus's #address-cells (1 or 2: the MPIDR affinity fields, as PSCI
 * CPU_ON wants them). A node's properties all precede its end, so each
 * is complete there.
 */
int fdt_cpus(const void *dtb, uint64_t *mpidr, unsigned max)
{
	struct cursor c;
	struct token t;
	unsigned level = 0, count = 0;
	bool in_cpus = false, is_cpu = false;
	uint32_t cells = 2;
	const uint8_t *reg = NULL;
	uint32_t reg_len = 0;

	if (!cursor_init(&c, dtb))
		return -1;
	while (cursor_next(&c, &t)) {
		switch (t.kind) {
		case FDT_BEGIN_NODE:
			level++;
			if (level == 2) {
				in_cpus = strcmp(t.name, "cpus") == 0;
				cells = 2;
			}
			if (level == 3) {
				is_cpu = false;
				reg = NULL;
			}
			break;
		case FDT_END_NODE:
			if (level == 0)
				return -1;
			if (level == 3 && in_cpus && is_cpu && reg && (cells == 1 || cells == 2) &&
			    reg_len >= 4 * cells && count < max)
				mpidr[count++] = read_cells(reg, cells);
			level--;
			break;
		case FDT_PROP:
			if (in_cpus && level == 2 && prop_is(&t, "#address-cells") && t.len == 4)
				cells = be32(t.value);
			if (in_cpus && level == 3 && prop_is(&t, "reg")) {
				reg = t.value;
				reg_len = t.len;
			}
			if (in_cpus && level == 3 && prop_is(&t, "device_type"))
				is_cpu = t.len == 4 && memcmp(t.value, "cpu", 4) == 0;
			break;
		default: /* FDT_END */
			return level == 0 ? (int)count : -1;
		}
	}
	return -1;
}
