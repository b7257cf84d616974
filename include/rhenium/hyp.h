/* SPDX-License-Identifier: MIT */
/*
 * The normal-world hypervisor role: which VMs exist, which physical CPU runs
 * which vCPU (pinned: vCPU n of a VM runs on physical CPU n for now), and
 * what happens when a guest powers off or resets.
 */
#ifndef RHENIUM_HYP_H
#define RHENIUM_HYP_H

#include <rhenium/boot.h>
#include <rhenium/vm.h>

/*
 * Reads the VM configurations from the boot device tree (before the page
 * allocator exists, so their images can be kept out of it). Fills excl with
 * the host memory the images occupy. Returns the number of ranges, or -1 after
 * logging why the configuration is unusable.
 */
int hyp_configure(const struct boot_info *info, struct mem_range *excl, unsigned int max_excl);
/* After the MMU is on, before other CPUs start: the physical interrupt controller. */
void hyp_init_irqs(const struct boot_info *info);
/* Boot CPU: creates the VMs and runs vCPU 0 of the first; returns only if there is none. */
void hyp_run(const struct boot_info *info);
/* Secondary CPUs: wait for a vCPU to be assigned and started, and run it. */
NORETURN void hyp_secondary_loop(unsigned int cpu);

/* The guest powered its VM off (PSCI SYSTEM_OFF); the last one off ends the machine. */
void hyp_vm_power_off(struct vm *vm);
/* The guest asked for a reset (PSCI SYSTEM_RESET) from vCPU `self`. */
void hyp_vm_request_reset(struct vm *vm, struct vcpu *self);
/* Monitor: stop a VM (its vCPUs leave the guest before this returns). */
void hyp_vm_stop(struct vm *vm);
/* Stop, reload from fresh images and start; `self` is the calling vCPU or NULL. */
int hyp_vm_restart(struct vm *vm, const struct vcpu *self);

unsigned int hyp_vm_count_get(void);
struct vm *hyp_vm_get(unsigned int index);
struct vm *hyp_vm_find(const char *name, size_t len);
/* "hvc 3 smc 0 mmio 120 ..." for one vCPU. */
/*
 * True if `v`, loaded and running on this CPU, may be entered again without
 * a scheduler pass: still runnable, not reset, and its slice not over.
 */
bool hyp_vcpu_may_continue(const struct vcpu *v);
void hyp_vcpu_exit_summary(const struct vcpu *v, char *line, size_t size);

#endif
