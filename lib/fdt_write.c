/* SPDX-License-Identifier: MIT */
/*
 * Flattened device tree writer (devicetree specification v0.4 chapter 5).
 *
 * Layout while writing, in the caller's buffer:
 *
 *   [header 40][reservation map ...][structure block ...] free [... strings]
 *   0                                                   pos  strings_lo  size
 *
 * Neither the number of reservations, the structure size nor the strings
 * size is known up front, and there is no allocator, so the strings grow
 * down from the end. A string's final offset (from the start of the strings
 * block) is only known once the block stops growing, so a property's nameoff
 * holds the string's distance from the end of the buffer until
 * fdt_write_finish() rewrites it.
 */
#include <rhenium/fdt.h>
#include <rhenium/fdt_write.h>
#include <rhenium/format.h>
#include <rhenium/string.h>

#define TOKEN_BEGIN_NODE 0x1u
#define TOKEN_END_NODE 0x2u
#define TOKEN_PROP 0x3u
#define TOKEN_END 0x9u

#define HEADER_SIZE 40u
#define MEMRSV_ENTRY_SIZE 16u
#define PROP_HEADER_SIZE 12u /* token, len, nameoff */

/* Spec 2.2.1 / 2.2.4: at most 31 characters in a node name or property name. */
#define NAME_MAX_LEN 31u
/* Room for "name@" plus 16 hex digits. */
#define NODE_NAME_BUF (NAME_MAX_LEN + 1 + 16 + 1)

const char *fdt_write_strerror(int err)
{
	switch (err) {
	case FDT_WRITE_OK:
		return "ok";
	case FDT_WRITE_ERR_NOSPACE:
		return "buffer too small";
	case FDT_WRITE_ERR_NESTING:
		return "unbalanced nodes";
	case FDT_WRITE_ERR_ORDER:
		return "call out of order";
	case FDT_WRITE_ERR_BADNAME:
		return "invalid node or property name";
	case FDT_WRITE_ERR_BADVALUE:
		return "invalid property value";
	default:
		return "unknown error";
	}
}

static void fdt_write_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void fdt_write_be64(uint8_t *p, uint64_t v)
{
	fdt_write_be32(p, (uint32_t)(v >> 32));
	fdt_write_be32(p + 4, (uint32_t)v);
}

/* Records the first error only; returns false so callers can `return fail()`. */
static bool fdt_write_fail(struct fdt_writer *w, int err)
{
	if (w->error == FDT_WRITE_OK)
		w->error = err;
	return false;
}

static bool fdt_write_usable(struct fdt_writer *w)
{
	if (w->error)
		return false;
	if (w->finished)
		return fdt_write_fail(w, FDT_WRITE_ERR_ORDER);
	return true;
}

/*
 * Claims `len` bytes at the end of the structure block, zero-padded to the
 * next 4-byte boundary (tokens are 4-byte aligned, spec 5.4.1). NULL once out
 * of space.
 */
static uint8_t *fdt_write_reserve(struct fdt_writer *w, size_t len)
{
	size_t padded = ALIGN_UP(len, 4);
	uint8_t *p;

	if (padded < len || padded > (size_t)(w->strings_lo - w->pos)) {
		fdt_write_fail(w, FDT_WRITE_ERR_NOSPACE);
		return NULL;
	}
	p = w->buf + w->pos;
	memset(p + len, 0, padded - len);
	w->pos += (uint32_t)padded;
	return p;
}

static void fdt_write_token(struct fdt_writer *w, uint32_t token)
{
	uint8_t *p = fdt_write_reserve(w, 4);

	if (p)
		fdt_write_be32(p, token);
}

static bool fdt_write_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool fdt_write_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Spec 2.2.1, table 2.1; the unit address uses the same characters. */
static bool fdt_write_node_char(char c)
{
	return fdt_write_is_alnum(c) || c == ',' || c == '.' || c == '_' || c == '+' || c == '-';
}

static bool fdt_write_node_name_ok(const char *name)
{
	const char *at = NULL;
	size_t len = 0;

	if (!fdt_write_is_letter(name[0]))
		return false;
	for (const char *p = name; *p; p++) {
		if (*p == '@' && !at) {
			at = p;
			continue;
		}
		if (!fdt_write_node_char(*p))
			return false;
		if (!at)
			len++;
	}
	if (len > NAME_MAX_LEN)
		return false;
	return !at || at[1] != '\0';
}

/* Spec 2.2.4, table 2.2. */
static bool fdt_write_prop_name_ok(const char *name)
{
	size_t len = 0;

	for (const char *p = name; *p; p++, len++) {
		char c = *p;

		if (!fdt_write_is_alnum(c) && c != ',' && c != '.' && c != '_' && c != '+' &&
		    c != '?' && c != '#' && c != '-')
			return false;
	}
	return len >= 1 && len <= NAME_MAX_LEN;
}

void fdt_write_init(struct fdt_writer *w, void *buf, size_t size)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	/* totalsize and every offset are 32-bit fields. */
	w->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	w->strings_lo = w->size;
	if (!buf || w->size < HEADER_SIZE) {
		w->size = 0;
		w->strings_lo = 0;
		fdt_write_fail(w, FDT_WRITE_ERR_NOSPACE);
		return;
	}
	w->pos = HEADER_SIZE;
}

void fdt_write_memrsv(struct fdt_writer *w, uint64_t addr, uint64_t size)
{
	uint8_t *p;

	if (!fdt_write_usable(w))
		return;
	if (w->off_struct) {
		fdt_write_fail(w, FDT_WRITE_ERR_ORDER);
		return;
	}
	p = fdt_write_reserve(w, MEMRSV_ENTRY_SIZE);
	if (p) {
		fdt_write_be64(p, addr);
		fdt_write_be64(p + 8, size);
	}
}

void fdt_write_begin_node(struct fdt_writer *w, const char *name)
{
	size_t len;
	uint8_t *p;

	if (!fdt_write_usable(w))
		return;
	if (!name) {
		fdt_write_fail(w, FDT_WRITE_ERR_BADNAME);
		return;
	}
	if (w->depth == 0) {
		/* Exactly one root (5.4.2), and it alone has the empty name. */
		if (w->root_done || name[0] != '\0') {
			fdt_write_fail(w, w->root_done ? FDT_WRITE_ERR_NESTING
						       : FDT_WRITE_ERR_BADNAME);
			return;
		}
		/* The reservation map ends with a 0/0 entry right before the structure block. */
		p = fdt_write_reserve(w, MEMRSV_ENTRY_SIZE);
		if (!p)
			return;
		memset(p, 0, MEMRSV_ENTRY_SIZE);
		w->off_struct = w->pos;
	} else if (!fdt_write_node_name_ok(name)) {
		fdt_write_fail(w, FDT_WRITE_ERR_BADNAME);
		return;
	} else if (w->depth >= FDT_MAX_DEPTH) {
		/* Deeper than our own reader (and any walker in Rhenium) accepts. */
		fdt_write_fail(w, FDT_WRITE_ERR_NESTING);
		return;
	}
	len = strlen(name) + 1;
	p = fdt_write_reserve(w, 4 + len);
	if (!p)
		return;
	fdt_write_be32(p, TOKEN_BEGIN_NODE);
	memcpy(p + 4, name, len);
	w->depth++;
	w->props_closed = false;
}

void fdt_write_begin_node_at(struct fdt_writer *w, const char *name, uint64_t unit)
{
	char full[NODE_NAME_BUF];
	int n;

	if (!fdt_write_usable(w))
		return;
	if (!name) {
		fdt_write_fail(w, FDT_WRITE_ERR_BADNAME);
		return;
	}
	n = fmt_snprintf(full, sizeof(full), "%s@%llx", name, (unsigned long long)unit);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		fdt_write_fail(w, FDT_WRITE_ERR_BADNAME);
		return;
	}
	fdt_write_begin_node(w, full);
}

void fdt_write_end_node(struct fdt_writer *w)
{
	if (!fdt_write_usable(w))
		return;
	if (w->depth == 0) {
		fdt_write_fail(w, FDT_WRITE_ERR_NESTING);
		return;
	}
	fdt_write_token(w, TOKEN_END_NODE);
	if (w->error)
		return;
	w->depth--;
	if (w->depth == 0)
		w->root_done = true;
	/* Back in the parent, which now has a child: no more properties there (5.4.2). */
	w->props_closed = true;
}

/*
 * Offset of `name` in the strings block, as a distance from the end of the
 * buffer (see the top of the file). Reuses any existing occurrence, which
 * may be the tail of a longer name ("cells" in "#size-cells").
 */
static bool fdt_write_string(struct fdt_writer *w, const char *name, uint32_t *from_end)
{
	size_t len = strlen(name) + 1;

	for (uint32_t p = w->strings_lo; w->size - p >= len; p++) {
		if (memcmp(w->buf + p, name, len) == 0) {
			*from_end = w->size - p;
			return true;
		}
	}
	if (len > (size_t)(w->strings_lo - w->pos))
		return fdt_write_fail(w, FDT_WRITE_ERR_NOSPACE);
	w->strings_lo -= (uint32_t)len;
	memcpy(w->buf + w->strings_lo, name, len);
	*from_end = w->size - w->strings_lo;
	return true;
}

/* Writes a property header and returns where its `len` value bytes go. */
static uint8_t *fdt_write_prop_start(struct fdt_writer *w, const char *name, size_t len)
{
	uint32_t nameoff;
	uint8_t *p;

	if (!fdt_write_usable(w))
		return NULL;
	if (w->depth == 0 || w->props_closed) {
		fdt_write_fail(w, FDT_WRITE_ERR_ORDER);
		return NULL;
	}
	if (!name || !fdt_write_prop_name_ok(name)) {
		fdt_write_fail(w, FDT_WRITE_ERR_BADNAME);
		return NULL;
	}
	if (len > UINT32_MAX - PROP_HEADER_SIZE - 3) {
		fdt_write_fail(w, FDT_WRITE_ERR_NOSPACE);
		return NULL;
	}
	if (!fdt_write_string(w, name, &nameoff))
		return NULL;
	p = fdt_write_reserve(w, PROP_HEADER_SIZE + len);
	if (!p)
		return NULL;
	fdt_write_be32(p, TOKEN_PROP);
	fdt_write_be32(p + 4, (uint32_t)len);
	fdt_write_be32(p + 8, nameoff);
	return p + PROP_HEADER_SIZE;
}

void fdt_write_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
	uint8_t *p;

	if (!val && len) {
		if (fdt_write_usable(w))
			fdt_write_fail(w, FDT_WRITE_ERR_BADVALUE);
		return;
	}
	p = fdt_write_prop_start(w, name, len);
	if (p && len)
		memcpy(p, val, len);
}

void fdt_write_prop_empty(struct fdt_writer *w, const char *name)
{
	fdt_write_prop_start(w, name, 0);
}

void fdt_write_prop_u32(struct fdt_writer *w, const char *name, uint32_t val)
{
	uint8_t *p = fdt_write_prop_start(w, name, 4);

	if (p)
		fdt_write_be32(p, val);
}

void fdt_write_prop_u64(struct fdt_writer *w, const char *name, uint64_t val)
{
	uint8_t *p = fdt_write_prop_start(w, name, 8);

	if (p)
		fdt_write_be64(p, val);
}

void fdt_write_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells,
			  size_t count)
{
	uint8_t *p;

	if ((!cells && count) || count > UINT32_MAX / 4) {
		if (fdt_write_usable(w))
			fdt_write_fail(w, FDT_WRITE_ERR_BADVALUE);
		return;
	}
	p = fdt_write_prop_start(w, name, count * 4);
	for (size_t i = 0; p && i < count; i++)
		fdt_write_be32(p + 4 * i, cells[i]);
}

void fdt_write_prop_string(struct fdt_writer *w, const char *name, const char *str)
{
	if (!str) {
		if (fdt_write_usable(w))
			fdt_write_fail(w, FDT_WRITE_ERR_BADVALUE);
		return;
	}
	fdt_write_prop(w, name, str, strlen(str) + 1);
}

void fdt_write_prop_strings(struct fdt_writer *w, const char *name, const char *const *list,
			    size_t count)
{
	size_t total = 0;
	uint8_t *p;

	if (!list && count) {
		if (fdt_write_usable(w))
			fdt_write_fail(w, FDT_WRITE_ERR_BADVALUE);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		if (!list[i]) {
			if (fdt_write_usable(w))
				fdt_write_fail(w, FDT_WRITE_ERR_BADVALUE);
			return;
		}
		total += strlen(list[i]) + 1;
	}
	p = fdt_write_prop_start(w, name, total);
	for (size_t i = 0; p && i < count; i++) {
		size_t len = strlen(list[i]) + 1;

		memcpy(p, list[i], len);
		p += len;
	}
}

int fdt_write_error(const struct fdt_writer *w)
{
	return w->error;
}

/*
 * Turns every nameoff from "distance from the end of the buffer" into an
 * offset into the final strings block. The tokens are our own, so only
 * the ones we emit need decoding.
 */
static void fdt_write_fix_nameoffs(struct fdt_writer *w, uint32_t strings_size)
{
	uint32_t off = w->off_struct;

	while (off < w->pos) {
		uint8_t *p = w->buf + off;
		uint32_t token = fdt_be32(p);

		if (token == TOKEN_BEGIN_NODE) {
			off += (uint32_t)ALIGN_UP(4 + strlen((const char *)p + 4) + 1, 4);
		} else if (token == TOKEN_PROP) {
			uint32_t len = fdt_be32(p + 4);

			fdt_write_be32(p + 8, strings_size - fdt_be32(p + 8));
			off += PROP_HEADER_SIZE + (uint32_t)ALIGN_UP(len, 4);
		} else {
			off += 4;
		}
	}
}

int fdt_write_finish(struct fdt_writer *w, size_t *total_size)
{
	uint32_t strings_size, struct_size;
	uint8_t *h;

	if (!fdt_write_usable(w))
		return w->error;
	if (!w->root_done)
		fdt_write_fail(w, FDT_WRITE_ERR_NESTING);
	else
		fdt_write_token(w, TOKEN_END);
	if (w->error)
		return w->error;

	strings_size = w->size - w->strings_lo;
	struct_size = w->pos - w->off_struct;
	fdt_write_fix_nameoffs(w, strings_size);
	memmove(w->buf + w->pos, w->buf + w->strings_lo, strings_size);

	h = w->buf;
	fdt_write_be32(h + 0, FDT_MAGIC);
	fdt_write_be32(h + 4, w->pos + strings_size);
	fdt_write_be32(h + 8, w->off_struct);
	fdt_write_be32(h + 12, w->pos);
	fdt_write_be32(h + 16, HEADER_SIZE);
	fdt_write_be32(h + 20, FDT_VERSION);
	fdt_write_be32(h + 24, FDT_MIN_VERSION);
	fdt_write_be32(h + 28, 0); /* boot_cpuid_phys: the CPU whose reg is 0 boots */
	fdt_write_be32(h + 32, strings_size);
	fdt_write_be32(h + 36, struct_size);

	w->finished = true;
	if (total_size)
		*total_size = w->pos + strings_size;
	return FDT_WRITE_OK;
}
