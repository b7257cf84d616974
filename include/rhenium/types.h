/* SPDX-License-Identifier: MIT */
/*
 * Basic types. Only the freestanding headers (stdint, stddef, stdbool) are used,
 * so the same code builds for the hypervisor image and for host unit tests.
 */
#ifndef RHENIUM_TYPES_H
#define RHENIUM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* physical address */
typedef uint64_t vaddr_t; /* hypervisor virtual address */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) ((((x) + ((a)-1)) / (a)) * (a))
#define ALIGN_DOWN(x, a) (((x) / (a)) * (a))
#define IS_ALIGNED(x, a) (((x) % (a)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)

#define UNUSED(x) ((void)(x))
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN __attribute__((noreturn))

#endif
