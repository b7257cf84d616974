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
/*
 * The node at PATH's first PATH_LEN bytes (a stdout-path without its
 * ":options"): a pointer to its name in the DTB, the same pointer
 * struct dt_region's node holds for it. NULL if there is none.
 */
const char *fdt_node(const void *dtb, const char *path, size_t path_len);
/* Whether S is one of the NUL-separated strings of LIST (LEN bytes). */
bool fdt_stringlist_contains(const char *list, uint32_t len, const char *s);
/* guest_dt_regions() for any DTB. */
int fdt_regions(const void *dtb, dt_region_fn fn, void *arg);
/* Up to MAX CPU MPIDRs (/cpus/<cpu> reg) in DTB order; their count, or -1 if malformed. */
int fdt_cpus(const void *dtb, uint64_t *mpidr, unsigned max);

/* Fill guest_platform from DTB (NULL: QEMU virt's addresses); prints nothing. */
void platform_init(const void *dtb);
/* start.S: where PSCI CPU_ON enters a secondary CPU (x0 = its struct cpu_boot). */
struct cpu_boot;
void guest_secondary_entry(void);
/* smp.c: what guest_secondary_entry calls on the CPU's own stack. */
__attribute__((noreturn)) void guest_secondary_start(struct cpu_boot *boot);

#endif
