// SPDX-License-Identifier: MIT
/*
 * misbehave/spin: masks every interrupt (PSTATE.DAIF) and spins in a tight
 * loop forever. It never traps: no HVC, no MMIO, no WFI, no system register.
 * A hypervisor gets its CPU back only through its own physical interrupts,
 * which PSTATE.DAIF at EL1 does not mask (HCR_EL2.IMO/FMO route them to
 * EL2). Not self-checking; never powers off (docs/test_guests.md).
 */
#include "guest.h"

const char guest_name[] = "spin";

void test_main(void)
{
	printf("misbehave: spin starting\n");
	__asm__ volatile("msr daifset, #0xf" : : : "memory"); /* D, A, I and F */
	for (;;)
		__asm__ volatile(""); /* a one-instruction loop: b . */
}
