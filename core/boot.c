/* SPDX-License-Identifier: MIT */
/*
 * The boot sequence after the architecture has a console: page allocator,
 * the hypervisor's own address space, the physical disk, every CPU through
 * PSCI CPU_ON, and a banner that tests and users read to know the machine is
 * healthy.
 */
#include <rhenium/arch.h>
#include <rhenium/boot.h>
#include <rhenium/bootargs.h>
#include <rhenium/disk.h>
#include <rhenium/format.h>
#include <rhenium/hyp.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/panic.h>
#include <rhenium/psci.h>
#include <rhenium/string.h>
#include <rhenium/virtio.h>

/* How long a CPU may take from CPU_ON to reporting in, in microseconds. */
#define BOOT_CPU_TIMEOUT_US 1000000

/* Logical CPU index -> MPIDR; index 0 is always the CPU we booted on. */
static uint64_t boot_cpu_mpidr[PLATFORM_MAX_CPUS];
static uint32_t boot_cpu_online[PLATFORM_MAX_CPUS];
static unsigned int boot_cpu_count;

static void boot_apply_log_level(const char *bootargs)
{
	const char *value;
	size_t len;
	enum log_level level;

	if (!bootargs_find(bootargs, "log", &value, &len))
		return;
	if (log_level_from_name(value, len, &level))
		log_set_level(level);
	else
		LOG_WARN("bootargs: unknown rhenium.log level, keeping the default");
}

/* Boot CPU first, then the others in device-tree order. */
static void boot_order_cpus(const struct platform_info *plat)
{
	uint64_t self = arch_cpu_mpidr();
	unsigned int n = 1;
	bool self_found = false;

	boot_cpu_mpidr[0] = self;
	for (unsigned int i = 0; i < plat->cpu_count; i++) {
		if (plat->cpu_mpidr[i] == self) {
			self_found = true;
			continue;
		}
		if (n < PLATFORM_MAX_CPUS)
			boot_cpu_mpidr[n++] = plat->cpu_mpidr[i];
	}
	if (!self_found)
		LOG_WARN("boot CPU MPIDR 0x%llx is not in /cpus", (unsigned long long)self);
	boot_cpu_count = n;
	if (boot_cpu_count > arch_max_cpus()) {
		LOG_WARN("%u CPUs in the device tree, Rhenium is built for %u: the rest stay off",
			 boot_cpu_count, arch_max_cpus());
		boot_cpu_count = arch_max_cpus();
	}
}

static bool boot_wait_online(unsigned int cpu)
{
	uint64_t freq = arch_counter_freq();
	uint64_t start = arch_counter_read();
	uint64_t limit = freq ? freq / 1000000 * BOOT_CPU_TIMEOUT_US : 0;

	while (!__atomic_load_n(&boot_cpu_online[cpu], __ATOMIC_ACQUIRE)) {
		if (limit && arch_counter_read() - start > limit)
			return false;
		arch_cpu_relax();
	}
	return true;
}

static unsigned int boot_start_secondaries(void)
{
	unsigned int online = 1;

	if (!psci_available()) {
		if (boot_cpu_count > 1)
			LOG_WARN("no PSCI in the device tree: only the boot CPU runs");
		return online;
	}
	for (unsigned int cpu = 1; cpu < boot_cpu_count; cpu++) {
		uint64_t context = arch_secondary_prepare(cpu);
		int32_t ret = psci_cpu_on(boot_cpu_mpidr[cpu], arch_secondary_entry_pa(), context);

		if (ret != PSCI_RET_SUCCESS) {
			LOG_ERROR("cpu%u (MPIDR 0x%llx): PSCI CPU_ON failed: %s (%d)", cpu,
				  (unsigned long long)boot_cpu_mpidr[cpu], psci_error_name(ret),
				  ret);
			continue;
		}
		if (!boot_wait_online(cpu)) {
			LOG_ERROR("cpu%u (MPIDR 0x%llx): did not come online within %u ms", cpu,
				  (unsigned long long)boot_cpu_mpidr[cpu],
				  BOOT_CPU_TIMEOUT_US / 1000);
			continue;
		}
		online++;
	}
	return online;
}

static void boot_print_platform(const struct boot_info *info)
{
	const struct platform_info *plat = info->platform;
	char size[16];

	for (unsigned int i = 0; i < plat->mem_count; i++) {
		fmt_size(size, sizeof(size), plat->mem[i].size);
		log_raw("  RAM      %#014llx-%#014llx %s\n", (unsigned long long)plat->mem[i].base,
			(unsigned long long)(plat->mem[i].base + plat->mem[i].size - 1), size);
	}
	for (unsigned int i = 0; i < plat->reserved_count; i++) {
		fmt_size(size, sizeof(size), plat->reserved[i].size);
		log_raw("  reserved %#014llx-%#014llx %s\n",
			(unsigned long long)plat->reserved[i].base,
			(unsigned long long)(plat->reserved[i].base + plat->reserved[i].size - 1),
			size);
	}
	fmt_size(size, sizeof(size), info->image.end - info->image.start);
	log_raw("  image    %#014llx-%#014llx %s (text %llu KiB)\n",
		(unsigned long long)info->image.start, (unsigned long long)(info->image.end - 1),
		size, (unsigned long long)((info->image.text_end - info->image.start) >> 10));
	log_raw("  dtb      %#014llx-%#014llx %zu bytes\n", (unsigned long long)info->dtb,
		(unsigned long long)(info->dtb + info->dtb_size - 1), info->dtb_size);
	if (plat->initrd_end > plat->initrd_start)
		log_raw("  initrd   %#014llx-%#014llx\n", (unsigned long long)plat->initrd_start,
			(unsigned long long)(plat->initrd_end - 1));
	if (plat->uart.size)
		log_raw("  uart     %#014llx pl011, intid %u\n",
			(unsigned long long)plat->uart.base, plat->uart_irq);
	if (plat->gicd.size)
		log_raw("  gicd     %#014llx\n", (unsigned long long)plat->gicd.base);
	for (unsigned int i = 0; i < plat->gicr_count; i++)
		log_raw("  gicr     %#014llx-%#014llx\n", (unsigned long long)plat->gicr[i].base,
			(unsigned long long)(plat->gicr[i].base + plat->gicr[i].size - 1));
	if (plat->virtio_mmio_count) {
		const struct platform_virtio_mmio *first = &plat->virtio_mmio[0];
		const struct platform_virtio_mmio *last =
			&plat->virtio_mmio[plat->virtio_mmio_count - 1];

		log_raw("  virtio   %#014llx-%#014llx %u virtio-mmio transports\n",
			(unsigned long long)first->base,
			(unsigned long long)(last->base + last->size - 1), plat->virtio_mmio_count);
	}
	log_raw("  timer    intids: el2-phys %u, el1-phys %u, el1-virt %u\n",
		plat->timer_hyp_phys_irq, plat->timer_phys_irq, plat->timer_virt_irq);
}

/*
 * rhenium.selftest=disk: a round trip through the physical disk on its last
 * SELFTEST_SECTORS sectors, which it overwrites. Each boot reads back what
 * the previous one wrote there (a run number and a pattern derived from it),
 * so two boots on the same image show that data reaches the image file.
 */
#define SELFTEST_SECTORS 8u
#define SELFTEST_BYTES (SELFTEST_SECTORS * DISK_SECTOR_SIZE)
#define SELFTEST_MAGIC "Rhenium disk selftest"

static void boot_disk_pattern(uint8_t *buf, uint64_t run)
{
	for (uint32_t i = 0; i < SELFTEST_BYTES; i++)
		buf[i] = (uint8_t)(i * 7u + run * 13u + (i >> 9));
	memcpy(buf, SELFTEST_MAGIC, sizeof(SELFTEST_MAGIC));
	memcpy(buf + 32, &run, sizeof(run));
}

/* The run number the buffer holds, 0 if it is not a selftest pattern at all. */
static uint64_t boot_disk_pattern_run(const uint8_t *buf, uint8_t *scratch, bool *intact)
{
	uint64_t run;

	*intact = false;
	if (memcmp(buf, SELFTEST_MAGIC, sizeof(SELFTEST_MAGIC)) != 0)
		return 0;
	memcpy(&run, buf + 32, sizeof(run));
	boot_disk_pattern(scratch, run);
	*intact = memcmp(buf, scratch, SELFTEST_BYTES) == 0;
	return run;
}

static const char *boot_disk_selftest_run(uint8_t *wr, uint8_t *rd, uint64_t *run, uint64_t *prev,
					  bool *prev_intact)
{
	uint64_t first = disk_sectors() - SELFTEST_SECTORS;
	/* Uneven pieces, one straddling a sector boundary, as a guest's buffers may be. */
	struct disk_seg wsegs[] = {
		{ mm_virt_to_phys(wr), 100 },
		{ mm_virt_to_phys(wr) + 100, 1000 },
		{ mm_virt_to_phys(wr) + 1100, SELFTEST_BYTES - 1100 },
	};
	struct disk_seg rseg = { mm_virt_to_phys(rd), SELFTEST_BYTES };
	struct disk_seg over = { mm_virt_to_phys(rd), 2 * DISK_SECTOR_SIZE };
	struct disk_req reqs[3];

	reqs[0] = (struct disk_req){
		.op = DISK_READ, .sector = first, .segs = &rseg, .nsegs = 1, .status = 0xff
	};
	disk_submit(reqs, 1);
	if (reqs[0].status != VIRTIO_BLK_S_OK)
		return "reading the old contents failed";
	*prev = boot_disk_pattern_run(rd, wr, prev_intact);
	if (*prev && !*prev_intact)
		return "the previous run's data did not read back intact";
	*run = *prev + 1;

	boot_disk_pattern(wr, *run);
	memset(rd, 0, SELFTEST_BYTES);
	reqs[0] = (struct disk_req){ .op = DISK_WRITE,
				     .sector = first,
				     .segs = wsegs,
				     .nsegs = ARRAY_SIZE(wsegs),
				     .status = 0xff };
	reqs[1] = (struct disk_req){
		.op = DISK_FLUSH, .sector = 0, .segs = NULL, .nsegs = 0, .status = 0xff
	};
	disk_submit(reqs, 2);
	if (reqs[0].status != VIRTIO_BLK_S_OK || reqs[1].status != VIRTIO_BLK_S_OK)
		return "writing and flushing failed";

	/* One good request between two that must never reach the device. */
	reqs[0] = (struct disk_req){ .op = DISK_READ,
				     .sector = disk_sectors() - 1,
				     .segs = &over,
				     .nsegs = 1,
				     .status = 0xff };
	reqs[1] = (struct disk_req){
		.op = DISK_READ, .sector = first, .segs = &rseg, .nsegs = 1, .status = 0xff
	};
	reqs[2] = (struct disk_req){
		.op = DISK_FLUSH, .sector = 0, .segs = &rseg, .nsegs = 1, .status = 0xff
	};
	disk_submit(reqs, 3);
	if (reqs[0].status != VIRTIO_BLK_S_IOERR || reqs[2].status != VIRTIO_BLK_S_IOERR)
		return "an invalid request was not refused";
	if (reqs[1].status != VIRTIO_BLK_S_OK)
		return "reading back failed";
	if (memcmp(wr, rd, SELFTEST_BYTES) != 0)
		return "the data read back differs from what was written";
	return NULL;
}

static void boot_disk_selftest(void)
{
	paddr_t pages;
	uint64_t run = 0, prev = 0;
	bool prev_intact = false;
	const char *why;

	if (disk_sectors() < SELFTEST_SECTORS) {
		LOG_ERROR("disk selftest: FAIL: %s", disk_present() ? "disk too small" : "no disk");
		return;
	}
	pages = mm_alloc_zeroed_pages(2, 0);
	if (!pages) {
		LOG_ERROR("disk selftest: FAIL: out of memory");
		return;
	}
	why = boot_disk_selftest_run(mm_phys_to_virt(pages), mm_phys_to_virt(pages + PAGE_SIZE),
				     &run, &prev, &prev_intact);
	mm_free_pages(pages, 2);
	if (why)
		LOG_ERROR("disk selftest: FAIL: %s", why);
	else if (prev)
		LOG_INFO("disk selftest: pass, run %llu, run %llu's data read back intact",
			 (unsigned long long)run, (unsigned long long)prev);
	else
		LOG_INFO("disk selftest: pass, run %llu, no earlier run's data found",
			 (unsigned long long)run);
}

/* Deliberate failures, so tests can see the reporting paths work. */
static void boot_selftest(const char *bootargs)
{
	if (bootargs_equals(bootargs, "selftest", "fault")) {
		LOG_INFO("selftest: reading an unmapped address");
		(void)*(volatile uint64_t *)(uintptr_t)0xdead0000000ULL;
	} else if (bootargs_equals(bootargs, "selftest", "panic")) {
		panic("selftest: panic requested on the command line");
	} else if (bootargs_equals(bootargs, "selftest", "assert")) {
		ASSERT(boot_cpu_count == 0);
	} else if (bootargs_equals(bootargs, "selftest", "disk")) {
		boot_disk_selftest();
	}
}

void core_boot(const struct boot_info *info)
{
	const struct platform_info *plat = info->platform;
	char err[160];
	char size[16];
	unsigned int online;
	struct mem_range excl[MM_MAX_EXTRA];
	int excl_count;

	boot_apply_log_level(plat->bootargs);
	log_raw("\nRhenium %s (%s), an ARM64 hypervisor\n", RHENIUM_VERSION, RHENIUM_GIT_REV);
	LOG_INFO("running at EL%u, boot CPU MPIDR 0x%llx, counter %llu Hz", arch_current_el(),
		 (unsigned long long)arch_cpu_mpidr(), (unsigned long long)arch_counter_freq());

	psci_init(plat->psci_conduit);
	if (psci_available()) {
		uint32_t v = psci_version();

		LOG_INFO("PSCI %u.%u via %s", v >> 16, v & 0xffff,
			 plat->psci_conduit == PSCI_CONDUIT_SMC ? "SMC" : "HVC");
	}

	excl_count = hyp_configure(info, excl, ARRAY_SIZE(excl));
	if (mm_init(info, excl, excl_count > 0 ? (unsigned int)excl_count : 0, err, sizeof(err)) !=
	    0)
		panic("page allocator: %s", err);
	if (arch_mmu_init(info) != 0)
		panic("cannot build the hypervisor's address space");
	log_enable_locking();
	mm_enable_locking();
	LOG_INFO("MMU on: EL2 stage-1 identity map, caches enabled");

	hyp_init_irqs(info);
	/* Before any VM exists: their disk regions are checked against its size. */
	disk_init(plat);
	boot_order_cpus(plat);
	boot_cpu_online[0] = 1;
	online = boot_start_secondaries();

	log_raw("Memory map:\n");
	boot_print_platform(info);
	log_raw("Hypervisor mappings:\n");
	arch_mmu_dump();
	log_raw("Page allocator:\n");
	mm_dump();
	fmt_size(size, sizeof(size), mm_free_page_count() * PAGE_SIZE);
	log_raw("Free pages: %zu of %zu (%s)\n", mm_free_page_count(), mm_total_page_count(), size);
	log_raw("CPUs online: %u of %u [", online, boot_cpu_count);
	for (unsigned int cpu = 0; cpu < boot_cpu_count; cpu++) {
		log_raw("%scpu%u=%s", cpu ? " " : "", cpu,
			__atomic_load_n(&boot_cpu_online[cpu], __ATOMIC_ACQUIRE) ? "on" : "OFF");
	}
	log_raw("]\n");
	log_raw("Rhenium ready\n");

	boot_selftest(plat->bootargs);
	if (bootargs_equals(plat->bootargs, "poweroff", "")) {
		LOG_INFO("rhenium.poweroff given: system off");
		psci_system_off();
	}
	hyp_run(info);
	arch_cpu_halt();
}

void core_secondary_boot(unsigned int cpu)
{
	LOG_INFO("cpu%u online, MPIDR 0x%llx", cpu, (unsigned long long)arch_cpu_mpidr());
	__atomic_store_n(&boot_cpu_online[cpu], 1, __ATOMIC_RELEASE);
	hyp_secondary_loop(cpu);
}
