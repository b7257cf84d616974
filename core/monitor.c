/* SPDX-License-Identifier: MIT */
#include <rhenium/console.h>
#include <rhenium/format.h>
#include <rhenium/hyp.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/monitor.h>
#include <rhenium/string.h>
#include <rhenium/vm.h>

#define MONITOR_LINE_MAX 80
#define MONITOR_PROMPT "rhenium> "
#define MONITOR_NO_FOCUS (-1)

static int monitor_focus = MONITOR_NO_FOCUS; /* VM index, or the prompt */
static int monitor_last_vm = MONITOR_NO_FOCUS;
static char monitor_line[MONITOR_LINE_MAX];
static size_t monitor_len;

static void monitor_puts(const char *s)
{
	console_write(s, strlen(s));
}

static void monitor_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void monitor_printf(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

static void monitor_flush_vm_line(struct vm *vm)
{
	char buf[sizeof(vm->out_line) + 40];
	int n;

	if (!vm->out_len)
		return;
	n = fmt_snprintf(buf, sizeof(buf), "[%s] %.*s\r\n", vm->cfg.name, (int)vm->out_len,
			 vm->out_line);
	vm->out_len = 0;
	if (n > 0)
		console_output_raw(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void monitor_vm_output(struct vm *vm, uint8_t c)
{
	bool focused = __atomic_load_n(&monitor_focus, __ATOMIC_RELAXED) == (int)vm->id;

	if (focused && !vm->out_len) {
		console_output_raw((const char *)&c, 1);
		return;
	}
	/* Not in focus (or finishing a line started before it got focus): whole lines only. */
	spinlock_lock(&vm->console_lock);
	if (c == '\n' || vm->out_len == sizeof(vm->out_line)) {
		monitor_flush_vm_line(vm);
		if (c != '\n')
			vm->out_line[vm->out_len++] = (char)c;
	} else if (c != '\r') {
		vm->out_line[vm->out_len++] = (char)c;
	}
	spinlock_unlock(&vm->console_lock);
}

static void monitor_prompt(void)
{
	monitor_puts(MONITOR_PROMPT);
}

static void monitor_set_focus(int focus)
{
	struct vm *vm;

	__atomic_store_n(&monitor_focus, focus, __ATOMIC_RELAXED);
	if (focus == MONITOR_NO_FOCUS) {
		monitor_printf("\n[monitor] Ctrl-] goes back to the VM, 'help' lists commands\n");
		monitor_len = 0;
		monitor_prompt();
		return;
	}
	vm = hyp_vm_get((unsigned int)focus);
	monitor_last_vm = focus;
	monitor_printf("\n[monitor] console: %s (Ctrl-] for the monitor)\n", vm->cfg.name);
	spinlock_lock(&vm->console_lock);
	monitor_flush_vm_line(vm);
	spinlock_unlock(&vm->console_lock);
}

void monitor_init(void)
{
	for (unsigned int i = 0; i < hyp_vm_count_get(); i++) {
		if (hyp_vm_get(i)->state == VM_STATE_RUNNING) {
			monitor_focus = (int)i;
			monitor_last_vm = (int)i;
			if (hyp_vm_count_get() > 1)
				monitor_printf("[monitor] console: %s (Ctrl-] for the monitor)\n",
					       hyp_vm_get(i)->cfg.name);
			return;
		}
	}
	monitor_set_focus(MONITOR_NO_FOCUS);
}

static const char *const monitor_state_names[] = {
	[VM_STATE_NONE] = "none",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_STOPPED] = "stopped",
};

static const char *const monitor_vcpu_state_names[] = {
	[VCPU_OFF] = "off",
	[VCPU_RUNNABLE] = "runnable",
	[VCPU_WFI] = "waiting",
	[VCPU_STOPPED] = "stopped",
};

/* One line per virtio device: its traffic, and protocol errors (NEEDS_RESET episodes). */
static void monitor_list_virtio(const struct vm *vm)
{
	if (vm->cfg.devices & VM_DEVICE_VIRTIO_CONSOLE)
		monitor_printf("  virtio-console: out %llu bytes, in %llu bytes, errors %llu\n",
			       (unsigned long long)vm->vcon.tx_bytes,
			       (unsigned long long)vm->vcon.rx_bytes,
			       (unsigned long long)vm->vcon.transport.stats.errors);
	if (vm->cfg.devices & VM_DEVICE_VIRTIO_BLK)
		monitor_printf("  virtio-blk: %llu reads (%llu KiB), %llu writes (%llu KiB), %llu "
			       "flushes, %llu failed, errors %llu\n",
			       (unsigned long long)vm->vblk.stats.reads,
			       (unsigned long long)(vm->vblk.stats.read_bytes >> 10),
			       (unsigned long long)vm->vblk.stats.writes,
			       (unsigned long long)(vm->vblk.stats.written_bytes >> 10),
			       (unsigned long long)vm->vblk.stats.flushes,
			       (unsigned long long)vm->vblk.stats.errors,
			       (unsigned long long)vm->vblk.transport.stats.errors);
	if (vm->cfg.devices & VM_DEVICE_VIRTIO_NET)
		monitor_printf("  virtio-net: tx %llu packets, rx %llu packets, dropped %llu tx "
			       "%llu rx, errors %llu\n",
			       (unsigned long long)vm->vnet.stats.tx_packets,
			       (unsigned long long)vm->vnet.stats.rx_packets,
			       (unsigned long long)vm->vnet.stats.tx_dropped,
			       (unsigned long long)vm->vnet.stats.rx_dropped,
			       (unsigned long long)vm->vnet.transport.stats.errors);
}

static void monitor_list(void)
{
	char line[200];

	monitor_printf("%-16s %-8s %5s %8s %6s  %s\n", "NAME", "STATE", "VCPUS", "MEMORY", "RESETS",
		       "CPUS");
	for (unsigned int i = 0; i < hyp_vm_count_get(); i++) {
		struct vm *vm = hyp_vm_get(i);
		char cpus[40] = "";
		size_t len = 0;

		for (unsigned int c = 0; c < vm->vcpu_count && len < sizeof(cpus); c++) {
			int n = fmt_snprintf(cpus + len, sizeof(cpus) - len, "%s%u", c ? "," : "",
					     vm->vcpus[c].pcpu);

			if (n > 0)
				len += (size_t)n;
		}
		monitor_printf("%-16s %-8s %5u %5llu MiB %6llu  %s%s\n", vm->cfg.name,
			       monitor_state_names[vm->state], vm->vcpu_count,
			       (unsigned long long)(vm->ram_size >> 20),
			       (unsigned long long)vm->resets, cpus,
			       (int)i == monitor_last_vm ? "  (console)" : "");
		for (unsigned int c = 0; c < vm->vcpu_count; c++) {
			const struct vcpu *v = &vm->vcpus[c];

			hyp_vcpu_exit_summary(v, line, sizeof(line));
			monitor_printf("  vcpu%u %s%s: %s\n", c, monitor_vcpu_state_names[v->state],
				       v->loaded ? ", loaded" : "", line);
		}
		monitor_list_virtio(vm);
	}
}

static void monitor_mem(void)
{
	uint64_t used_by_vms = 0;

	for (unsigned int i = 0; i < hyp_vm_count_get(); i++) {
		struct vm *vm = hyp_vm_get(i);

		used_by_vms += vm->ram_size;
		monitor_printf("  %-16s %llu MiB at PA 0x%llx, stage-2 tables %llu pages\n",
			       vm->cfg.name, (unsigned long long)(vm->ram_size >> 20),
			       (unsigned long long)vm->ram_pa,
			       (unsigned long long)vm->s2.table_pages);
	}
	monitor_printf("  host pages: %zu total, %zu free (%zu MiB); VM RAM %llu MiB\n",
		       mm_total_page_count(), mm_free_page_count(),
		       mm_free_page_count() * PAGE_SIZE >> 20,
		       (unsigned long long)(used_by_vms >> 20));
}

static void monitor_help(void)
{
	monitor_puts("  list            VMs with state, vCPUs, memory and exit counters\n"
		     "  switch NAME     give the console to a VM (Ctrl-] comes back here)\n"
		     "  stop NAME       stop a VM\n"
		     "  start NAME      start a stopped VM from fresh images\n"
		     "  restart NAME    stop and start again\n"
		     "  mem             memory use\n");
}

/* Splits "cmd arg" in place; returns the argument or "" if none. */
static const char *monitor_split(char *line)
{
	char *space = strchr(line, ' ');

	if (!space)
		return "";
	*space++ = '\0';
	while (*space == ' ')
		space++;
	return space;
}

void monitor_execute(const char *input)
{
	char line[MONITOR_LINE_MAX];
	const char *arg;
	struct vm *vm = NULL;

	str_copy(line, input, sizeof(line));
	arg = monitor_split(line);
	if (!line[0])
		return;
	if (strcmp(line, "help") == 0) {
		monitor_help();
		return;
	}
	if (strcmp(line, "list") == 0) {
		monitor_list();
		return;
	}
	if (strcmp(line, "mem") == 0) {
		monitor_mem();
		return;
	}
	if (strcmp(line, "switch") && strcmp(line, "stop") && strcmp(line, "start") &&
	    strcmp(line, "restart")) {
		monitor_printf("unknown command '%s' (try 'help')\n", line);
		return;
	}
	vm = hyp_vm_find(arg, strlen(arg));
	if (!vm) {
		monitor_printf("%s: no VM named '%s'\n", line, arg);
		return;
	}
	if (strcmp(line, "switch") == 0) {
		monitor_set_focus((int)vm->id);
	} else if (strcmp(line, "stop") == 0) {
		if (vm->state != VM_STATE_RUNNING)
			monitor_printf("%s is not running\n", vm->cfg.name);
		else
			hyp_vm_stop(vm);
	} else if (strcmp(line, "start") == 0 && vm->state == VM_STATE_RUNNING) {
		monitor_printf("%s is already running\n", vm->cfg.name);
	} else {
		monitor_printf("%s: %s\n", vm->cfg.name,
			       hyp_vm_restart(vm, NULL) == 0 ? "started" : "failed to start");
	}
}

static void monitor_key(uint8_t c)
{
	if (c == '\r' || c == '\n') {
		monitor_puts("\n");
		monitor_line[monitor_len] = '\0';
		monitor_len = 0;
		monitor_execute(monitor_line);
		if (__atomic_load_n(&monitor_focus, __ATOMIC_RELAXED) == MONITOR_NO_FOCUS)
			monitor_prompt();
	} else if (c == 0x7f || c == 0x08) {
		if (monitor_len) {
			monitor_len--;
			monitor_puts("\b \b");
		}
	} else if (c >= 0x20 && c < 0x7f && monitor_len < sizeof(monitor_line) - 1) {
		monitor_line[monitor_len++] = (char)c;
		console_output_raw((const char *)&c, 1);
	}
}

void monitor_poll(void)
{
	uint8_t buf[32];
	size_t n = console_input_read(buf, sizeof(buf));

	for (size_t i = 0; i < n; i++) {
		int focus = __atomic_load_n(&monitor_focus, __ATOMIC_RELAXED);

		if (buf[i] == MONITOR_ESCAPE) {
			if (focus == MONITOR_NO_FOCUS && monitor_last_vm != MONITOR_NO_FOCUS)
				monitor_set_focus(monitor_last_vm);
			else if (focus != MONITOR_NO_FOCUS)
				monitor_set_focus(MONITOR_NO_FOCUS);
			continue;
		}
		if (focus == MONITOR_NO_FOCUS) {
			monitor_key(buf[i]);
			continue;
		}
		/* The rest of the burst goes to the VM in one piece, up to the next escape. */
		size_t start = i;

		while (i + 1 < n && buf[i + 1] != MONITOR_ESCAPE)
			i++;
		vm_console_input(hyp_vm_get((unsigned int)focus), buf + start, i - start + 1);
	}
}
