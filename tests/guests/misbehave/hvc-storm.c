// SPDX-License-Identifier: MIT
/*
 * misbehave/hvc-storm: HVC calls with unknown function ids in a tight loop,
 * forever. The ids are pseudo-random 32-bit values (fast and yielding,
 * SMC32 and SMC64, reserved bits set or not, every owner but the standard
 * secure services, owner 4, where PSCI's CPU_OFF, SYSTEM_OFF and
 * SYSTEM_RESET live), with random upper halves of x0 and random x1..x17;
 * one call in 16 uses a non-zero HVC immediate (SMCCC requires 0). A
 * hypervisor must answer each (NOT_SUPPORTED or whatever it implements)
 * without logging every one. Not self-checking; never powers off.
 */
#include "guest.h"

const char guest_name[] = "hvc-storm";

#define OWNER_SHIFT 24
#define OWNER_MASK (0x3fU << OWNER_SHIFT)
#define OWNER_STD_SECURE 4U

static uint64_t state = 0x9e3779b97f4a7c15UL;

static uint64_t next(void)
{
	state ^= state << 13; /* xorshift64 */
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

void test_main(void)
{
	struct smccc_regs r;

	printf("misbehave: hvc-storm starting\n");
	for (uint64_t n = 0;; n++) {
		uint64_t x0 = next();
		uint32_t fid = (uint32_t)x0;

		if (((fid & OWNER_MASK) >> OWNER_SHIFT) == OWNER_STD_SECURE)
			fid ^= 0x3U << OWNER_SHIFT; /* owner 4 -> 7 (reserved) */
		x0 = (x0 & ~0xffffffffUL) | fid;
		if ((n & 15) == 15) {
			register uint64_t x0r __asm__("x0") = x0;
			register uint64_t x1r __asm__("x1") = next();
			__asm__ volatile("hvc #0xbad"
					 : "+r"(x0r), "+r"(x1r)
					 :
					 : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
					   "x11", "x12", "x13", "x14", "x15", "x16", "x17",
					   "memory");
			continue;
		}
		r.x[0] = x0;
		for (unsigned i = 1; i < ARRAY_SIZE(r.x); i++)
			r.x[i] = next();
		hvc_regs(&r);
	}
}
