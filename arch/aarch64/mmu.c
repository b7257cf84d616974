/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own EL2 stage-1 address space (Arm ARM D8, VMSAv8-64):
 * an identity map built with the generic translation-table code, 4 KiB
 * granule, with
 *   - RAM: Normal write-back, read-write, execute-never;
 *   - the image by section: text read-only+executable, rodata read-only,
 *     data/bss/stacks read-write execute-never;
 *   - the MMIO Rhenium drives itself (console UART, GIC, the virtio-mmio
 *     transports where its own disk may sit): Device-nGnRE, XN.
 * SCTLR_EL2.WXN is set as a second line of defence, so no mapping can be
 * both writable and executable.
 */
#include <arch/cpu_local.h>
#include <arch/layout.h>
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/boot.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/pgtable.h>

/* MAIR_EL2 slots; AttrIndx in descriptors selects one. */
#define MAIR_IDX_DEVICE_nGnRnE 0
#define MAIR_IDX_DEVICE_nGnRE 1
#define MAIR_IDX_NORMAL_NC 2
#define MAIR_IDX_NORMAL_WB 3
#define MMU_MAIR                                                     \
	((MAIR_ATTR_DEVICE_nGnRnE << (8 * MAIR_IDX_DEVICE_nGnRnE)) | \
	 (MAIR_ATTR_DEVICE_nGnRE << (8 * MAIR_IDX_DEVICE_nGnRE)) |   \
	 (MAIR_ATTR_NORMAL_NC << (8 * MAIR_IDX_NORMAL_NC)) |         \
	 (MAIR_ATTR_NORMAL_WB << (8 * MAIR_IDX_NORMAL_WB)))

struct secondary_boot_args {
	uint64_t stack_top;
	uint64_t ttbr;
	uint64_t tcr;
	uint64_t mair;
	uint64_t sctlr;
	uint64_t cpu_index;
	uint64_t tpidr;
};

_Static_assert(sizeof(struct secondary_boot_args) == SBA_SIZE, "layout shared with entry.S");

extern char boot_stacks[];

static struct pgtable mmu_table;
static uint64_t mmu_tcr;
static uint64_t mmu_sctlr;
static unsigned int mmu_va_bits;
static struct secondary_boot_args mmu_secondary_args[ARCH_MAX_CPUS];

static void mmu_inval_new_table(paddr_t pa, unsigned int pages)
{
	/* Written with the caches off now, walked through them later. */
	arch_dcache_inval_range(mm_phys_to_virt(pa), pages * PAGE_SIZE);
}

static paddr_t mmu_alloc_pages(unsigned int pages, void *ctx)
{
	paddr_t pa;

	(void)ctx;
	pa = mm_alloc_table_pages(pages);
	if (pa)
		mmu_inval_new_table(pa, pages);
	return pa;
}

static void mmu_free_pages(paddr_t pa, unsigned int pages, void *ctx)
{
	(void)ctx;
	mm_free_pages(pa, pages);
}

static void *mmu_pa_to_va(paddr_t pa, void *ctx)
{
	(void)ctx;
	return mm_phys_to_virt(pa);
}

static void mmu_tlb_invalidate(vaddr_t va, unsigned int level, void *ctx)
{
	(void)va;
	(void)level;
	(void)ctx;
	/* Rare (only when the hypervisor changes its own map): drop all EL2 entries. */
	dsb_ishst();
	__asm__ volatile("tlbi alle2is" ::: "memory");
	dsb_ish();
	isb();
}

static void mmu_sync(void *ctx)
{
	(void)ctx;
	dsb_ishst();
}

static const struct pgtable_ops mmu_ops_boot = {
	.alloc_pages = mmu_alloc_pages,
	.free_pages = mmu_free_pages,
	.pa_to_va = mmu_pa_to_va,
	.tlb_invalidate = NULL, /* tables are not live until the MMU is on */
	.sync = NULL,
};

static const struct pgtable_ops mmu_ops_live = {
	.alloc_pages = mmu_alloc_pages,
	.free_pages = mmu_free_pages,
	.pa_to_va = mmu_pa_to_va,
	.tlb_invalidate = mmu_tlb_invalidate,
	.sync = mmu_sync,
};

#define MMU_NORMAL \
	(PTE_S1_ATTRINDX(MAIR_IDX_NORMAL_WB) | PTE_SH_INNER | PTE_AF | PTE_S1_AP_EL2_RES1)
#define MMU_DEVICE \
	(PTE_S1_ATTRINDX(MAIR_IDX_DEVICE_nGnRE) | PTE_AF | PTE_S1_AP_EL2_RES1 | PTE_S1_XN)
#define MMU_RW_DATA (MMU_NORMAL | PTE_S1_XN)
#define MMU_RO_DATA (MMU_NORMAL | PTE_S1_AP_RO | PTE_S1_XN)
#define MMU_TEXT (MMU_NORMAL | PTE_S1_AP_RO)

static int mmu_map(paddr_t base, uint64_t size, uint64_t attrs, unsigned int flags,
		   const char *what)
{
	paddr_t start = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t len = ALIGN_UP(base + size, PAGE_SIZE) - start;
	int ret;

	if (!size)
		return 0;
	ret = pgtable_map(&mmu_table, start, start, len, attrs, flags);
	if (ret != PGT_OK)
		LOG_ERROR("EL2 map of %s 0x%llx-0x%llx failed: %d", what, (unsigned long long)start,
			  (unsigned long long)(start + len - 1), ret);
	return ret;
}

static unsigned int mmu_pa_bits(void)
{
	static const unsigned int bits[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint64_t parange = sysreg_read(id_aa64mmfr0_el1) & ID_AA64MMFR0_PARANGE_MASK;

	return parange < ARRAY_SIZE(bits) ? bits[parange] : 48;
}

static uint64_t mmu_tcr_ps(unsigned int pa_bits)
{
	/* TCR_EL2.PS uses the same encoding as PARange; 4 KiB tables stop at 48 bits. */
	static const unsigned int bits[] = { 32, 36, 40, 42, 44, 48 };

	for (uint64_t i = 0; i < ARRAY_SIZE(bits); i++) {
		if (bits[i] == pa_bits)
			return i;
	}
	return 5;
}

int arch_mmu_init(const struct boot_info *info)
{
	const struct platform_info *plat = info->platform;
	unsigned int pa_bits = mmu_pa_bits();
	int ret = 0;

	mmu_va_bits = MIN(pa_bits, PGT_MAX_VA_BITS);
	ret = pgtable_init(&mmu_table, PGT_STAGE1, mmu_va_bits, mmu_va_bits > 39 ? 0 : 1,
			   &mmu_ops_boot, NULL);
	if (ret != PGT_OK) {
		LOG_ERROR("EL2 translation table root: error %d", ret);
		return ret;
	}

	for (unsigned int i = 0; i < plat->mem_count && !ret; i++)
		ret = mmu_map(plat->mem[i].base, plat->mem[i].size, MMU_RW_DATA, 0, "RAM");
	/* The image sits inside RAM: narrow its permissions section by section. */
	if (!ret)
		ret = mmu_map(info->image.start, info->image.text_end - info->image.start, MMU_TEXT,
			      PGT_MAP_REPLACE, "image text");
	if (!ret)
		ret = mmu_map(info->image.text_end, info->image.rodata_end - info->image.text_end,
			      MMU_RO_DATA, PGT_MAP_REPLACE, "image rodata");
	if (!ret)
		ret = mmu_map(info->image.rodata_end, info->image.end - info->image.rodata_end,
			      MMU_RW_DATA, PGT_MAP_REPLACE, "image data");
	if (!ret && plat->uart.size)
		ret = mmu_map(plat->uart.base, plat->uart.size, MMU_DEVICE, 0, "UART");
	if (!ret && plat->gicd.size)
		ret = mmu_map(plat->gicd.base, plat->gicd.size, MMU_DEVICE, 0, "GICD");
	for (unsigned int i = 0; i < plat->gicr_count && !ret; i++)
		ret = mmu_map(plat->gicr[i].base, plat->gicr[i].size, MMU_DEVICE, 0, "GICR");
	/* Several transports share a page on QEMU: identical re-mappings are accepted. */
	for (unsigned int i = 0; i < plat->virtio_mmio_count && !ret; i++)
		ret = mmu_map(plat->virtio_mmio[i].base, plat->virtio_mmio[i].size, MMU_DEVICE, 0,
			      "virtio-mmio");
	if (ret)
		return ret;

	mmu_tcr = TCR_EL2_RES1 | TCR_EL2_T0SZ(mmu_va_bits) | TCR_EL2_IRGN0_WBWA |
		  TCR_EL2_ORGN0_WBWA | TCR_EL2_SH0_INNER | TCR_EL2_TG0_4K |
		  (mmu_tcr_ps(pa_bits) << TCR_EL2_PS_SHIFT);
	mmu_sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_I | SCTLR_EL2_SA |
		    SCTLR_EL2_WXN;

	sysreg_write(mair_el2, MMU_MAIR);
	sysreg_write(tcr_el2, mmu_tcr);
	sysreg_write(ttbr0_el2, mmu_table.root);
	isb();
	__asm__ volatile("tlbi alle2" ::: "memory");
	dsb_ish();
	isb();
	sysreg_write(sctlr_el2, mmu_sctlr);
	isb();

	/* From now on changes hit live tables: break-before-make needs real TLB maintenance. */
	mmu_table.ops = &mmu_ops_live;
	return 0;
}

uint64_t arch_secondary_prepare(unsigned int cpu)
{
	struct secondary_boot_args *args;

	if (cpu == 0 || cpu >= ARCH_MAX_CPUS)
		return 0;
	args = &mmu_secondary_args[cpu];
	args->stack_top =
		(uint64_t)(uintptr_t)(boot_stacks + (uint64_t)(cpu + 1) * ARCH_STACK_SIZE);
	args->ttbr = mmu_table.root;
	args->tcr = mmu_tcr;
	args->mair = MMU_MAIR;
	args->sctlr = mmu_sctlr;
	args->cpu_index = cpu;
	cpu_locals[cpu].index = cpu;
	args->tpidr = (uint64_t)(uintptr_t)&cpu_locals[cpu];
	/* The CPU reads this with its MMU and caches off. */
	arch_dcache_clean_range(args, sizeof(*args));
	return (uint64_t)(uintptr_t)args;
}

unsigned int arch_max_cpus(void)
{
	return ARCH_MAX_CPUS;
}

struct mmu_dump_run {
	vaddr_t va;
	paddr_t pa;
	uint64_t size;
	uint64_t attrs;
	bool open;
};

static void mmu_dump_print(const struct mmu_dump_run *run)
{
	bool device = (run->attrs & PTE_S1_ATTRINDX_MASK) != PTE_S1_ATTRINDX(MAIR_IDX_NORMAL_WB);
	char perm[4];
	unsigned int n = 0;

	perm[n++] = 'R';
	if (!(run->attrs & PTE_S1_AP_RO))
		perm[n++] = 'W';
	if (!(run->attrs & PTE_S1_XN))
		perm[n++] = 'X';
	perm[n] = '\0';
	log_raw("  %#014llx-%#014llx %-3s %s\n", (unsigned long long)run->va,
		(unsigned long long)(run->va + run->size - 1), perm,
		device ? "device-nGnRE" : "normal-WB");
}

static void mmu_dump_leaf(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs, unsigned int level,
			  void *arg)
{
	struct mmu_dump_run *run = arg;

	(void)level;
	if (run->open && run->va + run->size == va && run->pa + run->size == pa &&
	    run->attrs == attrs) {
		run->size += size;
		return;
	}
	if (run->open)
		mmu_dump_print(run);
	*run = (struct mmu_dump_run){ va, pa, size, attrs, true };
}

void arch_mmu_dump(void)
{
	struct mmu_dump_run run = { 0 };

	/* Read back from the live tables, so this shows what the MMU really uses. */
	pgtable_walk(&mmu_table, mmu_dump_leaf, &run);
	if (run.open)
		mmu_dump_print(&run);
	log_raw("  (%llu table pages, %u-bit VA, identity mapped)\n",
		(unsigned long long)mmu_table.table_pages, mmu_va_bits);
}
