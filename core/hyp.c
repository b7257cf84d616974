/* SPDX-License-Identifier: MIT */
#include <rhenium/arch.h>
#include <rhenium/format.h>
#include <rhenium/hyp.h>
#include <rhenium/irq.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/panic.h>
#include <rhenium/psci.h>
#include <rhenium/vm_config.h>

static struct vm_config hyp_configs[VM_CONFIG_MAX];
static unsigned int hyp_config_count;
static struct vm hyp_vms[VM_MAX];
static unsigned int hyp_vm_count;
static uint32_t hyp_vtimer_intid;
static bool hyp_irq_ready;

/* The vCPU each physical CPU runs (pinned), and the one currently loaded there. */
static struct vcpu *hyp_assigned[PLATFORM_MAX_CPUS];
static struct vcpu *hyp_current[PLATFORM_MAX_CPUS];

int hyp_configure(const struct boot_info *info, struct mem_range *excl, unsigned int max_excl)
{
	char err[160];
	unsigned int n = 0;

	if (vm_config_parse(mm_phys_to_virt(info->dtb), info->dtb_size, info->platform, hyp_configs,
			    &hyp_config_count, err, sizeof(err)) != 0) {
		LOG_ERROR("VM configuration: %s", err);
		hyp_config_count = 0;
		return -1;
	}
	for (unsigned int i = 0; i < hyp_config_count && n + 2 <= max_excl; i++) {
		excl[n++] =
			(struct mem_range){ hyp_configs[i].kernel.pa, hyp_configs[i].kernel.size };
		if (hyp_configs[i].initrd.size)
			excl[n++] = (struct mem_range){ hyp_configs[i].initrd.pa,
							hyp_configs[i].initrd.size };
	}
	return (int)n;
}

void hyp_init_irqs(const struct boot_info *info)
{
	const struct platform_info *plat = info->platform;

	hyp_vtimer_intid = plat->timer_virt_irq ? plat->timer_virt_irq : 27;
	/* The distributor first; every other CPU sets up its own interface as it comes online. */
	if (plat->gicd.size)
		hyp_irq_ready = arch_irq_init(plat) == 0 && arch_irq_cpu_init() == 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	unsigned int self = arch_cpu_index();

	for (unsigned int cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++) {
		if (__atomic_load_n(&hyp_assigned[cpu], __ATOMIC_ACQUIRE) == vcpu) {
			if (cpu != self)
				arch_cpu_kick(cpu);
			return;
		}
	}
}

static bool hyp_vm_all_stopped(void)
{
	for (unsigned int i = 0; i < hyp_vm_count; i++) {
		if (hyp_vms[i].state == VM_STATE_RUNNING || hyp_vms[i].reset_requested)
			return false;
	}
	return true;
}

/* One line per vCPU with its exits by reason: where a guest spends hypervisor time. */
static void hyp_log_exits(const struct vm *vm)
{
	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		char line[200];
		size_t len = 0;

		for (unsigned int r = 0; r < VCPU_EXIT_REASONS && len < sizeof(line); r++) {
			int n = fmt_snprintf(line + len, sizeof(line) - len, " %s %llu",
					     vcpu_exit_reason_name((enum vcpu_exit_reason)r),
					     (unsigned long long)v->exits[r]);

			if (n > 0)
				len += (size_t)n;
		}
		LOG_INFO("%s: vcpu%u exits:%s", vm->cfg.name, i, line);
	}
}

void hyp_vm_power_off(struct vm *vm)
{
	vm_stop(vm);
	LOG_INFO("%s: powered off", vm->cfg.name);
	hyp_log_exits(vm);
	if (hyp_vm_all_stopped()) {
		LOG_INFO("all VMs are off: system off");
		psci_system_off();
	}
}

void hyp_vm_request_reset(struct vm *vm)
{
	vm->reset_requested = true;
	vm_stop(vm);
}

/*
 * The virtual timer or the PMU overflow fired while its vCPU was loaded
 * here: forward it with the HW link, so the guest's EOI deactivates it.
 */
static bool hyp_forward_irq(uint32_t intid, void *ctx)
{
	struct vcpu *v = hyp_current[arch_cpu_index()];

	(void)ctx;
	if (!v) {
		/* Nobody's timer: leave it masked-by-deactivation rather than storming. */
		return true;
	}
	vgic_inject_hw(&v->vm->vgic, v->index, intid, intid);
	return false;
}

/* Maintenance (list registers drained) and kicks only need the exit they caused. */
static bool hyp_exit_only_irq(uint32_t intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	return true;
}

static void hyp_irq_cpu_setup(void)
{
	arch_irq_enable(hyp_vtimer_intid);
	if (arch_vcpu_pmu_intid())
		arch_irq_enable(arch_vcpu_pmu_intid());
	arch_irq_enable(25); /* GIC maintenance interrupt (PPI 9) */
	arch_irq_enable(ARCH_KICK_SGI);
}

void vcpu_run(struct vcpu *v)
{
	unsigned int cpu = arch_cpu_index();
	struct vm *vm = v->vm;
	struct vcpu_exit exit;
	unsigned int nr_lrs = arch_vgic_nr_lrs();

	hyp_current[cpu] = v;
	v->reload = true;
	for (;;) {
		if (v->index == 0 && vm->reset_requested && vm_reset(vm) != 0)
			LOG_ERROR("%s: reset failed; the VM stays off", vm->cfg.name);
		if (v->reload) {
			/* A fresh vCPU: no physical timer interrupt may stay stuck active for it. */
			v->reload = false;
			arch_irq_deactivate(hyp_vtimer_intid);
			if (arch_vcpu_pmu_intid())
				arch_irq_deactivate(arch_vcpu_pmu_intid());
			arch_vcpu_load(v);
		}
		if (v->index == 0)
			vm_console_poll(vm);

		switch (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE)) {
		case VCPU_OFF:
		case VCPU_STOPPED: arch_wait_and_handle_irqs(); continue;
		case VCPU_WFI:
			if (!vgic_has_pending(&vm->vgic, v->index, arch_vcpu_read_vmcr(v))) {
				arch_wait_and_handle_irqs();
				continue;
			}
			v->state = VCPU_RUNNABLE;
			break;
		case VCPU_RUNNABLE: break;
		}

		vgic_flush(&vm->vgic, v->index, v->arch.lr, nr_lrs, &v->arch.ich_hcr);
		arch_vcpu_run(v, &exit);
		vgic_sync(&vm->vgic, v->index, v->arch.lr, nr_lrs);
		vcpu_handle_exit(v, &exit);
	}
}

void hyp_run(const struct boot_info *info)
{
	const struct platform_info *plat = info->platform;

	if (!hyp_config_count) {
		LOG_INFO("no VM configured (/chosen nodes with compatible \"rhenium,vm\")");
		return;
	}
	if (!hyp_irq_ready) {
		LOG_ERROR("no usable interrupt controller: VMs cannot run");
		return;
	}
	irq_register(hyp_vtimer_intid, hyp_forward_irq, NULL);
	if (arch_vcpu_pmu_intid())
		irq_register(arch_vcpu_pmu_intid(), hyp_forward_irq, NULL);
	irq_register(25, hyp_exit_only_irq, NULL);
	irq_register(ARCH_KICK_SGI, hyp_exit_only_irq, NULL);
	hyp_irq_cpu_setup();
	(void)plat;

	for (unsigned int i = 0; i < hyp_config_count && hyp_vm_count < VM_MAX; i++) {
		if (vm_create(&hyp_vms[hyp_vm_count], hyp_vm_count, &hyp_configs[i]) == 0)
			hyp_vm_count++;
		else
			LOG_ERROR("%s: not started", hyp_configs[i].name);
	}
	if (!hyp_vm_count)
		return;

	/* Pinned placement: vCPU n of the first VM on physical CPU n. */
	for (unsigned int n = 1; n < hyp_vms[0].vcpu_count && n < PLATFORM_MAX_CPUS; n++)
		__atomic_store_n(&hyp_assigned[n], &hyp_vms[0].vcpus[n], __ATOMIC_RELEASE);
	for (unsigned int n = 1; n < hyp_vms[0].vcpu_count; n++)
		arch_cpu_kick(n);
	hyp_assigned[0] = &hyp_vms[0].vcpus[0];
	vcpu_run(&hyp_vms[0].vcpus[0]);
}

void hyp_secondary_loop(unsigned int cpu)
{
	struct vcpu *v;

	if (!hyp_irq_ready || arch_irq_cpu_init() != 0)
		arch_cpu_halt();
	hyp_irq_cpu_setup();
	for (;;) {
		v = __atomic_load_n(&hyp_assigned[cpu], __ATOMIC_ACQUIRE);
		if (v)
			vcpu_run(v);
		arch_wait_and_handle_irqs();
	}
}
