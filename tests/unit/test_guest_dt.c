/* SPDX-License-Identifier: MIT */
/*
 * core/guest_dt.c: the guest device tree reads back through lib/fdt.c, dtc
 * and our own platform_discover() with the values it was built from, agrees
 * with QEMU virt's own tree where it should, and bad configurations are
 * refused with a message.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <rhenium/fdt.h>
#include <rhenium/guest_dt.h>
#include <rhenium/platform_discover.h>

#include "dtc_util.h"
#include "fdt_test_util.h"
#include "test.h"

static uint8_t dt_buf[GUEST_DT_MAX_SIZE];

static const struct guest_dt_device one_virtio[] = {
	{ "virtio_mmio", "virtio,mmio", GUEST_VIRT_VIRTIO_BASE, GUEST_VIRT_VIRTIO_SIZE,
	  GUEST_VIRT_VIRTIO_SPI, GUEST_DT_EDGE_RISING },
};

static struct guest_dt_config typical(void)
{
	struct guest_dt_config cfg = {
		.ram_base = GUEST_VIRT_RAM_BASE,
		.ram_size = GiB(1),
		.vcpu_count = 4,
		.gicd_base = GUEST_VIRT_GICD_BASE,
		.gicr_base = GUEST_VIRT_GICR_BASE,
		.uart_base = GUEST_VIRT_UART_BASE,
		.uart_spi = GUEST_VIRT_UART_SPI,
		.psci_conduit = PSCI_CONDUIT_HVC,
		.bootargs = "console=ttyAMA0 earlycon rdinit=/bin/sh",
		.initrd_start = 0x7e000000,
		.initrd_end = 0x7e345678,
		.devices = one_virtio,
		.device_count = ARRAY_SIZE(one_virtio),
	};
	return cfg;
}

static int build(const struct guest_dt_config *cfg, size_t *size, char *err, size_t err_len)
{
	return guest_dt_build(cfg, dt_buf, sizeof(dt_buf), size, err, err_len);
}

static bool range_eq(const struct mem_range *r, uint64_t base, uint64_t size)
{
	if (r->base == base && r->size == size)
		return true;
	fprintf(stderr, "  range 0x%llx+0x%llx, expected 0x%llx+0x%llx\n",
		(unsigned long long)r->base, (unsigned long long)r->size, (unsigned long long)base,
		(unsigned long long)size);
	return false;
}

static bool cells_are(const struct fdt *fdt, const char *path, const char *name,
		      const uint32_t *want, uint32_t count)
{
	struct fdt_prop prop;
	int node = fdt_find_path(fdt, path);

	if (node < 0 || fdt_get_prop(fdt, node, name, &prop) != FDT_OK || prop.len != count * 4) {
		fprintf(stderr, "  %s: %s missing or wrong length\n", path, name);
		return false;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (fdt_be32(prop.data + 4 * i) != want[i]) {
			fprintf(stderr, "  %s: %s cell %u is 0x%x, expected 0x%x\n", path, name, i,
				fdt_be32(prop.data + 4 * i), want[i]);
			return false;
		}
	}
	return true;
}

static bool string_is(const struct fdt *fdt, const char *path, const char *name, const char *want)
{
	const char *s;
	int node = fdt_find_path(fdt, path);

	if (node >= 0 && fdt_get_string(fdt, node, name, &s) == FDT_OK && strcmp(s, want) == 0)
		return true;
	fprintf(stderr, "  %s: %s is not \"%s\"\n", path, name, want);
	return false;
}

static bool has_empty(const struct fdt *fdt, const char *path, const char *name)
{
	struct fdt_prop prop;
	int node = fdt_find_path(fdt, path);

	return node >= 0 && fdt_get_prop(fdt, node, name, &prop) == FDT_OK && prop.len == 0;
}

TEST(guest_dt_typical_discovers_back)
{
	struct guest_dt_config cfg = typical();
	struct platform_info info;
	char err[256];
	size_t size = 0;

	REQUIRE(build(&cfg, &size, err, sizeof(err)) == GUEST_DT_OK);
	CHECK(err[0] == '\0');
	REQUIRE(size > 0 && size <= sizeof(dt_buf));
	REQUIRE(platform_discover(dt_buf, size, &info, err, sizeof(err)) == PLATFORM_OK);

	CHECK_EQ(info.mem_count, 1);
	CHECK(range_eq(&info.mem[0], 0x40000000, GiB(1)));
	CHECK_EQ(info.reserved_count, 0);
	CHECK_EQ(info.cpu_count, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(info.cpu_mpidr[i], i);
	CHECK_EQ(info.psci_conduit, PSCI_CONDUIT_HVC);
	CHECK(info.psci_0_2);
	CHECK(range_eq(&info.uart, 0x09000000, 0x1000));
	CHECK_EQ(info.uart_irq, 33);
	CHECK(range_eq(&info.gicd, 0x08000000, 0x10000));
	CHECK_EQ(info.gicr_count, 1);
	CHECK(range_eq(&info.gicr[0], 0x080a0000, 4 * 0x20000));
	CHECK_EQ(info.gicr_stride, 0);
	CHECK_EQ(info.timer_sec_phys_irq, 29);
	CHECK_EQ(info.timer_phys_irq, 30);
	CHECK_EQ(info.timer_virt_irq, 27);
	CHECK_EQ(info.timer_hyp_phys_irq, 26);
	CHECK_EQ(info.timer_hyp_virt_irq, 0);
	CHECK(strcmp(info.bootargs, cfg.bootargs) == 0);
	CHECK(strcmp(info.stdout_path, "/pl011@9000000") == 0);
	CHECK_EQ(info.initrd_start, 0x7e000000);
	CHECK_EQ(info.initrd_end, 0x7e345678);

	CHECK(dtc_check_blob("guest-typical.dtb", dt_buf, size));
}

TEST(guest_dt_typical_node_contents)
{
	static const uint32_t maint[] = { 1, 9, 4 };
	static const uint32_t uart_irq[] = { 0, 1, 4 };
	static const uint32_t clocks[] = { 2, 2 };
	static const uint32_t timer[] = { 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4 };
	static const uint32_t gic_reg[] = { 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x80000 };
	static const uint32_t virtio_reg[] = { 0, 0x0a000000, 0, 0x200 };
	static const uint32_t virtio_irq[] = { 0, 16, 1 };
	static const uint32_t initrd_start[] = { 0, 0x7e000000 };
	static const uint32_t initrd_end[] = { 0, 0x7e345678 };
	struct guest_dt_config cfg = typical();
	struct fdt_prop prop;
	struct fdt fdt;
	uint32_t v, gic_phandle, clk_phandle;
	size_t size;
	int node;

	REQUIRE(build(&cfg, &size, NULL, 0) == GUEST_DT_OK);
	REQUIRE(fdt_init(&fdt, dt_buf, size) == FDT_OK);

	CHECK(string_is(&fdt, "/", "compatible", "linux,dummy-virt"));
	CHECK(string_is(&fdt, "/", "model", "Rhenium virtual machine"));
	CHECK(has_empty(&fdt, "/", "dma-coherent"));
	CHECK(fdt_get_u32(&fdt, fdt.root, "#address-cells", &v) == FDT_OK && v == 2);
	CHECK(fdt_get_u32(&fdt, fdt.root, "#size-cells", &v) == FDT_OK && v == 2);
	REQUIRE(fdt_get_u32(&fdt, fdt.root, "interrupt-parent", &gic_phandle) == FDT_OK);
	CHECK_EQ(fdt_find_phandle(&fdt, gic_phandle), fdt_find_path(&fdt, "/intc@8000000"));

	node = fdt_find_path(&fdt, "/psci");
	CHECK(fdt_is_compatible(&fdt, node, "arm,psci-1.0"));
	CHECK(fdt_is_compatible(&fdt, node, "arm,psci-0.2"));
	CHECK(!fdt_is_compatible(&fdt, node, "arm,psci"));
	CHECK(string_is(&fdt, "/psci", "method", "hvc"));

	CHECK(string_is(&fdt, "/memory@40000000", "device_type", "memory"));

	CHECK(string_is(&fdt, "/intc@8000000", "compatible", "arm,gic-v3"));
	CHECK(has_empty(&fdt, "/intc@8000000", "interrupt-controller"));
	CHECK(cells_are(&fdt, "/intc@8000000", "reg", gic_reg, ARRAY_SIZE(gic_reg)));
	CHECK(cells_are(&fdt, "/intc@8000000", "interrupts", maint, ARRAY_SIZE(maint)));
	node = fdt_find_path(&fdt, "/intc@8000000");
	CHECK(fdt_get_u32(&fdt, node, "#interrupt-cells", &v) == FDT_OK && v == 3);
	CHECK(fdt_get_u32(&fdt, node, "#redistributor-regions", &v) == FDT_OK && v == 1);

	node = fdt_find_path(&fdt, "/pl011@9000000");
	CHECK(fdt_is_compatible(&fdt, node, "arm,pl011"));
	CHECK(fdt_is_compatible(&fdt, node, "arm,primecell"));
	CHECK(cells_are(&fdt, "/pl011@9000000", "interrupts", uart_irq, ARRAY_SIZE(uart_irq)));
	REQUIRE(fdt_get_prop(&fdt, node, "clock-names", &prop) == FDT_OK);
	CHECK(prop.len == sizeof("uartclk\0apb_pclk") &&
	      memcmp(prop.data, "uartclk\0apb_pclk", prop.len) == 0);
	node = fdt_find_path(&fdt, "/apb-pclk");
	REQUIRE(fdt_get_u32(&fdt, node, "phandle", &clk_phandle) == FDT_OK);
	CHECK_EQ(clk_phandle, clocks[0]);
	CHECK(cells_are(&fdt, "/pl011@9000000", "clocks", clocks, ARRAY_SIZE(clocks)));
	CHECK(string_is(&fdt, "/apb-pclk", "compatible", "fixed-clock"));
	CHECK(string_is(&fdt, "/apb-pclk", "clock-output-names", "clk24mhz"));
	CHECK(fdt_get_u32(&fdt, node, "clock-frequency", &v) == FDT_OK && v == 24000000);
	CHECK(fdt_get_u32(&fdt, node, "#clock-cells", &v) == FDT_OK && v == 0);

	node = fdt_find_path(&fdt, "/cpus/cpu@3");
	CHECK(string_is(&fdt, "/cpus/cpu@3", "device_type", "cpu"));
	CHECK(string_is(&fdt, "/cpus/cpu@3", "compatible", "arm,armv8"));
	CHECK(string_is(&fdt, "/cpus/cpu@3", "enable-method", "psci"));
	CHECK(fdt_get_u32(&fdt, node, "reg", &v) == FDT_OK && v == 3);

	node = fdt_find_path(&fdt, "/timer");
	CHECK(fdt_is_compatible(&fdt, node, "arm,armv8-timer"));
	CHECK(has_empty(&fdt, "/timer", "always-on"));
	CHECK(cells_are(&fdt, "/timer", "interrupts", timer, ARRAY_SIZE(timer)));

	CHECK(string_is(&fdt, "/virtio_mmio@a000000", "compatible", "virtio,mmio"));
	CHECK(cells_are(&fdt, "/virtio_mmio@a000000", "reg", virtio_reg, ARRAY_SIZE(virtio_reg)));
	CHECK(cells_are(&fdt, "/virtio_mmio@a000000", "interrupts", virtio_irq,
			ARRAY_SIZE(virtio_irq)));

	CHECK(string_is(&fdt, "/aliases", "serial0", "/pl011@9000000"));
	CHECK_EQ(fdt_find_path(&fdt, "serial0"), fdt_find_path(&fdt, "/pl011@9000000"));
	CHECK(string_is(&fdt, "/chosen", "stdout-path", "/pl011@9000000"));
	CHECK(cells_are(&fdt, "/chosen", "linux,initrd-start", initrd_start, 2));
	CHECK(cells_are(&fdt, "/chosen", "linux,initrd-end", initrd_end, 2));
	node = fdt_find_path(&fdt, "/chosen");
	CHECK(fdt_get_prop(&fdt, node, "kaslr-seed", &prop) == FDT_ERR_NOTFOUND);
	CHECK(fdt_get_prop(&fdt, node, "rng-seed", &prop) == FDT_ERR_NOTFOUND);
}

/* Where our tree and QEMU's describe the same thing, they must agree. */
TEST(guest_dt_matches_qemu_virt)
{
	struct guest_dt_config cfg = typical();
	struct platform_info ours, qemu;
	uint8_t *blob;
	size_t len, size;
	char err[256];

	cfg.psci_conduit = PSCI_CONDUIT_SMC;
	REQUIRE(build(&cfg, &size, NULL, 0) == GUEST_DT_OK);
	REQUIRE(platform_discover(dt_buf, size, &ours, err, sizeof(err)) == PLATFORM_OK);
	blob = load_fixture("qemu-virt-smp4.dtb", &len);
	REQUIRE(blob);
	REQUIRE(platform_discover(blob, len, &qemu, err, sizeof(err)) == PLATFORM_OK);
	free(blob);

	CHECK(range_eq(&ours.mem[0], qemu.mem[0].base, qemu.mem[0].size));
	CHECK_EQ(ours.cpu_count, qemu.cpu_count);
	for (unsigned int i = 0; i < ours.cpu_count; i++)
		CHECK_EQ(ours.cpu_mpidr[i], qemu.cpu_mpidr[i]);
	CHECK_EQ(ours.psci_conduit, qemu.psci_conduit);
	CHECK_EQ(ours.psci_0_2, qemu.psci_0_2);
	CHECK(range_eq(&ours.uart, qemu.uart.base, qemu.uart.size));
	CHECK_EQ(ours.uart_irq, qemu.uart_irq);
	CHECK(range_eq(&ours.gicd, qemu.gicd.base, qemu.gicd.size));
	/* QEMU describes its whole redistributor space; ours has one frame per vCPU. */
	CHECK_EQ(ours.gicr[0].base, qemu.gicr[0].base);
	CHECK(ours.gicr[0].size <= qemu.gicr[0].size);
	CHECK_EQ(ours.timer_sec_phys_irq, qemu.timer_sec_phys_irq);
	CHECK_EQ(ours.timer_phys_irq, qemu.timer_phys_irq);
	CHECK_EQ(ours.timer_virt_irq, qemu.timer_virt_irq);
	CHECK_EQ(ours.timer_hyp_phys_irq, qemu.timer_hyp_phys_irq);
	CHECK(strcmp(ours.stdout_path, qemu.stdout_path) == 0);
}

TEST(guest_dt_minimal)
{
	struct guest_dt_config cfg = {
		.ram_base = 0x80000000,
		.ram_size = MiB(64),
		.vcpu_count = 1,
		.gicd_base = GUEST_VIRT_GICD_BASE,
		.gicr_base = GUEST_VIRT_GICR_BASE,
		.uart_base = GUEST_VIRT_UART_BASE,
		.uart_spi = GUEST_VIRT_UART_SPI,
		.psci_conduit = PSCI_CONDUIT_SMC,
	};
	struct platform_info info;
	struct fdt fdt;
	struct fdt_prop prop;
	char err[256];
	size_t size;

	REQUIRE(build(&cfg, &size, err, sizeof(err)) == GUEST_DT_OK);
	REQUIRE(platform_discover(dt_buf, size, &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK_EQ(info.cpu_count, 1);
	CHECK_EQ(info.psci_conduit, PSCI_CONDUIT_SMC);
	CHECK(info.bootargs[0] == '\0');
	CHECK_EQ(info.initrd_start, 0);
	CHECK_EQ(info.initrd_end, 0);
	REQUIRE(fdt_init(&fdt, dt_buf, size) == FDT_OK);
	CHECK(fdt_get_prop(&fdt, fdt_find_path(&fdt, "/chosen"), "bootargs", &prop) ==
	      FDT_ERR_NOTFOUND);
	CHECK(fdt_get_prop(&fdt, fdt_find_path(&fdt, "/chosen"), "linux,initrd-start", &prop) ==
	      FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "/memory@80000000") >= 0);
	CHECK(dtc_check_blob("guest-minimal.dtb", dt_buf, size));
}

/* 64 vCPUs, 32 devices, the longest bootargs and both seeds: the largest tree. */
TEST(guest_dt_largest)
{
	static struct guest_dt_device devs[GUEST_DT_MAX_DEVICES];
	static char bootargs[GUEST_DT_BOOTARGS_MAX];
	static const uint8_t seed[GUEST_DT_RNG_SEED_MAX] = { 1, 2, 3 };
	struct guest_dt_config cfg = typical();
	struct platform_info info;
	struct fdt fdt;
	struct fdt_prop prop;
	uint64_t v;
	char err[256];
	size_t size;

	for (unsigned int i = 0; i < GUEST_DT_MAX_DEVICES; i++)
		devs[i] = (struct guest_dt_device){ "virtio_mmio",
						    "virtio,mmio",
						    GUEST_VIRT_VIRTIO_BASE +
							    i * GUEST_VIRT_VIRTIO_SIZE,
						    GUEST_VIRT_VIRTIO_SIZE,
						    GUEST_VIRT_VIRTIO_SPI + i,
						    GUEST_DT_EDGE_RISING };
	memset(bootargs, 'x', sizeof(bootargs) - 1);
	bootargs[sizeof(bootargs) - 1] = '\0';
	cfg.vcpu_count = GUEST_DT_MAX_VCPUS;
	cfg.devices = devs;
	cfg.device_count = GUEST_DT_MAX_DEVICES;
	cfg.bootargs = bootargs;
	cfg.kaslr_seed = 0x0123456789abcdefull;
	cfg.rng_seed = seed;
	cfg.rng_seed_len = sizeof(seed);
	cfg.ram_base = 0x100000000ull; /* above 4 GiB: both cells of every reg matter */
	cfg.ram_size = GiB(4);
	cfg.initrd_start = 0x1fe000000ull;
	cfg.initrd_end = 0x200000000ull; /* up to the very end of RAM */

	REQUIRE(build(&cfg, &size, err, sizeof(err)) == GUEST_DT_OK);
	fprintf(stderr, "  largest guest DT: %zu bytes\n", size);
	CHECK(size <= GUEST_DT_MAX_SIZE);
	CHECK(dtc_check_blob("guest-largest.dtb", dt_buf, size));

	REQUIRE(fdt_init(&fdt, dt_buf, size) == FDT_OK);
	CHECK(fdt_get_u64(&fdt, fdt_find_path(&fdt, "/chosen"), "kaslr-seed", &v) == FDT_OK &&
	      v == 0x0123456789abcdefull);
	REQUIRE(fdt_get_prop(&fdt, fdt_find_path(&fdt, "/chosen"), "rng-seed", &prop) == FDT_OK);
	CHECK(prop.len == sizeof(seed) && memcmp(prop.data, seed, sizeof(seed)) == 0);
	CHECK(fdt_find_path(&fdt, "/virtio_mmio@a003e00") >= 0);
	/* vCPU 16 is the first with Aff1 = 1. */
	CHECK(fdt_find_path(&fdt, "/cpus/cpu@f") >= 0);
	CHECK(fdt_find_path(&fdt, "/cpus/cpu@100") >= 0);
	CHECK(fdt_find_path(&fdt, "/cpus/cpu@30f") >= 0);

	/* platform_info holds 511 bytes of bootargs; with short ones it reads the rest back. */
	cfg.bootargs = "console=ttyAMA0";
	REQUIRE(build(&cfg, &size, err, sizeof(err)) == GUEST_DT_OK);
	REQUIRE(platform_discover(dt_buf, size, &info, err, sizeof(err)) == PLATFORM_OK);
	CHECK(range_eq(&info.mem[0], 0x100000000ull, GiB(4)));
	CHECK_EQ(info.cpu_count, 64);
	for (unsigned int i = 0; i < 64; i++)
		CHECK_EQ(info.cpu_mpidr[i], guest_dt_vcpu_mpidr(i));
	CHECK(range_eq(&info.gicr[0], 0x080a0000, 64 * 0x20000));
	CHECK_EQ(info.initrd_end, 0x200000000ull);
}

TEST(guest_dt_vcpu_mpidr_split)
{
	CHECK_EQ(guest_dt_vcpu_mpidr(0), 0);
	CHECK_EQ(guest_dt_vcpu_mpidr(15), 0xf);
	CHECK_EQ(guest_dt_vcpu_mpidr(16), 0x100);
	CHECK_EQ(guest_dt_vcpu_mpidr(17), 0x101);
	CHECK_EQ(guest_dt_vcpu_mpidr(63), 0x30f);
}

TEST(guest_dt_every_short_buffer_fails_cleanly)
{
	struct guest_dt_config cfg = typical();
	size_t full;
	char err[128];

	REQUIRE(build(&cfg, &full, NULL, 0) == GUEST_DT_OK);
	for (size_t len = 0; len < full; len++) {
		uint8_t *buf = malloc(len ? len : 1);
		size_t size = 12345;
		int rc;

		REQUIRE(buf);
		rc = guest_dt_build(&cfg, buf, len, &size, err, sizeof(err));
		CHECK(rc == GUEST_DT_ERR_NOSPACE);
		CHECK_EQ(size, 12345);
		free(buf);
	}
	guest_dt_build(&cfg, dt_buf, 100, NULL, err, sizeof(err));
	CHECK(strcmp(err, "a buffer of 100 bytes is too small for the device tree") == 0);
}

/* Builds `cfg` and checks both the result code and the exact message. */
static bool refused(const struct guest_dt_config *cfg, const char *want)
{
	char err[256] = "unchanged";
	size_t size;
	int rc = build(cfg, &size, err, sizeof(err));

	if (rc == GUEST_DT_ERR_CONFIG && strcmp(err, want) == 0)
		return true;
	fprintf(stderr, "  rc %d, message \"%s\"\n  expected \"%s\"\n", rc, err, want);
	return false;
}

TEST(guest_dt_config_errors)
{
	static char long_args[GUEST_DT_BOOTARGS_MAX + 1];
	struct guest_dt_device devs[3] = { one_virtio[0], one_virtio[0], one_virtio[0] };
	struct guest_dt_config cfg;
	char err[64];

	CHECK(guest_dt_build(NULL, dt_buf, sizeof(dt_buf), NULL, err, sizeof(err)) ==
	      GUEST_DT_ERR_CONFIG);
	CHECK(strcmp(err, "no configuration") == 0);

	cfg = typical();
	cfg.vcpu_count = 0;
	CHECK(refused(&cfg, "vcpu_count is 0, a VM needs a vCPU"));
	cfg.vcpu_count = 65;
	CHECK(refused(&cfg, "vcpu_count 65, at most 64"));

	cfg = typical();
	cfg.psci_conduit = PSCI_CONDUIT_NONE;
	CHECK(refused(&cfg, "psci_conduit must be SMC or HVC: vCPUs start through PSCI"));

	cfg = typical();
	cfg.uart_spi = 988;
	CHECK(refused(&cfg, "uart_spi 988 is above 987 (INTID 1019)"));

	cfg = typical();
	memset(long_args, 'a', GUEST_DT_BOOTARGS_MAX);
	cfg.bootargs = long_args;
	CHECK(refused(&cfg, "bootargs is 2048 bytes, at most 2047 fit Linux's command line"));

	cfg = typical();
	cfg.rng_seed_len = 65;
	cfg.rng_seed = (const uint8_t *)"x";
	CHECK(refused(&cfg, "rng_seed: 65 bytes (at most 64, and not NULL)"));
	cfg.rng_seed_len = 8;
	cfg.rng_seed = NULL;
	CHECK(refused(&cfg, "rng_seed: 8 bytes (at most 64, and not NULL)"));

	/* Regions. */
	cfg = typical();
	cfg.ram_size = 0;
	CHECK(refused(&cfg, "RAM: size is 0"));
	cfg = typical();
	cfg.ram_base = 0x40000800;
	CHECK(refused(&cfg, "RAM [0x40000800, +0x40000000): not 4 KiB aligned"));
	cfg = typical();
	cfg.ram_base = 0xffff00000000ull;
	cfg.ram_size = GiB(8);
	CHECK(refused(&cfg, "RAM [0xffff00000000, +0x200000000): beyond the 48-bit guest physical "
			    "address space"));
	cfg = typical();
	cfg.gicd_base = 0x08001000;
	CHECK(refused(&cfg, "GIC distributor [0x8001000, +0x10000): not 64 KiB aligned"));
	cfg = typical();
	cfg.gicr_base = 0x080a8000;
	CHECK(refused(&cfg, "GIC redistributors [0x80a8000, +0x80000): not 64 KiB aligned"));
	cfg = typical();
	cfg.uart_base = 0x09000800;
	CHECK(refused(&cfg, "UART [0x9000800, +0x1000): not 4 KiB aligned"));

	cfg = typical();
	cfg.uart_base = 0x40000000;
	CHECK(refused(&cfg, "UART [0x40000000, 0x40001000) overlaps RAM [0x40000000, 0x80000000)"));
	cfg = typical();
	cfg.gicr_base = 0x08000000 - 0x20000;
	CHECK(refused(&cfg, "GIC redistributors [0x7fe0000, 0x8060000) overlaps GIC distributor "
			    "[0x8000000, 0x8010000)"));
	/* 64 vCPUs' redistributors reach 0x88a0000. */
	cfg = typical();
	cfg.vcpu_count = 64;
	devs[0].base = 0x08800000;
	cfg.devices = devs;
	CHECK(refused(&cfg, "device 0 (virtio_mmio) [0x8800000, 0x8800200) overlaps GIC "
			    "redistributors [0x80a0000, 0x88a0000)"));
	devs[0] = one_virtio[0];
	devs[1].base = GUEST_VIRT_VIRTIO_BASE + 0x100;
	devs[1].spi = 17;
	cfg = typical();
	cfg.devices = devs;
	cfg.device_count = 2;
	CHECK(refused(&cfg, "device 1 (virtio_mmio) [0xa000100, 0xa000300) overlaps device 0 "
			    "(virtio_mmio) [0xa000000, 0xa000200)"));

	/* Devices. */
	devs[1] = one_virtio[0];
	devs[1].base = GUEST_VIRT_VIRTIO_BASE + 0x200;
	CHECK(refused(&cfg, "device 1 (virtio_mmio): SPI 16 is also device 0's"));
	devs[1].spi = 1;
	CHECK(refused(&cfg, "device 1 (virtio_mmio): SPI 1 is the UART's"));
	devs[1].spi = 988;
	CHECK(refused(&cfg, "device 1 (virtio_mmio): SPI 988 is above 987 (INTID 1019)"));
	devs[1].spi = 17;
	devs[1].trigger = (enum guest_dt_trigger)2;
	CHECK(refused(&cfg, "device 1 (virtio_mmio): trigger 2 is not edge-rising (1) or "
			    "level-high (4)"));
	devs[1].trigger = GUEST_DT_LEVEL_HIGH;
	devs[1].compatible = "";
	CHECK(refused(&cfg, "device 1 (virtio_mmio): no compatible"));
	devs[1].compatible = NULL;
	CHECK(refused(&cfg, "device 1 (virtio_mmio): no compatible"));
	devs[1].compatible = "virtio,mmio";
	devs[1].name = "virtio mmio";
	CHECK(refused(&cfg, "device 1: name \"virtio mmio\" is not a node name (a letter, then up "
			    "to 30 of a-z A-Z 0-9 , . _ + -)"));
	devs[1].name = "dev@1";
	CHECK(refused(&cfg, "device 1: name \"dev@1\" is not a node name (a letter, then up to 30 "
			    "of a-z A-Z 0-9 , . _ + -)"));
	devs[1].name = NULL;
	CHECK(refused(&cfg, "device 1: name \"(null)\" is not a node name (a letter, then up to 30 "
			    "of a-z A-Z 0-9 , . _ + -)"));
	devs[1].name = "abcdefghijabcdefghijabcdefghijab";
	CHECK(refused(&cfg, "device 1: name \"abcdefghijabcdefghijabcdefghijab\" is not a node "
			    "name (a letter, then up to 30 of a-z A-Z 0-9 , . _ + -)"));
	devs[1].name = "a";
	devs[1].size = 0;
	CHECK(refused(&cfg, "device 1 (a): size is 0"));
	devs[1].size = 0x200;
	CHECK(build(&cfg, NULL, NULL, 0) == GUEST_DT_OK);
	cfg.device_count = GUEST_DT_MAX_DEVICES + 1;
	CHECK(refused(&cfg, "33 extra devices, at most 32"));
	cfg.device_count = 1;
	cfg.devices = NULL;
	CHECK(refused(&cfg, "device_count 1 but no devices"));

	/* initrd. */
	cfg = typical();
	cfg.initrd_start = 0x50000000;
	cfg.initrd_end = 0x4fffffff;
	CHECK(refused(&cfg, "initrd ends (0x4fffffff) before it starts (0x50000000)"));
	cfg.initrd_end = 0x80000001;
	CHECK(refused(&cfg, "initrd [0x50000000, 0x80000001) is not inside RAM [0x40000000, "
			    "0x80000000)"));
	cfg.initrd_start = 0x3ffff000;
	cfg.initrd_end = 0x40001000;
	CHECK(refused(&cfg, "initrd [0x3ffff000, 0x40001000) is not inside RAM [0x40000000, "
			    "0x80000000)"));
	/* Equal ends mean "no initrd", wherever they point. */
	cfg.initrd_start = cfg.initrd_end = 0x1234;
	CHECK(build(&cfg, NULL, NULL, 0) == GUEST_DT_OK);
}
