/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: its RAM (from the page allocator, mapped by Stage-2 at
 * the QEMU virt guest addresses), its emulated devices (vGICv3 distributor
 * and redistributors, PL011) on an MMIO bus, and its vCPUs.
 *
 * Guest physical map (mirrors QEMU virt, so software built for it runs unchanged):
 *   0x08000000  GICv3 distributor (64 KiB, emulated)
 *   0x080a0000  GICv3 redistributors (128 KiB per vCPU, emulated)
 *   0x09000000  PL011 UART (4 KiB, emulated), SPI 1 = INTID 33
 *   0x0a000000  virtio-mmio transports, 0x200 apart, SPI 16 + n (those the VM has):
 *               n = 0 console, 1 block (a region of the physical disk), 2 network
 *   0x40000000  RAM
 * Everything else is unmapped: an access is injected back as an external abort.
 */
#ifndef RHENIUM_VM_H
#define RHENIUM_VM_H

#include <rhenium/mmio.h>
#include <rhenium/pgtable.h>
#include <rhenium/spinlock.h>
#include <rhenium/vcpu.h>
#include <rhenium/vgic.h>
#include <rhenium/virtio_blk.h>
#include <rhenium/virtio_console.h>
#include <rhenium/virtio_net.h>
#include <rhenium/vm_config.h>
#include <rhenium/vpl011.h>

#define VM_MAX_VCPUS VM_CONFIG_MAX_VCPUS
#define VM_MAX 4
#define VM_UART_INTID 33
/*
 * Console input waiting for the guest. A PL011 guest takes it a byte or a
 * FIFO at a time, far slower than a paste arrives: room for a few lines.
 */
#define VM_CONSOLE_INPUT_SIZE 4096u

/* virtio-mmio transport slots of the guest map (guest_dt.h: GUEST_VIRT_VIRTIO_*). */
enum vm_virtio_slot {
	VM_VIRTIO_CONSOLE = 0,
	VM_VIRTIO_BLK = 1,
	VM_VIRTIO_NET = 2,
	VM_VIRTIO_SLOTS = 3,
};

struct vm;
/* What a virtio transport's set_irq needs to reach the vGIC. */
struct vm_irq_line {
	struct vm *vm;
	uint32_t intid;
};

enum vm_state {
	VM_STATE_NONE = 0,
	VM_STATE_RUNNING,
	VM_STATE_STOPPED, /* powered off by the guest (PSCI SYSTEM_OFF) or by an error */
};

struct vm {
	struct vm_config cfg;
	unsigned int id;
	uint16_t vmid;
	enum vm_state state;

	struct pgtable s2;
	paddr_t ram_ipa;
	paddr_t ram_pa;
	uint64_t ram_size;
	paddr_t entry_ipa;
	paddr_t dtb_ipa;

	struct mmio_bus mmio;
	struct vgic vgic;
	struct vpl011 uart;
	struct spinlock uart_lock;

	/* virtio devices, those named by cfg.devices; all share one view of guest RAM. */
	struct virtq_guest_mem guest_mem;
	struct vm_irq_line virtio_irq[VM_VIRTIO_SLOTS];
	struct virtio_console vcon;
	struct virtio_blk vblk;
	struct virtio_net vnet;

	struct vcpu vcpus[VM_MAX_VCPUS];
	unsigned int vcpu_count;
	uint64_t resets;

	/* Console: input the monitor routed here, output waiting for a full line. */
	struct spinlock console_lock;
	uint8_t input[VM_CONSOLE_INPUT_SIZE];
	size_t input_head;
	size_t input_count;
	char out_line[160];
	size_t out_len;
};

/* Creates a VM from its configuration and loads its images; 0 or a negative error (logged). */
int vm_create(struct vm *vm, unsigned int id, const struct vm_config *cfg);
/* Reloads the images and resets devices and vCPUs: a reboot from fresh images. */
int vm_reset(struct vm *vm);
/* Stops every vCPU of the VM. */
void vm_stop(struct vm *vm);
/* Queues console input for the VM (what does not fit is dropped); returns bytes taken. */
size_t vm_console_input(struct vm *vm, const uint8_t *buf, size_t len);
/* Feeds queued console input to the VM's UART as it has room. */
void vm_console_poll(struct vm *vm);

/* ---- provided by the architecture ---- */
/* IPA size Stage-2 uses on this CPU and the translation level its walk starts at. */
void arch_stage2_geometry(unsigned int *ipa_bits, unsigned int *start_level);
/* Drops every TLB entry of a VMID on all CPUs (the VM's tables changed or were freed). */
void arch_stage2_tlb_flush_vmid(uint16_t vmid);
/* Makes guest memory written by the hypervisor visible to a guest running with caches off. */
void arch_guest_memory_written(const void *va, size_t size);
unsigned int arch_vgic_nr_lrs(void);
unsigned int arch_vgic_priority_bits(void);
uint64_t arch_vcpu_read_vmcr(const struct vcpu *vcpu);
/* INTID of the PMU overflow PPI guests get (their PMU is the real one), 0 if none. */
uint32_t arch_vcpu_pmu_intid(void);

#endif
