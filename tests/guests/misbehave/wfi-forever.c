// SPDX-License-Identifier: MIT
/*
 * misbehave/wfi-forever: masks every interrupt and loops on WFI with no
 * interrupt enabled anywhere (no timer, no SGI, no device), so nothing will
 * ever wake it for good: under a hypervisor that traps WFI (HCR_EL2.TWI)
 * the vCPU blocks forever and must not hold its physical CPU or the
 * hypervisor's attention. Not self-checking; never powers off.
 */
#include "guest.h"

const char guest_name[] = "wfi-forever";

void test_main(void)
{
	printf("misbehave: wfi-forever starting\n");
	__asm__ volatile("msr daifset, #0xf" : : : "memory"); /* D, A, I and F */
	for (;;)
		wfi(); /* dsb sy; wfi */
}
