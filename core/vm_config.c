/* SPDX-License-Identifier: MIT */
#include <rhenium/fdt.h>
#include <rhenium/format.h>
#include <rhenium/string.h>
#include <rhenium/vm_config.h>

static int vm_config_fail(char *err, size_t err_len, const char *node, const char *prop,
			  const char *what)
{
	if (err && err_len)
		fmt_snprintf(err, err_len, "/chosen/%s: %s: %s", node, prop, what);
	return -1;
}

static bool vm_config_in_ram(const struct platform_info *plat, paddr_t pa, uint64_t size)
{
	for (unsigned int i = 0; i < plat->mem_count; i++) {
		const struct mem_range *m = &plat->mem[i];

		if (pa >= m->base && size <= m->size && pa - m->base <= m->size - size)
			return true;
	}
	return false;
}

static int vm_config_image(const struct fdt *fdt, int node, const char *name, const char *prop,
			   const struct platform_info *plat, struct vm_image *img, bool required,
			   char *err, size_t err_len)
{
	struct fdt_prop p;
	int ret = fdt_get_prop(fdt, node, prop, &p);

	if (ret == FDT_ERR_NOTFOUND)
		return required ? vm_config_fail(err, err_len, name, prop, "missing") : 0;
	if (ret < 0 || p.len != 16)
		return vm_config_fail(err, err_len, name, prop,
				      "must be two 64-bit cells <address size>");
	img->pa = fdt_be64(p.data);
	img->size = fdt_be64(p.data + 8);
	if (!img->size)
		return vm_config_fail(err, err_len, name, prop, "size is zero");
	if (!vm_config_in_ram(plat, img->pa, img->size))
		return vm_config_fail(err, err_len, name, prop, "image is not inside host RAM");
	return 0;
}

static int vm_config_one(const struct fdt *fdt, int node, const char *name,
			 const struct platform_info *plat, struct vm_config *cfg, char *err,
			 size_t err_len)
{
	struct fdt_prop p;
	const char *at = strchr(name, '@');
	size_t name_len = at ? (size_t)(at - name) : strlen(name);
	uint64_t mem;
	uint32_t vcpus;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (name_len >= sizeof(cfg->name))
		name_len = sizeof(cfg->name) - 1;
	memcpy(cfg->name, name, name_len);
	/* "vm@1" is better known by its unit address than as a second "vm". */
	if (at && at[1] && strlen(name) < sizeof(cfg->name))
		str_copy(cfg->name, name, sizeof(cfg->name));

	ret = vm_config_image(fdt, node, name, "rhenium,kernel", plat, &cfg->kernel, true, err,
			      err_len);
	if (ret)
		return ret;
	ret = vm_config_image(fdt, node, name, "rhenium,initrd", plat, &cfg->initrd, false, err,
			      err_len);
	if (ret)
		return ret;

	ret = fdt_get_prop(fdt, node, "bootargs", &p);
	if (ret == 0) {
		if (!fdt_prop_is_string(&p))
			return vm_config_fail(err, err_len, name, "bootargs", "not a string");
		if (p.len > sizeof(cfg->bootargs))
			return vm_config_fail(err, err_len, name, "bootargs", "too long");
		str_copy(cfg->bootargs, (const char *)p.data, sizeof(cfg->bootargs));
	}

	cfg->mem_size = VM_CONFIG_DEFAULT_MEM;
	ret = fdt_get_u64(fdt, node, "memory-size", &mem);
	if (ret == 0) {
		if (mem < VM_CONFIG_MIN_MEM || mem % (2ULL << 20))
			return vm_config_fail(err, err_len, name, "memory-size",
					      "must be a multiple of 2 MiB, at least 2 MiB");
		cfg->mem_size = mem;
	} else if (ret != FDT_ERR_NOTFOUND) {
		return vm_config_fail(err, err_len, name, "memory-size", "must be 1 or 2 cells");
	}

	cfg->vcpus = 1;
	ret = fdt_get_u32(fdt, node, "vcpus", &vcpus);
	if (ret == 0) {
		if (vcpus < 1 || vcpus > VM_CONFIG_MAX_VCPUS)
			return vm_config_fail(err, err_len, name, "vcpus", "must be 1 to 8");
		cfg->vcpus = vcpus;
	} else if (ret != FDT_ERR_NOTFOUND) {
		return vm_config_fail(err, err_len, name, "vcpus", "must be one cell");
	}
	return 0;
}

int vm_config_parse(const void *dtb, size_t dtb_len, const struct platform_info *plat,
		    struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len)
{
	struct fdt fdt;
	int chosen;
	int ret;

	*count = 0;
	ret = fdt_init(&fdt, dtb, dtb_len);
	if (ret < 0) {
		if (err && err_len)
			fmt_snprintf(err, err_len, "device tree: %s", fdt_strerror(ret));
		return -1;
	}
	chosen = fdt_find_path(&fdt, "/chosen");
	if (chosen < 0)
		return 0;
	for (int node = fdt_first_subnode(&fdt, chosen); node >= 0;
	     node = fdt_next_subnode(&fdt, node)) {
		const char *name;

		if (!fdt_is_compatible(&fdt, node, "rhenium,vm") || !fdt_is_available(&fdt, node))
			continue;
		if (fdt_node_name(&fdt, node, &name) < 0)
			return vm_config_fail(err, err_len, "?", "name", "unreadable");
		if (*count == VM_CONFIG_MAX)
			return vm_config_fail(err, err_len, name, "compatible",
					      "more than 4 VMs configured");
		ret = vm_config_one(&fdt, node, name, plat, &cfgs[*count], err, err_len);
		if (ret)
			return ret;
		(*count)++;
	}
	return 0;
}
