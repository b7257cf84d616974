// SPDX-License-Identifier: MIT
/*
 * EL1 exception handling for the test guests (vectors.S saves the frame).
 *
 * - A synchronous exception or SError while a test has called
 *   expect_exception() is recorded (ESR, FAR, ELR, vector) and, if
 *   synchronous, resumed at the next instruction (ELR + 4); an instruction
 *   abort resumes at the link register instead, i.e. a test provokes one
 *   with a BLR to the address and comes back as from a call.
 * - An IRQ goes to the handler the test registered with set_irq_handler();
 *   without one it is acknowledged, EOI'd and counted as a failure.
 * - A hook set with set_exception_hook() sees synchronous exceptions and
 *   SErrors from EL1 before all of the above and may claim them.
 * - Anything else is fatal: a register dump, a "not ok" line, the summary
 *   and SYSTEM_OFF.
 */
#include "gic.h"
#include "internal.h"

extern char __image_start[];

static const char *const kind_types[4] = { "sync", "IRQ", "FIQ", "SError" };
static const char *const kind_origins[4] = { " (SP0)", "", " (lower EL)", " (AArch32)" };

static volatile bool armed;
static volatile bool taken;
static volatile struct exc_record last;
static volatile unsigned count;
static volatile irq_handler_t irq_handler;
static volatile exc_hook_t exc_hook;

void exception_init(void)
{
	armed = false;
	taken = false;
	irq_handler = NULL;
	exc_hook = NULL;
}

void expect_exception(void)
{
	taken = false;
	armed = true;
	__asm__ volatile("" ::: "memory");
}

bool exception_taken(struct exc_record *rec)
{
	__asm__ volatile("" ::: "memory");
	bool was_taken = taken;

	armed = false;
	taken = false;
	if (was_taken && rec) {
		rec->esr = last.esr;
		rec->far = last.far;
		rec->elr = last.elr;
		rec->kind = last.kind;
	}
	return was_taken;
}

unsigned exception_count(void)
{
	return count;
}

void set_irq_handler(irq_handler_t handler)
{
	irq_handler = handler;
	__asm__ volatile("" ::: "memory");
}

void set_exception_hook(exc_hook_t hook)
{
	exc_hook = hook;
	__asm__ volatile("" ::: "memory");
}

static void dump(const struct exc_frame *f, unsigned kind)
{
	printf("# unexpected exception: %s%s, ESR_EL1 0x%lx (EC 0x%lx), FAR_EL1 0x%lx\n",
	       kind_types[kind & 3], kind_origins[(kind >> 2) & 3], f->esr, ESR_EC(f->esr), f->far);
	/* The ELF is linked at 0: addr2line -e <guest>.elf <offset>. */
	printf("#   ELR 0x%lx (offset 0x%lx in the image), SPSR 0x%lx, SP 0x%lx\n", f->elr,
	       f->elr - (uint64_t)(uintptr_t)__image_start, f->spsr, f->sp);
	for (unsigned i = 0; i < 31; i += 4) {
		printf("#  ");
		for (unsigned j = i; j < i + 4 && j < 31; j++)
			printf(" x%-2u 0x%016lx", j, f->x[j]);
		printf("\n");
	}
}

void guest_exception(struct exc_frame *frame, unsigned kind)
{
	count++;
	if (kind == EXC_CURRENT_SPX + EXC_IRQ) {
		if (irq_handler) {
			irq_handler();
			return;
		}
		uint32_t intid = gic_ack();
		if (intid != GIC_SPURIOUS)
			gic_eoi(intid);
		check(false, "unexpected IRQ %u (no handler registered)", (unsigned)intid);
		return;
	}
	bool sync_or_serror = kind == EXC_CURRENT_SPX + EXC_SYNC ||
			      kind == EXC_CURRENT_SPX + EXC_SERROR || kind == EXC_SYNC ||
			      kind == EXC_SERROR;
	exc_hook_t hook = exc_hook;

	if (hook && sync_or_serror && hook(frame, kind))
		return;
	if (armed && (kind == EXC_CURRENT_SPX + EXC_SYNC || kind == EXC_CURRENT_SPX + EXC_SERROR)) {
		last.esr = frame->esr;
		last.far = frame->far;
		last.elr = frame->elr;
		last.kind = kind;
		taken = true;
		armed = false;
		if (kind == EXC_CURRENT_SPX + EXC_SYNC) {
			bool iabt = ESR_EC(frame->esr) == EC_IABT_CUR;

			frame->elr = iabt ? frame->x[30] : frame->elr + 4;
		}
		return;
	}
	dump(frame, kind);
	guest_fatal("unexpected exception: %s%s, EC 0x%lx at 0x%lx", kind_types[kind & 3],
		    kind_origins[(kind >> 2) & 3], ESR_EC(frame->esr), frame->elr);
}
