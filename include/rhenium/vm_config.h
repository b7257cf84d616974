/* SPDX-License-Identifier: MIT */
/*
 * Which VMs to run, read from the boot device tree: nodes under /chosen with
 * compatible "rhenium,vm" (and no status other than "okay"). The build writes
 * them from a manifest (docs/manifest.md, scripts/run-manifest.py); the images
 * they name were put in host memory by QEMU's -device loader (or a boot
 * loader) and stay there, so a VM can be reset from pristine copies.
 *
 *   /chosen/vm@0 {
 *       compatible = "rhenium,vm";
 *       rhenium,name = "linux-a";                            optional (node name)
 *       rhenium,kernel = /bits/ 64 <0xb0000000 0x2f8a200>;   address, size
 *       rhenium,initrd = /bits/ 64 <0xb8000000 0x1a0000>;    optional
 *       bootargs = "console=ttyAMA0";                         optional ("")
 *       memory-size = /bits/ 64 <0x20000000>;                 optional (256 MiB)
 *       vcpus = <2>;                                          optional (1)
 *       cpus = <0 1>;                                         optional (vCPU i on CPU i % n)
 *       devices = "pl011";                                    optional ("pl011")
 *       disk = /bits/ 64 <0x0 0x10000000>;                    with "virtio-blk" only
 *       autostart;                                            optional (created stopped)
 *   };
 *
 * Only these properties (plus status and phandle) are allowed. Every value is
 * checked per node (types, ranges, images inside host RAM), then across
 * nodes: unique names, no two images overlapping each other or host memory
 * the caller already uses, no two disk regions sharing a sector, and the sum
 * of memory-size within the host RAM that is left. Errors name the node and
 * property: "/chosen/vm@1: memory-size: 1 GiB is more than ...".
 */
#ifndef RHENIUM_VM_CONFIG_H
#define RHENIUM_VM_CONFIG_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

#define VM_CONFIG_MAX 4
#define VM_CONFIG_NAME_MAX 32 /* rhenium,name: 1..31 of [A-Za-z0-9_-] */
#define VM_CONFIG_BOOTARGS_MAX 512
#define VM_CONFIG_MAX_VCPUS 8
#define VM_CONFIG_DEFAULT_MEM (256ULL << 20)
#define VM_CONFIG_MIN_MEM (2ULL << 20)
#define VM_CONFIG_MAX_HOST_RANGES 8
#define VM_CONFIG_DISK_SECTOR 512ULL

/*
 * Emulated devices ("devices" string list). The virtio ones are virtio-mmio
 * transports in the guest; "virtio-blk" is backed by the VM's disk region
 * (the "disk" property), and a VM has one exactly when it has "virtio-blk".
 */
enum vm_device {
	VM_DEVICE_PL011 = 1u << 0,	    /* "pl011" */
	VM_DEVICE_VIRTIO_CONSOLE = 1u << 1, /* "virtio-console" */
	VM_DEVICE_VIRTIO_BLK = 1u << 2,	    /* "virtio-blk" */
	VM_DEVICE_VIRTIO_NET = 1u << 3,	    /* "virtio-net" */
};
#define VM_DEVICES_DEFAULT VM_DEVICE_PL011

struct vm_image {
	paddr_t pa;
	uint64_t size; /* 0: absent */
};

struct vm_config {
	char name[VM_CONFIG_NAME_MAX]; /* rhenium,name, else the node name ("vm@0") */
	struct vm_image kernel;
	struct vm_image initrd;
	char bootargs[VM_CONFIG_BOOTARGS_MAX];
	uint64_t mem_size;
	unsigned int vcpus;
	/* Physical CPU (logical index: 0 = boot CPU) of each vCPU, [0..vcpus). */
	unsigned int cpu_affinity[VM_CONFIG_MAX_VCPUS];
	uint32_t devices; /* enum vm_device bits */
	/*
	 * The VM's part of the physical disk, in bytes ("disk"): sector-aligned,
	 * disjoint from every other VM's. Whether the disk is that large is for
	 * the disk driver to say at run time. disk_size 0: no disk.
	 */
	uint64_t disk_offset;
	uint64_t disk_size;
	bool autostart;
};

/* Host memory the caller already uses, which no image may overlap. */
struct vm_config_host_range {
	paddr_t base;
	uint64_t size;
	const char *what; /* for messages: "the hypervisor image", "the boot device tree" */
};

/*
 * Fills cfgs[0..*count) from the DTB. Every image must lie inside one of the
 * platform's RAM banks. Returns 0, or a negative value with a message naming
 * the node and property in err (*count is then 0).
 *
 * vm_config_parse_host() also rejects images overlapping any of
 * used[0..used_count) (at most VM_CONFIG_MAX_HOST_RANGES are looked at) and
 * leaves those ranges out of the RAM available for VMs; vm_config_parse() is
 * the same with none.
 */
int vm_config_parse(const void *dtb, size_t dtb_len, const struct platform_info *plat,
		    struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len);
int vm_config_parse_host(const void *dtb, size_t dtb_len, const struct platform_info *plat,
			 const struct vm_config_host_range *used, unsigned int used_count,
			 struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len);

/* "pl011", ... for one enum vm_device bit; NULL for anything else. */
const char *vm_device_name(uint32_t device);

#endif
