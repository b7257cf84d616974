/* SPDX-License-Identifier: MIT */
#include <rhenium/sched.h>
#include <rhenium/vcpu.h>
#include <rhenium/vm.h>

void sched_cpu_init(struct sched_cpu *sc)
{
	*sc = (struct sched_cpu){ .lock = SPINLOCK_INIT };
}

int sched_add(struct sched_cpu *sc, struct vcpu *vcpu)
{
	int ret = -1;

	spinlock_lock(&sc->lock);
	if (sc->count < SCHED_MAX_VCPUS_PER_CPU) {
		sc->vcpus[sc->count++] = vcpu;
		ret = 0;
	}
	spinlock_unlock(&sc->lock);
	return ret;
}

void sched_remove(struct sched_cpu *sc, struct vcpu *vcpu)
{
	spinlock_lock(&sc->lock);
	for (unsigned int i = 0; i < sc->count; i++) {
		if (sc->vcpus[i] == vcpu) {
			sc->vcpus[i] = sc->vcpus[--sc->count];
			break;
		}
	}
	if (sc->cursor >= sc->count)
		sc->cursor = 0;
	spinlock_unlock(&sc->lock);
}

bool sched_vcpu_ready(struct vcpu *vcpu, uint64_t now)
{
	switch (__atomic_load_n(&vcpu->state, __ATOMIC_ACQUIRE)) {
	case VCPU_RUNNABLE:
		return true;
	case VCPU_WFI:
		if (vgic_has_pending(&vcpu->vm->vgic, vcpu->index, arch_vcpu_read_vmcr(vcpu)))
			return true;
		/* A loaded vCPU's timer fires in hardware; an unloaded one's is ours to watch. */
		return !vcpu->loaded && arch_vcpu_timer_deadline(vcpu) <= now;
	default:
		return false;
	}
}

struct vcpu *sched_pick(struct sched_cpu *sc, uint64_t now, bool *others_ready, uint64_t *wake)
{
	struct vcpu *picked = NULL;
	unsigned int picked_at = 0;

	*others_ready = false;
	*wake = SCHED_NO_DEADLINE;
	spinlock_lock(&sc->lock);
	for (unsigned int n = 1; n <= sc->count; n++) {
		unsigned int i = (sc->cursor + n) % sc->count;
		struct vcpu *v = sc->vcpus[i];

		if (sched_vcpu_ready(v, now)) {
			if (!picked) {
				picked = v;
				picked_at = i;
			} else {
				*others_ready = true;
			}
		} else if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_WFI) {
			/*
			 * Loaded or not: a loaded vCPU that is about to be put for another
			 * one loses its hardware timer, so its deadline is watched too.
			 */
			uint64_t d = v->loaded ? arch_vcpu_loaded_timer_deadline(v)
					       : arch_vcpu_timer_deadline(v);

			if (d < *wake)
				*wake = d;
		}
	}
	if (picked)
		sc->cursor = picked_at;
	spinlock_unlock(&sc->lock);
	return picked;
}
