/* SPDX-License-Identifier: MIT */
/*
 * PSCI (Arm DEN 0022, v1.1) as a client of the firmware below us: function
 * identifiers (section 5.1) and return codes (section 5.2.2).
 */
#ifndef RHENIUM_PSCI_H
#define RHENIUM_PSCI_H

#include <rhenium/types.h>

#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_AFFINITY_INFO_64 0xc4000004U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED -1
#define PSCI_RET_INVALID_PARAMETERS -2
#define PSCI_RET_DENIED -3
#define PSCI_RET_ALREADY_ON -4
#define PSCI_RET_ON_PENDING -5
#define PSCI_RET_INTERNAL_FAILURE -6
#define PSCI_RET_NOT_PRESENT -7
#define PSCI_RET_DISABLED -8
#define PSCI_RET_INVALID_ADDRESS -9

/* Chooses the conduit discovered in the device tree; PSCI_CONDUIT_NONE disables calls. */
void psci_init(int conduit);
bool psci_available(void);
/* Major in bits [31:16], minor in [15:0]; 0 if PSCI is unavailable. */
uint32_t psci_version(void);
int32_t psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context_id);
NORETURN void psci_system_off(void);
const char *psci_error_name(int32_t ret);

#endif
