/* SPDX-License-Identifier: MIT */
/*
 * SMC Calling Convention (Arm DEN 0028) calls to firmware: function id in w0,
 * arguments in x1..x3, result in x0. SMCCC 1.1+ preserves x4..x17 as well,
 * but we stay correct for 1.0 firmware by treating them as clobbered (they
 * are caller-saved in the procedure call standard anyway).
 */
	.text
	.global smccc_smc
smccc_smc:
	smc	#0
	ret

	.global smccc_hvc
smccc_hvc:
	hvc	#0
	ret
