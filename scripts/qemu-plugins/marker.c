// SPDX-License-Identifier: MIT
/*
 * QEMU TCG plugin: guest instructions from reset to a marker on the UART.
 *
 * Counts every instruction QEMU executes for the guest, on every vCPU and at
 * every exception level, and writes the total at the moment the marker
 * string has been stored, byte by byte, to the UART's data register (a
 * physical address: the PL011's DR on QEMU virt). A guest under a hypervisor
 * reaches that register through it (Rhenium's emulated PL011 writes to the
 * real one, Xen writes dom0's hvc0 output to its UART), so natively, under
 * Rhenium and under Xen the count stops at the same point of the guest's
 * boot. Built by scripts/build-insn-plugin.sh, read by scripts/insn_count.py.
 *
 *   -plugin libmarker.so[,marker=TEXT][,uart=PA][,count=MODE][,exit=on] -d plugin -D LOG
 *
 *   marker   default RHENIUM-GUEST-READY (what the test initramfs prints)
 *   uart     default 0x09000000
 *   exit=on  end QEMU as soon as the marker is complete: the count is taken
 *            where the guest says, not when the host gets round to it
 *   count    how instructions are counted; all three give the same totals:
 *     inline   an add in the generated code before each instruction (fast).
 *              QEMU 10.0 under -icount (one thread for all vCPUs) puts the
 *              translating vCPU's index into the block as a TCG constant and
 *              scales it in place for the counter's address: once a vCPU
 *              other than 0 translates, adds land on wild addresses (in gdb:
 *              the scoreboard + 8 x an unrelated constant of the block) and
 *              QEMU crashes. So only for one vCPU (the default there).
 *     segment  a call before each instruction that may leave its block
 *              early (loads and stores: faults and -icount's I/O restarts;
 *              system instructions; SVE, SME and unallocated encodings; the
 *              pointer authentication checks) and before the block's last
 *              one, adding the instructions since the previous call. The
 *              other instructions cannot stop a block half way, so this is
 *              per-instruction counting at a third of the calls (A64 only;
 *              the default with several vCPUs).
 *     insn     a call before every instruction, like QEMU's insn plugin:
 *              the reference the other two are checked against.
 *
 * Like QEMU's insn plugin, an instruction counts when it starts: one that
 * faults counts, and again when it is retried. Per-block counting (one add
 * per block as it starts) would not be exact: a fault or an -icount I/O
 * restart in the middle of a block counts the rest of it too.
 *
 * Log lines (-d plugin; without -D they go to stderr):
 *   marker insns: N   all vCPUs' instructions up to and including the store
 *                     of the marker's last byte
 *   total insns: N    at QEMU's exit (with exit=on: the same N)
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum count_mode { COUNT_DEFAULT, COUNT_INLINE, COUNT_SEGMENT, COUNT_INSN };

static enum count_mode mode;
static qemu_plugin_u64 insns; /* per vCPU; the totals are sums */
static bool exit_at_marker;
static uint64_t uart_dr = 0x09000000;
static char *marker;
static size_t marker_len;

/* The last marker_len bytes stored to the UART; vCPUs may run in parallel. */
static GMutex uart_lock;
static char *uart_tail;
static size_t uart_seen;
static gint marker_seen; /* read without the lock: once set, stores are not watched */

/*
 * Under -icount the vCPU index is the one that translated the block, not
 * the one running it (blocks are shared, the index is compiled in): only
 * the sum over vCPUs means anything.
 */
static void add_insns(unsigned int vcpu, void *n)
{
	qemu_plugin_u64_add(insns, vcpu, (uintptr_t)n);
}

static void marker_complete(void)
{
	g_autofree char *line =
		g_strdup_printf("marker insns: %" PRIu64 "\n", qemu_plugin_u64_sum(insns));

	qemu_plugin_outs(line);
	if (exit_at_marker)
		exit(EXIT_SUCCESS);
}

/* The character a store to DR sends: its low byte, whatever the access size. */
static char low_byte(qemu_plugin_mem_value value)
{
	switch (value.type) {
	case QEMU_PLUGIN_MEM_VALUE_U8:
		return (char)value.data.u8;
	case QEMU_PLUGIN_MEM_VALUE_U16:
		return (char)value.data.u16;
	case QEMU_PLUGIN_MEM_VALUE_U32:
		return (char)value.data.u32;
	case QEMU_PLUGIN_MEM_VALUE_U64:
		return (char)value.data.u64;
	default:
		return (char)value.data.u128.low;
	}
}

static void on_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw;
	qemu_plugin_mem_value value;
	bool complete;

	(void)vcpu;
	(void)udata;
	if (g_atomic_int_get(&marker_seen))
		return;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw || !qemu_plugin_hwaddr_is_io(hw) || qemu_plugin_hwaddr_phys_addr(hw) != uart_dr)
		return;
	value = qemu_plugin_mem_get_value(info);
	g_mutex_lock(&uart_lock);
	memmove(uart_tail, uart_tail + 1, marker_len - 1);
	uart_tail[marker_len - 1] = low_byte(value);
	if (uart_seen < marker_len)
		uart_seen++;
	complete = !marker_seen && uart_seen == marker_len &&
		   memcmp(uart_tail, marker, marker_len) == 0;
	if (complete)
		g_atomic_int_set(&marker_seen, 1);
	g_mutex_unlock(&uart_lock);
	if (complete)
		marker_complete();
}

/*
 * A64 instructions at which a block can be left before its last one: loads
 * and stores (op0 x1x0: faults, and -icount restarting at an I/O access),
 * system instructions (traps raised by helpers), SVE, SME and unallocated
 * space (op0 00xx), and PAC's AUT* data processing (a failed check faults
 * with FEAT_FPAC). Everything else runs to the next one or to the block's end.
 */
static bool may_leave_block(uint32_t insn)
{
	uint32_t op0 = (insn >> 25) & 0xf;

	return (op0 & 0x5) == 0x4 || (op0 & 0xc) == 0 || (insn >> 22) == 0x354 ||
	       (insn >> 16) == 0xdac1;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	uintptr_t pending = 0;

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t word = 0;

		if (mode == COUNT_INLINE) {
			qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
				insn, QEMU_PLUGIN_INLINE_ADD_U64, insns, 1);
		} else if (mode == COUNT_INSN) {
			qemu_plugin_register_vcpu_insn_exec_cb(insn, add_insns,
							       QEMU_PLUGIN_CB_NO_REGS, (void *)1);
		} else {
			pending++;
			if (qemu_plugin_insn_data(insn, &word, sizeof(word)) != sizeof(word) ||
			    may_leave_block(word) || i == n - 1) {
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, add_insns, QEMU_PLUGIN_CB_NO_REGS, (void *)pending);
				pending = 0;
			}
		}
		if (!g_atomic_int_get(&marker_seen))
			qemu_plugin_register_vcpu_mem_cb(insn, on_store, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_W, NULL);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	g_autofree char *line =
		g_strdup_printf("total insns: %" PRIu64 "\n", qemu_plugin_u64_sum(insns));

	(void)id;
	(void)udata;
	qemu_plugin_outs(line);
}

static bool parse_option(const char *opt)
{
	g_auto(GStrv) kv = g_strsplit(opt, "=", 2);
	char *end;

	if (!kv[0] || !kv[1])
		return false;
	if (strcmp(kv[0], "marker") == 0 && kv[1][0]) {
		g_free(marker);
		marker = g_strdup(kv[1]);
		return true;
	}
	if (strcmp(kv[0], "uart") == 0) {
		uart_dr = g_ascii_strtoull(kv[1], &end, 0);
		return end != kv[1] && *end == '\0';
	}
	if (strcmp(kv[0], "exit") == 0)
		return qemu_plugin_bool_parse(kv[0], kv[1], &exit_at_marker);
	if (strcmp(kv[0], "count") == 0) {
		if (strcmp(kv[1], "inline") == 0)
			mode = COUNT_INLINE;
		else if (strcmp(kv[1], "segment") == 0)
			mode = COUNT_SEGMENT;
		else if (strcmp(kv[1], "insn") == 0)
			mode = COUNT_INSN;
		else
			return false;
		return true;
	}
	return false;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	bool a64 = strcmp(info->target_name, "aarch64") == 0;
	int vcpus = info->system_emulation ? info->system.max_vcpus : 1;

	marker = g_strdup("RHENIUM-GUEST-READY");
	for (int i = 0; i < argc; i++) {
		if (!parse_option(argv[i])) {
			fprintf(stderr,
				"marker plugin: bad option '%s' (marker=TEXT, uart=PA, "
				"count=inline|segment|insn, exit=on|off)\n",
				argv[i]);
			return -1;
		}
	}
	if (mode == COUNT_DEFAULT)
		mode = vcpus == 1 ? COUNT_INLINE : a64 ? COUNT_SEGMENT : COUNT_INSN;
	if (mode == COUNT_SEGMENT && !a64) {
		fprintf(stderr, "marker plugin: count=segment decodes A64 only, not %s\n",
			info->target_name);
		return -1;
	}
	marker_len = strlen(marker);
	uart_tail = g_malloc0(marker_len);
	insns = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(sizeof(uint64_t)));
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
