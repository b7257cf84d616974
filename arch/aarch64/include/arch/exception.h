/* SPDX-License-Identifier: MIT */
#ifndef ARCH_EXCEPTION_H
#define ARCH_EXCEPTION_H

#include <rhenium/types.h>

/* Layout fixed by arch/layout.h FRAME_* (used by vectors.S). */
struct exception_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
};

_Static_assert(sizeof(struct exception_frame) == 36 * 8, "frame layout shared with vectors.S");

/* Short name of an ESR_ELx exception class, e.g. "data abort (same EL)". */
const char *exception_class_name(uint64_t ec);

void exception_dump_frame(const struct exception_frame *frame);
NORETURN void exception_unexpected(struct exception_frame *frame, uint64_t kind);

#endif
