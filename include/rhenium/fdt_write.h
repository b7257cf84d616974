/* SPDX-License-Identifier: MIT */
/*
 * Flattened device tree (DTB) writer, devicetree specification v0.4 chapter 5.
 *
 * Builds a blob in a caller-provided buffer, without allocation: the header
 * and memory reservation map first, the structure block growing up behind
 * them and the strings block growing down from the end of the buffer;
 * fdt_write_finish() moves the strings down behind the structure block and
 * fills in the header (version 17, last compatible version 16, boot CPU 0).
 *
 * Errors are sticky: the first failure (buffer full, unbalanced nesting, a
 * call out of order, a name the spec does not allow) is remembered, every
 * later call does nothing, and fdt_write_finish() returns it. So a builder
 * can make all its calls unconditionally and check once at the end.
 *
 * Order rules (spec 5.3, 5.4.2): memory reservations before the first node;
 * exactly one root node (name ""); a node's properties before its children.
 */
#ifndef RHENIUM_FDT_WRITE_H
#define RHENIUM_FDT_WRITE_H

#include <rhenium/types.h>

enum fdt_write_error {
	FDT_WRITE_OK = 0,
	FDT_WRITE_ERR_NOSPACE = -1,  /* the buffer is too small */
	FDT_WRITE_ERR_NESTING = -2,  /* end without begin, a second root, finish with nodes open */
	FDT_WRITE_ERR_ORDER = -3,    /* memreserve after a node, property outside a node or after
					a child, any call after finish */
	FDT_WRITE_ERR_BADNAME = -4,  /* node or property name not allowed by spec 2.2.1 / 2.2.4 */
	FDT_WRITE_ERR_BADVALUE = -5, /* NULL value with a non-zero length, NULL string */
};

/* Short English description of an enum fdt_write_error value (never NULL). */
const char *fdt_write_strerror(int err);

/* Writer state; treat as opaque. */
struct fdt_writer {
	uint8_t *buf;
	uint32_t size;	     /* usable bytes: the buffer length, capped at UINT32_MAX */
	uint32_t pos;	     /* end of header + reservation map + structure block so far */
	uint32_t strings_lo; /* the strings block is buf[strings_lo, size) while writing */
	uint32_t off_struct; /* 0 until the root node is begun */
	uint32_t depth;	     /* nodes open */
	bool root_done;
	bool props_closed; /* the innermost open node already has a child */
	bool finished;
	int error;
};

/* Starts a blob in buf[0, size). */
void fdt_write_init(struct fdt_writer *w, void *buf, size_t size);

/* Adds a /memreserve/ entry (spec 5.3); only before the root node. */
void fdt_write_memrsv(struct fdt_writer *w, uint64_t addr, uint64_t size);

/*
 * Opens a node: "" for the root, otherwise "name" or "name@unit" (spec
 * 2.2.1: a letter first, at most 31 characters before '@').
 * fdt_write_begin_node_at() appends "@<unit in lowercase hex>".
 */
void fdt_write_begin_node(struct fdt_writer *w, const char *name);
void fdt_write_begin_node_at(struct fdt_writer *w, const char *name, uint64_t unit);
void fdt_write_end_node(struct fdt_writer *w);

/*
 * Properties of the innermost open node. Names are 1-31 characters from
 * spec 2.2.4's set. Property name strings are stored once and shared
 * (including as suffixes of longer names).
 */
void fdt_write_prop(struct fdt_writer *w, const char *name, const void *val, size_t len);
void fdt_write_prop_empty(struct fdt_writer *w, const char *name);
void fdt_write_prop_u32(struct fdt_writer *w, const char *name, uint32_t val);
/* Two cells, most significant first (e.g. linux,initrd-start). */
void fdt_write_prop_u64(struct fdt_writer *w, const char *name, uint64_t val);
void fdt_write_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells,
			  size_t count);
void fdt_write_prop_string(struct fdt_writer *w, const char *name, const char *str);
/* A <stringlist>: the strings one after another, each with its NUL. */
void fdt_write_prop_strings(struct fdt_writer *w, const char *name, const char *const *list,
			    size_t count);

/* The first error so far (FDT_WRITE_OK if none). */
int fdt_write_error(const struct fdt_writer *w);

/*
 * Ends the structure block, places the strings block, writes the header and
 * stores the blob's total size in *total_size (if non-NULL). Returns
 * FDT_WRITE_OK or the sticky error; on error the buffer holds no valid blob.
 */
int fdt_write_finish(struct fdt_writer *w, size_t *total_size);

#endif
