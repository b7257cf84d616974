/* SPDX-License-Identifier: MIT */
/*
 * Which VMs to start, read from the boot device tree: nodes under /chosen
 * with compatible "rhenium,vm". The images they name were put in host memory
 * by the build (QEMU's -device loader) and stay there, so a VM can be reset
 * from pristine copies.
 *
 *   /chosen/vm@0 {
 *       compatible = "rhenium,vm";
 *       rhenium,kernel = /bits/ 64 <0xb0000000 0x2f8a200>;   address, size
 *       rhenium,initrd = /bits/ 64 <0xb8000000 0x1a0000>;    optional
 *       bootargs = "console=ttyAMA0";                         optional
 *       memory-size = /bits/ 64 <0x20000000>;                 optional (256 MiB)
 *       vcpus = <1>;                                          optional (1)
 *   };
 */
#ifndef RHENIUM_VM_CONFIG_H
#define RHENIUM_VM_CONFIG_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

#define VM_CONFIG_MAX 4
#define VM_CONFIG_NAME_MAX 32
#define VM_CONFIG_BOOTARGS_MAX 512
#define VM_CONFIG_MAX_VCPUS 8
#define VM_CONFIG_DEFAULT_MEM (256ULL << 20)
#define VM_CONFIG_MIN_MEM (2ULL << 20)

struct vm_image {
	paddr_t pa;
	uint64_t size; /* 0: absent */
};

struct vm_config {
	char name[VM_CONFIG_NAME_MAX];
	struct vm_image kernel;
	struct vm_image initrd;
	char bootargs[VM_CONFIG_BOOTARGS_MAX];
	uint64_t mem_size;
	unsigned int vcpus;
};

/*
 * Fills cfgs[0..*count) from the DTB. Every image must lie inside one of the
 * platform's RAM banks. Returns 0, or a negative value with a message naming
 * the node and property in err.
 */
int vm_config_parse(const void *dtb, size_t dtb_len, const struct platform_info *plat,
		    struct vm_config *cfgs, unsigned int *count, char *err, size_t err_len);

#endif
