/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio version 2 register file (VIRTIO 1.2 section 4.2.2). The
 * control registers below 0x100 are 32-bit only (4.2.2.2: "the driver MUST
 * only use 32 bit wide and aligned reads and writes"); other accesses are
 * refused, and the guest takes an external abort. Device configuration space
 * from 0x100 on is the device model's.
 */
#include <rhenium/format.h>
#include <rhenium/log.h>
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_mmio.h>

/* Ring features every emulated device offers: the transport implements them. */
#define VIRTIO_MMIO_TRANSPORT_FEATURES \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_INDIRECT_DESC))

static uint64_t virtio_mmio_device_features(const struct virtio_mmio *t)
{
	return t->dev->features | VIRTIO_MMIO_TRANSPORT_FEATURES;
}

static void virtio_mmio_raise(struct virtio_mmio *t, uint32_t bits)
{
	spinlock_lock(&t->irq_lock);
	t->interrupt_status |= bits;
	t->stats.interrupts++;
	if (t->set_irq)
		t->set_irq(t->irq_ctx, true);
	spinlock_unlock(&t->irq_lock);
}

static void virtio_mmio_ack(struct virtio_mmio *t, uint32_t bits)
{
	spinlock_lock(&t->irq_lock);
	t->interrupt_status &= ~bits;
	if (!t->interrupt_status && t->set_irq)
		t->set_irq(t->irq_ctx, false);
	spinlock_unlock(&t->irq_lock);
}

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_mmio_device *dev, void *ctx,
		      const char *owner, const struct virtq_guest_mem *mem,
		      void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx)
{
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->ctx = ctx;
	t->owner = owner;
	t->mem = *mem;
	t->set_irq = set_irq;
	t->irq_ctx = irq_ctx;
	t->lock = (struct spinlock)SPINLOCK_INIT;
	t->irq_lock = (struct spinlock)SPINLOCK_INIT;
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->queue_lock[i] = (struct spinlock)SPINLOCK_INIT;
}

/* With t->lock held. */
static void virtio_mmio_reset_locked(struct virtio_mmio *t)
{
	for (unsigned int i = 0; i < t->dev->num_queues; i++)
		spinlock_lock(&t->queue_lock[i]);
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->queue[i]);
	t->status = 0;
	t->device_features_sel = 0;
	t->driver_features_sel = 0;
	t->driver_features = 0;
	t->queue_sel = 0;
	__atomic_store_n(&t->needs_reset, false, __ATOMIC_RELAXED);
	if (t->dev->reset)
		t->dev->reset(t->ctx);
	t->stats.resets++;
	for (unsigned int i = t->dev->num_queues; i-- > 0;)
		spinlock_unlock(&t->queue_lock[i]);
	virtio_mmio_ack(t, ~0U);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	spinlock_lock(&t->lock);
	virtio_mmio_reset_locked(t);
	spinlock_unlock(&t->lock);
}

bool virtio_mmio_live(const struct virtio_mmio *t)
{
	return (__atomic_load_n(&t->status, __ATOMIC_ACQUIRE) & VIRTIO_STATUS_DRIVER_OK) &&
	       !__atomic_load_n(&t->needs_reset, __ATOMIC_ACQUIRE);
}

void virtio_mmio_fail(struct virtio_mmio *t, const char *why)
{
	/* Logged once per episode: a hostile guest must not flood the console. */
	if (__atomic_exchange_n(&t->needs_reset, true, __ATOMIC_ACQ_REL))
		return;
	__atomic_fetch_add(&t->stats.errors, 1, __ATOMIC_RELAXED);
	LOG_WARN("%s: %s: %s; device needs reset", t->owner, t->dev->name, why);
	virtio_mmio_raise(t, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_queue_lock(struct virtio_mmio *t, unsigned int index)
{
	spinlock_lock(&t->queue_lock[index]);
}

void virtio_mmio_queue_unlock(struct virtio_mmio *t, unsigned int index)
{
	spinlock_unlock(&t->queue_lock[index]);
}

struct virtq_chain *virtio_mmio_pop(struct virtio_mmio *t, unsigned int index)
{
	char why[64];
	int ret;

	if (!virtio_mmio_live(t))
		return NULL;
	ret = virtq_pop(&t->queue[index], &t->chain[index]);
	if (ret > 0)
		return &t->chain[index];
	if (ret < 0 && ret != VIRTQ_ERR_NOT_READY) {
		fmt_snprintf(why, sizeof(why), "queue %u: %s", index, virtq_error_name(ret));
		virtio_mmio_fail(t, why);
	}
	return NULL;
}

void virtio_mmio_push(struct virtio_mmio *t, unsigned int index, uint16_t head, uint32_t written)
{
	virtq_push(&t->queue[index], head, written);
}

void virtio_mmio_signal(struct virtio_mmio *t, unsigned int index)
{
	if (virtq_wants_interrupt(&t->queue[index]))
		virtio_mmio_raise(t, VIRTIO_MMIO_INT_VRING);
}

static void virtio_mmio_notify(struct virtio_mmio *t, unsigned int index)
{
	if (index >= t->dev->num_queues)
		return;
	spinlock_lock(&t->queue_lock[index]);
	if (virtio_mmio_live(t) && t->queue[index].ready)
		t->dev->queue_notify(t->ctx, t, index);
	spinlock_unlock(&t->queue_lock[index]);
}

/* ---- registers ---- */

static struct virtq *virtio_mmio_selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev->num_queues ? &t->queue[t->queue_sel] : NULL;
}

static uint32_t virtio_mmio_read_reg(struct virtio_mmio *t, uint64_t offset)
{
	const struct virtq *q = virtio_mmio_selected(t);
	uint64_t features = virtio_mmio_device_features(t);

	switch (offset) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return t->device_features_sel < 2
			       ? (uint32_t)(features >> (32 * t->device_features_sel))
			       : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VIRTQ_NUM_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q && q->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&t->interrupt_status, __ATOMIC_RELAXED);
	case VIRTIO_MMIO_STATUS:
		return t->status | (__atomic_load_n(&t->needs_reset, __ATOMIC_RELAXED)
					    ? VIRTIO_STATUS_NEEDS_RESET
					    : 0);
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc_ipa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? (uint32_t)(q->desc_ipa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return q ? (uint32_t)q->avail_ipa : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return q ? (uint32_t)(q->avail_ipa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return q ? (uint32_t)q->used_ipa : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return q ? (uint32_t)(q->used_ipa >> 32) : 0;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return ~0U; /* 4.2.2: no shared memory region with this ID */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	default:
		return 0; /* write-only and reserved registers read as zero */
	}
}

/* Sets a 32-bit half of a 64-bit queue address; only while the queue is not ready. */
static void virtio_mmio_set_half(struct virtq *q, paddr_t *field, uint32_t value, bool high)
{
	if (!q || q->ready)
		return;
	if (high)
		*field = (*field & 0xffffffffULL) | ((uint64_t)value << 32);
	else
		*field = (*field & ~0xffffffffULL) | value;
}

static void virtio_mmio_set_queue_ready(struct virtio_mmio *t, struct virtq *q, uint32_t value)
{
	unsigned int index = t->queue_sel;
	char why[64];
	int ret;

	if (!q)
		return;
	spinlock_lock(&t->queue_lock[index]);
	if (!value) {
		q->ready = false;
	} else if (!q->ready) {
		ret = virtq_enable(q, &t->mem);
		if (ret) {
			fmt_snprintf(why, sizeof(why), "queue %u: %s", index,
				     virtq_error_name(ret));
			virtio_mmio_fail(t, why);
		}
	}
	spinlock_unlock(&t->queue_lock[index]);
}

static void virtio_mmio_set_status(struct virtio_mmio *t, uint32_t value)
{
	bool to_live;

	if (value == 0) {
		virtio_mmio_reset_locked(t);
		return;
	}
	value &= ~VIRTIO_STATUS_NEEDS_RESET; /* the device's bit, not the driver's */
	/* 3.1.1: FEATURES_OK sticks only for a subset of ours that includes VERSION_1. */
	if ((value & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		if ((t->driver_features & ~virtio_mmio_device_features(t)) ||
		    !(t->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
			value &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	to_live = (value & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_DRIVER_OK);
	__atomic_store_n(&t->status, value, __ATOMIC_RELEASE);
	/* Buffers a driver made available before DRIVER_OK are taken now (3.1.1 step 8). */
	if (to_live) {
		for (unsigned int i = 0; i < t->dev->num_queues; i++)
			virtio_mmio_notify(t, i);
	}
}

static void virtio_mmio_write_reg(struct virtio_mmio *t, uint64_t offset, uint32_t value)
{
	struct virtq *q = virtio_mmio_selected(t);

	switch (offset) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->device_features_sel = value;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are fixed once accepted (3.1.1). */
		if (t->driver_features_sel < 2 && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned int shift = 32 * t->driver_features_sel;

			t->driver_features = (t->driver_features & ~(0xffffffffULL << shift)) |
					     ((uint64_t)value << shift);
		}
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->driver_features_sel = value;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = value;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q && !q->ready)
			q->num = (uint16_t)MIN(value, 0xffffU);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		virtio_mmio_set_queue_ready(t, q, value);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		virtio_mmio_ack(t, value);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio_set_status(t, value);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_mmio_set_half(q, q ? &q->desc_ipa : NULL, value,
				     offset == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		virtio_mmio_set_half(q, q ? &q->avail_ipa : NULL, value,
				     offset == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		virtio_mmio_set_half(q, q ? &q->used_ipa : NULL, value,
				     offset == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
		break;
	default:
		break; /* read-only and reserved registers ignore writes */
	}
}

int virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned int size, uint64_t *value)
{
	int ret = 0;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		ret = t->dev->config_read ? t->dev->config_read(t->ctx, offset - VIRTIO_MMIO_CONFIG,
								size, value)
					  : -1;
	} else if (size != 4 || (offset & 3)) {
		ret = -1;
	} else {
		spinlock_lock(&t->lock);
		*value = virtio_mmio_read_reg(t, offset);
		spinlock_unlock(&t->lock);
	}
	if (ret)
		__atomic_fetch_add(&t->stats.bad_accesses, 1, __ATOMIC_RELAXED);
	return ret;
}

int virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned int size, uint64_t value)
{
	int ret = 0;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		ret = t->dev->config_write
			      ? t->dev->config_write(t->ctx, offset - VIRTIO_MMIO_CONFIG, size,
						     value)
			      : 0; /* a read-only config space ignores writes */
	} else if (size != 4 || (offset & 3)) {
		ret = -1;
	} else if (offset == VIRTIO_MMIO_QUEUE_NOTIFY) {
		/* The hot path: no transport lock, only the queue's own. */
		__atomic_fetch_add(&t->stats.notifies, 1, __ATOMIC_RELAXED);
		virtio_mmio_notify(t, (uint32_t)value & 0xffff);
	} else {
		spinlock_lock(&t->lock);
		virtio_mmio_write_reg(t, offset, (uint32_t)value);
		spinlock_unlock(&t->lock);
	}
	if (ret)
		__atomic_fetch_add(&t->stats.bad_accesses, 1, __ATOMIC_RELAXED);
	return ret;
}

static int virtio_mmio_mmio_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
				 uint64_t *value)
{
	(void)vcpu;
	return virtio_mmio_read(ctx, offset, size, value);
}

static int virtio_mmio_mmio_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
				  uint64_t *value)
{
	(void)vcpu;
	return virtio_mmio_write(ctx, offset, size, *value);
}

const struct mmio_ops virtio_mmio_ops = { virtio_mmio_mmio_read, virtio_mmio_mmio_write };
