/* SPDX-License-Identifier: MIT */
/*
 * A virtual CPU: the guest's general registers (saved by the world switch on
 * every exit), the architecture's per-vCPU state (system registers, FP/SIMD,
 * timer, GIC CPU interface, debug and PMU), and the run loop state.
 *
 * Exit path: vector -> vcpu_switch.S saves regs -> arch_vcpu_run() returns a
 * struct vcpu_exit -> vcpu_handle_exit() dispatches by exception class.
 */
#ifndef RHENIUM_VCPU_H
#define RHENIUM_VCPU_H

#include <arch/vcpu.h>

#include <rhenium/types.h>

struct vm;

/* Layout shared with vcpu_switch.S (VREGS_* in arch/layout.h). */
struct vcpu_regs {
	uint64_t x[31];
	uint64_t pc;
	uint64_t pstate;
};

enum vcpu_state {
	VCPU_OFF, /* not started (secondary before PSCI CPU_ON) */
	VCPU_RUNNABLE,
	VCPU_WFI,     /* waiting for an interrupt */
	VCPU_STOPPED, /* the VM was powered off or is being reset */
};

/* Why the guest left, for statistics and the monitor. */
enum vcpu_exit_reason {
	VCPU_EXIT_HVC,
	VCPU_EXIT_SMC,
	VCPU_EXIT_MMIO,
	VCPU_EXIT_ABORT, /* unmapped IPA: abort injected */
	VCPU_EXIT_WFI,
	VCPU_EXIT_WFE,
	VCPU_EXIT_SYSREG,
	VCPU_EXIT_IRQ,
	VCPU_EXIT_UNDEF, /* unhandled trap: UNDEFINED injected */
	VCPU_EXIT_OTHER,
	VCPU_EXIT_REASONS,
};

/* What the architecture reports after a guest exit. */
enum vcpu_exit_kind {
	VCPU_EXIT_KIND_SYNC = 0,
	VCPU_EXIT_KIND_IRQ = 1,
	VCPU_EXIT_KIND_FIQ = 2,
	VCPU_EXIT_KIND_SERROR = 3,
	/* A trap vcpu_handle_exit_fast already handled; only the scheduler still has to look. */
	VCPU_EXIT_KIND_HANDLED = 4,
};

enum vcpu_fast_exit {
	VCPU_FAST_DECLINED, /* take the long way: vcpu_handle_exit after the flush/sync cycle */
	VCPU_FAST_RESUME,   /* handled: enter the guest again right away */
	VCPU_FAST_HANDLED, /* handled, but the scheduler or the vgic must run before the next entry */
};

struct vcpu_exit {
	enum vcpu_exit_kind kind;
	uint64_t esr;
	uint64_t far;	   /* guest virtual address of an abort */
	paddr_t fault_ipa; /* IPA of a stage-2 abort (HPFAR_EL2 | FAR[11:0]) */
};

struct vcpu {
	struct vcpu_regs regs; /* first: the world switch saves here */
	struct arch_vcpu arch;
	struct vm *vm;
	unsigned int index;
	uint64_t mpidr; /* what the guest reads from MPIDR_EL1 (affinity fields) */
	enum vcpu_state state;
	bool reload;   /* the architectural state was reset: load it before the next entry */
	bool loaded;   /* its state is in the registers of physical CPU `pcpu` */
	uint32_t busy; /* between the decision to enter the guest and the end of exit handling */
	unsigned int pcpu; /* physical CPU it is pinned to */
	uint64_t exits[VCPU_EXIT_REASONS];
};

const char *vcpu_exit_reason_name(enum vcpu_exit_reason reason);

/* Sets the registers for a guest entered at EL1 with the MMU off (Linux boot protocol). */
void vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t x0);
/* Handles one exit; returns false if the vCPU must stop running. */
bool vcpu_handle_exit(struct vcpu *vcpu, const struct vcpu_exit *exit);
/*
 * The short way for a trap (HVC, SMC, data abort, system register), taken
 * straight from the exception vector while the vCPU's state is still in the
 * CPU: no list register sync and flush, no scheduler pass. See docs/vm.md.
 */
enum vcpu_fast_exit vcpu_handle_exit_fast(struct vcpu *vcpu, const struct vcpu_exit *exit);
/*
 * Enters the (loaded) vCPU once and handles the exit it comes back with.
 * Returns false if the VM stopped while it was being entered.
 */
bool vcpu_run_once(struct vcpu *vcpu);
/* Makes the vCPU notice new work: a no-op on its own CPU, an IPI otherwise (core/hyp.c). */
void vcpu_kick(struct vcpu *vcpu);

/* ---- provided by the architecture ---- */
void arch_vcpu_init(struct vcpu *vcpu);
void arch_vcpu_load(struct vcpu *vcpu);
void arch_vcpu_put(struct vcpu *vcpu);
/* Like put, for a vCPU that was reset meanwhile: its registers are not saved. */
void arch_vcpu_discard(struct vcpu *vcpu);
void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit);
/* Skips the trapped instruction (the exit's ESR_EL2.IL tells its size). */
void arch_vcpu_skip_instruction(struct vcpu *vcpu, const struct vcpu_exit *exit);
/*
 * Synchronous external abort on a data (write: a store) or instruction access
 * at far, as the hardware would take it.
 */
void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, bool write, uint64_t far);
void arch_vcpu_inject_undef(struct vcpu *vcpu);
/* Emulates a trapped MSR/MRS/system instruction; false if unknown. */
bool arch_vcpu_sysreg_trap(struct vcpu *vcpu, uint64_t esr);
/* Waits at EL2 (interrupts masked) until a physical interrupt is pending, then handles it. */
void arch_wait_and_handle_irqs(void);
/* Handles every pending physical interrupt. */
void arch_handle_irqs(void);

#endif
