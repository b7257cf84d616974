// SPDX-License-Identifier: MIT
/*
 * misbehave/badvectors: points VBAR_EL1 at an unmapped address and takes an
 * exception, so every exception entry faults again, forever.
 *
 * VBAR_EL1 = 0x0b000000, the hole the abort guest uses (nothing there on
 * QEMU virt nor in Rhenium's guest map). The first exception is a load from
 * that hole: a synchronous external abort (injected by the hypervisor under
 * Rhenium), taken to VBAR_EL1 + 0x200; fetching the vector is an
 * instruction abort, taken to the same vector, and so on. Natively it is a
 * loop of exceptions inside QEMU's CPU; under Rhenium every iteration is a
 * Stage-2 fault on the fetch and an injected instruction abort, an exit
 * storm with no instruction of the guest ever completing. Not
 * self-checking; never powers off.
 */
#include "guest.h"

const char guest_name[] = "badvectors";

#define UNMAPPED 0x0b000000UL

void test_main(void)
{
	printf("misbehave: badvectors starting\n");
	__asm__ volatile("msr daifset, #0xf\n\t"
			 "msr vbar_el1, %0\n\t"
			 "isb\n\t"
			 "ldr w1, [%0]\n"
			 "1:\tb 1b"
			 :
			 : "r"(UNMAPPED)
			 : "x1", "memory");
	__builtin_unreachable();
}
