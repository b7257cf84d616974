/* SPDX-License-Identifier: MIT */
/*
 * core/platform.c: what platform_discover() extracts from dtc-built fixtures
 * and from QEMU's own virt DTBs, and the messages it gives for broken trees.
 */
#include <rhenium/platform.h>
#include <rhenium/platform_discover.h>

#include "fdt_test_util.h"
#include "test.h"

static uint8_t blob_buf[32768];

static int discover_fixture(const char *name, struct platform_info *info, char *err, size_t err_len)
{
	size_t len;
	uint8_t *blob = load_fixture(name, &len);
	int rc;

	if (!blob)
		return 1; /* neither success nor any platform error */
	rc = platform_discover(blob, len, info, err, err_len);
	free(blob);
	return rc;
}

static bool range_is(const struct mem_range *r, uint64_t base, uint64_t size)
{
	if (r->base == base && r->size == size)
		return true;
	fprintf(stderr, "  range 0x%llx+0x%llx, expected 0x%llx+0x%llx\n",
		(unsigned long long)r->base, (unsigned long long)r->size, (unsigned long long)base,
		(unsigned long long)size);
	return false;
}

TEST(platform_virt_typical)
{
	struct platform_info info;
	char err[256];
	int rc = discover_fixture("virt-typical.dtb", &info, err, sizeof(err));

	if (rc)
		fprintf(stderr, "  %s\n", err);
	REQUIRE(rc == PLATFORM_OK);
	CHECK(err[0] == '\0');

	CHECK_EQ(info.mem_count, 2);
	CHECK(range_is(&info.mem[0], 0x40000000, 0x40000000));
	CHECK(range_is(&info.mem[1], 0x100000000, 0x80000000));

	/* /memreserve/ first, then /reserved-memory (1/1 cells); no-reg and disabled skipped. */
	CHECK_EQ(info.reserved_count, 2);
	CHECK(range_is(&info.reserved[0], 0x48000000, 0x800000));
	CHECK(range_is(&info.reserved[1], 0x5e000000, 0x2000000));

	CHECK_EQ(info.cpu_count, 4);
	CHECK_EQ(info.cpu_mpidr[0], 0x0);
	CHECK_EQ(info.cpu_mpidr[1], 0x1);
	CHECK_EQ(info.cpu_mpidr[2], 0x100);
	CHECK_EQ(info.cpu_mpidr[3], 0x101);

	CHECK_EQ(info.psci_conduit, PSCI_CONDUIT_SMC);
	CHECK(info.psci_0_2);

	/* stdout-path "serial1:115200n8" -> /soc@9100000/serial@40000, behind ranges. */
	CHECK(range_is(&info.uart, 0x09140000, 0x1000));
	CHECK_EQ(info.uart_irq, 32 + 5);

	CHECK(range_is(&info.gicd, 0x08000000, 0x10000));
	CHECK_EQ(info.gicr_count, 2);
	CHECK(range_is(&info.gicr[0], 0x080a0000, 0x80000));
	CHECK(range_is(&info.gicr[1], 0x08200000, 0x80000));
	CHECK_EQ(info.gicr_stride, 0x40000);

	CHECK_EQ(info.timer_sec_phys_irq, 29);
	CHECK_EQ(info.timer_phys_irq, 30);
	CHECK_EQ(info.timer_virt_irq, 27);
	CHECK_EQ(info.timer_hyp_phys_irq, 26);
	CHECK_EQ(info.timer_hyp_virt_irq, 28);

	CHECK(strcmp(info.bootargs, "console=ttyAMA1 earlycon root=/dev/vda rw") == 0);
	CHECK(strcmp(info.stdout_path, "serial1:115200n8") == 0);
	CHECK_EQ(info.initrd_start, 0x48000000);
	CHECK_EQ(info.initrd_end, 0x48800000);
}

TEST(platform_address_cells_1)
{
	struct platform_info info;
	char err[256];
	int rc = discover_fixture("addr-cells-1.dtb", &info, err, sizeof(err));

	if (rc)
		fprintf(stderr, "  %s\n", err);
	REQUIRE(rc == PLATFORM_OK);
	CHECK_EQ(info.mem_count, 2);
	CHECK(range_is(&info.mem[0], 0x80000000, 0x20000000));
	CHECK(range_is(&info.mem[1], 0xa0000000, 0x20000000));
	CHECK_EQ(info.reserved_count, 0);

	/* Two-cell reg carries Aff3; "disabled" cpus count, "fail" ones do not. */
	CHECK_EQ(info.cpu_count, 3);
	CHECK_EQ(info.cpu_mpidr[0], 0x0);
	CHECK_EQ(info.cpu_mpidr[1], 0x100000000);
	CHECK_EQ(info.cpu_mpidr[2], 0x2);

	CHECK_EQ(info.psci_conduit, PSCI_CONDUIT_HVC);
	CHECK(!info.psci_0_2);

	/* stdout-path names the second PL011 in document order. */
	CHECK(range_is(&info.uart, 0x1c090000, 0x1000));
	CHECK_EQ(info.uart_irq, 37);

	CHECK(range_is(&info.gicd, 0x2f000000, 0x10000));
	CHECK_EQ(info.gicr_count, 1);
	CHECK(range_is(&info.gicr[0], 0x2f100000, 0x200000));
	CHECK_EQ(info.gicr_stride, 0);

	CHECK_EQ(info.timer_virt_irq, 27);
	CHECK_EQ(info.timer_hyp_phys_irq, 26);
	CHECK_EQ(info.timer_hyp_virt_irq, 0);

	CHECK(info.bootargs[0] == '\0');
	CHECK(strcmp(info.stdout_path, "/uart@1c090000:115200") == 0);
	CHECK_EQ(info.initrd_start, 0x84000000);
	CHECK_EQ(info.initrd_end, 0x84100000);
}

TEST(platform_minimal_leaves_optional_devices_zero)
{
	struct platform_info info;
	char err[256];

	REQUIRE(discover_fixture("minimal.dtb", &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK_EQ(info.mem_count, 1);
	CHECK_EQ(info.cpu_count, 1);
	CHECK_EQ(info.reserved_count, 0);
	CHECK_EQ(info.psci_conduit, PSCI_CONDUIT_NONE);
	CHECK(!info.psci_0_2);
	CHECK_EQ(info.uart.size, 0);
	CHECK_EQ(info.uart_irq, 0);
	CHECK_EQ(info.gicd.size, 0);
	CHECK_EQ(info.gicr_count, 0);
	CHECK_EQ(info.timer_virt_irq, 0);
	CHECK_EQ(info.virtio_mmio_count, 0);
	CHECK(info.bootargs[0] == '\0' && info.stdout_path[0] == '\0');
	CHECK_EQ(info.initrd_start, 0);
	CHECK_EQ(info.initrd_end, 0);
}

static bool transport_is(const struct platform_virtio_mmio *t, uint64_t base, uint64_t size,
			 uint32_t irq)
{
	if (t->base == base && t->size == size && t->irq == irq)
		return true;
	fprintf(stderr, "  transport 0x%llx+0x%llx intid %u, expected 0x%llx+0x%llx intid %u\n",
		(unsigned long long)t->base, (unsigned long long)t->size, t->irq,
		(unsigned long long)base, (unsigned long long)size, irq);
	return false;
}

TEST(platform_virtio_mmio_transports)
{
	struct platform_info info;
	char err[256];
	int rc = discover_fixture("virtio-mmio.dtb", &info, err, sizeof(err));

	if (rc)
		fprintf(stderr, "  %s\n", err);
	REQUIRE(rc == PLATFORM_OK);
	/* Document order; the disabled one is skipped, the one behind soc@ translated. */
	CHECK_EQ(info.virtio_mmio_count, 4);
	CHECK(transport_is(&info.virtio_mmio[0], 0x0a000000, 0x200, 32 + 16));
	CHECK(transport_is(&info.virtio_mmio[1], 0x0c001000, 0x1000, 32 + 20));
	/* No interrupts, or a controller that is not a GIC: the INTID is unknown. */
	CHECK(transport_is(&info.virtio_mmio[2], 0x0a000400, 0x100, 0));
	CHECK(transport_is(&info.virtio_mmio[3], 0x0a000600, 0x200, 0));
}

TEST(platform_uart_behind_non_gic_has_no_intid)
{
	struct platform_info info;
	char err[256];

	REQUIRE(discover_fixture("uart-non-gic.dtb", &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK(range_is(&info.uart, 0x09000000, 0x1000));
	CHECK_EQ(info.uart_irq, 0);
}

/* --- QEMU's own trees --------------------------------------------------------- */

static void check_qemu_virt(const char *name, unsigned int ncpus, bool psci)
{
	struct platform_info info;
	char err[256];
	int rc = discover_fixture(name, &info, err, sizeof(err));

	if (rc)
		fprintf(stderr, "  %s: %s\n", name, rc == 1 ? "missing" : err);
	REQUIRE(rc == PLATFORM_OK);
	/* secure=on adds a disabled secram@e000000 memory node: it must not count. */
	CHECK_EQ(info.mem_count, 1);
	CHECK(range_is(&info.mem[0], 0x40000000, GiB(1)));
	CHECK_EQ(info.cpu_count, ncpus);
	for (unsigned int i = 0; i < ncpus && i < PLATFORM_MAX_CPUS; i++)
		CHECK_EQ(info.cpu_mpidr[i], i);
	CHECK_EQ(info.psci_conduit, psci ? PSCI_CONDUIT_SMC : PSCI_CONDUIT_NONE);
	CHECK_EQ(info.psci_0_2, psci);
	/* The secure-only PL011 at 0x09040000 is disabled for us. */
	CHECK_EQ(info.uart.base, 0x09000000);
	CHECK_EQ(info.uart.size, 0x1000);
	CHECK_EQ(info.uart_irq, 33);
	CHECK_EQ(info.gicd.base, 0x08000000);
	CHECK_EQ(info.gicd.size, 0x10000);
	CHECK_EQ(info.gicr_count, 1);
	CHECK_EQ(info.gicr[0].base, 0x080a0000);
	CHECK_EQ(info.timer_sec_phys_irq, 29);
	CHECK_EQ(info.timer_phys_irq, 30);
	CHECK_EQ(info.timer_virt_irq, 27);
	CHECK_EQ(info.timer_hyp_phys_irq, 26);
	CHECK_EQ(info.timer_hyp_virt_irq, 28);
	CHECK(strcmp(info.stdout_path, "/pl011@9000000") == 0);
	CHECK_EQ(info.initrd_end, 0);
	/* 32 transports from 0x0a000000, 0x200 apart, on SPIs 16.. (INTID 48..). */
	CHECK_EQ(info.virtio_mmio_count, 32);
	for (unsigned int i = 0; i < info.virtio_mmio_count; i++)
		CHECK(transport_is(&info.virtio_mmio[i], 0x0a000000 + i * 0x200, 0x200, 48 + i));
}

TEST(platform_qemu_virt_smp1)
{
	check_qemu_virt("qemu-virt-smp1.dtb", 1, true);
}

TEST(platform_qemu_virt_smp4)
{
	check_qemu_virt("qemu-virt-smp4.dtb", 4, true);
}

/* The smp count the build dumped the secure tree with is not ours to know. */
static unsigned int count_cpu_nodes(const struct fdt *fdt)
{
	unsigned int n = 0;
	const char *type;

	for (int cpu = fdt_first_subnode(fdt, fdt_find_path(fdt, "/cpus")); cpu >= 0;
	     cpu = fdt_next_subnode(fdt, cpu)) {
		if (fdt_get_string(fdt, cpu, "device_type", &type) == FDT_OK &&
		    strcmp(type, "cpu") == 0)
			n++;
	}
	return n;
}

TEST(platform_qemu_virt_secure)
{
	/* With secure=on QEMU leaves PSCI to the secure firmware: no /psci node. */
	struct platform_info info;
	size_t len;
	uint8_t *blob = load_fixture("qemu-virt-secure.dtb", &len);
	struct fdt fdt;

	REQUIRE(blob);
	REQUIRE(fdt_init(&fdt, blob, len) == FDT_OK);
	check_qemu_virt("qemu-virt-secure.dtb", count_cpu_nodes(&fdt),
			fdt_find_path(&fdt, "/psci") >= 0);
	CHECK(platform_discover(blob, len, &info, NULL, 0) == PLATFORM_OK);
	free(blob);
}

/* --- Broken trees ---------------------------------------------------------------- */

TEST(platform_rejects_inconsistent_trees)
{
	static const struct {
		const char *fixture;
		int rc;
		const char *msg; /* prefix of the message */
	} cases[] = {
		{ "bad-reg-length.dtb", PLATFORM_ERR_INVALID,
		  "/memory@40000000: reg: length 12 not a multiple of 16" },
		{ "bad-too-many-banks.dtb", PLATFORM_ERR_LIMIT,
		  "/memory@40000000: reg: more than 16 memory banks" },
		{ "bad-address-cells.dtb", PLATFORM_ERR_INVALID,
		  "/memory@40000000: reg: parent #address-cells = 3, "
		  "#size-cells = 2 not supported (max 2)" },
		{ "bad-reserved-cells.dtb", PLATFORM_ERR_INVALID,
		  "/reserved-memory/blob@50000000: reg: parent #address-cells = 2, "
		  "#size-cells = 3 not supported (max 2)" },
		{ "bad-mem-overlap.dtb", PLATFORM_ERR_INVALID,
		  "/memory@48000000: reg: bank at 0x48000000 overlaps the bank at 0x40000000" },
		{ "bad-reg-wrap.dtb", PLATFORM_ERR_INVALID,
		  "/memory@40000000: reg: entry 0 wraps around the address space" },
		{ "bad-no-memory.dtb", PLATFORM_ERR_MISSING, "/: no memory node" },
		{ "bad-no-cpus.dtb", PLATFORM_ERR_MISSING, "/cpus: no cpu nodes" },
		{ "bad-cpu-duplicate.dtb", PLATFORM_ERR_INVALID,
		  "/cpus/cpu@1: reg: MPIDR 0x0 already used by another cpu node" },
		{ "bad-cpu-mpidr.dtb", PLATFORM_ERR_INVALID,
		  "/cpus/cpu@0: reg: 0x1000000 has bits set outside the MPIDR affinity fields" },
		{ "bad-cpus-size-cells.dtb", PLATFORM_ERR_INVALID,
		  "/cpus/cpu@0: reg: /cpus has #address-cells = 1, #size-cells = 1" },
		{ "bad-psci-method.dtb", PLATFORM_ERR_INVALID,
		  "/psci: method: must be \"smc\" or \"hvc\"" },
		{ "bad-initrd-half.dtb", PLATFORM_ERR_INVALID,
		  "/chosen: linux,initrd-end: missing" },
		{ "bad-initrd-order.dtb", PLATFORM_ERR_INVALID,
		  "/chosen: linux,initrd-end: 0x47000000 is below linux,initrd-start 0x48000000" },
		{ "bad-initrd-size.dtb", PLATFORM_ERR_INVALID,
		  "/chosen: linux,initrd-start: must be 1 or 2 cells" },
		{ "bad-bootargs-long.dtb", PLATFORM_ERR_LIMIT,
		  "/chosen: bootargs: 600 bytes long, limit is 511" },
		{ "bad-gic-regions.dtb", PLATFORM_ERR_INVALID,
		  "/interrupt-controller@8000000: reg: 2 entries, need 3" },
		{ "bad-gic-stride.dtb", PLATFORM_ERR_INVALID,
		  "/interrupt-controller@8000000: redistributor-stride: 0x1000 is not" },
		{ "bad-timer-count.dtb", PLATFORM_ERR_INVALID,
		  "/timer: interrupts: 3 entries, expected 4 or 5" },
		{ "bad-timer-spi.dtb", PLATFORM_ERR_INVALID,
		  "/timer: interrupts: entry 2 (INTID 43) is not a PPI" },
		{ "bad-irq-length.dtb", PLATFORM_ERR_INVALID,
		  "/pl011@9000000: interrupts: length 8 not a multiple of 12" },
		{ "bad-irq-parent.dtb", PLATFORM_ERR_INVALID,
		  "/pl011@9000000: interrupt-parent: bad property value" },
		{ "bad-ranges-missing.dtb", PLATFORM_ERR_INVALID,
		  "/bus/serial@1000: reg: an ancestor bus has no ranges" },
		{ "bad-ranges-outside.dtb", PLATFORM_ERR_INVALID,
		  "/bus/serial@f800: reg: region at 0xf800 (size 0x1000) not covered" },
		{ "bad-virtio-no-reg.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000000: reg: missing" },
		{ "bad-virtio-reg-length.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000000: reg: length 12 not a multiple of 16" },
		{ "bad-virtio-small.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000000: reg: size 0x80 is smaller than the 0x100-byte register "
		  "block" },
		{ "bad-virtio-misaligned.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000002: reg: 0xa000002 is not 4-byte aligned" },
		{ "bad-virtio-overlap.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000100: reg: 0xa000100 overlaps the virtio-mmio transport at "
		  "0xa000000" },
		{ "bad-virtio-irq.dtb", PLATFORM_ERR_INVALID,
		  "/virtio_mmio@a000000: interrupts: entry 0 has unknown type 5" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct platform_info info;
		char err[256] = "unset";
		int rc = discover_fixture(cases[i].fixture, &info, err, sizeof(err));

		if (rc != cases[i].rc || strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0) {
			fprintf(stderr, "  %s: rc %d, \"%s\"\n  expected rc %d, \"%s...\"\n",
				cases[i].fixture, rc, err, cases[i].rc, cases[i].msg);
			test_fail(__FILE__, __LINE__, cases[i].fixture);
		}
	}
}

TEST(platform_error_buffer_handling)
{
	struct platform_info info;
	char small[8];
	char err[64];
	static const uint8_t junk[64] = { 0xd0, 0x0d, 0xfe, 0xed };

	/* Truncated, but terminated. */
	memset(small, 'x', sizeof(small));
	CHECK(discover_fixture("bad-reg-length.dtb", &info, small, sizeof(small)) ==
	      PLATFORM_ERR_INVALID);
	CHECK(strcmp(small, "/memory") == 0);
	/* No buffer at all. */
	CHECK(discover_fixture("bad-reg-length.dtb", &info, NULL, 100) == PLATFORM_ERR_INVALID);
	CHECK(discover_fixture("bad-reg-length.dtb", &info, small, 0) == PLATFORM_ERR_INVALID);
	CHECK(platform_discover(NULL, 0, &info, err, sizeof(err)) == PLATFORM_ERR_FDT);
	CHECK(strcmp(err, "device tree: truncated blob") == 0);
	CHECK(platform_discover(junk, sizeof(junk), &info, err, sizeof(err)) == PLATFORM_ERR_FDT);
	CHECK(strncmp(err, "device tree: ", 13) == 0);
}

/* --- Hand-built trees for what dtc will not write ----------------------------- */

static int discover_built(struct dtb_builder *b, struct platform_info *info, char *err,
			  size_t err_len)
{
	size_t total = db_finish(b, blob_buf, sizeof(blob_buf));

	return platform_discover(blob_buf, total, info, err, err_len);
}

static void add_chosen(struct dtb_builder *b, const char *bootargs, const char *stdout_path)
{
	db_begin(b, "chosen");
	if (bootargs)
		db_prop_str(b, "bootargs", bootargs);
	if (stdout_path)
		db_prop_str(b, "stdout-path", stdout_path);
	db_end(b);
}

static void add_pl011(struct dtb_builder *b, const char *name, uint32_t base)
{
	const uint32_t reg[] = { 0, base, 0, 0x1000 };

	db_begin(b, name);
	db_prop(b, "compatible", "arm,pl011\0arm,primecell", 24);
	db_prop_cells(b, "reg", reg, 4);
	db_end(b);
}

TEST(platform_bootargs_limit_is_exact)
{
	struct dtb_builder b;
	struct platform_info info;
	char err[128];
	char args[PLATFORM_BOOTARGS_MAX + 1];

	memset(args, 'a', sizeof(args));
	args[PLATFORM_BOOTARGS_MAX - 1] = '\0';
	db_init(&b);
	db_minimal_platform_begin(&b);
	add_chosen(&b, args, NULL);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK_EQ(strlen(info.bootargs), PLATFORM_BOOTARGS_MAX - 1);

	args[PLATFORM_BOOTARGS_MAX - 1] = 'a';
	args[PLATFORM_BOOTARGS_MAX] = '\0';
	db_init(&b);
	db_minimal_platform_begin(&b);
	add_chosen(&b, args, NULL);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_ERR_LIMIT);
}

TEST(platform_stdout_path_fallbacks)
{
	static const char *const paths[] = {
		"/nonexistent", "nosuchalias:115200", ":", "serial0", "/cpus",
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct dtb_builder b;
		struct platform_info info;
		char err[128];

		/* Whatever stdout-path says, the first PL011 is the fallback. */
		db_init(&b);
		db_minimal_platform_begin(&b);
		add_chosen(&b, NULL, paths[i]);
		add_pl011(&b, "pl011@9000000", 0x09000000);
		add_pl011(&b, "pl011@9001000", 0x09001000);
		db_end(&b);
		db_fdt_end(&b);
		CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_OK);
		CHECK_EQ(info.uart.base, 0x09000000);
		CHECK_EQ(info.uart_irq, 0);
		CHECK(strcmp(info.stdout_path, paths[i]) == 0);
	}
}

TEST(platform_bad_chosen_strings)
{
	struct dtb_builder b;
	struct platform_info info;
	char err[128];

	db_init(&b);
	db_minimal_platform_begin(&b);
	db_begin(&b, "chosen");
	db_prop(&b, "bootargs", "abc", 3);
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_ERR_INVALID);
	CHECK(strcmp(err, "/chosen: bootargs: not a single NUL-terminated string") == 0);
}

TEST(platform_memreserve_and_empty_banks)
{
	static const uint32_t two_banks[] = { 0, 0x80000000, 0, 0, 0, 0x90000000, 0, 0x1000 };
	struct dtb_builder b;
	struct platform_info info;
	char err[128];

	db_init(&b);
	db_memrsv(&b, 0x40000000, 0x1000);
	db_memrsv(&b, 0x50000000, 0); /* empty: nothing to reserve */
	db_memrsv(&b, 0x60000000, 0x2000);
	db_minimal_platform_begin(&b);
	db_begin(&b, "memory@80000000");
	db_prop_str(&b, "device_type", "memory");
	db_prop_cells(&b, "reg", two_banks, 8);
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	REQUIRE(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK_EQ(info.reserved_count, 2);
	CHECK(range_is(&info.reserved[0], 0x40000000, 0x1000));
	CHECK(range_is(&info.reserved[1], 0x60000000, 0x2000));
	/* The zero-sized bank is dropped. */
	CHECK_EQ(info.mem_count, 2);
	CHECK(range_is(&info.mem[1], 0x90000000, 0x1000));

	db_init(&b);
	db_memrsv(&b, 0xfffffffffffff000, 0x2000);
	db_minimal_platform_begin(&b);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_ERR_INVALID);
	CHECK(strcmp(err, "/memreserve/: entry 0 wraps around the address space") == 0);
}

TEST(platform_too_many_cpus)
{
	struct dtb_builder b;
	struct platform_info info;
	char err[128];

	db_init(&b);
	db_begin(&b, "");
	db_begin(&b, "memory@0");
	db_prop_str(&b, "device_type", "memory");
	db_prop_cells(&b, "reg", (const uint32_t[]){ 0, 0, 0x1000 }, 3);
	db_end(&b);
	db_begin(&b, "cpus");
	db_prop_u32(&b, "#address-cells", 1);
	db_prop_u32(&b, "#size-cells", 0);
	for (uint32_t i = 0; i <= PLATFORM_MAX_CPUS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%x", i);
		db_begin(&b, name);
		db_prop_str(&b, "device_type", "cpu");
		db_prop_u32(&b, "reg", i);
		db_end(&b);
	}
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_ERR_LIMIT);
	CHECK(strcmp(err, "/cpus/cpu@40: reg: more than 64 cpus") == 0);
}

static void add_gic(struct dtb_builder *b, uint32_t nr_redist)
{
	const uint32_t reg[] = { 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0xf60000 };

	db_begin(b, "interrupt-controller@8000000");
	db_prop_str(b, "compatible", "arm,gic-v3");
	db_prop_u32(b, "#interrupt-cells", 3);
	db_prop(b, "interrupt-controller", NULL, 0);
	db_prop_u32(b, "phandle", 1);
	if (nr_redist != 1)
		db_prop_u32(b, "#redistributor-regions", nr_redist);
	db_prop_cells(b, "reg", reg, 8);
	db_end(b);
}

/* A PL011 wired to the GIC built by add_gic() with one interrupt specifier. */
static int discover_uart_irq(uint32_t type, uint32_t num, uint32_t *intid, char *err,
			     size_t err_len)
{
	const uint32_t reg[] = { 0, 0x09000000, 0, 0x1000 };
	const uint32_t irq[] = { type, num, 4 };
	struct dtb_builder b;
	struct platform_info info;
	int rc;

	db_init(&b);
	db_minimal_platform_begin(&b);
	add_gic(&b, 1);
	db_begin(&b, "pl011@9000000");
	db_prop_str(&b, "compatible", "arm,pl011");
	db_prop_cells(&b, "reg", reg, 4);
	db_prop_u32(&b, "interrupt-parent", 1);
	db_prop_cells(&b, "interrupts", irq, 3);
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	rc = discover_built(&b, &info, err, err_len);
	*intid = info.uart_irq;
	return rc;
}

TEST(platform_gic_interrupt_types)
{
	static const struct {
		uint32_t type, num;
		int rc;
		uint32_t intid;
	} cases[] = {
		{ 0, 0, PLATFORM_OK, 32 },	     { 0, 987, PLATFORM_OK, 1019 },
		{ 0, 988, PLATFORM_ERR_INVALID, 0 }, { 1, 15, PLATFORM_OK, 31 },
		{ 1, 16, PLATFORM_ERR_INVALID, 0 },  { 2, 0, PLATFORM_OK, 4096 },
		{ 2, 1023, PLATFORM_OK, 5119 },	     { 2, 1024, PLATFORM_ERR_INVALID, 0 },
		{ 3, 63, PLATFORM_OK, 1119 },	     { 3, 64, PLATFORM_ERR_INVALID, 0 },
		{ 4, 0, PLATFORM_ERR_INVALID, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t intid = 0;
		char err[128] = "";
		int rc = discover_uart_irq(cases[i].type, cases[i].num, &intid, err, sizeof(err));

		CHECK_EQ(rc, cases[i].rc);
		if (rc == PLATFORM_OK)
			CHECK_EQ(intid, cases[i].intid);
		else
			CHECK(strncmp(err, "/pl011@9000000: interrupts: entry 0", 35) == 0);
	}
}

TEST(platform_gic_redistributor_region_limits)
{
	static const struct {
		uint32_t nr;
		int rc;
		const char *msg;
	} cases[] = {
		{ 0, PLATFORM_ERR_INVALID,
		  "/interrupt-controller@8000000: #redistributor-regions: is 0" },
		{ PLATFORM_MAX_GICR_REGIONS + 1, PLATFORM_ERR_LIMIT,
		  "/interrupt-controller@8000000: #redistributor-regions: 9 regions, at most 8" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct dtb_builder b;
		struct platform_info info;
		char err[128] = "";

		db_init(&b);
		db_minimal_platform_begin(&b);
		add_gic(&b, cases[i].nr);
		db_end(&b);
		db_fdt_end(&b);
		CHECK_EQ(discover_built(&b, &info, err, sizeof(err)), cases[i].rc);
		CHECK(strncmp(err, cases[i].msg, strlen(cases[i].msg)) == 0);
	}
}

TEST(platform_too_many_reserved_regions)
{
	struct dtb_builder b;
	struct platform_info info;
	char err[128];

	db_init(&b);
	for (uint64_t i = 0; i <= PLATFORM_MAX_RESERVED; i++)
		db_memrsv(&b, 0x40000000 + i * 0x10000, 0x1000);
	db_minimal_platform_begin(&b);
	db_end(&b);
	db_fdt_end(&b);
	CHECK_EQ(discover_built(&b, &info, err, sizeof(err)), PLATFORM_ERR_LIMIT);
	CHECK(strcmp(err, "/memreserve/: more than 32 reserved regions") == 0);
}

TEST(platform_ranges_translation_errors)
{
	static const uint32_t three_cell_ranges[] = { 0, 0, 0, 0x09000000, 0x10000 };
	static const uint32_t short_ranges[] = { 0, 0, 0x09000000 };
	static const struct {
		const uint32_t *ranges;
		unsigned int ncells;
		uint32_t bus_addr_cells;
		const char *msg;
	} cases[] = {
		{ three_cell_ranges, 5, 3, "/bus/serial@0: reg: parent #address-cells = 3" },
		{ short_ranges, 3, 1, "/bus/serial@0: reg: an ancestor's ranges length 12" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const uint32_t reg[] = { 0, 0, 0, 0x1000 };
		struct dtb_builder b;
		struct platform_info info;
		char err[128] = "";

		db_init(&b);
		db_minimal_platform_begin(&b);
		db_begin(&b, "bus");
		db_prop_u32(&b, "#address-cells", cases[i].bus_addr_cells);
		db_prop_u32(&b, "#size-cells", 1);
		db_prop_cells(&b, "ranges", cases[i].ranges, cases[i].ncells);
		db_begin(&b, "serial@0");
		db_prop_str(&b, "compatible", "arm,pl011");
		db_prop_cells(&b, "reg", reg + 4 - cases[i].bus_addr_cells - 1,
			      cases[i].bus_addr_cells + 1);
		db_end(&b);
		db_end(&b);
		db_end(&b);
		db_fdt_end(&b);
		CHECK_EQ(discover_built(&b, &info, err, sizeof(err)), PLATFORM_ERR_INVALID);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0) {
			fprintf(stderr, "  got \"%s\"\n", err);
			test_fail(__FILE__, __LINE__, cases[i].msg);
		}
	}
}

static void add_virtio_mmio(struct dtb_builder *b, uint64_t base)
{
	const uint32_t reg[] = { (uint32_t)(base >> 32), (uint32_t)base, 0, 0x200 };
	char name[32];

	snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
	db_begin(b, name);
	db_prop_str(b, "compatible", "virtio,mmio");
	db_prop_cells(b, "reg", reg, 4);
	db_end(b);
}

TEST(platform_too_many_virtio_mmio_transports)
{
	struct dtb_builder b;
	struct platform_info info;
	char err[128];

	db_init(&b);
	db_minimal_platform_begin(&b);
	for (uint64_t i = 0; i < PLATFORM_MAX_VIRTIO_MMIO; i++)
		add_virtio_mmio(&b, 0x0a000000 + i * 0x200);
	db_end(&b);
	db_fdt_end(&b);
	REQUIRE(discover_built(&b, &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK_EQ(info.virtio_mmio_count, PLATFORM_MAX_VIRTIO_MMIO);
	CHECK_EQ(info.virtio_mmio[PLATFORM_MAX_VIRTIO_MMIO - 1].base, 0x0a003e00);

	db_init(&b);
	db_minimal_platform_begin(&b);
	for (uint64_t i = 0; i <= PLATFORM_MAX_VIRTIO_MMIO; i++)
		add_virtio_mmio(&b, 0x0a000000 + i * 0x200);
	db_end(&b);
	db_fdt_end(&b);
	CHECK_EQ(discover_built(&b, &info, err, sizeof(err)), PLATFORM_ERR_LIMIT);
	CHECK(strcmp(err, "/virtio_mmio@a004000: more than 32 virtio-mmio transports") == 0);
}
