/* SPDX-License-Identifier: MIT */
/*
 * Virtual GICv3 for one VM: an emulated Distributor and Redistributors
 * (guest MMIO to them traps and lands here) in front of the hardware virtual
 * CPU interface, which the hypervisor feeds through the list registers
 * ICH_LR<n>_EL2. This is generic code: it never touches a system register.
 * The arch code moves values between the hardware and these functions:
 *
 *   exit:   vgic_sync(vgic, vcpu, lrs read back, n)
 *   ...     MMIO traps -> vgic_dist_mmio / vgic_redist_mmio,
 *           ICC_SGI1R_EL1 traps -> vgic_send_sgi,
 *           devices -> vgic_set_line / vgic_inject_edge / vgic_inject_hw
 *   entry:  vgic_flush(vgic, vcpu, lrs to write, n, &ich_hcr)
 *   WFI:    vgic_has_pending(vgic, vcpu, ich_vmcr)
 *
 * Every public function takes the VM's vgic lock (one per VM) and releases it
 * before calling any of the vgic_ops callbacks, so callbacks may call back
 * into the vgic. See docs/vgic.md for the model and its limits.
 */
#ifndef RHENIUM_VGIC_H
#define RHENIUM_VGIC_H

#include <rhenium/spinlock.h>
#include <rhenium/types.h>

#define VGIC_MAX_VCPUS 8
/* SPIs are INTID 32 .. 32 + nr_spis - 1; QEMU virt's last one is 287. */
#define VGIC_MAX_SPIS 256
/* ICH_VTR_EL2.ListRegs can describe at most 16. */
#define VGIC_MAX_LRS 16
#define VGIC_NR_PRIVATE 32 /* SGIs 0-15 and PPIs 16-31, per vCPU */
#define VGIC_NR_SGIS 16
#define VGIC_NO_VCPU 0xffu

/* Guest-physical layout: one 64 KiB GICD frame, 128 KiB of GICR per vCPU. */
#define VGIC_DIST_SIZE 0x10000u
#define VGIC_REDIST_STRIDE 0x20000u /* RD_base frame + SGI_base frame */

/* ICH_LR<n>_EL2 */
#define VGIC_LR_VINTID_MASK 0xffffffffull
#define VGIC_LR_PINTID_SHIFT 32
#define VGIC_LR_PINTID_MASK (0x1fffull << VGIC_LR_PINTID_SHIFT)
#define VGIC_LR_EOI (1ull << 41) /* only when HW == 0 */
#define VGIC_LR_PRIORITY_SHIFT 48
#define VGIC_LR_GROUP1 (1ull << 60)
#define VGIC_LR_HW (1ull << 61)
#define VGIC_LR_PENDING (1ull << 62)
#define VGIC_LR_ACTIVE (1ull << 63)

/* ICH_HCR_EL2 bits vgic_flush may return; the caller ORs in its own traps. */
#define VGIC_HCR_EN (1ull << 0)
#define VGIC_HCR_UIE (1ull << 1)
#define VGIC_HCR_LRENPIE (1ull << 2)
#define VGIC_HCR_NPIE (1ull << 3)

/* ICH_VMCR_EL2 fields vgic_has_pending looks at. */
#define VGIC_VMCR_VENG0 (1ull << 0)
#define VGIC_VMCR_VENG1 (1ull << 1)
#define VGIC_VMCR_VPMR_SHIFT 24
/* "Unknown guest CPU interface state": wake on any enabled pending interrupt. */
#define VGIC_VMCR_ANY (VGIC_VMCR_VENG0 | VGIC_VMCR_VENG1 | (0xffull << VGIC_VMCR_VPMR_SHIFT))

#define VGIC_OK 0
#define VGIC_EINVAL (-1)

/* What an MMIO access did. Every access completes; reads return *value. */
enum vgic_mmio_result {
	VGIC_MMIO_OK = 0,
	VGIC_MMIO_UNKNOWN = 1, /* unimplemented or reserved offset: read as zero, write ignored */
	VGIC_MMIO_BAD_ACCESS = 2, /* width or alignment the register does not allow: RAZ/WI */
};

struct vgic_ops {
	/*
	 * vCPU `vcpu` gained something to deliver, or its list registers hold
	 * stale state: make it exit (IPI) or wake it from WFI. May name the
	 * vCPU the caller is running on; treat that as a no-op.
	 */
	void (*kick)(void *ctx, unsigned int vcpu);
	/*
	 * Deactivate physical interrupt pintid, which the guest can no longer
	 * deactivate through an HW list register (it cleared the virtual
	 * pending or active state by MMIO). Called only from vgic_flush of
	 * `vcpu`, i.e. on the physical CPU that runs it, so a PPI is reached
	 * through the right redistributor. May be NULL.
	 */
	void (*deactivate_hw)(void *ctx, unsigned int vcpu, uint32_t pintid);
	/* One line about a guest access that was ignored (printed once per offset). May be NULL. */
	void (*log)(void *ctx, const char *msg);
};

struct vgic_config {
	unsigned int nr_vcpus; /* 1..VGIC_MAX_VCPUS */
	unsigned int nr_spis;  /* 0..VGIC_MAX_SPIS */
	/* Virtual priority bits, ICH_VTR_EL2.PRIbits + 1: 5..8. */
	unsigned int pri_bits;
	/* Each vCPU's MPIDR_EL1 as the guest sees it; only Aff3..Aff0 are used, all distinct. */
	uint64_t mpidr[VGIC_MAX_VCPUS];
	const struct vgic_ops *ops; /* may be NULL */
	void *ctx;
};

struct vgic_stats {
	uint64_t unknown_accesses; /* VGIC_MMIO_UNKNOWN */
	uint64_t bad_accesses;	   /* VGIC_MMIO_BAD_ACCESS */
	uint64_t lr_mismatches;	   /* vgic_sync found an LR not holding what flush put there */
	uint64_t sgis_dropped;	   /* SGIs that matched no vCPU or a Group 0 SGI */
};

/* ---------------------------------------------------------------------------
 * State. Public so a VM can embed it; touch it only through the functions.
 */

struct vgic_irq {
	/* Bumped whenever the pending latch changes, so sync can tell a new edge from the old one. */
	uint32_t seq;
	uint16_t intid;
	uint16_t pintid; /* physical INTID when hw */
	uint8_t priority;
	uint8_t target;	 /* receiving vCPU (owner for SGI/PPI, IROUTER for SPI) or VGIC_NO_VCPU */
	uint8_t lr_vcpu; /* vCPU whose list registers hold it, VGIC_NO_VCPU if none */
	uint8_t lr_slot;
	bool enabled;
	bool group1;
	bool edge;  /* ICFGR: edge-triggered; else level-sensitive */
	bool latch; /* pending latch: edges, ISPENDR, SGIs, HW injections */
	bool line;  /* input level (level-sensitive interrupts: pending = latch || line) */
	bool active;
	bool hw;	  /* linked to physical pintid */
	bool phys_active; /* the physical one awaits deactivation through the HW link */
	bool hw_deact;	  /* ... or through ops->deactivate_hw at the next flush */
};

/* What vgic_flush wrote to one list register, for vgic_sync to compare against. */
struct vgic_lr_slot {
	struct vgic_irq *irq;
	uint32_t seq;
	uint8_t state; /* written State field: bit 0 pending, bit 1 active */
	bool hw;
};

struct vgic_vcpu {
	struct vgic_irq priv[VGIC_NR_PRIVATE];
	struct vgic_lr_slot lr[VGIC_MAX_LRS];
	unsigned int nr_lrs;  /* as passed to the last vgic_flush */
	unsigned int lr_used; /* slots from lr_used on are empty since the last vgic_flush */
	uint32_t live_priv;   /* private interrupts that may be pending or active (see live_spi) */
	uint64_t affinity;    /* MPIDR Aff3 [39:32], Aff2..Aff0 [23:0] */
	bool asleep;	      /* GICR_WAKER.ProcessorSleep */
};

#define VGIC_LOG_ONCE_MAX 32

struct vgic {
	struct spinlock lock;
	unsigned int nr_vcpus;
	unsigned int nr_spis;
	uint8_t pri_mask;
	bool grp0_enabled; /* GICD_CTLR.EnableGrp0 */
	bool grp1_enabled; /* GICD_CTLR.EnableGrp1 */
	const struct vgic_ops *ops;
	void *ctx;
	struct vgic_vcpu vcpu[VGIC_MAX_VCPUS];
	struct vgic_irq spi[VGIC_MAX_SPIS];
	uint64_t irouter[VGIC_MAX_SPIS];
	struct vgic_stats stats;
	/*
	 * SPIs that may be pending or active: set by every state change that
	 * makes one so (vgic_irq_commit), cleared by flush when it finds one
	 * neither, so flush looks at these and not at every interrupt.
	 */
	uint64_t live_spi[VGIC_MAX_SPIS / 64];
	/* Interrupts with hw_deact set: flush scans for them only when there are some. */
	unsigned int nr_hw_deact;
	/* Work for after the lock is dropped. */
	uint32_t kick_mask;
	bool log_pending;
	char log_msg[112];
	unsigned int nr_logged;
	uint32_t logged[VGIC_LOG_ONCE_MAX];
};

/* ---------------------------------------------------------------------------
 * API
 */

/*
 * Resets everything: distributor disabled, redistributors asleep, every
 * interrupt Group 1 with priority 0, SGIs enabled, PPIs and SPIs disabled
 * and level-sensitive, SPIs routed to vCPU 0. VGIC_EINVAL on a bad config.
 */
int vgic_init(struct vgic *vgic, const struct vgic_config *cfg);

/* Bytes of guest-physical space the redistributors take: nr_vcpus * 128 KiB. */
uint64_t vgic_redist_size(const struct vgic *vgic);

/*
 * One trapped guest access by vCPU `vcpu`. offset is from the GICD base, or
 * from the base of the whole redistributor region (the frame is picked by
 * offset / VGIC_REDIST_STRIDE, whoever accesses it). size is 1, 2, 4 or 8.
 * Reads store the zero-extended result in *value; writes use its low `size`
 * bytes. The access always completes: see enum vgic_mmio_result.
 */
enum vgic_mmio_result vgic_dist_mmio(struct vgic *vgic, unsigned int vcpu, uint64_t offset,
				     unsigned int size, bool write, uint64_t *value);
enum vgic_mmio_result vgic_redist_mmio(struct vgic *vgic, unsigned int vcpu, uint64_t offset,
				       unsigned int size, bool write, uint64_t *value);

/*
 * Input level of a PPI (of vCPU `vcpu`) or an SPI (`vcpu` ignored). For a
 * level-sensitive interrupt it is pending while high; for an edge-triggered
 * one a low-to-high change sets it pending. VGIC_EINVAL for SGIs and INTIDs
 * that do not exist.
 */
int vgic_set_line(struct vgic *vgic, unsigned int vcpu, unsigned int intid, bool level);

/* One edge: sets the pending latch of any SGI, PPI or SPI (`vcpu` names the SGI/PPI owner). */
int vgic_inject_edge(struct vgic *vgic, unsigned int vcpu, unsigned int intid);

/*
 * A physical interrupt pintid that the hypervisor acknowledged and priority
 * dropped (EOImode 1), and left active: virtual intid becomes pending with
 * the HW link, so the guest's deactivation of intid deactivates pintid. For
 * the virtual timer: vgic_inject_hw(vgic, vcpu, 27, 27). PPIs and SPIs only.
 */
int vgic_inject_hw(struct vgic *vgic, unsigned int vcpu, unsigned int intid, unsigned int pintid);

/*
 * A trapped write of ICC_SGI1R_EL1 by vCPU `sender`: Group 1 SGI INTID[27:24]
 * to the vCPUs named by Aff3.Aff2.Aff1 + RS/TargetList, or (IRM) to every
 * vCPU but the sender. Targets whose SGI is Group 0 do not receive it.
 */
int vgic_send_sgi(struct vgic *vgic, unsigned int sender, uint64_t sgi1r);

/*
 * Before entering `vcpu`: fills lrs[0 .. nr_lrs) with the list register
 * values to write (unused ones are 0) and *hcr with the ICH_HCR_EL2 bits the
 * vgic needs (En always; UIE/NPIE when interrupts wait for a free LR).
 * Returns how many leading LRs may be non-zero, so the caller can skip
 * reading back the rest at the next exit. Runs on the physical CPU that will
 * enter `vcpu` (ops->deactivate_hw relies on it).
 */
unsigned int vgic_flush(struct vgic *vgic, unsigned int vcpu, uint64_t *lrs, unsigned int nr_lrs,
			uint64_t *hcr);

/*
 * True if nothing is pending or active for `vcpu` and no LR of it is in use:
 * vgic_flush would write only empty LRs and ICH_HCR_EL2.En. A trap handled
 * while this holds, and still holds afterwards, may go straight back into the
 * guest without a flush and sync (vcpu_handle_exit_fast). Lock-free.
 */
bool vgic_vcpu_quiet(const struct vgic *vgic, unsigned int vcpu);

/*
 * After `vcpu` exits: lrs[0 .. nr_lrs) as read back from ICH_LR<n>_EL2 (the
 * same nr_lrs as the flush; entries past the flush's return value may be 0).
 * Folds acknowledgements, EOIs and deactivations back into the model.
 */
void vgic_sync(struct vgic *vgic, unsigned int vcpu, const uint64_t *lrs, unsigned int nr_lrs);

/*
 * True if `vcpu` has an enabled, pending, not active interrupt in an enabled
 * group. With vmcr = the vCPU's ICH_VMCR_EL2, interrupts the guest masks by
 * priority (VPMR) or by group (VENG0/VENG1) do not count; VGIC_VMCR_ANY
 * ignores the guest CPU interface.
 */
bool vgic_has_pending(struct vgic *vgic, unsigned int vcpu, uint64_t vmcr);

/* A copy of the counters, taken under the lock. */
void vgic_get_stats(struct vgic *vgic, struct vgic_stats *out);

#endif
