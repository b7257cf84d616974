/* SPDX-License-Identifier: MIT */
/*
 * Runtime of Rhenium's bare-metal test guests (see docs/test_guests.md).
 *
 * A test guest is one C file defining
 *
 *     const char guest_name[] = "name";
 *     void test_main(void) { ... check(...); ... }
 *
 * linked with this runtime. It runs at EL1 with the MMU off on one CPU
 * (others only if it starts them: guest_cpu_start) and prints one line per
 * check ("ok N - ..." / "not ok N - ..."), then "guest: N passed, M failed",
 * then asks for PSCI SYSTEM_OFF.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmio.h"
#include "sysreg.h"

/* ---------------------------------------------------------------- platform */
/*
 * QEMU virt's addresses (hw/arm/virt.c), which are also the addresses of the
 * guest map Rhenium gives its VMs: what the runtime uses for whatever the
 * DTB does not name. RAM starts at 0x40000000; the runtime itself does not
 * depend on where it was loaded.
 */
#define QEMU_PL011_BASE 0x09000000UL
#define QEMU_GICD_BASE 0x08000000UL
#define QEMU_GICR_BASE 0x080a0000UL
#define RAM_BASE 0x40000000UL

/* CPUs the runtime can start (guest_cpu_start) and give a stack. */
#define GUEST_MAX_CPUS 8

/*
 * The machine as the DTB describes it, read before the first line is
 * printed: the console UART (the one /chosen stdout-path names, else the
 * first "arm,pl011" or "arm,sbsa-uart"), the GICv3 ("arm,gic-v3": reg[0]
 * distributor, reg[1] first redistributor region) and the CPUs (/cpus/cpu@N
 * reg, their MPIDR affinities, in DTB order). Without a DTB, or without such
 * a node, QEMU virt's addresses and this CPU alone. Under Xen (dom0less) the
 * UART is an SBSA generic UART: only its data and flag registers exist.
 */
struct guest_platform {
	uintptr_t uart, gicd, gicr;
	bool uart_sbsa;
	unsigned ncpus;
	uint64_t cpu_mpidr[GUEST_MAX_CPUS];
};

extern struct guest_platform guest_platform;

/* The names the guests use: run-time values, not constants. */
#define PL011_BASE (guest_platform.uart)
#define GICD_BASE (guest_platform.gicd)
#define GICR_BASE (guest_platform.gicr)

/* ---------------------------------------------------------------- console */
void console_putc(char c);
void console_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* ---------------------------------------------------------------- harness */
/* Defined by each test guest. */
extern const char guest_name[];
void test_main(void);

/* One numbered result line; returns ok. */
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* check(got == want) that also prints both values when they differ. */
bool check_eq(uint64_t got, uint64_t want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A comment line ("# ..."), not a result. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a failure that stops the guest: a "not ok" line, summary, power off. */
__attribute__((noreturn)) void guest_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Summary line and PSCI SYSTEM_OFF (what returning from test_main does). */
__attribute__((noreturn)) void guest_exit(void);

unsigned guest_passed(void);
unsigned guest_failed(void);

/* The DTB we were given (x0 at entry) and its /chosen/bootargs ("" if none). */
const void *guest_dtb(void);
const char *guest_bootargs(void);
/* True if WORD appears as a whole word in the bootargs (QEMU: -append). */
bool guest_has_arg(const char *word);
/*
 * Property NAME of the DTB node at absolute PATH ("/pmu"; a component
 * without "@unit" matches any unit address): its value (big-endian cells,
 * possibly unaligned: read it byte by byte) and length, or NULL.
 */
const void *guest_dt_prop(const char *path, const char *name, uint32_t *len);

/* What a DTB says lives in the CPU's physical address space. */
enum dt_region_kind {
	DT_REGION_MEMORY, /* reg of a node with device_type = "memory" */
	DT_REGION_DEVICE, /* reg of any other node */
	DT_REGION_BUS,	  /* parent-side window of a non-empty ranges (PCIe, platform bus) */
};

struct dt_region {
	const char *node; /* node name with its unit address ("pl011@9000000") */
	uint64_t base, size;
	enum dt_region_kind kind;
	unsigned index;		/* which entry of the node's reg (or ranges) this is, from 0 */
	const char *compatible; /* the node's compatible stringlist (NULL if none) */
	uint32_t compatible_len;
};

typedef void (*dt_region_fn)(const struct dt_region *r, void *arg);
/*
 * Call FN for every region of physical address space the DTB describes, in
 * DTB order: each reg entry of every node that has a CPU address (its
 * ancestors below the root all have ranges; /cpus/cpu@N does not), translated
 * through those ranges, and each window of every non-empty ranges. Returns
 * the number of regions, or -1 without a DTB or if it is malformed.
 */
int guest_dt_regions(dt_region_fn fn, void *arg);
/* Whether COMPAT is one of the strings of R's node's compatible. */
bool dt_region_compatible(const struct dt_region *r, const char *compat);

/* ---------------------------------------------------------------- exceptions */
/* The frame vectors.S saves; guest_exception() gets a pointer to it. */
struct exc_frame {
	uint64_t x[31];
	uint64_t elr, spsr, sp, esr, far;
};

/* Vector index: 4 * (0 SP0, 1 SPx, 2 lower AArch64, 3 lower AArch32) + type. */
enum exc_kind { EXC_SYNC = 0, EXC_IRQ = 1, EXC_FIQ = 2, EXC_SERROR = 3 };
#define EXC_CURRENT_SPX 4

struct exc_record {
	uint64_t esr, far, elr;
	unsigned kind; /* vector index 0..15 */
};

/*
 * Arm the runtime for one expected exception: the next synchronous exception
 * (or SError) is recorded instead of being fatal, and a synchronous one
 * resumes at the instruction after the faulting one (an instruction abort:
 * at the link register, so provoke it with a BLR). exception_taken()
 * disarms and says whether one was taken since (copying its record if rec
 * is not NULL), and forgets it.
 */
void expect_exception(void);
bool exception_taken(struct exc_record *rec);
/* Number of exceptions taken so far (expected or handled IRQs included). */
unsigned exception_count(void);

/*
 * Optional hook for the synchronous exceptions and SErrors taken from EL1
 * (not IRQs or FIQs, not exceptions from a lower EL), for tests that must
 * decide where execution resumes or undo the cause from the handler (a
 * breakpoint that would fire again, a software step to re-arm). It is
 * called first, with the saved frame and the vector index. If it returns
 * true the exception is handled: the eret restores the frame as the hook
 * left it (elr, spsr and x0..x30), nothing is recorded, and
 * expect_exception() stays armed. If it returns false the exception goes on
 * as without a hook (recorded if armed, otherwise fatal). The hook runs with
 * all of PSTATE.DAIF masked. set_exception_hook(NULL) removes it.
 */
typedef bool (*exc_hook_t)(struct exc_frame *frame, unsigned kind);
void set_exception_hook(exc_hook_t hook);

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_IL (1UL << 25)
#define ESR_ISS(esr) (0x1ffffffUL & (esr))
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_CUR 0x21
#define EC_DABT_CUR 0x25
#define EC_SERROR 0x2f
/* Debug exceptions (D2): _LOW from a lower EL, _CUR without a change of EL. */
#define EC_BREAKPT_LOW 0x30
#define EC_BREAKPT_CUR 0x31
#define EC_SOFTSTP_LOW 0x32
#define EC_SOFTSTP_CUR 0x33
#define EC_WATCHPT_LOW 0x34
#define EC_WATCHPT_CUR 0x35
#define EC_BRK64 0x3c /* BRK instruction; ISS[15:0] is its immediate */
/* Data abort ISS */
#define ESR_DABT_DFSC(esr) (0x3fUL & (esr))
#define ESR_DABT_WNR (1UL << 6)
#define ESR_DABT_FNV (1UL << 10)
#define ESR_DABT_EA (1UL << 9)
#define DFSC_SEA 0x10 /* synchronous external abort, not on a table walk */

/* IRQs: the handler runs with IRQs masked; it acknowledges and EOIs itself. */
typedef void (*irq_handler_t)(void);
void set_irq_handler(irq_handler_t handler);

static inline void irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline void wfi(void)
{
	__asm__ volatile("dsb sy; wfi" ::: "memory");
}

/* ---------------------------------------------------------------- SMCCC / PSCI */
#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_64 0xc4000003U
#define PSCI_AFFINITY_INFO_64 0xc4000004U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU
#define SMCCC_RET_SUCCESS 0
#define SMCCC_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMETERS (-2)

struct smccc_regs {
	uint64_t x[18];
};

struct smccc_res {
	uint64_t a0, a1, a2, a3;
};

enum smccc_conduit { CONDUIT_HVC, CONDUIT_SMC };

/* smccc.S: x0..x17 in and out through r. */
void hvc_regs(struct smccc_regs *r);
void smc_regs(struct smccc_regs *r);
/* smccc.S: mask of x4..x30 changed by the call (see smccc.S). */
uint64_t hvc_clobber_mask(uint64_t fid, uint64_t a1);
uint64_t smc_clobber_mask(uint64_t fid, uint64_t a1);

struct smccc_res hvc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
struct smccc_res smc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
/* Through the PSCI conduit the DTB names (/psci method; HVC if none). */
struct smccc_res smccc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
enum smccc_conduit smccc_conduit(void);

/* ---------------------------------------------------------------- CPUs */
/* This CPU's index in guest_platform.cpu_mpidr (TPIDR_EL1, which the runtime owns). */
static inline unsigned guest_cpu(void)
{
	return (unsigned)read_sysreg(tpidr_el1);
}

/*
 * PSCI CPU_ON (through the PSCI conduit) for guest_platform.cpu_mpidr[INDEX]:
 * it enters the runtime at EL1, MMU off, DAIF masked, on a stack of its own
 * with the runtime's vectors, and calls FN(ARG); should FN return, the CPU
 * calls CPU_OFF. Returns PSCI's status (0 on success, -4 ALREADY_ON, ...) or
 * PSCI_RET_INVALID_PARAMETERS for an index the DTB has no CPU for (or this
 * CPU's). The new CPU's redistributor and GIC CPU interface are its own
 * business: gic_init_cpu(). All CPUs share every global, the IRQ handler
 * included; with the MMU off memory is Device-nGnRnE, so a volatile store is
 * seen by the other CPU without cache maintenance (but exclusives are not
 * reliable there: give each shared flag a single writer).
 */
int64_t guest_cpu_start(unsigned index, void (*fn)(void *arg), void *arg);

/* ---------------------------------------------------------------- misc */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
