// SPDX-License-Identifier: MIT
/*
 * The test harness: start-up after start.S, result lines, summary, power off.
 *
 * Output protocol (docs/test_guests.md):
 *   guest: <name> starting at EL1, loaded at 0x..., dtb 0x...
 *   # comment lines
 *   ok 1 - description
 *   not ok 2 - description
 *   #   got 0x..., expected 0x...
 *   guest: N passed, M failed
 * then PSCI SYSTEM_OFF through the conduit /psci names in the DTB (HVC if
 * the DTB has none). If SYSTEM_OFF returns, "guest: SYSTEM_OFF returned ..."
 * and the CPU parks in WFI.
 */
#include "internal.h"

extern char __image_start[];

static unsigned passed, failed;
static const void *dtb;
static const char *bootargs = "";
static enum smccc_conduit conduit = CONDUIT_HVC;

static void result_line(bool ok, const char *fmt, va_list ap)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%sok %u - ", ok ? "" : "not ", passed + failed);
	vprintf(fmt, ap);
	console_putc('\n');
}

bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result_line(ok, fmt, ap);
	va_end(ap);
	return ok;
}

bool check_eq(uint64_t got, uint64_t want, const char *fmt, ...)
{
	va_list ap;
	bool ok = got == want;

	va_start(ap, fmt);
	result_line(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#   got 0x%lx, expected 0x%lx\n", got, want);
	return ok;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	console_puts("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	console_putc('\n');
}

unsigned guest_passed(void)
{
	return passed;
}

unsigned guest_failed(void)
{
	return failed;
}

const void *guest_dtb(void)
{
	return dtb;
}

const char *guest_bootargs(void)
{
	return bootargs;
}

bool guest_has_arg(const char *word)
{
	size_t n = strlen(word);

	for (const char *p = bootargs; *p;) {
		while (*p == ' ')
			p++;
		const char *start = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - start) == n && strncmp(start, word, n) == 0)
			return true;
	}
	return false;
}

const void *guest_dt_prop(const char *path, const char *name, uint32_t *len)
{
	return dtb ? fdt_getprop(dtb, path, name, len) : NULL;
}

struct smccc_res hvc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct smccc_regs r = { { fid, a1, a2, a3 } };

	hvc_regs(&r);
	return (struct smccc_res){ r.x[0], r.x[1], r.x[2], r.x[3] };
}

struct smccc_res smc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct smccc_regs r = { { fid, a1, a2, a3 } };

	smc_regs(&r);
	return (struct smccc_res){ r.x[0], r.x[1], r.x[2], r.x[3] };
}

enum smccc_conduit smccc_conduit(void)
{
	return conduit;
}

struct smccc_res smccc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return conduit == CONDUIT_SMC ? smc_call(fid, a1, a2, a3) : hvc_call(fid, a1, a2, a3);
}

__attribute__((noreturn)) void guest_exit(void)
{
	irq_disable();
	printf("guest: %u passed, %u failed\n", passed, failed);
	struct smccc_res r = smccc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	printf("guest: SYSTEM_OFF returned 0x%lx\n", r.a0);
	for (;;)
		wfi();
}

__attribute__((noreturn)) void guest_fatal(const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	failed++;
	printf("not ok %u - fatal: ", passed + failed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	console_putc('\n');
	guest_exit();
}

/* A string property, if it is NUL-terminated within its length. */
static const char *dt_string(const char *path, const char *name)
{
	uint32_t len;
	const char *s = fdt_getprop(dtb, path, name, &len);

	if (!s || len == 0 || s[len - 1] != '\0')
		return NULL;
	return s;
}

void guest_start(const void *dtb_addr)
{
	/* The UART's address comes from the DTB: read it before the first character. */
	dtb = fdt_valid(dtb_addr) ? dtb_addr : NULL;
	platform_init(dtb);
	console_init();
	printf("guest: %s starting at EL%u, loaded at %p, dtb %p%s\n", guest_name, current_el(),
	       (void *)__image_start, dtb_addr, dtb ? "" : " (not a valid DTB)");

	if (dtb) {
		const char *args = dt_string("/chosen", "bootargs");
		const char *method = dt_string("/psci", "method");

		if (args)
			bootargs = args;
		if (method && strcmp(method, "smc") == 0)
			conduit = CONDUIT_SMC;
	}
	diag("PSCI conduit %s, bootargs \"%s\"", conduit == CONDUIT_SMC ? "smc" : "hvc", bootargs);
	diag("UART 0x%lx (%s), GICD 0x%lx, GICR 0x%lx, %u CPU(s), this one 0x%lx",
	     guest_platform.uart, guest_platform.uart_sbsa ? "sbsa-uart" : "pl011",
	     guest_platform.gicd, guest_platform.gicr, guest_platform.ncpus,
	     guest_platform.cpu_mpidr[guest_cpu()]);

	if (current_el() != 1)
		guest_fatal("entered at EL%u: test guests run at EL1 "
			    "(QEMU without virtualization=on, or under a hypervisor)",
			    current_el());
	exception_init();
	test_main();
	guest_exit();
}
