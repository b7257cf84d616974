// SPDX-License-Identifier: MIT
/*
 * hvc: firmware calls through HVC #0 (SMCCC, PSCI) and what they preserve.
 *
 * Natively (QEMU virt at EL1, no EL2/EL3) QEMU itself answers HVC with its
 * PSCI 1.1 emulation: every HVC is treated as a PSCI call, SMCCC_VERSION
 * and PSCI_FEATURES(SMCCC_VERSION) are NOT_SUPPORTED, i.e. SMCCC 1.0. The
 * SMCCC discovery rule is what is checked by default: PSCI_FEATURES says
 * whether SMCCC_VERSION exists, and if it does it must report >= 1.1.
 * Booting with bootargs "smccc=1.1" (QEMU: -append smccc=1.1) makes SMCCC
 * 1.1 or later mandatory, which is what a hypervisor should offer.
 */
#include "guest.h"

const char guest_name[] = "hvc";

/* Function ids of an owner the SMCCC reserves (7): nobody may implement them. */
#define FID_UNKNOWN_32 0x87000001U
#define FID_UNKNOWN_64 0xc7000001U
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_ALREADY_ON (-4)

static int32_t hvc32(uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return (int32_t)hvc_call(fid, a1, a2, a3).a0;
}

static void check_psci(void)
{
	check_eq(hvc_call(PSCI_VERSION, 0, 0, 0).a0, 0x10001, "PSCI_VERSION is 1.1");
	check_eq((uint64_t)hvc32(PSCI_FEATURES, PSCI_FEATURES, 0, 0), SMCCC_RET_SUCCESS,
		 "PSCI_FEATURES(PSCI_FEATURES) is SUCCESS");
	check_eq((uint64_t)hvc32(PSCI_FEATURES, PSCI_SYSTEM_OFF, 0, 0), SMCCC_RET_SUCCESS,
		 "PSCI_FEATURES(SYSTEM_OFF) is SUCCESS");
	check_eq((uint64_t)hvc32(PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0), SMCCC_RET_SUCCESS,
		 "PSCI_FEATURES(CPU_ON_64) is SUCCESS");
	check_eq((uint64_t)(int64_t)hvc32(PSCI_FEATURES, FID_UNKNOWN_32, 0, 0),
		 (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED,
		 "PSCI_FEATURES(unassigned id 0x%x) is NOT_SUPPORTED", FID_UNKNOWN_32);

	uint64_t mpidr = read_sysreg(mpidr_el1) & 0xff00ffffffUL;
	check_eq((uint64_t)hvc32(PSCI_AFFINITY_INFO_64, mpidr, 0, 0), 0,
		 "AFFINITY_INFO_64(own MPIDR 0x%lx, level 0) is ON", mpidr);
	check_eq((uint64_t)(int64_t)hvc32(PSCI_CPU_ON_64, mpidr, 0x40000000, 0),
		 (uint64_t)(int64_t)PSCI_RET_ALREADY_ON,
		 "CPU_ON_64 of the calling CPU is ALREADY_ON");
	check_eq((uint64_t)(int64_t)hvc32(PSCI_CPU_ON_64, 0xff00fe0000UL, 0x40000000, 0),
		 (uint64_t)(int64_t)PSCI_RET_INVALID_PARAMS,
		 "CPU_ON_64 of a non-existent MPIDR is INVALID_PARAMETERS");
}

static void check_smccc_version(void)
{
	int32_t features = hvc32(PSCI_FEATURES, SMCCC_VERSION, 0, 0);
	int32_t version = hvc32(SMCCC_VERSION, 0, 0, 0);
	bool require_1_1 = guest_has_arg("smccc=1.1");

	diag("PSCI_FEATURES(SMCCC_VERSION) = %d, SMCCC_VERSION = 0x%x%s", features,
	     (uint32_t)version, require_1_1 ? " (smccc=1.1: 1.1+ required)" : "");
	if (features == SMCCC_RET_SUCCESS) {
		check(version >= 0x10001,
		      "SMCCC_VERSION is 1.1 or later (0x%x), as PSCI_FEATURES promises",
		      (uint32_t)version);
	} else if (require_1_1) {
		check(false, "SMCCC 1.1+ required but PSCI_FEATURES(SMCCC_VERSION) = %d", features);
	} else {
		check(features == SMCCC_RET_NOT_SUPPORTED && version == SMCCC_RET_NOT_SUPPORTED,
		      "SMCCC 1.0: SMCCC_VERSION and PSCI_FEATURES(SMCCC_VERSION) NOT_SUPPORTED");
	}
	if (features == SMCCC_RET_SUCCESS && version >= 0x10001) {
		check_eq((uint64_t)(int64_t)hvc32(SMCCC_ARCH_FEATURES, FID_UNKNOWN_32, 0, 0),
			 (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED,
			 "SMCCC_ARCH_FEATURES(unassigned id) is NOT_SUPPORTED");
	}
}

static void check_unknown_and_preserved(void)
{
	struct smccc_res r = hvc_call(FID_UNKNOWN_32, 1, 2, 3);
	check_eq((uint32_t)r.a0, 0xffffffffU, "unknown SMC32 id 0x%x returns -1 in w0",
		 FID_UNKNOWN_32);
	r = hvc_call(FID_UNKNOWN_64, 1, 2, 3);
	check_eq(r.a0, (uint64_t)-1, "unknown SMC64 id 0x%x returns -1 in x0", FID_UNKNOWN_64);

	/* x4..x17 (SMCCC 1.1+) and x18..x30 (always) survive a call. */
	check_eq(hvc_clobber_mask(PSCI_VERSION, 0), 0, "PSCI_VERSION preserves x4..x30");
	check_eq(hvc_clobber_mask(FID_UNKNOWN_64, 0), 0, "an unknown call preserves x4..x30");
	check_eq(hvc_clobber_mask(PSCI_FEATURES, PSCI_SYSTEM_OFF), 0,
		 "PSCI_FEATURES preserves x4..x30");

	/* The full-register path: arguments in x0..x17 come back as results. */
	struct smccc_regs regs;
	for (unsigned i = 0; i < ARRAY_SIZE(regs.x); i++)
		regs.x[i] = 0x1000 + i;
	regs.x[0] = PSCI_VERSION;
	hvc_regs(&regs);
	check_eq(regs.x[0], 0x10001, "PSCI_VERSION through hvc_regs");
	bool same = true;
	for (unsigned i = 4; i < ARRAY_SIZE(regs.x); i++)
		same &= regs.x[i] == 0x1000 + i;
	check(same, "x4..x17 unchanged by PSCI_VERSION through hvc_regs");

	/* The runtime's conduit (from the DTB) reaches the same implementation. */
	if (smccc_conduit() == CONDUIT_HVC)
		check_eq(smccc_call(PSCI_VERSION, 0, 0, 0).a0, 0x10001,
			 "PSCI_VERSION through the DT's conduit (hvc)");
}

void test_main(void)
{
	check_psci();
	check_smccc_version();
	check_unknown_and_preserved();
	/* Many calls in a row: nothing leaks or drifts. */
	bool all = true;
	for (unsigned i = 0; i < 1000; i++)
		all &= hvc_call(PSCI_VERSION, i, i, i).a0 == 0x10001;
	check(all, "1000 PSCI_VERSION calls in a row all return 1.1");
}
