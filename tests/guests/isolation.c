// SPDX-License-Identifier: MIT
/*
 * isolation: a guest reaches its own RAM and the devices its DTB declares,
 * and nothing else. Every access outside them is a synchronous external
 * abort the guest sees (ESR_EL1.EC 0x25, DFSC 0x10) and survives.
 *
 * The map comes from the DTB the guest was given, not from a hard-coded
 * list: every node's reg and every bus window (ranges) is "declared"
 * (guest_dt_regions()), and everything else below the top of the physical
 * address range ID_AA64MMFR0_EL1.PARange advertises is a hole, i.e.
 * "undeclared MMIO". Natively QEMU virt declares much more than a Rhenium VM
 * (flash at 0, RTC, GPIO, fw_cfg, virtio-mmio, the platform bus, PCIe with
 * its windows at 0x10000000 and 0x8000000000 and its ECAM at 0x4010000000,
 * the GICv3 ITS), so the same probe list has fewer members there; under
 * Rhenium those windows must all abort. The candidates probed when they lie
 * in a hole:
 *  - the first page past the end of our RAM, and the last page before it;
 *  - QEMU virt's device windows (hw/arm/virt.c, base_memmap and
 *    extended_memmap), including the ones QEMU creates only on demand
 *    (GICv2 interfaces and GICv2m, second UART, SMMUv3, ACPI GED, stolen
 *    time, secure RAM and GPIO, the low PCIe ECAM that highmem replaces);
 *  - the first page after and the last page before every declared range
 *    (the redistributor frame of a vCPU this VM does not have, the page
 *    after the UART, ...);
 *  - every 256 MiB of the low 4 GiB;
 *  - high addresses: 4 GiB, 1 TiB, the tops of 40-bit and 48-bit IPA
 *    spaces, and the last page of the advertised PA range.
 * Each is read with an ldr; every third is also written (str of 1, 2, 4 and
 * 8 bytes in turn), and two are branched to (instruction aborts, EC 0x21).
 *
 * The hypervisor's own image: Rhenium sits at host physical 0x40200000, but
 * a guest cannot even name a host physical address. With Stage-2 enabled
 * (HCR_EL2.VM) every guest access is an intermediate physical address
 * translated by the VM's Stage-2 tables, which map exactly the VM's RAM
 * (IPA 0x40000000.. to pages the hypervisor allocated for it) and nothing
 * else; emulated devices are unmapped and trap. Rhenium's image, its page
 * tables and other VMs' RAM have no IPA at all, so they are unreachable by
 * construction: what can be tested is that no IPA outside the declared map
 * reaches anything. IPA 0x40200000 itself is this VM's own RAM (natively:
 * where QEMU loaded this image), and is checked as such: readable and
 * writable, like the first, middle and last doublewords of RAM.
 */
#include "guest.h"

const char guest_name[] = "isolation";

#define PAGE 0x1000UL
#define MAX_REGIONS 128
#define MAX_PROBES 160

static struct dt_region regions[MAX_REGIONS];
static unsigned nregions;
static bool regions_overflow;

/* Declared ranges, sorted and merged, for the edge candidates and the listing. */
struct span {
	uint64_t base, end;
	const char *first; /* the first node in it */
	unsigned nodes;
};
static struct span spans[MAX_REGIONS];
static unsigned nspans;

struct probe {
	uint64_t addr;
	const char *what;
};
static struct probe probes[MAX_PROBES];
static unsigned nprobes;

static void collect(const struct dt_region *r, void *arg)
{
	(void)arg;
	if (nregions < MAX_REGIONS)
		regions[nregions++] = *r;
	else
		regions_overflow = true;
}

/* Does [addr, addr + len) touch anything the DTB declares? */
static bool declared(uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < nregions; i++) {
		const struct dt_region *r = &regions[i];

		if (r->size && addr <= r->base + (r->size - 1) && r->base <= addr + (len - 1))
			return true;
	}
	return false;
}

static void merge_spans(void)
{
	for (unsigned i = 0; i < nregions; i++) {
		const struct dt_region *r = &regions[i];
		struct span s = { r->base, r->base + r->size, r->node, 1 };
		unsigned j = nspans++;

		if (!r->size) {
			nspans--;
			continue;
		}
		while (j > 0 && spans[j - 1].base > s.base) { /* insertion sort by base */
			spans[j] = spans[j - 1];
			j--;
		}
		spans[j] = s;
	}
	unsigned out = 0;
	for (unsigned i = 0; i < nspans; i++) {
		if (out && spans[i].base <= spans[out - 1].end) {
			if (spans[i].end > spans[out - 1].end)
				spans[out - 1].end = spans[i].end;
			spans[out - 1].nodes += spans[i].nodes;
		} else {
			spans[out++] = spans[i];
		}
	}
	nspans = out;
}

static uint64_t pa_limit;

static void candidate(uint64_t addr, const char *what)
{
	if (addr >= pa_limit || pa_limit - addr < PAGE || declared(addr, 8))
		return;
	for (unsigned i = 0; i < nprobes; i++)
		if (probes[i].addr == addr)
			return;
	if (nprobes < MAX_PROBES)
		probes[nprobes++] = (struct probe){ addr, what };
}

/* hw/arm/virt.c (QEMU 10): where QEMU virt may put a device. */
static const struct probe qemu_windows[] = {
	{ 0x00000000, "QEMU flash 0" },
	{ 0x04000000, "QEMU flash 1" },
	{ 0x08010000, "QEMU GICv2 CPU interface" },
	{ 0x08020000, "QEMU GICv2m" },
	{ 0x08030000, "QEMU GICv2 hypervisor interface" },
	{ 0x08040000, "QEMU GICv2 vCPU interface" },
	{ 0x08080000, "QEMU GICv3 ITS" },
	{ 0x09010000, "QEMU PL031 RTC" },
	{ 0x09020000, "QEMU fw_cfg" },
	{ 0x09030000, "QEMU PL061 GPIO" },
	{ 0x09040000, "QEMU second UART" },
	{ 0x09050000, "QEMU SMMUv3" },
	{ 0x09070000, "QEMU PC-DIMM ACPI" },
	{ 0x09080000, "QEMU ACPI GED" },
	{ 0x09090000, "QEMU NVDIMM ACPI" },
	{ 0x090a0000, "QEMU KVM stolen time" },
	{ 0x090b0000, "QEMU secure GPIO" },
	{ 0x0a000000, "QEMU virtio-mmio" },
	{ 0x0a003e00, "QEMU last virtio-mmio transport" },
	{ 0x0c000000, "QEMU platform bus" },
	{ 0x0e000000, "QEMU secure RAM" },
	{ 0x10000000, "QEMU PCIe MMIO" },
	{ 0x3eff0000, "QEMU PCIe PIO" },
	{ 0x3f000000, "QEMU PCIe ECAM (low)" },
	{ 0x4000000000, "QEMU high GIC redistributors" },
	{ 0x4010000000, "QEMU PCIe ECAM (high)" },
	{ 0x8000000000, "QEMU PCIe MMIO (high)" },
};

static const struct probe high_addresses[] = {
	{ 0x100000000, "4 GiB" },
	{ 0xfffffff000, "top of a 40-bit IPA space" },
	{ 0x10000000000, "1 TiB" },
	{ 0xfffffffff000, "top of a 48-bit IPA space" },
};

static unsigned pa_bits(void)
{
	static const unsigned bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	unsigned parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;

	return parange < ARRAY_SIZE(bits) ? bits[parange] : 48;
}

/* ---------------------------------------------------------------- accesses */
struct access {
	uint64_t pc;   /* address of the access instruction */
	uint64_t next; /* 1 if the instruction after it ran */
};

#define ACCESS(insn, addr, val)                                              \
	({                                                                   \
		struct access __a;                                           \
		uint64_t __v = (val);                                        \
		__asm__ volatile("adr %0, 1f\n\t"                            \
				 "mov %1, #0\n"                              \
				 "1:\t" insn ", [%3]\n\t"                    \
				 "mov %1, #1"                                \
				 : "=&r"(__a.pc), "=&r"(__a.next), "+r"(__v) \
				 : "r"(addr)                                 \
				 : "memory");                                \
		__a;                                                         \
	})

static unsigned aborts_expected;

/* One result line: the access was a synchronous external abort, reported right. */
static bool sea(const char *op, uint64_t addr, const char *what, struct access a, bool write)
{
	struct exc_record rec;
	bool taken = exception_taken(&rec);
	bool far_ok = taken && ((rec.esr & ESR_DABT_FNV) || rec.far == addr);
	bool ok = taken && rec.kind == EXC_CURRENT_SPX + EXC_SYNC &&
		  ESR_EC(rec.esr) == EC_DABT_CUR && ESR_DABT_DFSC(rec.esr) == DFSC_SEA &&
		  !!(rec.esr & ESR_DABT_WNR) == write && far_ok && rec.elr == a.pc && a.next;

	aborts_expected++;
	check(ok, "%s 0x%lx (%s): synchronous external abort", op, addr, what);
	if (!taken)
		diag("  no exception: the access completed");
	else if (!ok)
		diag("  vector %u, ESR_EL1 0x%lx (EC 0x%lx, DFSC 0x%lx, WnR %d), FAR 0x%lx, "
		     "ELR 0x%lx (access at 0x%lx), resumed %lu",
		     rec.kind, rec.esr, ESR_EC(rec.esr), ESR_DABT_DFSC(rec.esr),
		     !!(rec.esr & ESR_DABT_WNR), rec.far, rec.elr, a.pc, a.next);
	return ok;
}

static void probe_load(const struct probe *p)
{
	expect_exception();
	struct access a = ACCESS("ldr %w2", p->addr, 0);
	sea("ldr", p->addr, p->what, a, false);
}

static void probe_store(const struct probe *p, unsigned which)
{
	struct access a;
	const char *op;

	expect_exception();
	switch (which % 4) {
	case 0:
		a = ACCESS("str %w2", p->addr, 0x5a5a5a5a);
		op = "str w";
		break;
	case 1:
		a = ACCESS("str %x2", p->addr, 0xa5a5a5a5a5a5a5a5);
		op = "str x";
		break;
	case 2:
		a = ACCESS("strb %w2", p->addr, 0x5a);
		op = "strb";
		break;
	default:
		a = ACCESS("strh %w2", p->addr, 0x5a5a);
		op = "strh";
		break;
	}
	sea(op, p->addr, p->what, a, true);
}

static void probe_fetch(const struct probe *p)
{
	struct exc_record rec;

	expect_exception();
	__asm__ volatile("blr %0" : : "r"(p->addr) : "x30", "memory");
	bool taken = exception_taken(&rec);
	bool ok = taken && ESR_EC(rec.esr) == EC_IABT_CUR && (rec.esr & 0x3f) == DFSC_SEA &&
		  rec.elr == p->addr && rec.far == p->addr;

	aborts_expected++;
	check(ok, "blr 0x%lx (%s): instruction abort, synchronous external", p->addr, p->what);
	if (taken && !ok)
		diag("  ESR_EL1 0x%lx (EC 0x%lx, IFSC 0x%lx), FAR 0x%lx, ELR 0x%lx", rec.esr,
		     ESR_EC(rec.esr), rec.esr & 0x3f, rec.far, rec.elr);
}

/*
 * Our own RAM: write a pattern and its complement, read each back, and put
 * the old value back, all in registers (the doubleword may be our own
 * stack, image or DTB: nothing runs in between).
 */
static void ram_rw(uint64_t addr, const char *what)
{
	uint64_t old, got1, got2;
	uint64_t pat = 0x0123456789abcdefUL ^ addr;

	expect_exception();
	__asm__ volatile("ldr %0, [%3]\n\t"
			 "str %4, [%3]\n\t"
			 "ldr %1, [%3]\n\t"
			 "str %5, [%3]\n\t"
			 "ldr %2, [%3]\n\t"
			 "str %0, [%3]"
			 : "=&r"(old), "=&r"(got1), "=&r"(got2)
			 : "r"(addr), "r"(pat), "r"(~pat)
			 : "memory");
	bool faulted = exception_taken(NULL);
	check(!faulted && got1 == pat && got2 == ~pat,
	      "own RAM 0x%lx (%s) reads back what was written", addr, what);
}

/* ---------------------------------------------------------------- the test */
void test_main(void)
{
	int n = guest_dt_regions(collect, NULL);

	if (!check(n > 0 && !regions_overflow, "the DTB describes %d regions", n))
		return;
	merge_spans();
	for (unsigned i = 0; i < nspans; i++)
		diag("declared [0x%010lx, 0x%010lx) %s%s", spans[i].base, spans[i].end,
		     spans[i].first, spans[i].nodes > 1 ? " and more" : "");

	/* Our RAM: the memory node that holds this code. */
	uint64_t self = (uint64_t)(uintptr_t)test_main;
	uint64_t ram_base = 0, ram_size = 0;
	unsigned memories = 0;
	for (unsigned i = 0; i < nregions; i++) {
		const struct dt_region *r = &regions[i];

		if (r->kind != DT_REGION_MEMORY)
			continue;
		memories++;
		if (self >= r->base && self - r->base < r->size) {
			ram_base = r->base;
			ram_size = r->size;
		}
	}
	if (!check(ram_size != 0, "a /memory node (of %u) holds this image at 0x%lx", memories,
		   self))
		return;
	uint64_t ram_end = ram_base + ram_size;
	diag("RAM [0x%lx, 0x%lx), %lu MiB", ram_base, ram_end, ram_size >> 20);

	unsigned bits = pa_bits();
	pa_limit = 1UL << bits;
	diag("ID_AA64MMFR0_EL1.PARange: %u-bit physical addresses", bits);

	ram_rw(ram_base, "start");
	ram_rw(ram_base + (ram_size / 2 & ~7UL), "middle");
	ram_rw(ram_end - 8, "last doubleword");
	if (RAM_BASE + 0x200000 >= ram_base && RAM_BASE + 0x200000 < ram_end)
		ram_rw(RAM_BASE + 0x200000, "where the host keeps Rhenium: ours, by Stage-2");

	/* The probes, in order of interest; candidate() drops declared ones. */
	candidate(ram_end, "first page past our RAM");
	if (ram_base >= PAGE)
		candidate(ram_base - PAGE, "last page before our RAM");
	for (unsigned i = 0; i < ARRAY_SIZE(qemu_windows); i++)
		candidate(qemu_windows[i].addr, qemu_windows[i].what);
	for (unsigned i = 0; i < nspans; i++) {
		candidate((spans[i].end + PAGE - 1) & ~(PAGE - 1), "page after a declared range");
		if (spans[i].base >= PAGE)
			candidate((spans[i].base & ~(PAGE - 1)) - PAGE,
				  "page before a declared range");
	}
	for (uint64_t a = 0; a < 0x100000000UL; a += 0x10000000UL)
		candidate(a, "256 MiB grid");
	for (unsigned i = 0; i < ARRAY_SIZE(high_addresses); i++)
		candidate(high_addresses[i].addr, high_addresses[i].what);
	candidate(pa_limit - PAGE, "last page of the PA range");

	check(nprobes >= 16, "%u undeclared addresses to probe (at least 16)", nprobes);
	unsigned loads = 0, stores = 0, fetches = 0;
	for (unsigned i = 0; i < nprobes; i++) {
		probe_load(&probes[i]);
		loads++;
		if (i % 3 == 0) {
			probe_store(&probes[i], stores);
			stores++;
		}
	}
	/* Instruction fetches: just past our RAM, and the highest address probed. */
	const struct probe *top = NULL;
	for (unsigned i = 0; i < nprobes; i++) {
		if (probes[i].addr == ram_end) {
			probe_fetch(&probes[i]);
			fetches++;
		}
		if (!top || probes[i].addr > top->addr)
			top = &probes[i];
	}
	if (top && top->addr != ram_end) {
		probe_fetch(top);
		fetches++;
	}

	diag("%u probes: %u loads, %u stores, %u instruction fetches", loads + stores + fetches,
	     loads, stores, fetches);

	/* Still alive and whole. */
	check_eq(readl(PL011_BASE + 0xffc) & 0xff, 0xb1, "PL011 still reads after the probes");
	ram_rw(ram_end - 8, "last doubleword, after the probes");
	check_eq(exception_count(), aborts_expected, "one exception per probe, %u in all",
		 aborts_expected);
}
