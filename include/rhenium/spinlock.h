/* SPDX-License-Identifier: MIT */
/*
 * A ticket-free test-and-set spinlock on C11 atomics. Only valid once the MMU
 * and caches are on: exclusive accesses to Device memory are not guaranteed to
 * work, so code that runs earlier must be single-threaded.
 */
#ifndef RHENIUM_SPINLOCK_H
#define RHENIUM_SPINLOCK_H

#include <rhenium/arch.h>

struct spinlock {
	uint32_t locked;
};

#define SPINLOCK_INIT \
	{             \
		0     \
	}

static inline void spinlock_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
	}
}

static inline void spinlock_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
