// SPDX-License-Identifier: MIT
/*
 * misbehave/badvectors-ram: points VBAR_EL1 at a vector table of garbage in
 * its own RAM, every word UDF #0 (0x00000000, permanently UNDEFINED), then
 * executes UDF: the exception enters the vector, whose first instruction is
 * UNDEFINED again, forever. All of it happens at EL1 without a trap (an
 * UNDEFINED instruction at EL1 is taken to EL1), so under a hypervisor the
 * vCPU looks like a busy one that never exits. Not self-checking; never
 * powers off.
 */
#include "guest.h"

const char guest_name[] = "badvectors-ram";

static uint32_t garbage[512] __attribute__((aligned(2048))); /* 2 KiB: one table */

void test_main(void)
{
	printf("misbehave: badvectors-ram starting\n");
	for (unsigned i = 0; i < ARRAY_SIZE(garbage); i++)
		((volatile uint32_t *)garbage)[i] = 0x00000000; /* UDF #0 */
	__asm__ volatile("msr daifset, #0xf\n\t"
			 "dsb sy\n\t"
			 "ic iallu\n\t"
			 "dsb sy\n\t"
			 "msr vbar_el1, %0\n\t"
			 "isb\n\t"
			 "udf #0\n"
			 "1:\tb 1b"
			 :
			 : "r"(garbage)
			 : "memory");
	__builtin_unreachable();
}
