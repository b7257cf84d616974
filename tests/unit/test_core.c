/* SPDX-License-Identifier: MIT */
/* Console, logging, panic, PSCI client and the locked page allocator front end. */
#include <stdlib.h>
#include <string.h>

#include <fake_arch.h>
#include <rhenium/boot.h>
#include <rhenium/console.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/panic.h>
#include <rhenium/platform.h>
#include <rhenium/psci.h>

#include "test.h"

static char console_buf[8192];
static size_t console_len;

static void capture_putc(void *ctx, char c)
{
	(void)ctx;
	if (console_len < sizeof(console_buf) - 1)
		console_buf[console_len++] = c;
	console_buf[console_len] = '\0';
}

static const struct console_driver capture_console = { "capture", capture_putc, NULL };

static void capture_start(void)
{
	console_len = 0;
	console_buf[0] = '\0';
	console_set_driver(&capture_console);
}

TEST(console_translates_newlines_and_drops_without_driver)
{
	console_set_driver(NULL);
	console_write("lost\n", 5);
	capture_start();
	console_write("a\nb", 3);
	CHECK(strcmp(console_buf, "a\r\nb") == 0);
}

TEST(log_prefix_levels_and_filtering)
{
	enum log_level saved = log_get_level();

	capture_start();
	fake_counter = 62500000ULL * 3 + 62500; /* 3.001 s at the fake 62.5 MHz */
	log_set_level(LOG_LEVEL_INFO);
	LOG_INFO("hello %d", 42);
	CHECK(strcmp(console_buf, "[    3.001000] cpu0 INFO  hello 42\r\n") == 0);

	capture_start();
	LOG_DEBUG("hidden");
	CHECK_EQ(console_len, 0);
	LOG_ERROR("shown");
	CHECK(strstr(console_buf, "ERROR shown\r\n") != NULL);
	LOG_WARN("w");
	CHECK(strstr(console_buf, "WARN  w\r\n") != NULL);

	log_set_level(LOG_LEVEL_DEBUG);
	capture_start();
	LOG_DEBUG("now shown\n");
	/* A message that already ends its line does not get a second newline. */
	CHECK(strstr(console_buf, "DEBUG now shown\r\n") != NULL);
	CHECK(strstr(console_buf, "\r\n\r\n") == NULL);
	log_set_level(saved);
	fake_counter = 0;
}

TEST(log_truncates_long_lines_but_ends_them)
{
	char big[600];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_start();
	LOG_INFO("%s", big);
	CHECK(console_len < 300);
	CHECK(console_len > 200);
	CHECK(console_buf[console_len - 2] == '\r' && console_buf[console_len - 1] == '\n');
}

TEST(log_raw_and_level_names)
{
	enum log_level level;

	capture_start();
	log_raw("plain %s\n", "text");
	CHECK(strcmp(console_buf, "plain text\r\n") == 0);
	CHECK(log_level_from_name("debug", 5, &level) && level == LOG_LEVEL_DEBUG);
	CHECK(log_level_from_name("error", 5, &level) && level == LOG_LEVEL_ERROR);
	CHECK(log_level_from_name("warnx", 4, &level) && level == LOG_LEVEL_WARN);
	CHECK(!log_level_from_name("deb", 3, &level));
	CHECK(!log_level_from_name("verbose", 7, &level));
}

TEST(panic_prints_message_dumps_registers_and_halts)
{
	jmp_buf jmp;
	unsigned int dumps = fake_register_dumps;

	capture_start();
	fake_halt_jmp = &jmp;
	if (setjmp(jmp) == 0)
		panic("bad thing %u", 7U);
	fake_halt_jmp = NULL;
	CHECK(strstr(console_buf, "*** PANIC on cpu0: bad thing 7\r\n") != NULL);
	CHECK(strstr(console_buf, "*** cpu0 halted") != NULL);
	CHECK_EQ(fake_register_dumps, dumps + 1);
}

TEST(assert_reports_expression_and_location)
{
	jmp_buf jmp;
	volatile int zero = 0;

	capture_start();
	fake_halt_jmp = &jmp;
	if (setjmp(jmp) == 0)
		ASSERT(zero == 1);
	fake_halt_jmp = NULL;
	CHECK(strstr(console_buf, "assertion failed: zero == 1 (tests/unit/test_core.c:") != NULL);
}

TEST(psci_calls_go_through_the_conduit)
{
	unsigned int calls = fake_smccc_calls;

	psci_init(PSCI_CONDUIT_NONE);
	CHECK(!psci_available());
	CHECK_EQ(psci_version(), 0);
	CHECK(psci_cpu_on(1, 0x1000, 2) == PSCI_RET_NOT_SUPPORTED);
	CHECK_EQ(fake_smccc_calls, calls);

	psci_init(PSCI_CONDUIT_HVC);
	fake_smccc_result = 0x10001;
	CHECK_EQ(psci_version(), 0x10001);
	CHECK_EQ(fake_smccc_last.fid, PSCI_VERSION);
	CHECK_EQ(fake_smccc_last.conduit, PSCI_CONDUIT_HVC);

	psci_init(PSCI_CONDUIT_SMC);
	fake_smccc_result = (uint64_t)(int64_t)PSCI_RET_ALREADY_ON;
	CHECK(psci_cpu_on(0x100, 0x40001000, 0x4242) == PSCI_RET_ALREADY_ON);
	CHECK_EQ(fake_smccc_last.fid, PSCI_CPU_ON_64);
	CHECK_EQ(fake_smccc_last.a1, 0x100);
	CHECK_EQ(fake_smccc_last.a2, 0x40001000);
	CHECK_EQ(fake_smccc_last.a3, 0x4242);
	CHECK_EQ(fake_smccc_last.conduit, PSCI_CONDUIT_SMC);
	psci_init(PSCI_CONDUIT_NONE);
}

TEST(psci_system_off_halts_even_if_firmware_returns)
{
	jmp_buf jmp;

	psci_init(PSCI_CONDUIT_SMC);
	fake_halt_jmp = &jmp;
	if (setjmp(jmp) == 0)
		psci_system_off();
	fake_halt_jmp = NULL;
	CHECK_EQ(fake_smccc_last.fid, PSCI_SYSTEM_OFF);
	psci_init(PSCI_CONDUIT_NONE);
}

TEST(psci_error_names)
{
	CHECK(strcmp(psci_error_name(PSCI_RET_SUCCESS), "SUCCESS") == 0);
	CHECK(strcmp(psci_error_name(PSCI_RET_INVALID_ADDRESS), "INVALID_ADDRESS") == 0);
	CHECK(strcmp(psci_error_name(PSCI_RET_DENIED), "DENIED") == 0);
	CHECK(strcmp(psci_error_name(-100), "unknown error") == 0);
	for (int32_t r = PSCI_RET_INVALID_ADDRESS; r <= PSCI_RET_SUCCESS; r++)
		CHECK(strcmp(psci_error_name(r), "unknown error") != 0);
}

/*
 * mm on the host: "physical" addresses are host pointers into an arena, which
 * is what mm_phys_to_virt()'s identity assumes.
 */
#define ARENA_SIZE (8u << 20)

TEST(mm_excludes_image_dtb_initrd_and_reserved)
{
	uint8_t *arena = aligned_alloc(2u << 20, ARENA_SIZE);
	paddr_t base = (paddr_t)(uintptr_t)arena;
	struct platform_info plat = { 0 };
	struct boot_info info = { 0 };
	char err[128];
	size_t free_at_start;
	paddr_t a, b;

	REQUIRE(arena != NULL);
	plat.mem[0] = (struct mem_range){ base, ARENA_SIZE };
	plat.mem_count = 1;
	plat.reserved[0] = (struct mem_range){ base + (4u << 20), 0x3000 };
	plat.reserved_count = 1;
	plat.initrd_start = base + (6u << 20);
	plat.initrd_end = plat.initrd_start + 0x1800; /* partial page: excluded whole */
	info.platform = &plat;
	info.image = (struct boot_image){ base, base + 0x4000, base + 0x6000, base + 0x10000 };
	info.dtb = base + (2u << 20) + 0x10;
	info.dtb_size = 0x100;

	REQUIRE(mm_init(&info, NULL, 0, err, sizeof(err)) == 0);
	/* 2048 pages - 16 image - 1 dtb - 3 reserved - 2 initrd = 2026, minus bitmaps. */
	CHECK(mm_total_page_count() <= 2026);
	CHECK(mm_total_page_count() >= 2020);
	free_at_start = mm_free_page_count();
	CHECK(free_at_start > 2000);

	a = mm_alloc_zeroed_pages(4, 2);
	REQUIRE(a != 0);
	CHECK_EQ(a % (4 * PAGE_SIZE), 0);
	CHECK(a >= base + 0x10000);
	CHECK(((uint8_t *)mm_phys_to_virt(a))[PAGE_SIZE * 4 - 1] == 0);
	b = mm_alloc_pages(1, 0);
	REQUIRE(b != 0);
	CHECK(!(b >= a && b < a + 4 * PAGE_SIZE));
	/* Nothing handed out may overlap what the boot info excluded. */
	CHECK(!(a < base + 0x10000));
	CHECK(!(b >= plat.reserved[0].base && b < plat.reserved[0].base + 0x3000));
	CHECK_EQ(mm_free_page_count(), free_at_start - 5);
	mm_free_pages(a, 4);
	mm_free_pages(b, 1);
	CHECK_EQ(mm_free_page_count(), free_at_start);

	capture_start();
	mm_dump();
	CHECK(strstr(console_buf, "region   0x") != NULL);
	CHECK(strstr(console_buf, "bitmap") != NULL);
	free(arena);
}

TEST(mm_double_free_panics)
{
	uint8_t *arena = aligned_alloc(2u << 20, ARENA_SIZE);
	paddr_t base = (paddr_t)(uintptr_t)arena;
	struct platform_info plat = { 0 };
	struct boot_info info = { 0 };
	char err[128];
	jmp_buf jmp;
	paddr_t a;

	REQUIRE(arena != NULL);
	plat.mem[0] = (struct mem_range){ base, ARENA_SIZE };
	plat.mem_count = 1;
	info.platform = &plat;
	info.image = (struct boot_image){ base, base + 0x1000, base + 0x2000, base + 0x3000 };
	REQUIRE(mm_init(&info, NULL, 0, err, sizeof(err)) == 0);
	a = mm_alloc_pages(1, 0);
	REQUIRE(a != 0);
	mm_free_pages(a, 1);
	capture_start();
	fake_halt_jmp = &jmp;
	if (setjmp(jmp) == 0)
		mm_free_pages(a, 1);
	fake_halt_jmp = NULL;
	CHECK(strstr(console_buf, "PANIC on cpu0: freeing 1 pages at") != NULL);
	free(arena);
}

TEST(mm_rejects_memory_fully_used)
{
	uint8_t *arena = aligned_alloc(2u << 20, 2u << 20);
	paddr_t base = (paddr_t)(uintptr_t)arena;
	struct platform_info plat = { 0 };
	struct boot_info info = { 0 };
	char err[128] = "";

	REQUIRE(arena != NULL);
	plat.mem[0] = (struct mem_range){ base, 2u << 20 };
	plat.mem_count = 1;
	info.platform = &plat;
	info.image = (struct boot_image){ base, base + 0x1000, base + 0x2000, base + (2u << 20) };
	CHECK(mm_init(&info, NULL, 0, err, sizeof(err)) != 0);
	CHECK(strstr(err, "no free RAM") != NULL);
	free(arena);
}
