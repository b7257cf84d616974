/* SPDX-License-Identifier: MIT */
/* System register access and barriers for the test guests. */
#ifndef GUEST_SYSREG_H
#define GUEST_SYSREG_H

#include <stdint.h>

#define read_sysreg(reg)                                                   \
	({                                                                 \
		uint64_t __val;                                            \
		__asm__ volatile("mrs %0, " #reg : "=r"(__val)::"memory"); \
		__val;                                                     \
	})

#define write_sysreg(val, reg) \
	__asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)) : "memory")

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

static inline unsigned current_el(void)
{
	return (unsigned)(read_sysreg(CurrentEL) >> 2) & 3;
}

/* MPIDR_EL1 affinity as Aff3.Aff2.Aff1.Aff0 packed into 32 bits (GICR_TYPER's layout). */
static inline uint32_t mpidr_affinity(void)
{
	uint64_t mpidr = read_sysreg(mpidr_el1);

	return (uint32_t)(((mpidr >> 8) & 0xff000000) | (mpidr & 0xffffff));
}

#endif
