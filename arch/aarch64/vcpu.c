/* SPDX-License-Identifier: MIT */
/*
 * AArch64 side of vCPUs: trap configuration, the EL1/FP/timer/GIC/debug/PMU
 * context switch, entering the guest, exception injection, and emulation of
 * the system registers we trap. Field positions: Arm ARM DDI 0487, D19
 * (HCR_EL2, VTCR_EL2, CPTR_EL2, MDCR_EL2, CNTHCTL_EL2, ID_AA64*), D1 for
 * exception entry; GIC: IHI 0069 (ICH_*).
 */
#include <arch/gicv3.h>
#include <arch/layout.h>
#include <arch/sysreg.h>

#include <rhenium/abort.h>
#include <rhenium/sched.h>
#include <rhenium/irq.h>
#include <rhenium/log.h>
#include <rhenium/vcpu.h>
#include <rhenium/vm.h>

uint64_t vcpu_enter(struct vcpu_regs *regs);
void fpsimd_save(struct arch_fpsimd *fp);
void fpsimd_restore(const struct arch_fpsimd *fp);

/*
 * HCR_EL2 for guests, one reason per bit:
 *   VM    stage-2 translation on: the guest sees IPAs, never host PAs.
 *   SWIO  set/way invalidation by the guest is upgraded to clean+invalidate.
 *   FMO/IMO/AMO  physical FIQ/IRQ/SError go to EL2; the guest gets virtual ones.
 *   FB    TLB and I-cache maintenance is broadcast to the inner shareable domain,
 *         so a vCPU that migrates cannot leave stale entries behind.
 *   BSU   barriers are upgraded to inner shareable for the same reason.
 *   TWI   WFI traps, so an idle vCPU gives its physical CPU back.
 *   TID3  ID registers trap: features we do not virtualize (SVE, SME, MTE, SPE,
 *         ...) are hidden from the guest, not left half-working.
 *   TSC   SMC traps: firmware calls go to our PSCI, not to the real firmware.
 *   TIDCP implementation-defined registers trap (could reach real hardware).
 *   TACR  ACTLR_EL1 traps (implementation-defined controls).
 *   TSW   set/way cache maintenance traps: it cannot be virtualized meaningfully.
 *   TLOR  LORegion registers trap (FEAT_LOR is hidden).
 *   RW    EL1 is AArch64.
 *   APK/API  pointer authentication instructions and keys do not trap; the keys
 *            are switched with the other EL1 registers.
 * Not set: TGE/E2H (guests run at EL1 under an nVHE EL2), TWE (WFE is a spin hint,
 * trapping it only costs), TVM/TRVM (no shadow page tables), TERR (RAS registers
 * stay the guest's), ATA (MTE stays disabled, so its instructions trap anyway).
 */
#define HCR_VM (1ULL << 0)
#define HCR_SWIO (1ULL << 1)
#define HCR_FMO (1ULL << 3)
#define HCR_IMO (1ULL << 4)
#define HCR_AMO (1ULL << 5)
#define HCR_FB (1ULL << 9)
#define HCR_BSU_IS (1ULL << 10)
#define HCR_TWI (1ULL << 13)
#define HCR_TID3 (1ULL << 18)
#define HCR_TSC (1ULL << 19)
#define HCR_TIDCP (1ULL << 20)
#define HCR_TACR (1ULL << 21)
#define HCR_TSW (1ULL << 22)
#define HCR_RW (1ULL << 31)
#define HCR_TLOR (1ULL << 35)
#define HCR_APK (1ULL << 40)
#define HCR_API (1ULL << 41)
#define HCR_GUEST                                                                            \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI |   \
	 HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW | HCR_TLOR | HCR_APK | \
	 HCR_API)
/* While no guest runs: only RW, so EL2 code sees no stage-2 and no routing. */
#define HCR_HOST HCR_RW

/*
 * CPTR_EL2 (E2H = 0): RES1 bits, TZ (SVE traps), TSM (SME traps) and TTA
 * (trace register traps); TFP clear so FP/SIMD is the guest's own.
 */
#define CPTR_GUEST (0x32ffULL | (1ULL << 8) | (1ULL << 12) | (1ULL << 20))
/* CNTHCTL_EL2 (E2H = 0): EL1PCTEN lets the guest read the physical counter; EL1PCEN clear
 * traps the EL1 physical timer, which belongs to nobody but must not reach the guest. */
#define CNTHCTL_GUEST (1ULL << 0)

/* PSTATE for a guest entered at EL1h with all exceptions masked. */
#define PSTATE_EL1H_MASKED 0x3c5ULL
/* SCTLR_EL1 reset value with the MMU and caches off (RES1 bits only). */
#define SCTLR_EL1_RESET 0x30d00800ULL

#define FSC_SYNC_EXTERNAL 0x10
#define VCPU_VTIMER_PPI 27
#define VCPU_PMU_PPI 23
#define PSTATE_SS (1ULL << 21)
#define PSTATE_BTYPE_MASK (3ULL << 10)
/* MDCR_EL2: guest PMU counters stop at EL2 (HPMD, PMUv3p1) and so does its cycle counter (HCCD, PMUv3p5). */
#define MDCR_HPMD (1ULL << 17)
#define MDCR_HCCD (1ULL << 23)
#define ESR_ISS_WNR (1ULL << 6)

static unsigned int vcpu_nr_lrs;
/* How many leading list registers of each physical CPU may be non-zero. */
static unsigned int vcpu_live_lrs[ARCH_MAX_CPUS];
static unsigned int vcpu_nr_apr;
static unsigned int vcpu_nr_brps;
static unsigned int vcpu_nr_wrps;
static unsigned int vcpu_nr_pmu_counters;
static bool vcpu_has_pmu;
static unsigned int vcpu_pmuver;
static bool vcpu_has_pauth;
static bool vcpu_has_fgt;
static bool vcpu_has_hcx;
static bool vcpu_has_amu;

/*
 * HCRX_EL2 (FEAT_HCX): MSCEn lets the guest use the FEAT_MOPS memcpy/memset
 * instructions, which are otherwise UNDEFINED below EL2. Everything else in
 * HCRX_EL2 enables features we hide, so it stays clear.
 */
#define HCRX_GUEST (1ULL << 11)

static void vcpu_probe_features(void)
{
	static bool probed;
	uint64_t dfr0, isar1, pmuver;
	unsigned int prebits;

	/* Asked on every entry (arch_vgic_nr_lrs): the ID registers are read once. */
	if (probed)
		return;
	probed = true;
	dfr0 = sysreg_read(id_aa64dfr0_el1);
	isar1 = sysreg_read(id_aa64isar1_el1);
	pmuver = (dfr0 >> 8) & 0xf;
	vcpu_nr_lrs = MIN(gicv3_nr_lrs(), ARCH_VGIC_MAX_LRS);
	prebits = (unsigned int)((sysreg_read(S3_4_C12_C11_1) >> 26) & 7) + 1;
	vcpu_nr_apr = prebits >= 7 ? 4 : prebits == 6 ? 2 : 1;
	vcpu_nr_brps = (unsigned int)((dfr0 >> 12) & 0xf) + 1;
	vcpu_nr_wrps = (unsigned int)((dfr0 >> 20) & 0xf) + 1;
	vcpu_has_pmu = pmuver != 0 && pmuver != 0xf;
	vcpu_pmuver = (unsigned int)pmuver;
	if (vcpu_has_pmu)
		vcpu_nr_pmu_counters = MIN((unsigned int)((sysreg_read(pmcr_el0) >> 11) & 0x1f),
					   ARCH_MAX_PMU_COUNTERS);
	/* APA, API, GPA, GPI, APA3, GPA3 */
	vcpu_has_pauth =
		(isar1 & 0xff0000ffULL) != 0 || (sysreg_read(id_aa64isar2_el1) & 0xff00) != 0;
	vcpu_has_fgt = ((sysreg_read(id_aa64mmfr0_el1) >> 56) & 0xf) != 0;
	vcpu_has_hcx = ((sysreg_read(id_aa64mmfr1_el1) >> 40) & 0xf) != 0;
	vcpu_has_amu = ((sysreg_read(id_aa64pfr0_el1) >> 44) & 0xf) != 0;
}

static unsigned int vcpu_parange(void)
{
	return (unsigned int)(sysreg_read(id_aa64mmfr0_el1) & ID_AA64MMFR0_PARANGE_MASK);
}

void arch_stage2_geometry(unsigned int *ipa_bits, unsigned int *start_level)
{
	static const unsigned int bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned int parange = vcpu_parange();
	unsigned int pa_bits = parange < ARRAY_SIZE(bits) ? bits[parange] : 48;

	/* As wide as the CPU allows (4 KiB tables stop at 48 bits). */
	*ipa_bits = MIN(pa_bits, 48U);
	/* Level 1 with up to 16 concatenated tables covers 43 bits; wider needs level 0. */
	*start_level = *ipa_bits > 42 ? 0 : 1;
}

static uint64_t vcpu_parange_of_bits(unsigned int bits)
{
	static const unsigned int encodings[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint64_t enc = 0;

	for (uint64_t i = 0; i < ARRAY_SIZE(encodings); i++) {
		if (encodings[i] <= bits)
			enc = i;
	}
	return enc;
}

/* VTCR_EL2: T0SZ, SL0, WBWA cacheable inner-shareable walks, 4 KiB granule, PS, RES1 bit 31. */
static uint64_t vcpu_vtcr(const struct vm *vm)
{
	uint64_t sl0 = vm->s2.start_level == 0 ? 2 : vm->s2.start_level == 1 ? 1 : 0;
	uint64_t ps = MIN(vcpu_parange(), 5U);

	return (64ULL - vm->s2.va_bits) | (sl0 << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) |
	       (0ULL << 14) | (ps << 16) | (1ULL << 31);
}

void arch_stage2_tlb_flush_vmid(uint16_t vmid)
{
	uint64_t saved = sysreg_read(vttbr_el2);

	/* TLBI VMALLS12E1IS acts on the VMID in VTTBR_EL2, so borrow it for a moment. */
	sysreg_write(vttbr_el2, (uint64_t)vmid << 48);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb_ish();
	sysreg_write(vttbr_el2, saved);
	isb();
}

void arch_guest_memory_written(const void *va, size_t size)
{
	/* The guest starts with its MMU off (non-cacheable accesses): push our writes to PoC. */
	if (size)
		arch_dcache_clean_range(va, size);
	__asm__ volatile("ic ialluis" ::: "memory");
	dsb_ish();
	isb();
}

uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu)
{
	uint64_t ctl = vcpu->arch.cntv_ctl;

	/* ENABLE set and IMASK clear: the timer can raise its interrupt. */
	if ((ctl & 1) == 0 || (ctl & 2))
		return SCHED_NO_DEADLINE;
	return vcpu->arch.cntv_cval;
}

uint64_t arch_vcpu_loaded_timer_deadline(const struct vcpu *vcpu)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);

	(void)vcpu;
	if ((ctl & 1) == 0 || (ctl & 2))
		return SCHED_NO_DEADLINE;
	return sysreg_read(cntv_cval_el0);
}

void arch_hyp_timer_arm(uint64_t deadline)
{
	sysreg_write(cnthp_cval_el2, deadline);
	sysreg_write(cnthp_ctl_el2, 1);
	isb();
}

void arch_hyp_timer_cancel(void)
{
	sysreg_write(cnthp_ctl_el2, 0);
	isb();
}

uint32_t arch_vcpu_pmu_intid(void)
{
	vcpu_probe_features();
	/* PPI 7, as on QEMU virt and the Arm Base System Architecture's recommendation. */
	return vcpu_has_pmu ? 23 : 0;
}

uint64_t arch_vcpu_read_vmcr(const struct vcpu *vcpu)
{
	if (vcpu->arch.loaded)
		return sysreg_read(S3_4_C12_C11_7);
	return vcpu->arch.ich_vmcr;
}

void arch_vcpu_init(struct vcpu *vcpu)
{
	struct arch_vcpu *a = &vcpu->arch;
	const struct vm *vm = vcpu->vm;

	vcpu_probe_features();
	*a = (struct arch_vcpu){ 0 };
	a->hcr = HCR_GUEST;
	a->vttbr = vm->s2.root | ((uint64_t)vm->vmid << 48);
	a->vtcr = vcpu_vtcr(vm);
	a->parange = vcpu_parange_of_bits(vm->s2.va_bits);
	/* Bit 31 is RES1 in MPIDR_EL1; U (bit 30) clear: we are not a uniprocessor system. */
	a->vmpidr = (1ULL << 31) | vcpu->mpidr;
	/* HPMN: every counter to the guest, which must not see what the hypervisor does. */
	a->mdcr = vcpu_has_pmu ? vcpu_nr_pmu_counters : 0;
	if (vcpu_has_pmu && vcpu_pmuver >= 4)
		a->mdcr |= MDCR_HPMD;
	if (vcpu_has_pmu && vcpu_pmuver >= 6)
		a->mdcr |= MDCR_HCCD;
	a->cptr = CPTR_GUEST;
	a->cnthctl = CNTHCTL_GUEST;
	a->el1.sctlr = SCTLR_EL1_RESET;
	a->debug.os_lock = true;
	a->el1.cpacr = 0;
	a->pmu.pmcr = vcpu_has_pmu ? (sysreg_read(pmcr_el0) & ~0xffULL) : 0;
	/* ICH_VMCR_EL2: virtual Group 1 enabled at reset is the guest's job; start with VPMR = 0. */
	a->ich_vmcr = 0;
	a->first_run = true;
}

/* Debug registers n = 0..15 have their own encodings; a switch is the only way. */
#define DBG_CASE(n)                                               \
	case n:                                                   \
		if (save) {                                       \
			d->bvr[n] = sysreg_read(dbgbvr##n##_el1); \
			d->bcr[n] = sysreg_read(dbgbcr##n##_el1); \
		} else {                                          \
			sysreg_write(dbgbvr##n##_el1, d->bvr[n]); \
			sysreg_write(dbgbcr##n##_el1, d->bcr[n]); \
		}                                                 \
		break
#define WP_CASE(n)                                                \
	case n:                                                   \
		if (save) {                                       \
			d->wvr[n] = sysreg_read(dbgwvr##n##_el1); \
			d->wcr[n] = sysreg_read(dbgwcr##n##_el1); \
		} else {                                          \
			sysreg_write(dbgwvr##n##_el1, d->wvr[n]); \
			sysreg_write(dbgwcr##n##_el1, d->wcr[n]); \
		}                                                 \
		break

static void vcpu_debug_switch(struct arch_debug *d, bool save)
{
	for (unsigned int n = 0; n < vcpu_nr_brps; n++) {
		switch (n) {
			DBG_CASE(0);
			DBG_CASE(1);
			DBG_CASE(2);
			DBG_CASE(3);
			DBG_CASE(4);
			DBG_CASE(5);
			DBG_CASE(6);
			DBG_CASE(7);
			DBG_CASE(8);
			DBG_CASE(9);
			DBG_CASE(10);
			DBG_CASE(11);
			DBG_CASE(12);
			DBG_CASE(13);
			DBG_CASE(14);
			DBG_CASE(15);
		default:
			break;
		}
	}
	for (unsigned int n = 0; n < vcpu_nr_wrps; n++) {
		switch (n) {
			WP_CASE(0);
			WP_CASE(1);
			WP_CASE(2);
			WP_CASE(3);
			WP_CASE(4);
			WP_CASE(5);
			WP_CASE(6);
			WP_CASE(7);
			WP_CASE(8);
			WP_CASE(9);
			WP_CASE(10);
			WP_CASE(11);
			WP_CASE(12);
			WP_CASE(13);
			WP_CASE(14);
			WP_CASE(15);
		default:
			break;
		}
	}
	if (save) {
		d->mdccint = sysreg_read(mdccint_el1);
		d->os_lock = (sysreg_read(oslsr_el1) >> 1) & 1;
	} else {
		sysreg_write(mdccint_el1, d->mdccint);
		sysreg_write(oslar_el1, d->os_lock ? 1 : 0);
	}
}

static void vcpu_pmu_save(struct arch_pmu *p)
{
	p->pmcr = sysreg_read(pmcr_el0);
	/* Stop counting first so the saved values are the guest's, not ours. */
	sysreg_write(pmcr_el0, p->pmcr & ~1ULL);
	isb();
	p->pmcntenset = sysreg_read(pmcntenset_el0);
	p->pmintenset = sysreg_read(pmintenset_el1);
	p->pmovsset = sysreg_read(pmovsset_el0);
	p->pmselr = sysreg_read(pmselr_el0);
	p->pmuserenr = sysreg_read(pmuserenr_el0);
	p->pmccntr = sysreg_read(pmccntr_el0);
	p->pmccfiltr = sysreg_read(pmccfiltr_el0);
	for (unsigned int n = 0; n < vcpu_nr_pmu_counters; n++) {
		sysreg_write(pmselr_el0, n);
		isb();
		p->evcntr[n] = sysreg_read(pmxevcntr_el0);
		p->evtyper[n] = sysreg_read(pmxevtyper_el0);
	}
}

static void vcpu_pmu_restore(const struct arch_pmu *p)
{
	sysreg_write(pmcntenclr_el0, ~0ULL);
	sysreg_write(pmintenclr_el1, ~0ULL);
	sysreg_write(pmovsclr_el0, ~0ULL);
	for (unsigned int n = 0; n < vcpu_nr_pmu_counters; n++) {
		sysreg_write(pmselr_el0, n);
		isb();
		sysreg_write(pmxevcntr_el0, p->evcntr[n]);
		sysreg_write(pmxevtyper_el0, p->evtyper[n]);
	}
	sysreg_write(pmselr_el0, p->pmselr);
	sysreg_write(pmuserenr_el0, p->pmuserenr);
	sysreg_write(pmccntr_el0, p->pmccntr);
	sysreg_write(pmccfiltr_el0, p->pmccfiltr);
	sysreg_write(pmovsset_el0, p->pmovsset);
	sysreg_write(pmintenset_el1, p->pmintenset);
	sysreg_write(pmcntenset_el0, p->pmcntenset);
	sysreg_write(pmcr_el0, p->pmcr);
}

static void vcpu_el1_save(struct arch_el1_sysregs *r)
{
	r->sctlr = sysreg_read(sctlr_el1);
	r->actlr = sysreg_read(actlr_el1);
	r->cpacr = sysreg_read(cpacr_el1);
	r->ttbr0 = sysreg_read(ttbr0_el1);
	r->ttbr1 = sysreg_read(ttbr1_el1);
	r->tcr = sysreg_read(tcr_el1);
	r->esr = sysreg_read(esr_el1);
	r->afsr0 = sysreg_read(afsr0_el1);
	r->afsr1 = sysreg_read(afsr1_el1);
	r->far = sysreg_read(far_el1);
	r->mair = sysreg_read(mair_el1);
	r->amair = sysreg_read(amair_el1);
	r->vbar = sysreg_read(vbar_el1);
	r->contextidr = sysreg_read(contextidr_el1);
	r->tpidr_el0 = sysreg_read(tpidr_el0);
	r->tpidrro_el0 = sysreg_read(tpidrro_el0);
	r->tpidr_el1 = sysreg_read(tpidr_el1);
	r->sp_el0 = sysreg_read(sp_el0);
	r->sp_el1 = sysreg_read(sp_el1);
	r->elr = sysreg_read(elr_el1);
	r->spsr = sysreg_read(spsr_el1);
	r->par = sysreg_read(par_el1);
	r->cntkctl = sysreg_read(cntkctl_el1);
	r->csselr = sysreg_read(csselr_el1);
	r->mdscr = sysreg_read(mdscr_el1);
	if (vcpu_has_pauth) {
		r->apiakey[0] = sysreg_read(S3_0_C2_C1_0);
		r->apiakey[1] = sysreg_read(S3_0_C2_C1_1);
		r->apibkey[0] = sysreg_read(S3_0_C2_C1_2);
		r->apibkey[1] = sysreg_read(S3_0_C2_C1_3);
		r->apdakey[0] = sysreg_read(S3_0_C2_C2_0);
		r->apdakey[1] = sysreg_read(S3_0_C2_C2_1);
		r->apdbkey[0] = sysreg_read(S3_0_C2_C2_2);
		r->apdbkey[1] = sysreg_read(S3_0_C2_C2_3);
		r->apgakey[0] = sysreg_read(S3_0_C2_C3_0);
		r->apgakey[1] = sysreg_read(S3_0_C2_C3_1);
	}
}

static void vcpu_el1_restore(const struct arch_el1_sysregs *r)
{
	sysreg_write(sctlr_el1, r->sctlr);
	sysreg_write(actlr_el1, r->actlr);
	sysreg_write(cpacr_el1, r->cpacr);
	sysreg_write(ttbr0_el1, r->ttbr0);
	sysreg_write(ttbr1_el1, r->ttbr1);
	sysreg_write(tcr_el1, r->tcr);
	sysreg_write(esr_el1, r->esr);
	sysreg_write(afsr0_el1, r->afsr0);
	sysreg_write(afsr1_el1, r->afsr1);
	sysreg_write(far_el1, r->far);
	sysreg_write(mair_el1, r->mair);
	sysreg_write(amair_el1, r->amair);
	sysreg_write(vbar_el1, r->vbar);
	sysreg_write(contextidr_el1, r->contextidr);
	sysreg_write(tpidr_el0, r->tpidr_el0);
	sysreg_write(tpidrro_el0, r->tpidrro_el0);
	sysreg_write(tpidr_el1, r->tpidr_el1);
	sysreg_write(sp_el0, r->sp_el0);
	sysreg_write(sp_el1, r->sp_el1);
	sysreg_write(elr_el1, r->elr);
	sysreg_write(spsr_el1, r->spsr);
	sysreg_write(par_el1, r->par);
	sysreg_write(cntkctl_el1, r->cntkctl);
	sysreg_write(csselr_el1, r->csselr);
	sysreg_write(mdscr_el1, r->mdscr);
	if (vcpu_has_pauth) {
		sysreg_write(S3_0_C2_C1_0, r->apiakey[0]);
		sysreg_write(S3_0_C2_C1_1, r->apiakey[1]);
		sysreg_write(S3_0_C2_C1_2, r->apibkey[0]);
		sysreg_write(S3_0_C2_C1_3, r->apibkey[1]);
		sysreg_write(S3_0_C2_C2_0, r->apdakey[0]);
		sysreg_write(S3_0_C2_C2_1, r->apdakey[1]);
		sysreg_write(S3_0_C2_C2_2, r->apdbkey[0]);
		sysreg_write(S3_0_C2_C2_3, r->apdbkey[1]);
		sysreg_write(S3_0_C2_C3_0, r->apgakey[0]);
		sysreg_write(S3_0_C2_C3_1, r->apgakey[1]);
	}
}

#define APR_SAVE(n)                                            \
	do {                                                   \
		a->ich_ap0r[n] = sysreg_read(S3_4_C12_C8_##n); \
		a->ich_ap1r[n] = sysreg_read(S3_4_C12_C9_##n); \
	} while (0)
#define APR_RESTORE(n)                                         \
	do {                                                   \
		sysreg_write(S3_4_C12_C8_##n, a->ich_ap0r[n]); \
		sysreg_write(S3_4_C12_C9_##n, a->ich_ap1r[n]); \
	} while (0)

void arch_vcpu_load(struct vcpu *vcpu)
{
	struct arch_vcpu *a = &vcpu->arch;

	sysreg_write(vtcr_el2, a->vtcr);
	sysreg_write(vttbr_el2, a->vttbr);
	sysreg_write(vmpidr_el2, a->vmpidr);
	sysreg_write(vpidr_el2, sysreg_read(midr_el1));
	sysreg_write(cptr_el2, a->cptr);
	sysreg_write(mdcr_el2, a->mdcr);
	sysreg_write(cnthctl_el2, a->cnthctl);
	sysreg_write(cntvoff_el2, 0);
	if (vcpu_has_hcx)
		sysreg_write(S3_4_C1_C2_2, HCRX_GUEST); /* HCRX_EL2 */
	if (vcpu_has_fgt) {
		/* Fine-grained traps reset to UNKNOWN values: none are wanted. */
		sysreg_write(S3_4_C1_C1_4, 0); /* HFGRTR_EL2 */
		sysreg_write(S3_4_C1_C1_5, 0); /* HFGWTR_EL2 */
		sysreg_write(S3_4_C1_C1_6, 0); /* HFGITR_EL2 */
		sysreg_write(S3_4_C3_C1_4, 0); /* HDFGRTR_EL2 */
		sysreg_write(S3_4_C3_C1_5, 0); /* HDFGWTR_EL2 */
		if (vcpu_has_amu)
			sysreg_write(S3_4_C3_C1_6, 0); /* HAFGRTR_EL2 */
	}
	isb();
	if (a->first_run) {
		/* A new vCPU starts from architectural reset values, not whatever was loaded. */
		a->first_run = false;
		__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
		dsb_ish();
	}
	vcpu_el1_restore(&a->el1);
	fpsimd_restore(&a->fp);
	sysreg_write(cntv_cval_el0, a->cntv_cval);
	sysreg_write(cntv_ctl_el0, a->cntv_ctl);
	vcpu_debug_switch(&a->debug, false);
	if (vcpu_has_pmu)
		vcpu_pmu_restore(&a->pmu);
	sysreg_write(S3_4_C12_C11_7, a->ich_vmcr); /* ICH_VMCR_EL2 */
	if (a->vtimer_active)
		gicv3_ppi_set_active(VCPU_VTIMER_PPI, true);
	if (a->pmu_active)
		gicv3_ppi_set_active(VCPU_PMU_PPI, true);
	APR_RESTORE(0);
	if (vcpu_nr_apr > 1)
		APR_RESTORE(1);
	if (vcpu_nr_apr > 2) {
		APR_RESTORE(2);
		APR_RESTORE(3);
	}
	isb();
	a->loaded = true;
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	struct arch_vcpu *a = &vcpu->arch;

	if (!a->loaded)
		return;
	vcpu_el1_save(&a->el1);
	fpsimd_save(&a->fp);
	a->cntv_ctl = sysreg_read(cntv_ctl_el0);
	a->cntv_cval = sysreg_read(cntv_cval_el0);
	/* A put vCPU's timer must not fire on a CPU that runs someone else. */
	sysreg_write(cntv_ctl_el0, 0);
	vcpu_debug_switch(&a->debug, true);
	if (vcpu_has_pmu)
		vcpu_pmu_save(&a->pmu);
	a->ich_vmcr = sysreg_read(S3_4_C12_C11_7);
	APR_SAVE(0);
	if (vcpu_nr_apr > 1)
		APR_SAVE(1);
	if (vcpu_nr_apr > 2) {
		APR_SAVE(2);
		APR_SAVE(3);
	}
	sysreg_write(hcr_el2, HCR_HOST);
	isb();
	/*
	 * A forwarded timer/PMU interrupt the guest has not yet EOI'd is active
	 * in this CPU's redistributor: take that state with the vCPU, or the next
	 * vCPU's timer could never fire here.
	 */
	a->vtimer_active = gicv3_ppi_active(VCPU_VTIMER_PPI);
	a->pmu_active = vcpu_has_pmu && gicv3_ppi_active(VCPU_PMU_PPI);
	if (a->vtimer_active)
		gicv3_ppi_set_active(VCPU_VTIMER_PPI, false);
	if (a->pmu_active)
		gicv3_ppi_set_active(VCPU_PMU_PPI, false);
	a->loaded = false;
}

void arch_vcpu_discard(struct vcpu *vcpu)
{
	struct arch_vcpu *a = &vcpu->arch;

	sysreg_write(cntv_ctl_el0, 0);
	sysreg_write(hcr_el2, HCR_HOST);
	isb();
	gicv3_ppi_set_active(VCPU_VTIMER_PPI, false);
	if (vcpu_has_pmu)
		gicv3_ppi_set_active(VCPU_PMU_PPI, false);
	a->loaded = false;
}

unsigned int arch_vgic_nr_lrs(void)
{
	vcpu_probe_features();
	return vcpu_nr_lrs;
}

unsigned int arch_vgic_priority_bits(void)
{
	return gicv3_vpri_bits();
}

/* What the exception left in ESR_EL2, FAR_EL2 and HPFAR_EL2. */
static void vcpu_read_syndrome(struct vcpu_exit *exit, enum vcpu_exit_kind kind)
{
	exit->kind = kind;
	exit->esr = sysreg_read(esr_el2);
	exit->far = sysreg_read(far_el2);
	/* HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4]. */
	exit->fault_ipa = ((sysreg_read(hpfar_el2) >> 4) << 12) | (exit->far & 0xfff);
}

void arch_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct arch_vcpu *a = &vcpu->arch;
	unsigned int *live = &vcpu_live_lrs[arch_cpu_index()];
	unsigned int used = MIN(a->lr_used, vcpu_nr_lrs);
	uint64_t kind;

	/* Only the list registers that hold something, or held something before, are touched. */
	for (unsigned int n = 0; n < MAX(used, *live); n++)
		gicv3_write_lr(n, n < used ? a->lr[n] : 0);
	*live = used;
	sysreg_write(S3_4_C12_C11_0, a->ich_hcr | 1); /* ICH_HCR_EL2.En */
	sysreg_write(hcr_el2, a->hcr);
	isb();

	kind = vcpu_enter(&vcpu->regs);

	sysreg_write(hcr_el2, HCR_HOST);
	vcpu_read_syndrome(exit, (enum vcpu_exit_kind)kind);
	for (unsigned int n = 0; n < used; n++)
		a->lr[n] = gicv3_read_lr(n);
	sysreg_write(S3_4_C12_C11_0, 0);
	isb();
}

/*
 * The trap vector's C half (vcpu_trap in vcpu_switch.S), run with the guest
 * still configured (HCR_EL2, list registers, ICH_HCR_EL2 as arch_vcpu_run
 * left them) and every guest register saved in regs, the first member of
 * its struct vcpu. Returns VCPU_TRAP_RESUME to re-enter the guest at once,
 * else the exit kind vcpu_enter reports to arch_vcpu_run.
 */
uint64_t arch_vcpu_trap(struct vcpu_regs *regs);
_Static_assert(offsetof(struct vcpu, regs) == 0, "vcpu_trap passes the vcpu as its regs");
uint64_t arch_vcpu_trap(struct vcpu_regs *regs)
{
	struct vcpu *vcpu = (struct vcpu *)regs;
	struct vcpu_exit exit;

	vcpu_read_syndrome(&exit, VCPU_EXIT_KIND_SYNC);
	switch (vcpu_handle_exit_fast(vcpu, &exit)) {
	case VCPU_FAST_RESUME:
		return VCPU_TRAP_RESUME;
	case VCPU_FAST_HANDLED:
		return VCPU_EXIT_KIND_HANDLED;
	default:
		return VCPU_EXIT_KIND_SYNC;
	}
}

void arch_vcpu_skip_instruction(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	vcpu->regs.pc += (exit->esr & ESR_IL) ? 4 : 2;
	/*
	 * The instruction completed as far as the guest can tell: a software step
	 * in progress now ends (PSTATE.SS = 0, so the step exception comes right
	 * after it, as on hardware), and the branch type no longer applies.
	 */
	vcpu->regs.pstate &= ~(PSTATE_SS | PSTATE_BTYPE_MASK);
}

/* Exception entry at EL1, done in software the way the hardware would (Arm ARM D1.3). */
static void vcpu_enter_el1_exception(struct vcpu *vcpu, uint64_t esr)
{
	uint64_t pstate = vcpu->regs.pstate;
	uint64_t offset;

	if (pstate & (1ULL << 4))
		offset = 0x600; /* from AArch32 EL0 */
	else if ((pstate & 0xc) == 0)
		offset = 0x400; /* from AArch64 EL0 */
	else if (pstate & 1)
		offset = 0x200; /* EL1 using SP_EL1 */
	else
		offset = 0x000; /* EL1 using SP_EL0 */

	sysreg_write(esr_el1, esr);
	sysreg_write(elr_el1, vcpu->regs.pc);
	sysreg_write(spsr_el1, pstate);
	vcpu->regs.pc = sysreg_read(vbar_el1) + offset;
	vcpu->regs.pstate = PSTATE_EL1H_MASKED;
}

void arch_vcpu_inject_abort(struct vcpu *vcpu, bool instruction, bool write, uint64_t far)
{
	bool from_el0 = (vcpu->regs.pstate & 0xc) == 0;
	uint64_t ec;

	if (instruction)
		ec = from_el0 ? ESR_EC_IABT_LOW : ESR_EC_IABT_CUR;
	else
		ec = from_el0 ? ESR_EC_DABT_LOW : ESR_EC_DABT_CUR;
	sysreg_write(far_el1, far);
	vcpu_enter_el1_exception(vcpu, (ec << ESR_EC_SHIFT) | ESR_IL | FSC_SYNC_EXTERNAL |
					       (write && !instruction ? ESR_ISS_WNR : 0));
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu_enter_el1_exception(vcpu, ((uint64_t)ESR_EC_UNKNOWN << ESR_EC_SHIFT) | ESR_IL);
}

/* ID register encodings: op0=3, op1=0, CRn=0, CRm=crm, op2=op2. */
#define ID_ENC(crm, op2) (((crm) << 3) | (op2))

#define ID_FIELD_CLEAR(val, shift) ((val) & ~(0xfULL << (shift)))

/* Reads an ID register and hides the features Rhenium does not virtualize. */
static uint64_t vcpu_id_register(unsigned int crm, unsigned int op2, uint64_t parange)
{
	uint64_t v;

	switch (ID_ENC(crm, op2)) {
	case ID_ENC(4, 0): /* ID_AA64PFR0_EL1 */
		v = sysreg_read(id_aa64pfr0_el1);
		v = ID_FIELD_CLEAR(v, 32); /* SVE */
		v = ID_FIELD_CLEAR(v, 40); /* MPAM */
		v = ID_FIELD_CLEAR(v, 44); /* AMU */
		v = ID_FIELD_CLEAR(v, 52); /* RME */
		return v;
	case ID_ENC(4, 1): /* ID_AA64PFR1_EL1 */
		v = sysreg_read(id_aa64pfr1_el1);
		v = ID_FIELD_CLEAR(v, 8);  /* MTE */
		v = ID_FIELD_CLEAR(v, 16); /* MPAM_frac */
		v = ID_FIELD_CLEAR(v, 24); /* SME */
		v = ID_FIELD_CLEAR(v, 32); /* RNDR_trap */
		v = ID_FIELD_CLEAR(v, 36); /* NMI */
		v = ID_FIELD_CLEAR(v, 40); /* MTE_frac */
		v = ID_FIELD_CLEAR(v, 44); /* GCS */
		v = ID_FIELD_CLEAR(v, 48); /* THE */
		v = ID_FIELD_CLEAR(v, 52); /* MTEX */
		return v;
	case ID_ENC(4, 2): /* ID_AA64PFR2_EL1 */
		return 0;
	case ID_ENC(4, 4): /* ID_AA64ZFR0_EL1: no SVE */
	case ID_ENC(4, 5): /* ID_AA64SMFR0_EL1: no SME */
		return 0;
	case ID_ENC(5, 0): /* ID_AA64DFR0_EL1 */
		v = sysreg_read(id_aa64dfr0_el1);
		v = ID_FIELD_CLEAR(v, 4);  /* TraceVer */
		v = ID_FIELD_CLEAR(v, 32); /* PMSVer (SPE) */
		v = ID_FIELD_CLEAR(v, 40); /* TraceFilt */
		v = ID_FIELD_CLEAR(v, 44); /* TraceBuffer */
		v = ID_FIELD_CLEAR(v, 52); /* BRBE */
		v = ID_FIELD_CLEAR(v, 56); /* MTPMU */
		return v;
	case ID_ENC(5, 1):
		return sysreg_read(id_aa64dfr1_el1);
	case ID_ENC(5, 4):
		return sysreg_read(id_aa64afr0_el1);
	case ID_ENC(5, 5):
		return sysreg_read(id_aa64afr1_el1);
	case ID_ENC(6, 0):
		return sysreg_read(id_aa64isar0_el1);
	case ID_ENC(6, 1):
		return sysreg_read(id_aa64isar1_el1);
	case ID_ENC(6, 2):
		return sysreg_read(id_aa64isar2_el1);
	case ID_ENC(7, 0): /* ID_AA64MMFR0_EL1: physical addresses end where Stage-2 ends */
		v = sysreg_read(id_aa64mmfr0_el1);
		if ((v & ID_AA64MMFR0_PARANGE_MASK) > parange)
			v = (v & ~ID_AA64MMFR0_PARANGE_MASK) | parange;
		return v;
	case ID_ENC(7, 1): /* ID_AA64MMFR1_EL1 */
		v = sysreg_read(id_aa64mmfr1_el1);
		v = ID_FIELD_CLEAR(v, 16); /* LO */
		return v;
	case ID_ENC(7, 2):
		return sysreg_read(id_aa64mmfr2_el1);
	case ID_ENC(7, 3): /* ID_AA64MMFR3_EL1: registers we do not switch yet */
		v = sysreg_read(S3_0_C0_C7_3);
		v = ID_FIELD_CLEAR(v, 0);  /* TCRX */
		v = ID_FIELD_CLEAR(v, 4);  /* SCTLRX */
		v = ID_FIELD_CLEAR(v, 8);  /* S1PIE */
		v = ID_FIELD_CLEAR(v, 16); /* S1POE */
		v = ID_FIELD_CLEAR(v, 24); /* AIE */
		v = ID_FIELD_CLEAR(v, 28); /* MEC */
		return v;
	/* AArch32 ID registers: the guest may run AArch32 at EL0. */
	case ID_ENC(1, 0):
		return sysreg_read(id_pfr0_el1);
	case ID_ENC(1, 1):
		return sysreg_read(id_pfr1_el1);
	case ID_ENC(1, 2):
		return sysreg_read(id_dfr0_el1);
	case ID_ENC(1, 3):
		return sysreg_read(id_afr0_el1);
	case ID_ENC(1, 4):
		return sysreg_read(id_mmfr0_el1);
	case ID_ENC(1, 5):
		return sysreg_read(id_mmfr1_el1);
	case ID_ENC(1, 6):
		return sysreg_read(id_mmfr2_el1);
	case ID_ENC(1, 7):
		return sysreg_read(id_mmfr3_el1);
	case ID_ENC(2, 0):
		return sysreg_read(id_isar0_el1);
	case ID_ENC(2, 1):
		return sysreg_read(id_isar1_el1);
	case ID_ENC(2, 2):
		return sysreg_read(id_isar2_el1);
	case ID_ENC(2, 3):
		return sysreg_read(id_isar3_el1);
	case ID_ENC(2, 4):
		return sysreg_read(id_isar4_el1);
	case ID_ENC(2, 5):
		return sysreg_read(id_isar5_el1);
	case ID_ENC(2, 6):
		return sysreg_read(id_mmfr4_el1);
	case ID_ENC(2, 7):
		return sysreg_read(S3_0_C0_C2_7); /* ID_ISAR6_EL1 */
	case ID_ENC(3, 0):
		return sysreg_read(mvfr0_el1);
	case ID_ENC(3, 1):
		return sysreg_read(mvfr1_el1);
	case ID_ENC(3, 2):
		return sysreg_read(mvfr2_el1);
	case ID_ENC(3, 4):
		return sysreg_read(S3_0_C0_C3_4); /* ID_PFR2_EL1 */
	case ID_ENC(3, 5):
		return sysreg_read(S3_0_C0_C3_5); /* ID_DFR1_EL1 */
	case ID_ENC(3, 6):
		return sysreg_read(S3_0_C0_C3_6); /* ID_MMFR5_EL1 */
	default:
		/* Unallocated ID space reads as zero (Arm ARM D19.1). */
		return 0;
	}
}

bool arch_vcpu_sysreg_trap(struct vcpu *vcpu, uint64_t esr)
{
	struct abort_sysreg sr;

	if (abort_sysreg_decode(esr, &sr) != 0)
		return false;

	/* Group 3 ID registers (HCR_EL2.TID3): read-only. */
	if (sr.op0 == 3 && sr.op1 == 0 && sr.crn == 0 && sr.crm >= 1 && sr.crm <= 7) {
		if (!sr.read)
			return false;
		if (sr.rt != 31)
			vcpu->regs.x[sr.rt] = vcpu_id_register(sr.crm, sr.op2, vcpu->arch.parange);
		return true;
	}
	/* DC ISW/CSW/CISW (HCR_EL2.TSW): meaningless under virtualization; memory is coherent. */
	if (sr.op0 == 1 && sr.op1 == 0 && sr.crn == 7 &&
	    (sr.crm == 6 || sr.crm == 10 || sr.crm == 14) && sr.op2 == 2)
		return true;
	/* ACTLR_EL1 (HCR_EL2.TACR): reads as zero, writes ignored. */
	if (sr.op0 == 3 && sr.op1 == 0 && sr.crn == 1 && sr.crm == 0 && sr.op2 == 1) {
		if (sr.read && sr.rt != 31)
			vcpu->regs.x[sr.rt] = 0;
		return true;
	}
	/* EL1 physical timer (CNTHCTL_EL2.EL1PCEN clear): not given to guests; RAZ/WI. */
	if (sr.op0 == 3 && sr.op1 == 3 && sr.crn == 14 && sr.crm == 2) {
		if (sr.read && sr.rt != 31)
			vcpu->regs.x[sr.rt] = 0;
		return true;
	}
	return false;
}

void arch_handle_irqs(void)
{
	uint32_t intid;

	while ((intid = gicv3_ack()) < 1020) {
		bool deactivate;

		gicv3_eoi(intid);
		deactivate = irq_dispatch(intid);
		if (deactivate)
			gicv3_deactivate(intid);
	}
}

void arch_wait_and_handle_irqs(void)
{
	/* Interrupts stay masked at EL2: WFI still wakes when one is pending. */
	dsb_sy();
	__asm__ volatile("wfi" ::: "memory");
	arch_handle_irqs();
}
