/* SPDX-License-Identifier: MIT */
/*
 * The VM manifest as the hypervisor sees it: /chosen/<node> with compatible
 * "rhenium,vm" (format in include/rhenium/vm_config.h, docs/manifest.md).
 * Two passes: every node on its own, then the rules that involve several
 * nodes (names, image overlaps, disk region overlaps, the RAM budget). The
 * first problem found is reported as "/chosen/<node>: <property>: <what>".
 */
#include <stdarg.h>

#include <rhenium/fdt.h>
#include <rhenium/format.h>
#include <rhenium/string.h>
#include <rhenium/vm_config.h>

#define VM_CONFIG_PAGE 4096ULL

static const char *const vm_config_known_props[] = {
	"compatible",	  "status",   "phandle",     "rhenium,name", "rhenium,kernel",
	"rhenium,initrd", "bootargs", "memory-size", "vcpus",	     "cpus",
	"devices",	  "disk",     "autostart",
};

static const struct {
	const char *name;
	uint32_t bit;
} vm_config_devices[] = {
	{ "pl011", VM_DEVICE_PL011 },
	{ "virtio-console", VM_DEVICE_VIRTIO_CONSOLE },
	{ "virtio-blk", VM_DEVICE_VIRTIO_BLK },
	{ "virtio-net", VM_DEVICE_VIRTIO_NET },
};

const char *vm_device_name(uint32_t device)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm_config_devices); i++) {
		if (vm_config_devices[i].bit == device)
			return vm_config_devices[i].name;
	}
	return NULL;
}

static int vm_config_fail(char *err, size_t err_len, const char *node, const char *prop,
			  const char *fmt, ...) PRINTF_LIKE(5, 6);

static int vm_config_fail(char *err, size_t err_len, const char *node, const char *prop,
			  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !err_len)
		return -1;
	n = fmt_snprintf(err, err_len, "/chosen/%s: %s: ", node, prop);
	if (n >= 0 && (size_t)n < err_len) {
		va_start(ap, fmt);
		fmt_vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
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

/* [a, a + as) and [b, b + bs) share a byte; sizes are non-zero and ranges do not wrap. */
static bool vm_config_overlap(paddr_t a, uint64_t as, paddr_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* ---- one node ---- */

static int vm_config_check_props(const struct fdt *fdt, int node, const char *name, char *err,
				 size_t err_len)
{
	struct fdt_prop p;
	int ret;

	for (ret = fdt_first_prop(fdt, node, &p); ret == FDT_OK; ret = fdt_next_prop(fdt, &p)) {
		bool known = false;

		for (size_t i = 0; i < ARRAY_SIZE(vm_config_known_props) && !known; i++)
			known = strcmp(p.name, vm_config_known_props[i]) == 0;
		if (!known)
			return vm_config_fail(err, err_len, name, p.name, "unknown property");
	}
	if (ret != FDT_ERR_NOTFOUND)
		return vm_config_fail(err, err_len, name, "?", "unreadable: %s", fdt_strerror(ret));
	return 0;
}

static bool vm_config_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static int vm_config_name(const struct fdt *fdt, int node, const char *name, struct vm_config *cfg,
			  char *err, size_t err_len)
{
	struct fdt_prop p;
	int ret = fdt_get_prop(fdt, node, "rhenium,name", &p);

	if (ret == FDT_ERR_NOTFOUND) {
		const char *at = strchr(name, '@');
		size_t len = at ? (size_t)(at - name) : strlen(name);

		/* "vm@1" is better known by its unit address than as a second "vm". */
		if (at && at[1] && strlen(name) < sizeof(cfg->name))
			len = strlen(name);
		if (len >= sizeof(cfg->name))
			len = sizeof(cfg->name) - 1;
		memcpy(cfg->name, name, len);
		cfg->name[len] = '\0';
		return 0;
	}
	if (ret != FDT_OK || !fdt_prop_is_string(&p))
		return vm_config_fail(err, err_len, name, "rhenium,name", "not a string");
	if (p.len < 2 || p.len > sizeof(cfg->name))
		return vm_config_fail(err, err_len, name, "rhenium,name",
				      "must be 1 to %u characters", VM_CONFIG_NAME_MAX - 1);
	for (uint32_t i = 0; i + 1 < p.len; i++) {
		if (!vm_config_name_char((char)p.data[i]))
			return vm_config_fail(err, err_len, name, "rhenium,name",
					      "only letters, digits, '-' and '_' are allowed");
	}
	str_copy(cfg->name, (const char *)p.data, sizeof(cfg->name));
	return 0;
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

static int vm_config_cpus(const struct fdt *fdt, int node, const char *name,
			  const struct platform_info *plat, struct vm_config *cfg, char *err,
			  size_t err_len)
{
	unsigned int ncpus = plat->cpu_count ? plat->cpu_count : 1;
	struct fdt_prop p;
	int ret = fdt_get_prop(fdt, node, "cpus", &p);

	if (ret == FDT_ERR_NOTFOUND) {
		for (unsigned int i = 0; i < cfg->vcpus; i++)
			cfg->cpu_affinity[i] = i % ncpus;
		return 0;
	}
	if (ret != FDT_OK || p.len % 4)
		return vm_config_fail(err, err_len, name, "cpus", "must be one cell per vCPU");
	if (p.len / 4 != cfg->vcpus)
		return vm_config_fail(err, err_len, name, "cpus",
				      "%u CPU(s) for %u vCPU(s): one per vCPU",
				      (unsigned int)(p.len / 4), cfg->vcpus);
	for (unsigned int i = 0; i < cfg->vcpus; i++) {
		uint32_t cpu = fdt_be32(p.data + 4 * i);

		if (cpu >= ncpus)
			return vm_config_fail(err, err_len, name, "cpus",
					      "CPU %u does not exist (the platform has CPUs 0-%u)",
					      cpu, ncpus - 1);
		cfg->cpu_affinity[i] = cpu;
	}
	return 0;
}

static int vm_config_devices_prop(const struct fdt *fdt, int node, const char *name,
				  struct vm_config *cfg, char *err, size_t err_len)
{
	struct fdt_prop p;
	int ret = fdt_get_prop(fdt, node, "devices", &p);
	uint32_t pos = 0;

	if (ret == FDT_ERR_NOTFOUND) {
		cfg->devices = VM_DEVICES_DEFAULT;
		return 0;
	}
	/* An empty property is an empty list: a VM without emulated devices. */
	if (ret != FDT_OK || (p.len && p.data[p.len - 1] != '\0'))
		return vm_config_fail(err, err_len, name, "devices", "not a list of strings");
	cfg->devices = 0;
	while (pos < p.len) {
		const char *dev = (const char *)p.data + pos;
		size_t len = strlen(dev); /* terminated: the last byte is a NUL */
		uint32_t bit = 0;

		for (size_t i = 0; i < ARRAY_SIZE(vm_config_devices); i++) {
			if (strcmp(dev, vm_config_devices[i].name) == 0)
				bit = vm_config_devices[i].bit;
		}
		if (!bit)
			return vm_config_fail(
				err, err_len, name, "devices",
				"unknown device \"%.32s\" (known: pl011, virtio-console, "
				"virtio-blk, virtio-net)",
				dev);
		if (cfg->devices & bit)
			return vm_config_fail(err, err_len, name, "devices", "\"%s\" listed twice",
					      dev);
		cfg->devices |= bit;
		pos += (uint32_t)len + 1;
	}
	return 0;
}

static int vm_config_disk(const struct fdt *fdt, int node, const char *name, struct vm_config *cfg,
			  char *err, size_t err_len)
{
	bool blk = cfg->devices & VM_DEVICE_VIRTIO_BLK;
	struct fdt_prop p;
	int ret = fdt_get_prop(fdt, node, "disk", &p);

	if (ret == FDT_ERR_NOTFOUND)
		return blk ? vm_config_fail(err, err_len, name, "disk",
					    "missing (devices has \"virtio-blk\")")
			   : 0;
	if (ret < 0 || p.len != 16)
		return vm_config_fail(err, err_len, name, "disk",
				      "must be two 64-bit cells <offset size>");
	cfg->disk_offset = fdt_be64(p.data);
	cfg->disk_size = fdt_be64(p.data + 8);
	if (!cfg->disk_size)
		return vm_config_fail(err, err_len, name, "disk", "size is zero");
	if (cfg->disk_offset % VM_CONFIG_DISK_SECTOR || cfg->disk_size % VM_CONFIG_DISK_SECTOR)
		return vm_config_fail(err, err_len, name, "disk",
				      "offset and size must be multiples of %u bytes",
				      (unsigned int)VM_CONFIG_DISK_SECTOR);
	if (cfg->disk_size > ~0ULL - cfg->disk_offset)
		return vm_config_fail(err, err_len, name, "disk",
				      "offset + size does not fit in 64 bits");
	/* A region nobody reads is more likely a typo in devices than intended. */
	if (!blk)
		return vm_config_fail(err, err_len, name, "disk",
				      "given without \"virtio-blk\" in devices");
	return 0;
}

static int vm_config_one(const struct fdt *fdt, int node, const char *name,
			 const struct platform_info *plat, struct vm_config *cfg, char *err,
			 size_t err_len)
{
	struct fdt_prop p;
	uint64_t mem;
	uint32_t vcpus;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = vm_config_check_props(fdt, node, name, err, err_len);
	if (!ret)
		ret = vm_config_name(fdt, node, name, cfg, err, err_len);
	if (!ret)
		ret = vm_config_image(fdt, node, name, "rhenium,kernel", plat, &cfg->kernel, true,
				      err, err_len);
	if (!ret)
		ret = vm_config_image(fdt, node, name, "rhenium,initrd", plat, &cfg->initrd, false,
				      err, err_len);
	if (ret)
		return ret;

	ret = fdt_get_prop(fdt, node, "bootargs", &p);
	if (ret == FDT_OK) {
		if (!fdt_prop_is_string(&p))
			return vm_config_fail(err, err_len, name, "bootargs", "not a string");
		if (p.len > sizeof(cfg->bootargs))
			return vm_config_fail(err, err_len, name, "bootargs", "too long");
		str_copy(cfg->bootargs, (const char *)p.data, sizeof(cfg->bootargs));
	}

	cfg->mem_size = VM_CONFIG_DEFAULT_MEM;
	ret = fdt_get_u64(fdt, node, "memory-size", &mem);
	if (ret == FDT_OK) {
		if (mem < VM_CONFIG_MIN_MEM || mem % (2ULL << 20))
			return vm_config_fail(err, err_len, name, "memory-size",
					      "must be a multiple of 2 MiB, at least 2 MiB");
		cfg->mem_size = mem;
	} else if (ret != FDT_ERR_NOTFOUND) {
		return vm_config_fail(err, err_len, name, "memory-size", "must be 1 or 2 cells");
	}

	cfg->vcpus = 1;
	ret = fdt_get_u32(fdt, node, "vcpus", &vcpus);
	if (ret == FDT_OK) {
		if (vcpus < 1 || vcpus > VM_CONFIG_MAX_VCPUS)
			return vm_config_fail(err, err_len, name, "vcpus", "must be 1 to %u",
					      VM_CONFIG_MAX_VCPUS);
		cfg->vcpus = vcpus;
	} else if (ret != FDT_ERR_NOTFOUND) {
		return vm_config_fail(err, err_len, name, "vcpus", "must be one cell");
	}

	ret = vm_config_cpus(fdt, node, name, plat, cfg, err, err_len);
	if (!ret)
		ret = vm_config_devices_prop(fdt, node, name, cfg, err, err_len);
	if (!ret)
		ret = vm_config_disk(fdt, node, name, cfg, err, err_len);
	if (ret)
		return ret;

	ret = fdt_get_prop(fdt, node, "autostart", &p);
	if (ret == FDT_OK && p.len)
		return vm_config_fail(err, err_len, name, "autostart",
				      "takes no value (present: start at boot)");
	cfg->autostart = ret == FDT_OK;
	return 0;
}

/* ---- across nodes ---- */

/* One image or host range, for overlap checks and the RAM budget. */
struct vm_config_range {
	paddr_t base;
	uint64_t size;
	const char *what;  /* "kernel", "initrd", or a host range's description */
	const char *owner; /* node name of the VM, NULL for host ranges */
	const char *prop;  /* property of the image, NULL for host ranges */
};

static int vm_config_check_overlaps(const struct vm_config_range *r, unsigned int n, char *err,
				    size_t err_len)
{
	/* Each image against everything listed before it: host ranges come first. */
	for (unsigned int i = 0; i < n; i++) {
		if (!r[i].owner)
			continue;
		for (unsigned int j = 0; j < i; j++) {
			if (!vm_config_overlap(r[i].base, r[i].size, r[j].base, r[j].size))
				continue;
			if (!r[j].owner)
				return vm_config_fail(err, err_len, r[i].owner, r[i].prop,
						      "overlaps %s", r[j].what);
			return vm_config_fail(err, err_len, r[i].owner, r[i].prop,
					      "overlaps the %s of %s", r[j].what, r[j].owner);
		}
	}
	return 0;
}

/* Bytes of [base, base + size) covered by the union of ranges[] (page-rounded). */
static uint64_t vm_config_covered(paddr_t base, uint64_t size, const struct mem_range *ranges,
				  unsigned int n)
{
	struct mem_range
		clip[VM_CONFIG_MAX * 2 + VM_CONFIG_MAX_HOST_RANGES + PLATFORM_MAX_RESERVED + 1];
	unsigned int m = 0;
	uint64_t covered = 0;
	paddr_t cur = base;

	for (unsigned int i = 0; i < n && m < ARRAY_SIZE(clip); i++) {
		paddr_t s = ranges[i].base & ~(VM_CONFIG_PAGE - 1);
		paddr_t e = ranges[i].base + ranges[i].size;
		unsigned int k;

		if (e < ranges[i].base || e > ~(paddr_t)0 - VM_CONFIG_PAGE)
			e = ~(paddr_t)0; /* wraps: up to the end of the address space */
		else
			e = (e + VM_CONFIG_PAGE - 1) & ~(VM_CONFIG_PAGE - 1);
		if (s < base)
			s = base;
		if (e > base + size)
			e = base + size;
		if (!ranges[i].size || s >= e)
			continue;
		/* Insertion sort by start. */
		for (k = m++; k > 0 && clip[k - 1].base > s; k--)
			clip[k] = clip[k - 1];
		clip[k] = (struct mem_range){ s, e - s };
	}
	for (unsigned int i = 0; i < m; i++) {
		paddr_t s = clip[i].base > cur ? clip[i].base : cur;
		paddr_t e = clip[i].base + clip[i].size;

		if (e > s) {
			covered += e - s;
			cur = e;
		}
	}
	return covered;
}

static int vm_config_check_memory(const struct platform_info *plat, const struct vm_config_range *r,
				  unsigned int n, const struct vm_config *cfgs,
				  const char *const *nodes, unsigned int count, char *err,
				  size_t err_len)
{
	struct mem_range
		used[VM_CONFIG_MAX * 2 + VM_CONFIG_MAX_HOST_RANGES + PLATFORM_MAX_RESERVED + 1];
	unsigned int u = 0;
	uint64_t avail = 0, left;

	for (unsigned int i = 0; i < n && u < ARRAY_SIZE(used); i++)
		used[u++] = (struct mem_range){ r[i].base, r[i].size };
	for (unsigned int i = 0; i < plat->reserved_count && u < ARRAY_SIZE(used); i++)
		used[u++] = plat->reserved[i];
	if (plat->initrd_end > plat->initrd_start && u < ARRAY_SIZE(used))
		used[u++] = (struct mem_range){ plat->initrd_start,
						plat->initrd_end - plat->initrd_start };
	for (unsigned int b = 0; b < plat->mem_count; b++)
		avail += plat->mem[b].size -
			 vm_config_covered(plat->mem[b].base, plat->mem[b].size, used, u);

	left = avail;
	for (unsigned int i = 0; i < count; i++) {
		char want[24], have[24], all[24];

		if (cfgs[i].mem_size <= left) {
			left -= cfgs[i].mem_size;
			continue;
		}
		fmt_size(want, sizeof(want), cfgs[i].mem_size);
		fmt_size(have, sizeof(have), left);
		fmt_size(all, sizeof(all), avail);
		if (i == 0)
			return vm_config_fail(err, err_len, nodes[i], "memory-size",
					      "%s is more than the %s of host RAM left for VMs",
					      want, have);
		return vm_config_fail(err, err_len, nodes[i], "memory-size",
				      "%s is more than the %s of host RAM left for VMs (of %s, "
				      "after the VMs before it)",
				      want, have, all);
	}
	return 0;
}

static int vm_config_check_all(const struct platform_info *plat,
			       const struct vm_config_host_range *host, unsigned int host_count,
			       const struct vm_config *cfgs, const char *const *nodes,
			       unsigned int count, char *err, size_t err_len)
{
	struct vm_config_range r[VM_CONFIG_MAX_HOST_RANGES + VM_CONFIG_MAX * 2];
	unsigned int n = 0;

	for (unsigned int i = 0; i < count; i++) {
		for (unsigned int j = 0; j < i; j++) {
			if (strcmp(cfgs[i].name, cfgs[j].name) == 0)
				return vm_config_fail(err, err_len, nodes[i], "rhenium,name",
						      "\"%s\" is already the name of %s",
						      cfgs[i].name, nodes[j]);
		}
	}

	for (unsigned int i = 0; i < host_count && i < VM_CONFIG_MAX_HOST_RANGES; i++) {
		if (host[i].size)
			r[n++] = (struct vm_config_range){ host[i].base, host[i].size,
							   host[i].what ? host[i].what
									: "host memory in use",
							   NULL, NULL };
	}
	for (unsigned int i = 0; i < count; i++) {
		r[n++] = (struct vm_config_range){ cfgs[i].kernel.pa, cfgs[i].kernel.size, "kernel",
						   nodes[i], "rhenium,kernel" };
		if (cfgs[i].initrd.size)
			r[n++] = (struct vm_config_range){ cfgs[i].initrd.pa, cfgs[i].initrd.size,
							   "initrd", nodes[i], "rhenium,initrd" };
	}
	if (vm_config_check_overlaps(r, n, err, err_len))
		return -1;

	/* The disk is shared storage: an overlap would let one VM read another's data. */
	for (unsigned int i = 0; i < count; i++) {
		for (unsigned int j = 0; j < i && cfgs[i].disk_size; j++) {
			if (cfgs[j].disk_size &&
			    vm_config_overlap(cfgs[i].disk_offset, cfgs[i].disk_size,
					      cfgs[j].disk_offset, cfgs[j].disk_size))
				return vm_config_fail(err, err_len, nodes[i], "disk",
						      "overlaps the disk region of %s", nodes[j]);
		}
	}
	return vm_config_check_memory(plat, r, n, cfgs, nodes, count, err, err_len);
}

int vm_config_parse_host(const void *dtb, size_t dtb_len, const struct platform_info *plat,
			 const struct vm_config_host_range *used, unsigned int used_count,
			 struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len)
{
	const char *nodes[VM_CONFIG_MAX];
	struct fdt fdt;
	unsigned int n = 0;
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
		if (n == VM_CONFIG_MAX)
			return vm_config_fail(err, err_len, name, "compatible",
					      "more than %u VMs configured", VM_CONFIG_MAX);
		ret = vm_config_one(&fdt, node, name, plat, &cfgs[n], err, err_len);
		if (ret)
			return ret;
		nodes[n++] = name;
	}
	if (vm_config_check_all(plat, used, used_count, cfgs, nodes, n, err, err_len))
		return -1;
	*count = n;
	return 0;
}

int vm_config_parse(const void *dtb, size_t dtb_len, const struct platform_info *plat,
		    struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len)
{
	return vm_config_parse_host(dtb, dtb_len, plat, NULL, 0, cfgs, count, err, err_len);
}
