/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include <rhenium/arch.h>
#include <rhenium/format.h>
#include <rhenium/log.h>
#include <rhenium/panic.h>

static uint32_t panic_depth;

void panic(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	/* A panic while panicking (say, in the dump) must not recurse forever. */
	if (__atomic_fetch_add(&panic_depth, 1, __ATOMIC_RELAXED) > 8)
		arch_cpu_halt();

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	log_raw("\n*** PANIC on cpu%u: %s\n", arch_cpu_index(), msg);
	arch_dump_current_registers();
	log_raw("*** cpu%u halted\n", arch_cpu_index());
	arch_cpu_halt();
}
