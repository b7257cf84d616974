// SPDX-License-Identifier: MIT
/*
 * abort: accesses to a hole in the physical (or intermediate physical)
 * address map are synchronous external aborts the guest sees and survives.
 *
 * The hole is 0x0b000000: on QEMU virt nothing lives between the last
 * virtio-mmio transport (0x0a000000 + 32 * 0x200) and the platform bus at
 * 0x0c000000, and QEMU turns an access there into a synchronous external
 * abort for the CPU. Rhenium's guest map follows QEMU virt's, so the same
 * address is a hole for its VMs, and Rhenium must inject the same abort
 * (ESR_EL1.EC 0x25 data abort / 0x21 instruction abort, FSC 0x10).
 */
#include "guest.h"

const char guest_name[] = "abort";

#define HOLE 0x0b000000UL

struct access {
	uint64_t pc;   /* address of the faulting instruction */
	uint64_t next; /* 1 if the instruction after it ran */
};

#define FAULTING_ACCESS(insn, addr, val)                                     \
	({                                                                   \
		struct access __a;                                           \
		uint64_t __v = (val);                                        \
		__asm__ volatile("adr %0, 1f\n\t"                            \
				 "mov %1, #0\n"                              \
				 "1:\t" insn ", [%3]\n\t"                    \
				 "mov %1, #1"                                \
				 : "=&r"(__a.pc), "=&r"(__a.next), "+r"(__v) \
				 : "r"(addr)                                 \
				 : "memory");                                \
		__a;                                                         \
	})

static void data_abort(const char *what, struct access a, uint64_t addr, bool write)
{
	struct exc_record rec;
	bool taken = exception_taken(&rec);

	if (!check(taken, "%s 0x%lx: synchronous exception taken", what, addr))
		return;
	check_eq(rec.kind, EXC_CURRENT_SPX + EXC_SYNC, "%s: through the current-EL sync vector",
		 what);
	check_eq(ESR_EC(rec.esr), EC_DABT_CUR, "%s: ESR_EL1.EC is 0x25 (data abort, same EL)",
		 what);
	check_eq(ESR_DABT_DFSC(rec.esr), DFSC_SEA, "%s: DFSC is 0x10 (synchronous external abort)",
		 what);
	check_eq(!!(rec.esr & ESR_DABT_WNR), write, "%s: WnR is %d", what, write);
	if (!(rec.esr & ESR_DABT_FNV))
		check_eq(rec.far, addr, "%s: FAR_EL1 is the address", what);
	check_eq(rec.elr, a.pc, "%s: ELR_EL1 is the faulting instruction", what);
	check_eq(a.next, 1, "%s: execution resumed after it", what);
}

void test_main(void)
{
	struct access a;

	expect_exception();
	a = FAULTING_ACCESS("ldr %w2", HOLE, 0);
	data_abort("ldr w", a, HOLE, false);

	expect_exception();
	a = FAULTING_ACCESS("ldrb %w2", HOLE + 0x11, 0);
	data_abort("ldrb", a, HOLE + 0x11, false);

	expect_exception();
	a = FAULTING_ACCESS("ldr %x2", HOLE + 0x1000, 0);
	data_abort("ldr x", a, HOLE + 0x1000, false);

	expect_exception();
	a = FAULTING_ACCESS("str %w2", HOLE + 0x20, 0x12345678);
	data_abort("str w", a, HOLE + 0x20, true);

	expect_exception();
	a = FAULTING_ACCESS("strh %w2", HOLE + 0x22, 0x1234);
	data_abort("strh", a, HOLE + 0x22, true);

	/* Instruction fetch: branch-and-link into the hole, come back via LR. */
	struct exc_record rec;
	expect_exception();
	__asm__ volatile("blr %0" : : "r"(HOLE + 0x40) : "x30", "memory");
	if (check(exception_taken(&rec), "blr 0x%lx: synchronous exception taken", HOLE + 0x40)) {
		check_eq(ESR_EC(rec.esr), EC_IABT_CUR,
			 "instruction fetch: ESR_EL1.EC is 0x21 (instruction abort, same EL)");
		check_eq(rec.esr & 0x3f, DFSC_SEA, "instruction fetch: IFSC is 0x10");
		check_eq(rec.elr, HOLE + 0x40, "instruction fetch: ELR_EL1 is the target");
		check_eq(rec.far, HOLE + 0x40, "instruction fetch: FAR_EL1 is the target");
	}

	/* Everything else still works, and nothing was left armed. */
	check_eq(readl(PL011_BASE + 0xffc) & 0xff, 0xb1, "PL011 still reads after the aborts");
	check_eq(exception_count(), 6, "exactly six exceptions were taken");
	check(!exception_taken(NULL), "no exception recorded since the last one was read");
}
