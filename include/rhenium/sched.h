/* SPDX-License-Identifier: MIT */
/*
 * Which vCPU a physical CPU runs next. Each vCPU is pinned to one physical
 * CPU (its VM's `cpus` affinity); a CPU with several runnable vCPUs gives
 * each a time slice, ended by the EL2 physical timer. A vCPU waiting in WFI
 * is runnable again once its vGIC has something deliverable or its virtual
 * timer's deadline has passed (checked here for vCPUs that are not loaded,
 * whose timer cannot fire in hardware).
 */
#ifndef RHENIUM_SCHED_H
#define RHENIUM_SCHED_H

#include <rhenium/spinlock.h>
#include <rhenium/types.h>

struct vcpu;

#define SCHED_MAX_VCPUS_PER_CPU 16
#define SCHED_NO_DEADLINE UINT64_MAX

struct sched_cpu {
	struct spinlock lock; /* guards vcpus[] and count */
	struct vcpu *vcpus[SCHED_MAX_VCPUS_PER_CPU];
	unsigned int count;
	unsigned int cursor; /* index of the vCPU picked last */
	struct vcpu *loaded; /* whose state is in this CPU's registers */
	bool slice_expired;
};

void sched_cpu_init(struct sched_cpu *sc);
int sched_add(struct sched_cpu *sc, struct vcpu *vcpu);
void sched_remove(struct sched_cpu *sc, struct vcpu *vcpu);
/* True if the vCPU would run if picked: runnable, or waiting with a reason to wake. */
bool sched_vcpu_ready(struct vcpu *vcpu, uint64_t now);
/*
 * The next vCPU to run, round-robin after the last one; NULL if none is
 * ready. *others_ready says whether another vCPU also wants this CPU (so the
 * caller arms a time slice); *wake is the earliest virtual-timer deadline of
 * a waiting vCPU that is not loaded (SCHED_NO_DEADLINE if none).
 */
struct vcpu *sched_pick(struct sched_cpu *sc, uint64_t now, bool *others_ready, uint64_t *wake);

/* ---- provided by the architecture ---- */
/*
 * Virtual-timer deadline (counter value) of a vCPU that is not loaded, or
 * SCHED_NO_DEADLINE if its timer is disabled or masked.
 */
uint64_t arch_vcpu_timer_deadline(const struct vcpu *vcpu);
/* The same for the vCPU loaded on the calling CPU (its timer is in the registers). */
uint64_t arch_vcpu_loaded_timer_deadline(const struct vcpu *vcpu);
/* The EL2 physical timer: one deadline per CPU, cancelled when it fires. */
void arch_hyp_timer_arm(uint64_t deadline);
void arch_hyp_timer_cancel(void);

#endif
