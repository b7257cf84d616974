/* SPDX-License-Identifier: MIT */
/*
 * The host stand-in for arch/aarch64 so generic code links into unit tests.
 * Time stands still, there is one CPU, and firmware calls report
 * NOT_SUPPORTED; tests that need more install their own behaviour through
 * the fake_* hooks below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- vCPUs, Stage-2 and interrupts: recorded, not performed ---- */
#include <rhenium/vcpu.h>
#include <rhenium/vm.h>

uint64_t fake_cpu_mpidr;
unsigned int fake_kicks;
unsigned int fake_irq_enabled[1024];
unsigned int fake_irq_deactivated[1024];

uint64_t arch_cpu_mpidr(void)
{
	return fake_cpu_mpidr;
}

unsigned int arch_max_cpus(void)
{
	return 8;
}

int arch_irq_init(const struct platform_info *plat)
{
	(void)plat;
	return 0;
}

int arch_irq_cpu_init(void)
{
	return 0;
}

void arch_irq_enable(uint32_t intid)
{
	if (intid < 1024)
		fake_irq_enabled[intid]++;
}

void arch_irq_deactivate(uint32_t intid)
{
	if (intid < 1024)
		fake_irq_deactivated[intid]++;
}

void arch_cpu_kick(unsigned int cpu)
{
	(void)cpu;
	fake_kicks++;
}

void arch_stage2_geometry(unsigned int *ipa_bits, unsigned int *start_level)
{
	*ipa_bits = 40;
	*start_level = 1;
}

void arch_stage2_tlb_flush_vmid(uint16_t vmid)
{
	(void)vmid;
}

void arch_guest_memory_written(const void *va, size_t size)
{
	(void)va;
	(void)size;
}

unsigned int arch_vgic_nr_lrs(void)
{
	return 4;
}

unsigned int arch_vgic_priority_bits(void)
{
	return 5;
}

uint64_t arch_vcpu_read_vmcr(const struct vcpu *vcpu)
{
	(void)vcpu;
	return VGIC_VMCR_ANY;
}

void arch_vcpu_init(struct vcpu *vcpu)
{
	vcpu->arch = (struct arch_vcpu){ 0 };
}

void arch_vcpu_load(struct vcpu *vcpu)
{
	(void)vcpu;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	(void)vcpu;
}

void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	(void)vcpu;
	*exit = (struct vcpu_exit){ 0 };
}

void arch_vcpu_skip_instruction(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	vcpu->regs.pc += (exit->esr & (1ULL << 25)) ? 4 : 2;
	vcpu->arch.skipped++;
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, bool write, uint64_t far)
{
	(void)instruction;
	(void)write;
	vcpu->arch.injected_aborts++;
	vcpu->arch.last_abort_far = far;
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu->arch.injected_undefs++;
}

bool arch_vcpu_sysreg_trap(struct vcpu *vcpu, uint64_t esr)
{
	(void)vcpu;
	(void)esr;
	return false;
}

void arch_wait_and_handle_irqs(void)
{
}

void arch_handle_irqs(void)
{
}

void arch_memzero(void *va, size_t size)
{
	if (size)
		memset(va, 0, size);
}

uint32_t arch_vcpu_pmu_intid(void)
{
	return 23;
}

void arch_vcpu_discard(struct vcpu *vcpu)
{
	(void)vcpu;
}

uint64_t fake_hyp_timer_deadline;

uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu)
{
	return vcpu->arch.timer_deadline ? vcpu->arch.timer_deadline : UINT64_MAX;
}

void arch_hyp_timer_arm(uint64_t deadline)
{
	fake_hyp_timer_deadline = deadline;
}

void arch_hyp_timer_cancel(void)
{
	fake_hyp_timer_deadline = 0;
}

uint64_t arch_vcpu_loaded_timer_deadline(const struct vcpu *vcpu)
{
	return arch_vcpu_timer_deadline(vcpu);
}
