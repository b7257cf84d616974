/* SPDX-License-Identifier: MIT */
/*
 * Flattened device tree reader; see include/rhenium/fdt.h and docs/fdt.md.
 *
 * All arithmetic on offsets taken from the blob is done so that it cannot
 * wrap: every size is compared against what is left rather than adding first.
 */
#include <rhenium/fdt.h>
#include <rhenium/string.h>

#define FDT_BEGIN_NODE 0x1u
#define FDT_END_NODE 0x2u
#define FDT_PROP 0x3u
#define FDT_NOP 0x4u
#define FDT_END 0x9u

/* Header field offsets (spec 5.2). size_dt_struct only exists from v17 on. */
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_OFF_MEMRSV 16
#define HDR_VERSION 20
#define HDR_LAST_COMP 24
#define HDR_BOOT_CPUID 28
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36
#define HDR_SIZE_V16 36u
#define HDR_SIZE_V17 40u

#define MEMRSV_ENTRY_SIZE 16u

/*
 * strnlen() is POSIX, not C11, so host builds with -std=c11 do not see it;
 * keep our own rather than depend on feature-test macros.
 */
static size_t str_len_within(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n] != '\0')
		n++;
	return n;
}

struct token {
	uint32_t tag;
	uint32_t next;	     /* offset of the following token */
	const char *name;    /* BEGIN_NODE: node name; PROP: property name */
	const uint8_t *data; /* PROP only */
	uint32_t len;	     /* PROP only */
};

uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint64_t fdt_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4);
}

int fdt_read_cells(const void *p, uint32_t ncells, uint64_t *val)
{
	switch (ncells) {
	case 0:
		*val = 0;
		return FDT_OK;
	case 1:
		*val = fdt_be32(p);
		return FDT_OK;
	case 2:
		*val = fdt_be64(p);
		return FDT_OK;
	default:
		return FDT_ERR_BADCELLS;
	}
}

const char *fdt_strerror(int err)
{
	switch (err) {
	case FDT_OK:
		return "ok";
	case FDT_ERR_NOTFOUND:
		return "not found";
	case FDT_ERR_TRUNCATED:
		return "truncated blob";
	case FDT_ERR_BADMAGIC:
		return "bad magic";
	case FDT_ERR_BADVERSION:
		return "unsupported version";
	case FDT_ERR_BADLAYOUT:
		return "bad block layout";
	case FDT_ERR_BADMEMRSV:
		return "bad memory reservation map";
	case FDT_ERR_BADSTRUCT:
		return "bad structure block";
	case FDT_ERR_BADNAME:
		return "unterminated node name";
	case FDT_ERR_BADPROP:
		return "bad property";
	case FDT_ERR_TOODEEP:
		return "nesting too deep";
	case FDT_ERR_BADOFFSET:
		return "bad node offset";
	case FDT_ERR_BADVALUE:
		return "bad property value";
	case FDT_ERR_BADCELLS:
		return "unsupported #address-cells/#size-cells";
	case FDT_ERR_BADPATH:
		return "bad path";
	default:
		return "unknown error";
	}
}

/* Decodes the token at `off`, checking that all of it lies inside its block. */
static int read_token(const struct fdt *fdt, uint32_t off, struct token *t)
{
	uint32_t left;

	if (off % 4 != 0 || off > fdt->struct_size || fdt->struct_size - off < 4)
		return FDT_ERR_BADSTRUCT;
	left = fdt->struct_size - off - 4;
	t->tag = fdt_be32(fdt->dt_struct + off);
	t->name = NULL;
	t->data = NULL;
	t->len = 0;

	switch (t->tag) {
	case FDT_BEGIN_NODE: {
		const char *name = (const char *)fdt->dt_struct + off + 4;
		size_t n = str_len_within(name, left);

		if (n == left)
			return FDT_ERR_BADNAME;
		t->name = name;
		/* n < left <= struct_size < 2^31, so this cannot wrap. */
		t->next = (uint32_t)ALIGN_UP(off + 4 + n + 1, 4);
		return FDT_OK;
	}
	case FDT_PROP: {
		uint32_t nameoff;

		if (left < 8)
			return FDT_ERR_BADPROP;
		left -= 8;
		t->len = fdt_be32(fdt->dt_struct + off + 4);
		nameoff = fdt_be32(fdt->dt_struct + off + 8);
		if (t->len > left || nameoff >= fdt->strings_size)
			return FDT_ERR_BADPROP;
		if (str_len_within(fdt->dt_strings + nameoff, fdt->strings_size - nameoff) ==
		    fdt->strings_size - nameoff)
			return FDT_ERR_BADPROP;
		t->name = fdt->dt_strings + nameoff;
		t->data = fdt->dt_struct + off + 12;
		t->next = (uint32_t)ALIGN_UP(off + 12 + t->len, 4);
		return FDT_OK;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		t->next = off + 4;
		return FDT_OK;
	default:
		return FDT_ERR_BADSTRUCT;
	}
}

/* Offsets handed in by callers get the same checks plus "is a node". */
static int node_token(const struct fdt *fdt, int node, struct token *t)
{
	if (node < 0 || read_token(fdt, (uint32_t)node, t) != FDT_OK || t->tag != FDT_BEGIN_NODE)
		return FDT_ERR_BADOFFSET;
	return FDT_OK;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int check_layout(struct fdt *fdt, uint32_t off_struct, uint32_t off_strings,
			uint32_t off_memrsv, uint32_t hdr_size)
{
	uint64_t total = fdt->totalsize;
	uint64_t memrsv_len;

	if (off_struct < hdr_size || off_strings < hdr_size || off_memrsv < hdr_size)
		return FDT_ERR_BADLAYOUT;
	if (off_struct % 4 != 0 || off_memrsv % 8 != 0)
		return FDT_ERR_BADLAYOUT;
	if ((uint64_t)off_struct + fdt->struct_size > total ||
	    (uint64_t)off_strings + fdt->strings_size > total || off_memrsv > total)
		return FDT_ERR_BADLAYOUT;

	/* The reservation map has no size field: it ends at its 0/0 entry. */
	for (uint64_t off = off_memrsv;; off += MEMRSV_ENTRY_SIZE) {
		if (total - off < MEMRSV_ENTRY_SIZE)
			return FDT_ERR_BADMEMRSV;
		if (fdt_be64(fdt->blob + off) == 0 && fdt_be64(fdt->blob + off + 8) == 0)
			break;
		fdt->memrsv_count++;
	}
	memrsv_len = ((uint64_t)fdt->memrsv_count + 1) * MEMRSV_ENTRY_SIZE;

	if (ranges_overlap(off_struct, fdt->struct_size, off_strings, fdt->strings_size) ||
	    ranges_overlap(off_struct, fdt->struct_size, off_memrsv, memrsv_len) ||
	    ranges_overlap(off_strings, fdt->strings_size, off_memrsv, memrsv_len))
		return FDT_ERR_BADLAYOUT;

	fdt->dt_struct = fdt->blob + off_struct;
	fdt->dt_strings = (const char *)fdt->blob + off_strings;
	fdt->memrsv = fdt->blob + off_memrsv;
	return FDT_OK;
}

/*
 * One pass over the structure block so that later accessors can assume a
 * well-formed token stream: one root, balanced nodes, properties before
 * subnodes (spec 5.4.2), bounded depth, and a terminating FDT_END.
 */
static int check_struct(struct fdt *fdt)
{
	uint32_t off = 0;
	int depth = 0;
	bool root_seen = false;
	bool after_child = false; /* the open node already had a subnode */
	struct token t;
	int err;

	for (;;) {
		err = read_token(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0) {
				if (root_seen)
					return FDT_ERR_BADSTRUCT;
				root_seen = true;
				fdt->root = (int)off;
			}
			if (++depth > FDT_MAX_DEPTH)
				return FDT_ERR_TOODEEP;
			after_child = false;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return FDT_ERR_BADSTRUCT;
			depth--;
			after_child = true;
			break;
		case FDT_PROP:
			if (depth == 0 || after_child)
				return FDT_ERR_BADSTRUCT;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			return root_seen && depth == 0 ? FDT_OK : FDT_ERR_BADSTRUCT;
		}
		/* Every token advances by at least 4 bytes, so this terminates. */
		off = t.next;
	}
}

int fdt_init(struct fdt *fdt, const void *blob, size_t len)
{
	const uint8_t *b = blob;
	uint32_t version, last_comp, hdr_size;
	uint32_t off_struct, off_strings, off_memrsv;
	int err;

	memset(fdt, 0, sizeof(*fdt));
	if (!blob || len < 4)
		return FDT_ERR_TRUNCATED;
	if (fdt_be32(b + HDR_MAGIC) != FDT_MAGIC)
		return FDT_ERR_BADMAGIC;
	if (len < HDR_SIZE_V16)
		return FDT_ERR_TRUNCATED;
	version = fdt_be32(b + HDR_VERSION);
	last_comp = fdt_be32(b + HDR_LAST_COMP);
	if (version < FDT_MIN_VERSION || last_comp > FDT_VERSION)
		return FDT_ERR_BADVERSION;
	hdr_size = version >= 17 ? HDR_SIZE_V17 : HDR_SIZE_V16;
	if (len < hdr_size)
		return FDT_ERR_TRUNCATED;

	fdt->blob = b;
	fdt->totalsize = fdt_be32(b + HDR_TOTALSIZE);
	fdt->version = version;
	fdt->boot_cpuid = fdt_be32(b + HDR_BOOT_CPUID);
	if (fdt->totalsize > len)
		return FDT_ERR_TRUNCATED;
	/* Offsets are handed out as int. */
	if (fdt->totalsize < hdr_size || fdt->totalsize > INT32_MAX)
		return FDT_ERR_BADLAYOUT;

	off_struct = fdt_be32(b + HDR_OFF_STRUCT);
	off_strings = fdt_be32(b + HDR_OFF_STRINGS);
	off_memrsv = fdt_be32(b + HDR_OFF_MEMRSV);
	fdt->strings_size = fdt_be32(b + HDR_SIZE_STRINGS);
	if (version >= 17) {
		fdt->struct_size = fdt_be32(b + HDR_SIZE_STRUCT);
	} else {
		/* v16 has no size: the block runs to the next block or the end. */
		uint32_t end = fdt->totalsize;

		if (off_strings > off_struct && off_strings < end)
			end = off_strings;
		if (off_memrsv > off_struct && off_memrsv < end)
			end = off_memrsv;
		fdt->struct_size = off_struct < end ? end - off_struct : 0;
	}

	err = check_layout(fdt, off_struct, off_strings, off_memrsv, hdr_size);
	if (err)
		return err;
	return check_struct(fdt);
}

/* --- Nodes ------------------------------------------------------------- */

int fdt_root(const struct fdt *fdt)
{
	return fdt->root;
}

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	struct token t;
	uint32_t off;
	int err;

	err = node_token(fdt, node, &t);
	if (err)
		return err;
	for (off = t.next;; off = t.next) {
		err = read_token(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case FDT_BEGIN_NODE:
			if (depth)
				(*depth)++;
			return (int)off;
		case FDT_END_NODE:
			if (depth)
				(*depth)--;
			break;
		case FDT_END:
			return FDT_ERR_NOTFOUND;
		default:
			break;
		}
	}
}

int fdt_first_subnode(const struct fdt *fdt, int node)
{
	int depth = 0;
	int child = fdt_next_node(fdt, node, &depth);

	if (child < 0)
		return child;
	return depth == 1 ? child : FDT_ERR_NOTFOUND;
}

int fdt_next_subnode(const struct fdt *fdt, int node)
{
	int depth = 0;

	/* Skip our own subtree: a sibling is the next node back at depth 0. */
	do {
		node = fdt_next_node(fdt, node, &depth);
		if (node < 0)
			return node;
	} while (depth > 0);
	return depth == 0 ? node : FDT_ERR_NOTFOUND;
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH];
	int depth = 0;
	int n = fdt->root;
	struct token t;

	if (node_token(fdt, node, &t) != FDT_OK)
		return FDT_ERR_BADOFFSET;
	if (node == n)
		return FDT_ERR_NOTFOUND;
	stack[0] = n;
	for (;;) {
		n = fdt_next_node(fdt, n, &depth);
		if (n == FDT_ERR_NOTFOUND)
			return FDT_ERR_BADOFFSET;
		if (n < 0)
			return n;
		if (depth <= 0 || depth >= FDT_MAX_DEPTH)
			return FDT_ERR_BADSTRUCT;
		stack[depth] = n;
		if (n == node)
			return stack[depth - 1];
	}
}

int fdt_node_name(const struct fdt *fdt, int node, const char **name)
{
	struct token t;
	int err = node_token(fdt, node, &t);

	if (err)
		return err;
	*name = t.name;
	return FDT_OK;
}

bool fdt_name_is(const char *name, const char *base)
{
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

static bool has_char(const char *s, size_t len, char c)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == c)
			return true;
	}
	return false;
}

int fdt_subnode(const struct fdt *fdt, int parent, const char *name, size_t len)
{
	bool with_unit = has_char(name, len, '@');
	int base_match = FDT_ERR_NOTFOUND;
	unsigned int base_matches = 0;
	int child;

	for (child = fdt_first_subnode(fdt, parent); child >= 0;
	     child = fdt_next_subnode(fdt, child)) {
		const char *cname;
		int err = fdt_node_name(fdt, child, &cname);

		if (err)
			return err;
		if (strncmp(cname, name, len) != 0 || str_len_within(cname, len) != len)
			continue;
		if (cname[len] == '\0')
			return child;
		if (!with_unit && cname[len] == '@' && base_matches++ == 0)
			base_match = child;
	}
	if (child != FDT_ERR_NOTFOUND)
		return child;
	return base_matches == 1 ? base_match : FDT_ERR_NOTFOUND;
}

static int find_prop_len(const struct fdt *fdt, int node, const char *name, size_t len,
			 struct fdt_prop *prop)
{
	int err;

	for (err = fdt_first_prop(fdt, node, prop); err == FDT_OK; err = fdt_next_prop(fdt, prop)) {
		if (str_len_within(prop->name, len + 1) == len &&
		    strncmp(prop->name, name, len) == 0)
			return FDT_OK;
	}
	return err;
}

int fdt_find_path_len(const struct fdt *fdt, const char *path, size_t len)
{
	const char *p = path;
	const char *end = path + len;
	int node;

	if (!path || len == 0)
		return FDT_ERR_BADPATH;

	if (*p == '/') {
		node = fdt->root;
	} else {
		/* Spec 3.3: a path may start with an alias, which names a full path. */
		const char *q = p;
		struct fdt_prop alias;
		int aliases, err;

		while (q < end && *q != '/')
			q++;
		aliases = fdt_subnode(fdt, fdt->root, "aliases", 7);
		if (aliases < 0)
			return aliases;
		err = find_prop_len(fdt, aliases, p, (size_t)(q - p), &alias);
		if (err)
			return err;
		if (!fdt_prop_is_string(&alias) || alias.data[0] != '/')
			return FDT_ERR_BADPATH;
		node = fdt_find_path_len(fdt, (const char *)alias.data, alias.len - 1);
		if (node < 0)
			return node;
		p = q;
	}

	while (p < end) {
		const char *q;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		q = p;
		while (q < end && *q != '/')
			q++;
		node = fdt_subnode(fdt, node, p, (size_t)(q - p));
		if (node < 0)
			return node;
		p = q;
	}
	return node;
}

int fdt_find_path(const struct fdt *fdt, const char *path)
{
	if (!path)
		return FDT_ERR_BADPATH;
	return fdt_find_path_len(fdt, path, strlen(path));
}

int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle)
{
	int depth = 0;

	/* 0 and ~0 are never valid phandles (spec 2.3.3). */
	if (phandle == 0 || phandle == 0xffffffffu)
		return FDT_ERR_NOTFOUND;
	for (int node = fdt->root; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		uint32_t val;

		if (fdt_get_u32(fdt, node, "phandle", &val) == FDT_OK && val == phandle)
			return node;
		if (fdt_get_u32(fdt, node, "linux,phandle", &val) == FDT_OK && val == phandle)
			return node;
	}
	return FDT_ERR_NOTFOUND;
}

/*
 * Spec 2.4.1: follow "interrupt-parent" if present, else the tree parent, until
 * a node with #interrupt-cells. The hop limit stops phandle cycles.
 */
int fdt_interrupt_parent(const struct fdt *fdt, int node)
{
	for (int hop = 0; hop < 2 * FDT_MAX_DEPTH; hop++) {
		struct fdt_prop prop;
		uint32_t phandle;
		int err = fdt_get_u32(fdt, node, "interrupt-parent", &phandle);

		if (err == FDT_OK) {
			node = fdt_find_phandle(fdt, phandle);
			if (node == FDT_ERR_NOTFOUND)
				return FDT_ERR_BADVALUE;
		} else if (err == FDT_ERR_NOTFOUND) {
			node = fdt_parent(fdt, node);
		} else {
			return err;
		}
		if (node < 0)
			return node;
		err = fdt_get_prop(fdt, node, "#interrupt-cells", &prop);
		if (err != FDT_ERR_NOTFOUND)
			return err ? err : node;
	}
	return FDT_ERR_BADVALUE;
}

/* --- Properties -------------------------------------------------------- */

/* The first property at or after `off`, skipping NOPs, within one node. */
static int prop_at(const struct fdt *fdt, uint32_t off, struct fdt_prop *prop)
{
	struct token t;
	int err;

	for (;; off = t.next) {
		err = read_token(fdt, off, &t);
		if (err)
			return err;
		if (t.tag == FDT_NOP)
			continue;
		if (t.tag != FDT_PROP)
			return FDT_ERR_NOTFOUND;
		prop->name = t.name;
		prop->data = t.data;
		prop->len = t.len;
		prop->next = (int)t.next;
		return FDT_OK;
	}
}

int fdt_first_prop(const struct fdt *fdt, int node, struct fdt_prop *prop)
{
	struct token t;
	int err = node_token(fdt, node, &t);

	if (err)
		return err;
	return prop_at(fdt, t.next, prop);
}

int fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop)
{
	if (prop->next < 0)
		return FDT_ERR_BADOFFSET;
	return prop_at(fdt, (uint32_t)prop->next, prop);
}

int fdt_get_prop(const struct fdt *fdt, int node, const char *name, struct fdt_prop *prop)
{
	int err;

	for (err = fdt_first_prop(fdt, node, prop); err == FDT_OK; err = fdt_next_prop(fdt, prop)) {
		if (strcmp(prop->name, name) == 0)
			return FDT_OK;
	}
	return err;
}

int fdt_get_u32(const struct fdt *fdt, int node, const char *name, uint32_t *val)
{
	struct fdt_prop prop;
	int err = fdt_get_prop(fdt, node, name, &prop);

	if (err)
		return err;
	if (prop.len != 4)
		return FDT_ERR_BADVALUE;
	*val = fdt_be32(prop.data);
	return FDT_OK;
}

int fdt_get_u64(const struct fdt *fdt, int node, const char *name, uint64_t *val)
{
	struct fdt_prop prop;
	int err = fdt_get_prop(fdt, node, name, &prop);

	if (err)
		return err;
	if (prop.len != 4 && prop.len != 8)
		return FDT_ERR_BADVALUE;
	return fdt_read_cells(prop.data, prop.len / 4, val);
}

bool fdt_prop_is_string(const struct fdt_prop *prop)
{
	return prop->len > 0 &&
	       str_len_within((const char *)prop->data, prop->len) == prop->len - 1;
}

int fdt_get_string(const struct fdt *fdt, int node, const char *name, const char **str)
{
	struct fdt_prop prop;
	int err = fdt_get_prop(fdt, node, name, &prop);

	if (err)
		return err;
	if (!fdt_prop_is_string(&prop))
		return FDT_ERR_BADVALUE;
	*str = (const char *)prop.data;
	return FDT_OK;
}

bool fdt_stringlist_contains(const void *list, uint32_t len, const char *str)
{
	const char *p = list;
	size_t want = strlen(str);

	/* An unterminated last entry is malformed and never matches. */
	while (len > 0) {
		size_t n = str_len_within(p, len);

		if (n == len)
			return false;
		if (n == want && memcmp(p, str, n) == 0)
			return true;
		p += n + 1;
		len -= (uint32_t)(n + 1);
	}
	return false;
}

bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	struct fdt_prop prop;

	if (fdt_get_prop(fdt, node, "compatible", &prop) != FDT_OK)
		return false;
	return fdt_stringlist_contains(prop.data, prop.len, compat);
}

bool fdt_is_available(const struct fdt *fdt, int node)
{
	const char *status;
	int err = fdt_get_string(fdt, node, "status", &status);

	if (err == FDT_ERR_NOTFOUND)
		return true;
	if (err)
		return false;
	return strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

/* --- Addresses --------------------------------------------------------- */

int fdt_get_cells(const struct fdt *fdt, int node, struct fdt_cells *cells)
{
	int err;

	err = fdt_get_u32(fdt, node, "#address-cells", &cells->addr);
	if (err == FDT_ERR_NOTFOUND)
		cells->addr = 2;
	else if (err)
		return err;
	err = fdt_get_u32(fdt, node, "#size-cells", &cells->size);
	if (err == FDT_ERR_NOTFOUND)
		cells->size = 1;
	else if (err)
		return err;
	return FDT_OK;
}

int fdt_reg_count(const struct fdt_prop *reg, struct fdt_cells cells)
{
	uint32_t entry;

	if (cells.addr == 0 || cells.addr > 2 || cells.size > 2)
		return FDT_ERR_BADCELLS;
	entry = (cells.addr + cells.size) * 4;
	if (reg->len % entry != 0)
		return FDT_ERR_BADVALUE;
	return (int)(reg->len / entry);
}

int fdt_reg_entry(const struct fdt_prop *reg, struct fdt_cells cells, unsigned int index,
		  uint64_t *addr, uint64_t *size)
{
	int count = fdt_reg_count(reg, cells);
	const uint8_t *p;

	if (count < 0)
		return count;
	if (index >= (unsigned int)count)
		return FDT_ERR_NOTFOUND;
	p = reg->data + (size_t)index * (cells.addr + cells.size) * 4;
	fdt_read_cells(p, cells.addr, addr);
	fdt_read_cells(p + cells.addr * 4, cells.size, size);
	return FDT_OK;
}

/* --- Memory reservation block ------------------------------------------ */

unsigned int fdt_memrsv_count(const struct fdt *fdt)
{
	return fdt->memrsv_count;
}

int fdt_memrsv_entry(const struct fdt *fdt, unsigned int index, uint64_t *addr, uint64_t *size)
{
	const uint8_t *p;

	if (index >= fdt->memrsv_count)
		return FDT_ERR_NOTFOUND;
	p = fdt->memrsv + (size_t)index * MEMRSV_ENTRY_SIZE;
	*addr = fdt_be64(p);
	*size = fdt_be64(p + 8);
	return FDT_OK;
}
