/* SPDX-License-Identifier: MIT */
/*
 * An emulated virtio-mmio transport, version 2 (VIRTIO 1.2 section 4.2),
 * modern devices only: the register file a guest driver sees, feature
 * negotiation, the device status state machine, split virtqueues in guest RAM
 * (vdev/virtq.c) and the interrupt line. A device model (console, block,
 * network) plugs in through struct virtio_mmio_device.
 *
 * Malformed rings put the device into NEEDS_RESET (2.1.2): Status reads back
 * with that bit, a configuration-change interrupt is raised, and no queue is
 * processed until the driver resets the device by writing 0 to Status.
 *
 * Concurrency: register accesses take the transport's lock; each queue has
 * its own lock, held while the device model processes it (queue_notify, or
 * input arriving from outside: console input, packets from another VM). A
 * device that moves data from one of its queues into another transport's
 * queue may only hold transmit-side locks while taking receive-side ones.
 * Lock order: transport lock, then queue locks in index order, then the
 * interrupt lock (and the vGIC's lock inside set_irq).
 */
#ifndef RHENIUM_VIRTIO_MMIO_H
#define RHENIUM_VIRTIO_MMIO_H

#include <rhenium/mmio.h>
#include <rhenium/spinlock.h>
#include <rhenium/types.h>
#include <rhenium/virtq.h>

#define VIRTIO_MMIO_SIZE 0x200ull
#define VIRTIO_MMIO_MAX_QUEUES 2u
#define VIRTIO_MMIO_VENDOR 0x4e454852u /* "RHEN" */

struct virtio_mmio;

/* The device model behind a transport. */
struct virtio_mmio_device {
	const char *name; /* for log messages: "virtio-blk" */
	uint32_t device_id;
	unsigned int num_queues; /* 1..VIRTIO_MMIO_MAX_QUEUES */
	uint64_t features; /* device-specific bits; the transport adds VERSION_1, INDIRECT_DESC */
	/* Device configuration space (offset 0x100 on); 0 or -1 to refuse. write may be NULL. */
	int (*config_read)(void *ctx, uint64_t offset, unsigned int size, uint64_t *value);
	int (*config_write)(void *ctx, uint64_t offset, unsigned int size, uint64_t value);
	/*
	 * The driver notified queue `index` (or DRIVER_OK was set, which
	 * replays a notification for every ready queue). Called with that
	 * queue's lock held and the device live (DRIVER_OK, not NEEDS_RESET).
	 */
	void (*queue_notify)(void *ctx, struct virtio_mmio *t, unsigned int index);
	/* The device was reset (Status = 0, or a VM reset); queue locks held. May be NULL. */
	void (*reset)(void *ctx);
};

struct virtio_mmio_stats {
	uint64_t notifies;
	uint64_t interrupts;
	uint64_t resets;
	uint64_t errors;       /* NEEDS_RESET events */
	uint64_t bad_accesses; /* refused register accesses */
};

struct virtio_mmio {
	const struct virtio_mmio_device *dev;
	void *ctx;
	const char *owner; /* VM name, for log messages */
	struct virtq_guest_mem mem;
	void (*set_irq)(void *irq_ctx, bool level);
	void *irq_ctx;

	struct spinlock lock;
	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	uint32_t queue_sel;
	uint32_t config_generation;
	bool needs_reset;

	struct spinlock irq_lock;
	uint32_t interrupt_status;

	struct spinlock queue_lock[VIRTIO_MMIO_MAX_QUEUES];
	struct virtq queue[VIRTIO_MMIO_MAX_QUEUES];
	struct virtq_chain chain[VIRTIO_MMIO_MAX_QUEUES]; /* per queue, under its lock */

	struct virtio_mmio_stats stats;
};

/*
 * Sets up a transport for `dev` over guest RAM `mem` (copied), in reset
 * state. Call once; afterwards use virtio_mmio_reset() (other CPUs may hold
 * its locks at any time).
 */
void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_device *dev, void *ctx,
		      const char *owner, const struct virtq_guest_mem *mem,
		      void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx);
/* Device reset: what writing 0 to Status does; lowers the interrupt. */
void virtio_mmio_reset(struct virtio_mmio *t);

int virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned int size, uint64_t *value);
int virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned int size, uint64_t value);
/* For mmio_register(): ctx is the struct virtio_mmio *. */
extern const struct mmio_ops virtio_mmio_ops;

/* ---- for device models ---- */

/* True while the driver has the device running: DRIVER_OK and not NEEDS_RESET. */
bool virtio_mmio_live(const struct virtio_mmio *t);
void virtio_mmio_queue_lock(struct virtio_mmio *t, unsigned int index);
void virtio_mmio_queue_unlock(struct virtio_mmio *t, unsigned int index);
/*
 * Takes the next chain of a queue (its lock held) into the queue's scratch
 * chain and returns it; NULL if there is none or the device is not live. On
 * a malformed ring the device enters NEEDS_RESET (logged) and NULL is returned.
 */
struct virtq_chain *virtio_mmio_pop(struct virtio_mmio *t, unsigned int index);
/* Returns a chain to the driver; virtio_mmio_signal() afterwards raises the interrupt. */
void virtio_mmio_push(struct virtio_mmio *t, unsigned int index, uint16_t head, uint32_t written);
/* Raises the used-buffer interrupt unless the driver suppressed it for that queue. */
void virtio_mmio_signal(struct virtio_mmio *t, unsigned int index);
/*
 * The driver broke the device protocol in a way the device model detected
 * (e.g. a request too short to hold its header): NEEDS_RESET, like a bad ring.
 */
void virtio_mmio_fail(struct virtio_mmio *t, const char *why);

#endif
