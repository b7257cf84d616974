/* SPDX-License-Identifier: MIT */
/*
 * Generic timer helpers for the test guests: the EL1 virtual timer
 * (CNTV_*_EL0, PPI 27) and the virtual count CNTVCT_EL0.
 */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include <stdint.h>

#include "sysreg.h"

#define CNT_CTL_ENABLE (1UL << 0)
#define CNT_CTL_IMASK (1UL << 1)
#define CNT_CTL_ISTATUS (1UL << 2)

static inline uint64_t timer_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

static inline uint64_t timer_count(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static inline uint64_t timer_ticks_from_us(uint64_t us)
{
	return timer_freq() / 1000000 * us + (timer_freq() % 1000000) * us / 1000000;
}

static inline uint64_t timer_us_from_ticks(uint64_t ticks)
{
	uint64_t f = timer_freq();

	return ticks / f * 1000000 + (ticks % f) * 1000000 / f;
}

/* Fire when CNTVCT_EL0 >= cval: enabled, interrupt not masked. */
static inline void vtimer_arm(uint64_t cval)
{
	write_sysreg(cval, cntv_cval_el0);
	write_sysreg(CNT_CTL_ENABLE, cntv_ctl_el0);
	isb();
}

static inline void vtimer_disable(void)
{
	write_sysreg(0, cntv_ctl_el0);
	isb();
}

static inline uint64_t vtimer_ctl(void)
{
	return read_sysreg(cntv_ctl_el0);
}

/* Busy-wait on the counter. */
static inline void udelay(uint64_t us)
{
	uint64_t end = timer_count() + timer_ticks_from_us(us);

	while (timer_count() < end)
		;
}

#endif
