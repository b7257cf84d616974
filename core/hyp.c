/* SPDX-License-Identifier: MIT */
/*
 * The normal-world hypervisor role: the VMs of the manifest, one scheduler
 * per physical CPU running the vCPUs pinned to it, and the VM lifecycle
 * (guest power-off and reset, monitor stop/start/restart).
 */
#include <rhenium/arch.h>
#include <rhenium/console.h>
#include <rhenium/format.h>
#include <rhenium/hyp.h>
#include <rhenium/irq.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/monitor.h>
#include <rhenium/panic.h>
#include <rhenium/psci.h>
#include <rhenium/sched.h>
#include <rhenium/string.h>
#include <rhenium/vm_config.h>

/* How long a vCPU runs before another one pinned to the same CPU gets its turn. */
#define HYP_SLICE_US 10000
/* How soon console input that did not fit into a guest's UART is offered again. */
#define HYP_INPUT_REPOLL_US 1000
/* How long a VM stop waits for its vCPUs to leave guest mode before complaining. */
#define HYP_STOP_TIMEOUT_US 1000000

static struct vm_config hyp_configs[VM_CONFIG_MAX];
static unsigned int hyp_config_count;
static struct vm hyp_vms[VM_MAX];
static unsigned int hyp_vm_count;
static uint32_t hyp_vtimer_intid;
static uint32_t hyp_timer_intid;
static bool hyp_irq_ready;
static bool hyp_started;
static struct sched_cpu hyp_sched[PLATFORM_MAX_CPUS];

int hyp_configure(const struct boot_info *info, struct mem_range *excl, unsigned int max_excl)
{
	const struct vm_config_host_range used[] = {
		{ info->image.start, info->image.end - info->image.start, "the hypervisor image" },
		{ info->dtb, info->dtb_size, "the boot device tree" },
	};
	char err[200];
	unsigned int n = 0;

	if (vm_config_parse_host(mm_phys_to_virt(info->dtb), info->dtb_size, info->platform, used,
				 ARRAY_SIZE(used), hyp_configs, &hyp_config_count, err,
				 sizeof(err)) != 0) {
		LOG_ERROR("VM manifest rejected: %s", err);
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
	hyp_timer_intid = plat->timer_hyp_phys_irq ? plat->timer_hyp_phys_irq : 26;
	for (unsigned int cpu = 0; cpu < PLATFORM_MAX_CPUS; cpu++)
		sched_cpu_init(&hyp_sched[cpu]);
	/* The distributor first; every other CPU sets up its own interface as it comes online. */
	if (plat->gicd.size)
		hyp_irq_ready = arch_irq_init(plat) == 0 && arch_irq_cpu_init() == 0;
}

unsigned int hyp_vm_count_get(void)
{
	return hyp_vm_count;
}

struct vm *hyp_vm_get(unsigned int index)
{
	return index < hyp_vm_count ? &hyp_vms[index] : NULL;
}

struct vm *hyp_vm_find(const char *name, size_t len)
{
	for (unsigned int i = 0; i < hyp_vm_count; i++) {
		if (strlen(hyp_vms[i].cfg.name) == len &&
		    strncmp(hyp_vms[i].cfg.name, name, len) == 0)
			return &hyp_vms[i];
	}
	return NULL;
}

void vcpu_kick(struct vcpu *vcpu)
{
	/*
	 * The target may share its CPU with the vCPU running there: that CPU
	 * must choose again, or a spinning vCPU could starve the one it waits for.
	 */
	if (vcpu->pcpu != arch_cpu_index())
		arch_cpu_kick(vcpu->pcpu);
	else if (hyp_sched[vcpu->pcpu].loaded != vcpu)
		__atomic_store_n(&hyp_sched[vcpu->pcpu].slice_expired, true, __ATOMIC_RELAXED);
}

/* Waits until no vCPU of the VM but `self` is inside the guest or its exit handling. */
static bool hyp_vm_quiesce(struct vm *vm, const struct vcpu *self)
{
	uint64_t freq = arch_counter_freq();
	uint64_t start = arch_counter_read();
	uint64_t limit = freq / 1000000 * HYP_STOP_TIMEOUT_US;

	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v == self)
			continue;
		while (__atomic_load_n(&v->busy, __ATOMIC_SEQ_CST)) {
			if (limit && arch_counter_read() - start > limit) {
				LOG_ERROR("%s: vcpu%u does not leave the guest", vm->cfg.name, i);
				return false;
			}
			vcpu_kick(v);
			arch_cpu_relax();
		}
	}
	return true;
}

static bool hyp_vm_all_stopped(void)
{
	for (unsigned int i = 0; i < hyp_vm_count; i++) {
		if (hyp_vms[i].state == VM_STATE_RUNNING)
			return false;
	}
	return true;
}

/* One line per vCPU with its exits by reason: where a guest spends hypervisor time. */
void hyp_vcpu_exit_summary(const struct vcpu *v, char *line, size_t size)
{
	size_t len = 0;

	line[0] = '\0';
	for (unsigned int r = 0; r < VCPU_EXIT_REASONS && len < size; r++) {
		int n = fmt_snprintf(line + len, size - len, "%s%s %llu", r ? " " : "",
				     vcpu_exit_reason_name((enum vcpu_exit_reason)r),
				     (unsigned long long)v->exits[r]);

		if (n > 0)
			len += (size_t)n;
	}
}

static void hyp_log_exits(const struct vm *vm)
{
	char line[200];

	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		hyp_vcpu_exit_summary(&vm->vcpus[i], line, sizeof(line));
		LOG_INFO("%s: vcpu%u exits: %s", vm->cfg.name, i, line);
	}
}

void hyp_vm_power_off(struct vm *vm)
{
	vm_stop(vm);
	LOG_INFO("%s: powered off", vm->cfg.name);
	hyp_log_exits(vm);
	/* The last guest going away ends the machine; the monitor can only stop VMs. */
	if (hyp_vm_all_stopped()) {
		LOG_INFO("all VMs are off: system off");
		psci_system_off();
	}
}

void hyp_vm_stop(struct vm *vm)
{
	vm_stop(vm);
	hyp_vm_quiesce(vm, NULL);
	LOG_INFO("%s: stopped", vm->cfg.name);
}

int hyp_vm_restart(struct vm *vm, const struct vcpu *self)
{
	int ret;

	vm_stop(vm);
	if (!hyp_vm_quiesce(vm, self))
		return -1;
	ret = vm_reset(vm);
	for (unsigned int i = 0; i < vm->vcpu_count; i++)
		vcpu_kick(&vm->vcpus[i]);
	return ret;
}

void hyp_vm_request_reset(struct vm *vm, struct vcpu *self)
{
	if (hyp_vm_restart(vm, self) != 0)
		LOG_ERROR("%s: reset failed; the VM stays off", vm->cfg.name);
}

/*
 * The virtual timer or the PMU overflow fired while its vCPU was loaded
 * here: forward it with the HW link, so the guest's EOI deactivates it.
 */
static bool hyp_forward_irq(uint32_t intid, void *ctx)
{
	struct vcpu *v = hyp_sched[arch_cpu_index()].loaded;

	(void)ctx;
	if (!v || v->reload) {
		/* Nobody's, or a stale incarnation's: deactivate rather than forward. */
		return true;
	}
	vgic_inject_hw(&v->vm->vgic, v->index, intid, intid);
	return false;
}

/* The EL2 timer: a time slice ended, or a waiting vCPU's deadline came. */
static bool hyp_timer_irq(uint32_t intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	arch_hyp_timer_cancel();
	hyp_sched[arch_cpu_index()].slice_expired = true;
	return true;
}

/* Maintenance (list registers drained) only needs the exit it caused. */
static bool hyp_exit_only_irq(uint32_t intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	return true;
}

/* Another CPU gave one of our vCPUs work: choose again which one runs. */
static bool hyp_kick_irq(uint32_t intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	__atomic_store_n(&hyp_sched[arch_cpu_index()].slice_expired, true, __ATOMIC_RELAXED);
	return true;
}

static void hyp_irq_cpu_setup(void)
{
	arch_irq_enable(hyp_vtimer_intid);
	arch_irq_enable(hyp_timer_intid);
	if (arch_vcpu_pmu_intid())
		arch_irq_enable(arch_vcpu_pmu_intid());
	arch_irq_enable(25); /* GIC maintenance interrupt (PPI 9) */
	arch_irq_enable(ARCH_KICK_SGI);
}

bool hyp_vcpu_may_continue(const struct vcpu *v)
{
	return __atomic_load_n(&v->state, __ATOMIC_SEQ_CST) == VCPU_RUNNABLE && !v->reload &&
	       !__atomic_load_n(&hyp_sched[v->pcpu].slice_expired, __ATOMIC_RELAXED);
}

/* Makes `v` the vCPU whose state is in this CPU's registers. */
static void hyp_switch_to(struct sched_cpu *sc, struct vcpu *v)
{
	struct vcpu *old = sc->loaded;

	if (old == v && !v->reload)
		return;
	if (old) {
		/* A reset vCPU's registers hold a dead incarnation: drop them, do not save them. */
		if (old->reload)
			arch_vcpu_discard(old);
		else
			arch_vcpu_put(old);
		old->loaded = false;
	}
	v->reload = false;
	arch_vcpu_load(v);
	v->loaded = true;
	sc->loaded = v;
}

/*
 * Console input: the monitor on the boot CPU routes it, and each VM's UART
 * takes its share on the CPU of its vCPU 0, whether or not that vCPU runs:
 * a guest idling in WFI wakes up because its UART raised an interrupt.
 */
static bool hyp_poll_inputs(unsigned int cpu)
{
	bool waiting = false;

	/* Peeks first: this runs after every exit that reaches the scheduler, almost always idle. */
	if (cpu == 0 && console_input_pending())
		monitor_poll();
	for (unsigned int i = 0; i < hyp_vm_count; i++) {
		struct vm *vm = &hyp_vms[i];

		if (vm->vcpus[0].pcpu != cpu ||
		    !__atomic_load_n(&vm->input_count, __ATOMIC_RELAXED))
			continue;
		vm_console_poll(vm);
		waiting |= __atomic_load_n(&vm->input_count, __ATOMIC_RELAXED) != 0;
	}
	return waiting;
}

static NORETURN void hyp_sched_loop(unsigned int cpu)
{
	struct sched_cpu *sc = &hyp_sched[cpu];
	uint64_t slice = arch_counter_freq() / 1000000 * HYP_SLICE_US;
	uint64_t repoll = arch_counter_freq() / 1000000 * HYP_INPUT_REPOLL_US;

	for (;;) {
		uint64_t now = arch_counter_read();
		bool others;
		uint64_t wake, pick_wake;
		struct vcpu *v;

		/* Input a full UART could not take yet: look again soon, whatever runs meanwhile. */
		if (hyp_poll_inputs(cpu))
			wake = now + repoll;
		else
			wake = SCHED_NO_DEADLINE;
		v = sched_pick(sc, now, &others, &pick_wake);
		wake = MIN(wake, pick_wake);
		if (!v) {
			if (wake != SCHED_NO_DEADLINE)
				arch_hyp_timer_arm(wake);
			arch_wait_and_handle_irqs();
			continue;
		}
		hyp_switch_to(sc, v);
		sc->slice_expired = false;
		if (others)
			arch_hyp_timer_arm(now + slice);
		else if (wake != SCHED_NO_DEADLINE)
			arch_hyp_timer_arm(wake);
		else
			arch_hyp_timer_cancel();
		/* Picked means ready: a vCPU in WFI with something pending runs at least once. */
		for (;;) {
			if (hyp_poll_inputs(cpu) && !others)
				arch_hyp_timer_arm(arch_counter_read() + repoll);
			/*
			 * Input handled just now may have made another vCPU ready (the
			 * slice ends), and the monitor may have reset this very vCPU
			 * (reload it first): both are decided before entering again.
			 */
			if (sc->slice_expired || v->reload || !vcpu_run_once(v) ||
			    v->state != VCPU_RUNNABLE)
				break;
		}
	}
}

static int hyp_place_vm(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->pcpu = vm->cfg.cpu_affinity[i];
		if (v->pcpu >= PLATFORM_MAX_CPUS || sched_add(&hyp_sched[v->pcpu], v) != 0) {
			LOG_ERROR("%s: vcpu%u cannot be placed on CPU %u", vm->cfg.name, i,
				  v->pcpu);
			return -1;
		}
	}
	return 0;
}

void hyp_run(const struct boot_info *info)
{
	(void)info;
	if (!hyp_config_count) {
		LOG_INFO("no VM configured (/chosen nodes with compatible \"rhenium,vm\")");
		return;
	}
	if (!hyp_irq_ready) {
		LOG_ERROR("no usable interrupt controller: VMs cannot run");
		return;
	}
	irq_register(hyp_vtimer_intid, hyp_forward_irq, NULL);
	irq_register(hyp_timer_intid, hyp_timer_irq, NULL);
	if (arch_vcpu_pmu_intid())
		irq_register(arch_vcpu_pmu_intid(), hyp_forward_irq, NULL);
	irq_register(25, hyp_exit_only_irq, NULL);
	irq_register(ARCH_KICK_SGI, hyp_kick_irq, NULL);
	hyp_irq_cpu_setup();

	for (unsigned int i = 0; i < hyp_config_count && hyp_vm_count < VM_MAX; i++) {
		struct vm *vm = &hyp_vms[hyp_vm_count];

		if (vm_create(vm, hyp_vm_count, &hyp_configs[i]) != 0) {
			LOG_ERROR("%s: not created", hyp_configs[i].name);
			continue;
		}
		if (hyp_place_vm(vm) != 0)
			continue;
		if (!hyp_configs[i].autostart)
			vm_stop(vm);
		hyp_vm_count++;
	}
	if (!hyp_vm_count)
		return;
	monitor_init();
	__atomic_store_n(&hyp_started, true, __ATOMIC_RELEASE);
	for (unsigned int cpu = 1; cpu < PLATFORM_MAX_CPUS; cpu++) {
		if (hyp_sched[cpu].count)
			arch_cpu_kick(cpu);
	}
	hyp_sched_loop(0);
}

void hyp_secondary_loop(unsigned int cpu)
{
	if (!hyp_irq_ready || arch_irq_cpu_init() != 0)
		arch_cpu_halt();
	hyp_irq_cpu_setup();
	while (!__atomic_load_n(&hyp_started, __ATOMIC_ACQUIRE))
		arch_wait_and_handle_irqs();
	hyp_sched_loop(cpu);
}
