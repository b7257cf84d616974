/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <rhenium/sched.h>
#include <rhenium/vm.h>

#include "test.h"

static struct vm sched_vm;

static struct sched_cpu *three_vcpus(void)
{
	static struct sched_cpu sc;
	struct vgic_config gcfg = { .nr_vcpus = 3, .nr_spis = 0, .pri_bits = 5 };
	uint64_t ctlr = 0x12; /* ARE | EnableGrp1 */

	memset(&sched_vm, 0, sizeof(sched_vm));
	sched_vm.vcpu_count = 3;
	for (unsigned int i = 0; i < 3; i++) {
		sched_vm.vcpus[i].vm = &sched_vm;
		sched_vm.vcpus[i].index = i;
		sched_vm.vcpus[i].state = VCPU_OFF;
		gcfg.mpidr[i] = i;
	}
	vgic_init(&sched_vm.vgic, &gcfg);
	vgic_dist_mmio(&sched_vm.vgic, 0, 0, 4, true, &ctlr);
	sched_cpu_init(&sc);
	for (unsigned int i = 0; i < 3; i++)
		sched_add(&sc, &sched_vm.vcpus[i]);
	return &sc;
}

TEST(sched_round_robin_over_runnable_vcpus)
{
	struct sched_cpu *sc = three_vcpus();
	bool others;
	uint64_t wake;

	CHECK(sched_pick(sc, 0, &others, &wake) == NULL);
	CHECK_EQ(wake, SCHED_NO_DEADLINE);
	sched_vm.vcpus[0].state = VCPU_RUNNABLE;
	sched_vm.vcpus[2].state = VCPU_RUNNABLE;
	CHECK(sched_pick(sc, 0, &others, &wake) == &sched_vm.vcpus[2]);
	CHECK(others);
	CHECK(sched_pick(sc, 0, &others, &wake) == &sched_vm.vcpus[0]);
	CHECK(others);
	CHECK(sched_pick(sc, 0, &others, &wake) == &sched_vm.vcpus[2]);
	sched_vm.vcpus[0].state = VCPU_STOPPED;
	CHECK(sched_pick(sc, 0, &others, &wake) == &sched_vm.vcpus[2]);
	CHECK(!others);
}

TEST(sched_waiting_vcpu_wakes_on_interrupt_or_deadline)
{
	struct sched_cpu *sc = three_vcpus();
	bool others;
	uint64_t wake;

	sched_vm.vcpus[1].state = VCPU_WFI;
	sched_vm.vcpus[1].arch.timer_deadline = 5000;
	CHECK(sched_pick(sc, 4999, &others, &wake) == NULL);
	CHECK_EQ(wake, 5000);
	/* Its deadline passed: ready, though nothing is pending in the vGIC yet. */
	CHECK(sched_pick(sc, 5000, &others, &wake) == &sched_vm.vcpus[1]);
	/*
	 * A loaded vCPU's timer fires in hardware, so it is not ready by deadline;
	 * but the deadline is still reported, for when it gets put.
	 */
	sched_vm.vcpus[1].loaded = true;
	CHECK(sched_pick(sc, 9000, &others, &wake) == NULL);
	CHECK_EQ(wake, 5000);
	/* An SGI makes it ready whether loaded or not. */
	CHECK(vgic_inject_edge(&sched_vm.vgic, 1, 3) == VGIC_OK);
	CHECK(sched_pick(sc, 0, &others, &wake) == &sched_vm.vcpus[1]);
}

TEST(sched_add_and_remove)
{
	struct sched_cpu *sc = three_vcpus();
	struct vcpu extra[SCHED_MAX_VCPUS_PER_CPU];
	bool others;
	uint64_t wake;
	unsigned int added = 0;

	for (unsigned int i = 0; i < SCHED_MAX_VCPUS_PER_CPU; i++)
		added += sched_add(sc, &extra[i]) == 0;
	CHECK_EQ(added, SCHED_MAX_VCPUS_PER_CPU - 3);
	for (unsigned int i = 0; i < SCHED_MAX_VCPUS_PER_CPU; i++)
		sched_remove(sc, &extra[i]);
	CHECK_EQ(sc->count, 3);
	sched_remove(sc, &sched_vm.vcpus[0]);
	sched_vm.vcpus[0].state = VCPU_RUNNABLE;
	CHECK(sched_pick(sc, 0, &others, &wake) == NULL);
}
