/* SPDX-License-Identifier: MIT */
/*
 * Reporting of exceptions Rhenium does not expect. The exception classes are
 * from the Arm ARM, D19 (ESR_EL2.EC).
 */
#include <arch/exception.h>
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/log.h>

const char *exception_class_name(uint64_t ec)
{
	switch (ec) {
	case 0x00:
		return "unknown reason";
	case 0x01:
		return "WFI/WFE";
	case 0x07:
		return "SVE/SIMD/FP access";
	case 0x0e:
		return "illegal execution state";
	case 0x11:
		return "SVC (AArch32)";
	case 0x15:
		return "SVC (AArch64)";
	case 0x16:
		return "HVC (AArch64)";
	case 0x17:
		return "SMC (AArch64)";
	case 0x18:
		return "MSR/MRS/system instruction";
	case 0x19:
		return "SVE access";
	case 0x20:
		return "instruction abort (lower EL)";
	case 0x21:
		return "instruction abort (same EL)";
	case 0x22:
		return "PC alignment fault";
	case 0x24:
		return "data abort (lower EL)";
	case 0x25:
		return "data abort (same EL)";
	case 0x26:
		return "SP alignment fault";
	case 0x2c:
		return "FP exception";
	case 0x2f:
		return "SError";
	case 0x30:
		return "breakpoint (lower EL)";
	case 0x31:
		return "breakpoint (same EL)";
	case 0x32:
		return "software step (lower EL)";
	case 0x33:
		return "software step (same EL)";
	case 0x34:
		return "watchpoint (lower EL)";
	case 0x35:
		return "watchpoint (same EL)";
	case 0x3c:
		return "BRK instruction";
	default:
		return "reserved/unhandled class";
	}
}

static const char *const exception_kind_names[] = {
	"synchronous",
	"IRQ",
	"FIQ",
	"SError",
};

static const char *const exception_origin_names[] = {
	"EL2 with SP_EL0",
	"EL2 with SP_EL2",
	"lower EL (AArch64)",
	"lower EL (AArch32)",
};

void exception_dump_frame(const struct exception_frame *frame)
{
	for (unsigned int i = 0; i < 30; i += 2) {
		log_raw("  x%-2u %016llx  x%-2u %016llx\n", i, (unsigned long long)frame->x[i],
			i + 1, (unsigned long long)frame->x[i + 1]);
	}
	log_raw("  x30 %016llx  sp  %016llx\n", (unsigned long long)frame->x[30],
		(unsigned long long)frame->sp);
	log_raw("  elr %016llx  spsr %016llx\n", (unsigned long long)frame->elr,
		(unsigned long long)frame->spsr);
}

void exception_unexpected(struct exception_frame *frame, uint64_t kind)
{
	uint64_t ec = (frame->esr >> ESR_EC_SHIFT) & ESR_EC_MASK;

	log_raw("\n*** Unexpected %s exception from %s on cpu%u\n", exception_kind_names[kind & 3],
		exception_origin_names[(kind >> 2) & 3], arch_cpu_index());
	log_raw("  ESR_EL2  %016llx  (EC 0x%02llx: %s, IL %u, ISS 0x%07llx)\n",
		(unsigned long long)frame->esr, (unsigned long long)ec, exception_class_name(ec),
		(frame->esr & ESR_IL) ? 1U : 0U, (unsigned long long)(frame->esr & ESR_ISS_MASK));
	log_raw("  FAR_EL2  %016llx\n", (unsigned long long)frame->far);
	log_raw("  ELR_EL2  %016llx\n", (unsigned long long)frame->elr);
	log_raw("  SPSR_EL2 %016llx\n", (unsigned long long)frame->spsr);
	exception_dump_frame(frame);
	log_raw("*** cpu%u halted\n", arch_cpu_index());
	arch_cpu_halt();
}
