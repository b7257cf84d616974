/* SPDX-License-Identifier: MIT */
/* Declarations shared inside the test-guest runtime only. */
#ifndef GUEST_INTERNAL_H
#define GUEST_INTERNAL_H

#include "guest.h"

void console_init(void);
void exception_init(void);
void guest_start(const void *dtb);
void guest_exception(struct exc_frame *frame, unsigned kind);

/*
 * Minimal flattened device tree reader (fdt.c): fdt_valid() checks the
 * header; fdt_getprop() finds property NAME of the node at absolute PATH
 * ("/chosen", "/psci"; a path component without "@unit" matches any unit
 * address) and returns its value and length, or NULL.
 */
bool fdt_valid(const void *dtb);
const void *fdt_getprop(const void *dtb, const char *path, const char *name, uint32_t *len);
/* guest_dt_regions() for any DTB. */
int fdt_regions(const void *dtb, dt_region_fn fn, void *arg);

#endif
