/* SPDX-License-Identifier: MIT */
#include <rhenium/arch.h>
#include <rhenium/platform.h>
#include <rhenium/psci.h>

static int psci_conduit = PSCI_CONDUIT_NONE;

void psci_init(int conduit)
{
	psci_conduit = conduit;
}

bool psci_available(void)
{
	return psci_conduit != PSCI_CONDUIT_NONE;
}

uint32_t psci_version(void)
{
	if (!psci_available())
		return 0;
	return (uint32_t)arch_smccc_call(psci_conduit, PSCI_VERSION, 0, 0, 0);
}

int32_t psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context_id)
{
	if (!psci_available())
		return PSCI_RET_NOT_SUPPORTED;
	return (int32_t)arch_smccc_call(psci_conduit, PSCI_CPU_ON_64, mpidr, entry, context_id);
}

void psci_system_off(void)
{
	if (psci_available())
		arch_smccc_call(psci_conduit, PSCI_SYSTEM_OFF, 0, 0, 0);
	/* Firmware without SYSTEM_OFF: stopping this CPU is the best we can do. */
	arch_cpu_halt();
}

const char *psci_error_name(int32_t ret)
{
	switch (ret) {
	case PSCI_RET_SUCCESS:
		return "SUCCESS";
	case PSCI_RET_NOT_SUPPORTED:
		return "NOT_SUPPORTED";
	case PSCI_RET_INVALID_PARAMETERS:
		return "INVALID_PARAMETERS";
	case PSCI_RET_DENIED:
		return "DENIED";
	case PSCI_RET_ALREADY_ON:
		return "ALREADY_ON";
	case PSCI_RET_ON_PENDING:
		return "ON_PENDING";
	case PSCI_RET_INTERNAL_FAILURE:
		return "INTERNAL_FAILURE";
	case PSCI_RET_NOT_PRESENT:
		return "NOT_PRESENT";
	case PSCI_RET_DISABLED:
		return "DISABLED";
	case PSCI_RET_INVALID_ADDRESS:
		return "INVALID_ADDRESS";
	default:
		return "unknown error";
	}
}
