/* SPDX-License-Identifier: MIT */
/* Knobs the host tests use to observe and steer the fake architecture. */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <setjmp.h>

#include <rhenium/types.h>

struct fake_smccc_call {
	int conduit;
	uint32_t fid;
	uint64_t a1, a2, a3;
};

/* Result of the next arch_smccc_call() and a record of the last one. */
extern uint64_t fake_smccc_result;
extern struct fake_smccc_call fake_smccc_last;
extern unsigned int fake_smccc_calls;

/* When set, arch_cpu_halt() longjmps here instead of aborting the test binary. */
extern jmp_buf *fake_halt_jmp;
extern unsigned int fake_register_dumps;
extern uint64_t fake_counter;
extern uint64_t fake_cpu_mpidr;
extern unsigned int fake_kicks;
extern unsigned int fake_irq_enabled[1024];
extern unsigned int fake_irq_deactivated[1024];

#endif
