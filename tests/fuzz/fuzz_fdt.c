/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the device tree reader and platform discovery: any
 * input must give either a result or an error, never a crash, an
 * out-of-bounds access (ASan), undefined behaviour (UBSan) or a hang.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DRHENIUM_HOST -Iinclude \
 *         tests/fuzz/fuzz_fdt.c lib/fdt.c core/platform.c lib/string.c -o build/fuzz-fdt
 *   build/fuzz-fdt -dict=tests/fuzz/fdt.dict tests/fuzz/corpus/fdt
 */
#include <rhenium/fdt.h>
#include <rhenium/platform_discover.h>
#include <rhenium/string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stands in for assert(): the fuzzer reports the trap with the input. */
#define INVARIANT(cond)                   \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

/* Every accessor on every node, as a consumer other than platform.c might. */
static void walk_everything(const struct fdt *fdt)
{
	int depth = 0;
	int node;
	unsigned int visited = 0;

	for (node = fdt_root(fdt); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		struct fdt_prop prop;
		struct fdt_cells cells;
		const char *name;
		int err, child;

		INVARIANT(depth >= 0 && depth < FDT_MAX_DEPTH);
		INVARIANT(fdt_node_name(fdt, node, &name) == FDT_OK);
		for (err = fdt_first_prop(fdt, node, &prop); err == FDT_OK;
		     err = fdt_next_prop(fdt, &prop)) {
			uint64_t addr, size;

			INVARIANT(prop.data + prop.len <= fdt->blob + fdt->totalsize);
			if (fdt_reg_count(&prop, (struct fdt_cells){ 2, 1 }) > 0)
				INVARIANT(fdt_reg_entry(&prop, (struct fdt_cells){ 2, 1 }, 0, &addr,
							&size) == FDT_OK);
			(void)fdt_stringlist_contains(prop.data, prop.len, "arm,pl011");
		}
		INVARIANT(err == FDT_ERR_NOTFOUND);
		(void)fdt_get_cells(fdt, node, &cells);
		(void)fdt_is_available(fdt, node);
		for (child = fdt_first_subnode(fdt, node); child >= 0;
		     child = fdt_next_subnode(fdt, child))
			INVARIANT(fdt_parent(fdt, child) == node);
		INVARIANT(child == FDT_ERR_NOTFOUND);
		/* Phandle chasing is O(n) per hop: sample, to keep runs fast. */
		if (visited++ < 8)
			(void)fdt_interrupt_parent(fdt, node);
	}
	INVARIANT(node == FDT_ERR_NOTFOUND);

	for (unsigned int i = 0; i < fdt_memrsv_count(fdt); i++) {
		uint64_t addr, size;

		INVARIANT(fdt_memrsv_entry(fdt, i, &addr, &size) == FDT_OK);
	}
	(void)fdt_find_path(fdt, "/cpus/cpu@0");
	(void)fdt_find_path(fdt, "serial0:115200n8");
	(void)fdt_find_path(fdt, "/reserved-memory");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdt fdt;
	struct platform_info info;
	char err[160];
	int rc;

	if (fdt_init(&fdt, data, size) == FDT_OK)
		walk_everything(&fdt);

	rc = platform_discover(data, size, &info, err, sizeof(err));
	INVARIANT(strlen(err) < sizeof(err));
	if (rc == PLATFORM_OK) {
		INVARIANT(err[0] == '\0');
		INVARIANT(info.mem_count >= 1 && info.mem_count <= PLATFORM_MAX_MEM_BANKS);
		INVARIANT(info.cpu_count >= 1 && info.cpu_count <= PLATFORM_MAX_CPUS);
		INVARIANT(info.reserved_count <= PLATFORM_MAX_RESERVED);
		INVARIANT(info.gicr_count <= PLATFORM_MAX_GICR_REGIONS);
		INVARIANT(info.initrd_end >= info.initrd_start);
		INVARIANT(strlen(info.bootargs) < sizeof(info.bootargs));
	} else {
		INVARIANT(rc < 0 && err[0] != '\0');
	}
	return 0;
}
