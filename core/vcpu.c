/* SPDX-License-Identifier: MIT */
/*
 * The vCPU run loop and the generic half of exit handling: one exit path,
 *   vector -> arch_vcpu_run() -> vcpu_handle_exit() -> handler by exception class,
 * with SMCCC/PSCI, MMIO emulation, WFI and GIC SGI generation handled here and
 * only register-level details left to the architecture.
 */
#include <rhenium/abort.h>
#include <rhenium/arch.h>
#include <rhenium/hyp.h>
#include <rhenium/log.h>
#include <rhenium/psci.h>
#include <rhenium/vcpu.h>
#include <rhenium/vm.h>

/* SMCCC (Arm DEN 0028) and PSCI (Arm DEN 0022) function identifiers the guest may use. */
#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_VERSION_1_1 0x10001U
#define SMCCC_NOT_SUPPORTED ((uint64_t)-1)
#define PSCI_CPU_SUSPEND_32 0x84000001U
#define PSCI_CPU_SUSPEND_64 0xc4000001U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_VERSION_1_1 0x10001U
#define PSCI_MIGRATE_NOT_REQUIRED 2
#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define PSCI_AFFINITY_ON_PENDING 2

/* ICC_SGI1R_EL1, ICC_ASGI1R_EL1, ICC_SGI0R_EL1: op0 3, op1 0, CRn 12, CRm 11, op2 5/6/7. */
#define SYSREG_ICC_SGI1R ABORT_SYSREG_KEY(3, 0, 12, 11, 5)
#define SYSREG_ICC_ASGI1R ABORT_SYSREG_KEY(3, 0, 12, 11, 6)
#define SYSREG_ICC_SGI0R ABORT_SYSREG_KEY(3, 0, 12, 11, 7)

static const char *const vcpu_exit_names[VCPU_EXIT_REASONS] = {
	[VCPU_EXIT_HVC] = "hvc",       [VCPU_EXIT_SMC] = "smc", [VCPU_EXIT_MMIO] = "mmio",
	[VCPU_EXIT_ABORT] = "abort",   [VCPU_EXIT_WFI] = "wfi", [VCPU_EXIT_WFE] = "wfe",
	[VCPU_EXIT_SYSREG] = "sysreg", [VCPU_EXIT_IRQ] = "irq", [VCPU_EXIT_UNDEF] = "undef",
	[VCPU_EXIT_OTHER] = "other",
};

const char *vcpu_exit_reason_name(enum vcpu_exit_reason reason)
{
	return reason < VCPU_EXIT_REASONS ? vcpu_exit_names[reason] : "?";
}

void vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t x0)
{
	for (unsigned int i = 0; i < 31; i++)
		vcpu->regs.x[i] = 0;
	vcpu->regs.x[0] = x0;
	vcpu->regs.pc = entry;
	/* EL1h, D, A, I and F masked: the state the Linux boot protocol requires. */
	vcpu->regs.pstate = 0x3c5;
}

static struct vcpu *vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		if (vm->vcpus[i].mpidr == (mpidr & 0xff00ffffffULL))
			return &vm->vcpus[i];
	}
	return NULL;
}

static int64_t vcpu_psci_cpu_on(struct vcpu *vcpu, uint64_t target, uint64_t entry,
				uint64_t context)
{
	struct vcpu *t = vcpu_by_mpidr(vcpu->vm, target);
	enum vcpu_state expected = VCPU_OFF;

	if (!t)
		return PSCI_RET_INVALID_PARAMETERS;
	if (entry & 3)
		return PSCI_RET_INVALID_ADDRESS;
	if (t->state != VCPU_OFF)
		return PSCI_RET_ALREADY_ON;
	vcpu_reset(t, entry, context);
	if (!__atomic_compare_exchange_n(&t->state, &expected, VCPU_RUNNABLE, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return PSCI_RET_ALREADY_ON;
	vcpu_kick(t);
	return PSCI_RET_SUCCESS;
}

static uint64_t vcpu_psci_features(uint32_t fid)
{
	switch (fid) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case SMCCC_VERSION:
		return 0;
	default:
		return SMCCC_NOT_SUPPORTED;
	}
}

/* Returns false if the vCPU must stop running. */
static bool vcpu_smccc(struct vcpu *vcpu)
{
	uint64_t *x = vcpu->regs.x;
	uint32_t fid = (uint32_t)x[0];
	struct vm *vm = vcpu->vm;

	switch (fid) {
	case SMCCC_VERSION:
		x[0] = SMCCC_VERSION_1_1;
		break;
	case SMCCC_ARCH_FEATURES:
		/* No firmware workarounds are offered: this virtual CPU needs none. */
		x[0] = (uint32_t)x[1] == SMCCC_VERSION ? 0 : SMCCC_NOT_SUPPORTED;
		break;
	case PSCI_VERSION:
		x[0] = PSCI_VERSION_1_1;
		break;
	case PSCI_FEATURES:
		x[0] = vcpu_psci_features((uint32_t)x[1]);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		x[0] = PSCI_MIGRATE_NOT_REQUIRED;
		break;
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		x[0] = (uint64_t)vcpu_psci_cpu_on(vcpu, x[1],
						  fid == PSCI_CPU_ON_32 ? (uint32_t)x[2] : x[2],
						  fid == PSCI_CPU_ON_32 ? (uint32_t)x[3] : x[3]);
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64: {
		struct vcpu *t = vcpu_by_mpidr(vm, x[1]);

		if (!t || x[2] != 0)
			x[0] = (uint64_t)(int64_t)PSCI_RET_INVALID_PARAMETERS;
		else
			x[0] = t->state == VCPU_OFF || t->state == VCPU_STOPPED ? PSCI_AFFINITY_OFF
										: PSCI_AFFINITY_ON;
		break;
	}
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		/*
		 * Every suspend is a standby (PSCI 1.1 lets an implementation treat a
		 * power-down request as standby): wait like WFI, then return SUCCESS
		 * at the next instruction, with all state kept.
		 */
		x[0] = PSCI_RET_SUCCESS;
		vcpu->state = VCPU_WFI;
		return true;
	case PSCI_CPU_OFF:
		vcpu->state = VCPU_OFF;
		return true;
	case PSCI_SYSTEM_OFF:
		LOG_INFO("%s: PSCI SYSTEM_OFF from vcpu%u", vm->cfg.name, vcpu->index);
		hyp_vm_power_off(vm);
		return false;
	case PSCI_SYSTEM_RESET:
		LOG_INFO("%s: PSCI SYSTEM_RESET from vcpu%u", vm->cfg.name, vcpu->index);
		hyp_vm_request_reset(vm, vcpu);
		return false;
	default:
		x[0] = SMCCC_NOT_SUPPORTED;
		break;
	}
	return true;
}

static void vcpu_report_once(struct vcpu *vcpu, const char *what, uint64_t esr)
{
	static uint32_t reports;

	if (__atomic_fetch_add(&reports, 1, __ATOMIC_RELAXED) < 16)
		LOG_WARN("%s vcpu%u: %s (ESR 0x%llx, PC 0x%llx): UNDEFINED injected",
			 vcpu->vm->cfg.name, vcpu->index, what, (unsigned long long)esr,
			 (unsigned long long)vcpu->regs.pc);
}

static void vcpu_data_abort(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	struct vm *vm = vcpu->vm;
	struct abort_dabt d;
	int ret;

	if (abort_dabt_decode(exit->esr, &d) != 0) {
		vcpu->exits[VCPU_EXIT_ABORT]++;
		arch_vcpu_inject_abort(vcpu, false, false, exit->far);
		return;
	}
	if (d.s1ptw || d.fault.kind != ABORT_FAULT_TRANSLATION) {
		/* Stage-1 walks into unmapped IPA, permission faults and the like. */
		vcpu->exits[VCPU_EXIT_ABORT]++;
		arch_vcpu_inject_abort(vcpu, false, d.write, exit->far);
		return;
	}
	ret = mmio_emulate_dabt(&vm->mmio, vcpu->index, &d, exit->fault_ipa, vcpu->regs.x);
	switch (ret) {
	case MMIO_OK:
		vcpu->exits[VCPU_EXIT_MMIO]++;
		arch_vcpu_skip_instruction(vcpu, exit);
		break;
	case MMIO_NO_SYNDROME:
		LOG_WARN("%s vcpu%u: access without syndrome to emulated IPA 0x%llx at PC 0x%llx: "
			 "abort injected",
			 vm->cfg.name, vcpu->index, (unsigned long long)exit->fault_ipa,
			 (unsigned long long)vcpu->regs.pc);
		vcpu->exits[VCPU_EXIT_ABORT]++;
		arch_vcpu_inject_abort(vcpu, false, d.write, exit->far);
		break;
	default:
		vcpu->exits[VCPU_EXIT_ABORT]++;
		arch_vcpu_inject_abort(vcpu, false, d.write, exit->far);
		break;
	}
}

static bool vcpu_sysreg(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	struct abort_sysreg sr;
	uint32_t key;

	vcpu->exits[VCPU_EXIT_SYSREG]++;
	if (abort_sysreg_decode(exit->esr, &sr) != 0) {
		arch_vcpu_inject_undef(vcpu);
		return true;
	}
	key = abort_sysreg_key(&sr);
	if (!sr.read && (key == SYSREG_ICC_SGI1R || key == SYSREG_ICC_ASGI1R)) {
		vgic_send_sgi(&vcpu->vm->vgic, vcpu->index, abort_gpr_get(vcpu->regs.x, sr.rt));
		arch_vcpu_skip_instruction(vcpu, exit);
		return true;
	}
	if (!sr.read && key == SYSREG_ICC_SGI0R) {
		/* Group 0 is not available to guests (GICD_CTLR.DS=1 view, no FIQs): ignore. */
		arch_vcpu_skip_instruction(vcpu, exit);
		return true;
	}
	if (arch_vcpu_sysreg_trap(vcpu, exit->esr)) {
		arch_vcpu_skip_instruction(vcpu, exit);
		return true;
	}
	vcpu->exits[VCPU_EXIT_UNDEF]++;
	vcpu_report_once(vcpu, "unhandled system register access", exit->esr);
	arch_vcpu_inject_undef(vcpu);
	return true;
}

bool vcpu_handle_exit(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	struct abort_wfx wfx;

	switch (exit->kind) {
	case VCPU_EXIT_KIND_HANDLED:
		return true;
	case VCPU_EXIT_KIND_IRQ:
	case VCPU_EXIT_KIND_FIQ:
		vcpu->exits[VCPU_EXIT_IRQ]++;
		arch_handle_irqs();
		return true;
	case VCPU_EXIT_KIND_SERROR:
		LOG_ERROR("%s vcpu%u: SError (ESR 0x%llx) at PC 0x%llx: VM stopped",
			  vcpu->vm->cfg.name, vcpu->index, (unsigned long long)exit->esr,
			  (unsigned long long)vcpu->regs.pc);
		hyp_vm_power_off(vcpu->vm);
		return false;
	case VCPU_EXIT_KIND_SYNC:
		break;
	}

	switch (abort_esr_ec(exit->esr)) {
	case ESR_EC_HVC64:
		vcpu->exits[VCPU_EXIT_HVC]++;
		return vcpu_smccc(vcpu);
	case ESR_EC_SMC64:
		vcpu->exits[VCPU_EXIT_SMC]++;
		/* A trapped SMC returns to itself: step over it first. */
		arch_vcpu_skip_instruction(vcpu, exit);
		return vcpu_smccc(vcpu);
	case ESR_EC_DABT_LOW:
		vcpu_data_abort(vcpu, exit);
		return true;
	case ESR_EC_IABT_LOW:
		vcpu->exits[VCPU_EXIT_ABORT]++;
		arch_vcpu_inject_abort(vcpu, true, false, exit->far);
		return true;
	case ESR_EC_WFX:
		arch_vcpu_skip_instruction(vcpu, exit);
		if (abort_wfx_decode(exit->esr, &wfx) == 0 &&
		    (wfx.kind == ABORT_WFI || wfx.kind == ABORT_WFIT)) {
			vcpu->exits[VCPU_EXIT_WFI]++;
			vcpu->state = VCPU_WFI;
		} else {
			vcpu->exits[VCPU_EXIT_WFE]++;
		}
		return true;
	case ESR_EC_SYS64:
		return vcpu_sysreg(vcpu, exit);
	default:
		vcpu->exits[VCPU_EXIT_OTHER]++;
		vcpu_report_once(vcpu, "unexpected exception class", exit->esr);
		arch_vcpu_inject_undef(vcpu);
		return true;
	}
}

enum vcpu_fast_exit vcpu_handle_exit_fast(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	struct vgic *vgic = &vcpu->vm->vgic;
	bool cont;

	if (exit->kind != VCPU_EXIT_KIND_SYNC)
		return VCPU_FAST_DECLINED;
	switch (abort_esr_ec(exit->esr)) {
	case ESR_EC_HVC64:
	case ESR_EC_SMC64:
	case ESR_EC_DABT_LOW:
	case ESR_EC_SYS64:
		break;
	default:
		/* WFI and WFE are the scheduler's business; the rest is rare. */
		return VCPU_FAST_DECLINED;
	}
	/*
	 * With no list register in use the model holds all of the vCPU's
	 * interrupt state (there is nothing for vgic_sync to fold back), so a
	 * handler that reads it sees what the long way would show.
	 */
	if (vcpu->index >= vgic->nr_vcpus || vgic->vcpu[vcpu->index].lr_used != 0)
		return VCPU_FAST_DECLINED;
	cont = vcpu_handle_exit(vcpu, exit);
	/*
	 * Still nothing to deliver means vgic_flush would write the same empty
	 * list registers the CPU holds: entering again now is what the long way
	 * would do, minus the walk through the scheduler.
	 */
	if (cont && hyp_vcpu_may_continue(vcpu) && vgic_vcpu_quiet(vgic, vcpu->index))
		return VCPU_FAST_RESUME;
	return VCPU_FAST_HANDLED;
}

bool vcpu_run_once(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	unsigned int nr_lrs = arch_vgic_nr_lrs();
	enum vcpu_state wfi = VCPU_WFI;
	struct vcpu_exit exit;

	/*
	 * Announce first, then check: whoever stops the VM sets the state first,
	 * then waits for busy to drop, so one of the two always sees the other.
	 */
	__atomic_store_n(&vcpu->busy, 1, __ATOMIC_SEQ_CST);
	__atomic_compare_exchange_n(&vcpu->state, &wfi, VCPU_RUNNABLE, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vcpu->state, __ATOMIC_SEQ_CST) != VCPU_RUNNABLE) {
		__atomic_store_n(&vcpu->busy, 0, __ATOMIC_RELEASE);
		return false;
	}
	vcpu->arch.lr_used =
		vgic_flush(&vm->vgic, vcpu->index, vcpu->arch.lr, nr_lrs, &vcpu->arch.ich_hcr);
	arch_vcpu_run(vcpu, &exit);
	vgic_sync(&vm->vgic, vcpu->index, vcpu->arch.lr, nr_lrs);
	vcpu_handle_exit(vcpu, &exit);
	__atomic_store_n(&vcpu->busy, 0, __ATOMIC_RELEASE);
	return true;
}
