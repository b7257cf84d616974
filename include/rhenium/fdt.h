/* SPDX-License-Identifier: MIT */
/*
 * Flattened device tree (DTB) reader, devicetree specification v0.4 chapter 5.
 *
 * fdt_init() validates the header and the whole structure block once; after
 * that every accessor still bounds-checks what it reads, so a bad node offset
 * or a blob changed behind our back gives an error code instead of a wild
 * read. Nothing here allocates or keeps global state; all results point into
 * the caller's blob.
 *
 * Nodes are named by int offsets (of their FDT_BEGIN_NODE token, relative to
 * the structure block). Functions returning int give >= 0 on success and a
 * negative enum fdt_error value otherwise.
 */
#ifndef RHENIUM_FDT_H
#define RHENIUM_FDT_H

#include <rhenium/types.h>

#define FDT_MAGIC 0xd00dfeedu
/* The version we write to and the oldest we can read (spec 5.2). */
#define FDT_VERSION 17u
#define FDT_MIN_VERSION 16u
/*
 * Real trees are well under 10 levels deep; the cap bounds the stacks that
 * tree walkers keep (fdt_parent(), platform discovery).
 */
#define FDT_MAX_DEPTH 32

enum fdt_error {
	FDT_OK = 0,
	FDT_ERR_NOTFOUND = -1,	/* no such node/property/entry: not a malformation */
	FDT_ERR_TRUNCATED = -2, /* buffer shorter than the header or totalsize */
	FDT_ERR_BADMAGIC = -3,
	FDT_ERR_BADVERSION = -4,
	FDT_ERR_BADLAYOUT = -5,	 /* a block outside totalsize, misaligned or overlapping */
	FDT_ERR_BADMEMRSV = -6,	 /* memory reservation map not terminated */
	FDT_ERR_BADSTRUCT = -7,	 /* bad token, unbalanced nodes, missing FDT_END */
	FDT_ERR_BADNAME = -8,	 /* node name not terminated inside the structure block */
	FDT_ERR_BADPROP = -9,	 /* property value or name offset out of range */
	FDT_ERR_TOODEEP = -10,	 /* nesting deeper than FDT_MAX_DEPTH */
	FDT_ERR_BADOFFSET = -11, /* offset passed in is not a node/property */
	FDT_ERR_BADVALUE = -12,	 /* property has the wrong length or format */
	FDT_ERR_BADCELLS = -13,	 /* #address-cells/#size-cells not supported */
	FDT_ERR_BADPATH = -14,	 /* path or alias malformed */
};

/* Short English description of an enum fdt_error value (never NULL). */
const char *fdt_strerror(int err);

struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t version;
	uint32_t boot_cpuid;
	const uint8_t *dt_struct;
	uint32_t struct_size;
	const char *dt_strings;
	uint32_t strings_size;
	const uint8_t *memrsv;
	uint32_t memrsv_count; /* entries before the 0/0 terminator */
	int root;	       /* offset of the root node */
};

/*
 * Validates the blob at `blob` (at most `len` readable bytes) and fills `fdt`.
 * Returns FDT_OK or the first problem found; `fdt` is unusable on error.
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t len);

/* Big-endian loads from possibly unaligned memory. */
uint32_t fdt_be32(const void *p);
uint64_t fdt_be64(const void *p);
/* Reads 0, 1 or 2 cells as one number; more is FDT_ERR_BADCELLS. */
int fdt_read_cells(const void *p, uint32_t ncells, uint64_t *val);

/* --- Nodes ------------------------------------------------------------- */

int fdt_root(const struct fdt *fdt);
/*
 * Next node in document order after `node`. If `depth` is non-NULL it is
 * adjusted by the nesting change (+1 into a child, -1 per closed node), so
 * starting from the root with *depth = 0 yields absolute depths, and a walk
 * of one subtree ends once *depth drops back to the starting value.
 * Returns FDT_ERR_NOTFOUND after the last node.
 */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);
/* Children of `node`, in order; FDT_ERR_NOTFOUND when there are no more. */
int fdt_first_subnode(const struct fdt *fdt, int node);
int fdt_next_subnode(const struct fdt *fdt, int node);
/* Parent of `node` (walks from the root); FDT_ERR_NOTFOUND for the root. */
int fdt_parent(const struct fdt *fdt, int node);

/* Full node name including any unit address; "" for the root. */
int fdt_node_name(const struct fdt *fdt, int node, const char **name);
/* True if `name` is `base` or `base@unit-address` ("memory@0" is "memory"). */
bool fdt_name_is(const char *name, const char *base);

/*
 * Child of `parent` called name[0..len). A name without '@' also matches a
 * child with a unit address, but only if exactly one child does (spec 2.2.3).
 */
int fdt_subnode(const struct fdt *fdt, int parent, const char *name, size_t len);
/*
 * Node at an absolute path ("/cpus/cpu@0"), or at a path starting with an
 * alias from /aliases ("serial0", "serial0/child"). fdt_find_path_len looks
 * at path[0..len) only, so "serial0:115200n8" can be resolved in place.
 */
int fdt_find_path(const struct fdt *fdt, const char *path);
int fdt_find_path_len(const struct fdt *fdt, const char *path, size_t len);
/* Node whose "phandle" (or legacy "linux,phandle") is `phandle`. */
int fdt_find_phandle(const struct fdt *fdt, uint32_t phandle);

/*
 * The interrupt controller `node`'s "interrupts" refer to (spec 2.4.1): the
 * first node with #interrupt-cells reached through "interrupt-parent" links or,
 * where there is none, tree parents. FDT_ERR_NOTFOUND if there is none;
 * FDT_ERR_BADVALUE for a dangling phandle or a cycle.
 */
int fdt_interrupt_parent(const struct fdt *fdt, int node);

/* --- Properties -------------------------------------------------------- */

struct fdt_prop {
	const char *name;    /* NUL-terminated, inside the strings block */
	const uint8_t *data; /* `len` bytes inside the structure block */
	uint32_t len;
	int next; /* iteration cursor: offset of the token after this property */
};

/* Properties of `node`, in order; FDT_ERR_NOTFOUND when there are no more. */
int fdt_first_prop(const struct fdt *fdt, int node, struct fdt_prop *prop);
int fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop);
int fdt_get_prop(const struct fdt *fdt, int node, const char *name, struct fdt_prop *prop);

/* Exactly one cell; FDT_ERR_BADVALUE for any other length. */
int fdt_get_u32(const struct fdt *fdt, int node, const char *name, uint32_t *val);
/* One or two cells (e.g. linux,initrd-start); other lengths are FDT_ERR_BADVALUE. */
int fdt_get_u64(const struct fdt *fdt, int node, const char *name, uint64_t *val);
/* A single string: must be NUL-terminated within the value. */
int fdt_get_string(const struct fdt *fdt, int node, const char *name, const char **str);
/* True if the value is one NUL-terminated string with no embedded NUL. */
bool fdt_prop_is_string(const struct fdt_prop *prop);
/* True if the <stringlist> value contains `str` as a complete entry. */
bool fdt_stringlist_contains(const void *list, uint32_t len, const char *str);
/* True if `node`'s "compatible" lists `compat` (false on any error). */
bool fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* "status" absent, "okay" or the legacy "ok" (spec 2.3.4); false on error. */
bool fdt_is_available(const struct fdt *fdt, int node);

/* --- Addresses --------------------------------------------------------- */

struct fdt_cells {
	uint32_t addr;
	uint32_t size;
};

/*
 * The #address-cells/#size-cells `node` declares for its children, with the
 * spec defaults of 2 and 1 when absent (spec 2.3.5). Values are returned as
 * found; decoding refuses what it cannot handle.
 */
int fdt_get_cells(const struct fdt *fdt, int node, struct fdt_cells *cells);
/*
 * Entries of a "reg"-shaped property with the given (parent's) cells.
 * fdt_reg_count fails with FDT_ERR_BADCELLS if addr or size cells exceed 2
 * (or addr is 0), FDT_ERR_BADVALUE if the length is not a whole number of
 * entries.
 */
int fdt_reg_count(const struct fdt_prop *reg, struct fdt_cells cells);
int fdt_reg_entry(const struct fdt_prop *reg, struct fdt_cells cells, unsigned int index,
		  uint64_t *addr, uint64_t *size);

/* --- Memory reservation block (/memreserve/) --------------------------- */

unsigned int fdt_memrsv_count(const struct fdt *fdt);
int fdt_memrsv_entry(const struct fdt *fdt, unsigned int index, uint64_t *addr, uint64_t *size);

#endif
