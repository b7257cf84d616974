/* SPDX-License-Identifier: MIT */
/* Generic exit handling (core/vcpu.c) driven with synthetic syndromes on the fake arch. */
#include <string.h>

#include <fake_arch.h>
#include <rhenium/psci.h>
#include <rhenium/vcpu.h>
#include <rhenium/vm.h>

#include "test.h"

#define ESR_IL (1ULL << 25)
#define ESR(ec, iss) (((uint64_t)(ec) << 26) | ESR_IL | (iss))
#define DABT_ISV (1ULL << 24)
#define DABT_SAS(log2) ((uint64_t)(log2) << 22)
#define DABT_SRT(r) ((uint64_t)(r) << 16)
#define DABT_WNR (1ULL << 6)
#define DFSC_TRANSLATION_L3 0x07
#define DFSC_PERMISSION_L3 0x0f
#define TEST_DEV_BASE 0x0a000000ULL

static struct vm test_vm;
static uint64_t dev_reg = 0x11223344;
static unsigned int dev_writes;

static int dev_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
		    uint64_t *value)
{
	(void)ctx;
	(void)vcpu;
	(void)size;
	if (offset != 0)
		return -1;
	*value = dev_reg;
	return 0;
}

static int dev_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
		     uint64_t *value)
{
	(void)ctx;
	(void)vcpu;
	(void)size;
	if (offset != 0)
		return -1;
	dev_reg = *value;
	dev_writes++;
	return 0;
}

static const struct mmio_ops dev_ops = { dev_read, dev_write };

static struct vm *make_vm(void)
{
	struct vgic_config gcfg = { 0 };
	struct vm *vm = &test_vm;

	memset(vm, 0, sizeof(*vm));
	strcpy(vm->cfg.name, "test");
	vm->vcpu_count = 2;
	vm->state = VM_STATE_RUNNING;
	for (unsigned int i = 0; i < 2; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
		vm->vcpus[i].mpidr = i;
		vm->vcpus[i].state = i == 0 ? VCPU_RUNNABLE : VCPU_OFF;
		gcfg.mpidr[i] = i;
	}
	gcfg.nr_vcpus = 2;
	gcfg.nr_spis = 32;
	gcfg.pri_bits = 5;
	if (vgic_init(&vm->vgic, &gcfg) != VGIC_OK)
		test_fail(__FILE__, __LINE__, "vgic_init");
	mmio_bus_init(&vm->mmio);
	mmio_register(&vm->mmio, TEST_DEV_BASE, 0x1000, "dev", &dev_ops, NULL);
	return vm;
}

static bool call(struct vcpu *v, unsigned int ec, uint64_t fid, uint64_t a1, uint64_t a2,
		 uint64_t a3)
{
	struct vcpu_exit exit = { VCPU_EXIT_KIND_SYNC, ESR(ec, 0), 0, 0 };

	v->regs.x[0] = fid;
	v->regs.x[1] = a1;
	v->regs.x[2] = a2;
	v->regs.x[3] = a3;
	return vcpu_handle_exit(v, &exit);
}

TEST(vcpu_hvc_smccc_and_psci_queries)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];

	CHECK(call(v, 0x16, PSCI_VERSION, 0, 0, 0));
	CHECK_EQ(v->regs.x[0], 0x10001);
	CHECK_EQ(v->regs.pc, 0); /* HVC returns past itself already */
	CHECK(call(v, 0x16, 0x80000000, 0, 0, 0));
	CHECK_EQ(v->regs.x[0], 0x10001);
	CHECK(call(v, 0x16, 0x80000001, 0x80000000, 0, 0));
	CHECK_EQ(v->regs.x[0], 0);
	CHECK(call(v, 0x16, 0x80000001, 0x80008000, 0, 0));
	CHECK_EQ(v->regs.x[0], (uint64_t)-1);
	CHECK(call(v, 0x16, PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0));
	CHECK_EQ(v->regs.x[0], 0);
	CHECK(call(v, 0x16, PSCI_FEATURES, 0xc4000012, 0, 0));
	CHECK_EQ(v->regs.x[0], (uint64_t)-1);
	CHECK(call(v, 0x16, 0x84000006, 0, 0, 0)); /* MIGRATE_INFO_TYPE */
	CHECK_EQ(v->regs.x[0], 2);
	CHECK(call(v, 0x16, 0xc7001234, 0, 0, 0)); /* unknown */
	CHECK_EQ(v->regs.x[0], (uint64_t)-1);
	CHECK_EQ(v->exits[VCPU_EXIT_HVC], 8);
}

TEST(vcpu_smc_is_stepped_over)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];

	v->regs.pc = 0x1000;
	CHECK(call(v, 0x17, PSCI_VERSION, 0, 0, 0));
	CHECK_EQ(v->regs.x[0], 0x10001);
	CHECK_EQ(v->regs.pc, 0x1004);
	CHECK_EQ(v->exits[VCPU_EXIT_SMC], 1);
}

TEST(vcpu_psci_cpu_on_off_and_affinity_info)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	struct vcpu *t = &vm->vcpus[1];

	CHECK(call(v, 0x16, PSCI_AFFINITY_INFO_64, 1, 0, 0));
	CHECK_EQ(v->regs.x[0], 1); /* OFF */
	CHECK(call(v, 0x16, PSCI_CPU_ON_64, 1, 0x40080002, 7));
	CHECK_EQ(v->regs.x[0], (uint64_t)(int64_t)PSCI_RET_INVALID_ADDRESS);
	CHECK(call(v, 0x16, PSCI_CPU_ON_64, 5, 0x40080000, 7));
	CHECK_EQ(v->regs.x[0], (uint64_t)(int64_t)PSCI_RET_INVALID_PARAMETERS);
	CHECK(call(v, 0x16, PSCI_CPU_ON_64, 1, 0x40080000, 7));
	CHECK_EQ(v->regs.x[0], 0);
	CHECK(t->state == VCPU_RUNNABLE);
	CHECK_EQ(t->regs.pc, 0x40080000);
	CHECK_EQ(t->regs.x[0], 7);
	CHECK_EQ(t->regs.pstate, 0x3c5);
	CHECK(call(v, 0x16, PSCI_CPU_ON_64, 1, 0x40080000, 7));
	CHECK_EQ(v->regs.x[0], (uint64_t)(int64_t)PSCI_RET_ALREADY_ON);
	CHECK(call(v, 0x16, PSCI_AFFINITY_INFO_64, 1, 0, 0));
	CHECK_EQ(v->regs.x[0], 0); /* ON */
	CHECK(call(v, 0x16, PSCI_AFFINITY_INFO_64, 1, 1, 0));
	CHECK_EQ(v->regs.x[0], (uint64_t)(int64_t)PSCI_RET_INVALID_PARAMETERS);
	/* CPU_SUSPEND is a standby: the vCPU waits for an interrupt and then gets SUCCESS. */
	CHECK(call(t, 0x16, 0xc4000001, 0x10000, 0x40090000, 3));
	CHECK_EQ(t->regs.x[0], 0);
	CHECK(t->state == VCPU_WFI);
	CHECK(call(v, 0x16, PSCI_FEATURES, 0xc4000001, 0, 0));
	CHECK_EQ(v->regs.x[0], 0);
	CHECK(call(t, 0x16, PSCI_CPU_OFF, 0, 0, 0));
	CHECK(t->state == VCPU_OFF);
	/* 32-bit CPU_ON truncates its address arguments. */
	CHECK(call(v, 0x16, 0x84000003, 1, 0xffffffff40080000ULL, 0xffffffff00000009ULL));
	CHECK_EQ(v->regs.x[0], 0);
	CHECK_EQ(t->regs.pc, 0x40080000);
	CHECK_EQ(t->regs.x[0], 9);
}

TEST(vcpu_psci_system_off_powers_the_machine_off)
{
	struct vm *vm = make_vm();
	jmp_buf jmp;
	bool ret = true;

	fake_halt_jmp = &jmp;
	psci_init(PSCI_CONDUIT_SMC);
	if (setjmp(jmp) == 0)
		ret = call(&vm->vcpus[0], 0x16, PSCI_SYSTEM_OFF, 0, 0, 0);
	fake_halt_jmp = NULL;
	psci_init(PSCI_CONDUIT_NONE);
	(void)ret;
	CHECK(vm->state == VM_STATE_STOPPED);
	CHECK(vm->vcpus[0].state == VCPU_STOPPED);
	CHECK_EQ(fake_smccc_last.fid, PSCI_SYSTEM_OFF);
}

TEST(vcpu_psci_system_reset_resets_the_vm)
{
	struct vm *vm = make_vm();

	/* This VM has no images to reload: the reset is attempted, fails and leaves it off. */
	CHECK(!call(&vm->vcpus[0], 0x16, PSCI_SYSTEM_RESET, 0, 0, 0));
	CHECK(vm->state == VM_STATE_STOPPED);
	CHECK(vm->vcpus[0].state == VCPU_STOPPED);
	CHECK(vm->vcpus[1].state == VCPU_STOPPED);
}

static struct vcpu_exit dabt(uint64_t iss, uint64_t ipa)
{
	struct vcpu_exit exit = { VCPU_EXIT_KIND_SYNC, ESR(0x24, iss), 0xffff000012345000ULL, ipa };

	return exit;
}

TEST(vcpu_mmio_load_and_store_through_the_bus)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	struct vcpu_exit exit;

	exit = dabt(DABT_ISV | DABT_SAS(2) | DABT_SRT(3) | DFSC_TRANSLATION_L3, TEST_DEV_BASE);
	v->regs.pc = 0x2000;
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->regs.x[3], 0x11223344);
	CHECK_EQ(v->regs.pc, 0x2004);
	v->regs.x[5] = 0xabcdef0099887766ULL;
	exit = dabt(DABT_ISV | DABT_SAS(3) | (1ULL << 15) | DABT_SRT(5) | DABT_WNR |
			    DFSC_TRANSLATION_L3,
		    TEST_DEV_BASE);
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(dev_reg, 0xabcdef0099887766ULL);
	CHECK_EQ(v->exits[VCPU_EXIT_MMIO], 2);
	CHECK_EQ(v->arch.injected_aborts, 0);
}

TEST(vcpu_bad_accesses_become_guest_aborts)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	struct vcpu_exit exit;

	/* No device at this IPA. */
	exit = dabt(DABT_ISV | DABT_SAS(2) | DFSC_TRANSLATION_L3, 0x0b000000);
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->arch.injected_aborts, 1);
	CHECK_EQ(v->arch.last_abort_far, 0xffff000012345000ULL);
	/* A device register that refuses the access. */
	exit = dabt(DABT_ISV | DABT_SAS(2) | DFSC_TRANSLATION_L3, TEST_DEV_BASE + 8);
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->arch.injected_aborts, 2);
	/* No instruction syndrome (e.g. a load pair): reported and aborted. */
	exit = dabt(DFSC_TRANSLATION_L3, TEST_DEV_BASE);
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->arch.injected_aborts, 3);
	/* A permission fault on a stage-2 mapping. */
	exit = dabt(DABT_ISV | DFSC_PERMISSION_L3, 0x40000000);
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->arch.injected_aborts, 4);
	/* Instruction fetch from nowhere. */
	exit = (struct vcpu_exit){ VCPU_EXIT_KIND_SYNC, ESR(0x20, DFSC_TRANSLATION_L3), 0x1000, 0 };
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK_EQ(v->arch.injected_aborts, 5);
	CHECK_EQ(v->exits[VCPU_EXIT_ABORT], 5);
	CHECK_EQ(v->arch.skipped, 0);
}

TEST(vcpu_wfi_waits_wfe_does_not)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	struct vcpu_exit wfi = { VCPU_EXIT_KIND_SYNC, ESR(0x01, 0), 0, 0 };
	struct vcpu_exit wfe = { VCPU_EXIT_KIND_SYNC, ESR(0x01, 1), 0, 0 };

	CHECK(vcpu_handle_exit(v, &wfe));
	CHECK(v->state == VCPU_RUNNABLE);
	CHECK(vcpu_handle_exit(v, &wfi));
	CHECK(v->state == VCPU_WFI);
	CHECK_EQ(v->regs.pc, 8);
	CHECK_EQ(v->exits[VCPU_EXIT_WFI], 1);
	CHECK_EQ(v->exits[VCPU_EXIT_WFE], 1);
}

TEST(vcpu_sgi_generation_reaches_the_vgic)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	/* MSR ICC_SGI1R_EL1, x2: op0 3, op2 5, op1 0, CRn 12, Rt 2, CRm 11, write. */
	uint64_t iss = (3ULL << 20) | (5ULL << 17) | (0ULL << 14) | (12ULL << 10) | (2ULL << 5) |
		       (11ULL << 1);
	struct vcpu_exit exit = { VCPU_EXIT_KIND_SYNC, ESR(0x18, iss), 0, 0 };
	uint64_t ctlr = 0x12; /* ARE | EnableGrp1 */

	vgic_dist_mmio(&vm->vgic, 0, 0, 4, true, &ctlr);
	CHECK(!vgic_has_pending(&vm->vgic, 1, VGIC_VMCR_ANY));
	v->regs.x[2] = (3ULL << 24) | (1ULL << 1); /* SGI 3 to Aff0 = 1 */
	CHECK(vcpu_handle_exit(v, &exit));
	CHECK(vgic_has_pending(&vm->vgic, 1, VGIC_VMCR_ANY));
	CHECK(!vgic_has_pending(&vm->vgic, 0, VGIC_VMCR_ANY));
	CHECK_EQ(v->regs.pc, 4);
}

TEST(vcpu_unknown_traps_inject_undefined)
{
	struct vm *vm = make_vm();
	struct vcpu *v = &vm->vcpus[0];
	/* MRS of some implementation-defined register: the fake arch knows none. */
	uint64_t iss = (3ULL << 20) | (1ULL << 14) | (15ULL << 10) | (1ULL << 5) | 1;
	struct vcpu_exit sys = { VCPU_EXIT_KIND_SYNC, ESR(0x18, iss), 0, 0 };
	struct vcpu_exit odd = { VCPU_EXIT_KIND_SYNC, ESR(0x3a, 0), 0, 0 };
	struct vcpu_exit irq = { VCPU_EXIT_KIND_IRQ, 0, 0, 0 };

	CHECK(vcpu_handle_exit(v, &sys));
	CHECK(vcpu_handle_exit(v, &odd));
	CHECK_EQ(v->arch.injected_undefs, 2);
	CHECK(vcpu_handle_exit(v, &irq));
	CHECK_EQ(v->exits[VCPU_EXIT_IRQ], 1);
	CHECK(strcmp(vcpu_exit_reason_name(VCPU_EXIT_MMIO), "mmio") == 0);
	CHECK(strcmp(vcpu_exit_reason_name(VCPU_EXIT_REASONS), "?") == 0);
}

static enum vcpu_fast_exit fast(struct vcpu *v, enum vcpu_exit_kind kind, uint64_t esr,
				uint64_t ipa)
{
	struct vcpu_exit exit = { kind, esr, 0, ipa };

	return vcpu_handle_exit_fast(v, &exit);
}

/*
 * Each vCPU on a physical CPU of its own that nothing else here runs on
 * (the fake arch is CPU 0): kicks from other tests leave CPU 0's slice
 * expired, and a kick between vCPUs sharing a CPU rightly ends the slice.
 */
static struct vm *make_vm_spread(void)
{
	struct vm *vm = make_vm();

	vm->vcpus[0].pcpu = 2;
	vm->vcpus[1].pcpu = 3;
	return vm;
}

TEST(vcpu_fast_exit_resumes_plain_traps)
{
	struct vm *vm = make_vm_spread();
	struct vcpu *v = &vm->vcpus[0];

	v->regs.x[0] = 0x80000000; /* SMCCC_VERSION */
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, ESR(0x16, 0), 0), VCPU_FAST_RESUME);
	CHECK_EQ(v->regs.x[0], 0x10001);
	CHECK_EQ(v->exits[VCPU_EXIT_HVC], 1);
	/* LDR x20, [dev]: the loaded value lands in the saved x20 the vector restores. */
	dev_reg = 0x5a5a;
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC,
		      ESR(0x24, DABT_ISV | DABT_SAS(3) | DABT_SRT(20) | DFSC_TRANSLATION_L3),
		      TEST_DEV_BASE),
		 VCPU_FAST_RESUME);
	CHECK_EQ(v->regs.x[20], 0x5a5a);
	CHECK_EQ(v->regs.pc, 4);
}

TEST(vcpu_fast_exit_leaves_the_rest_to_the_long_way)
{
	struct vm *vm = make_vm_spread();
	struct vcpu *v = &vm->vcpus[0];

	/* Not traps it takes: untouched, for vcpu_handle_exit to see. */
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_IRQ, 0, 0), VCPU_FAST_DECLINED);
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, ESR(0x01, 0), 0), VCPU_FAST_DECLINED); /* WFI */
	CHECK_EQ(v->state, VCPU_RUNNABLE);
	CHECK_EQ(v->regs.pc, 0);
	/* An LR in use: the model lacks what the guest did to it until vgic_sync. */
	vm->vgic.vcpu[0].lr_used = 1;
	v->regs.x[0] = 0x80000000;
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, ESR(0x16, 0), 0), VCPU_FAST_DECLINED);
	CHECK_EQ(v->regs.x[0], 0x80000000);
	CHECK_EQ(v->exits[VCPU_EXIT_HVC], 0);
}

TEST(vcpu_fast_exit_hands_over_when_something_changed)
{
	struct vm *vm = make_vm_spread();
	struct vcpu *v = &vm->vcpus[0];
	/* MSR ICC_SGI1R_EL1, x2 */
	uint64_t sgi =
		ESR(0x18, (3ULL << 20) | (5ULL << 17) | (12ULL << 10) | (2ULL << 5) | (11ULL << 1));
	uint64_t ctlr = 0x12;

	vgic_dist_mmio(&vm->vgic, 0, 0, 4, true, &ctlr);
	/* An SGI to the other vCPU leaves this one with nothing to deliver: straight back. */
	v->regs.x[2] = (3ULL << 24) | (1ULL << 1);
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, sgi, 0), VCPU_FAST_RESUME);
	/* One to itself needs a flush before the next entry. */
	v->regs.x[2] = (3ULL << 24) | 1ULL;
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, sgi, 0), VCPU_FAST_HANDLED);
	CHECK(vgic_has_pending(&vm->vgic, 0, VGIC_VMCR_ANY));
	CHECK_EQ(v->regs.pc, 8);
	/* The long way must not handle it a second time. */
	{
		struct vcpu_exit handled = { VCPU_EXIT_KIND_HANDLED, sgi, 0, 0 };

		CHECK(vcpu_handle_exit(v, &handled));
		CHECK_EQ(v->regs.pc, 8);
	}

	/* A state change (PSCI CPU_OFF) goes to the scheduler too. */
	vm = make_vm_spread();
	v = &vm->vcpus[0];
	v->regs.x[0] = PSCI_CPU_OFF;
	CHECK_EQ(fast(v, VCPU_EXIT_KIND_SYNC, ESR(0x16, 0), 0), VCPU_FAST_HANDLED);
	CHECK_EQ(v->state, VCPU_OFF);
}
