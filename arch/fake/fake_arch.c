/* SPDX-License-Identifier: MIT */
/*
 * The host stand-in for arch/aarch64 so generic code links into unit tests.
 * Time stands still, there is one CPU, and firmware calls report
 * NOT_SUPPORTED; tests that need more install their own behaviour through
 * the fake_* hooks below.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rhenium/arch.h>

#include "fake_arch.h"

uint64_t fake_smccc_result = (uint64_t)-1;
struct fake_smccc_call fake_smccc_last;
unsigned int fake_smccc_calls;
jmp_buf *fake_halt_jmp;
unsigned int fake_register_dumps;
uint64_t fake_counter;

unsigned int arch_cpu_index(void)
{
	return 0;
}

void arch_cpu_halt(void)
{
	if (fake_halt_jmp)
		longjmp(*fake_halt_jmp, 1);
	fprintf(stderr, "fake arch: cpu halted\n");
	abort();
}

void arch_cpu_relax(void)
{
}

uint64_t arch_counter_read(void)
{
	return fake_counter;
}

uint64_t arch_counter_freq(void)
{
	return 62500000;
}

void arch_dump_current_registers(void)
{
	fake_register_dumps++;
}

unsigned int arch_current_el(void)
{
	return 2;
}

uint64_t arch_smccc_call(int conduit, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	fake_smccc_last = (struct fake_smccc_call){ conduit, fid, a1, a2, a3 };
	fake_smccc_calls++;
	return fake_smccc_result;
}

void arch_dcache_clean_range(const void *va, size_t size)
{
	(void)va;
	(void)size;
}

void arch_dcache_inval_range(const void *va, size_t size)
{
	(void)va;
	(void)size;
}

paddr_t arch_secondary_entry_pa(void)
{
	return 0;
}
