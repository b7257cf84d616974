/* SPDX-License-Identifier: MIT */
/*
 * The physical disk: a virtio-blk device behind one of the platform's
 * virtio-mmio transports, driven by polling (VIRTIO 1.2: 4.2 virtio over
 * MMIO, 2.7 split virtqueues, 5.2 block device). See docs/disk.md.
 *
 * One queue, one lock. disk_submit() lays a batch of requests out in the
 * ring, notifies the device once and spins on the used ring until all have
 * completed, so the ring is empty whenever the lock is free; descriptors are
 * therefore handed out linearly from 0 and a request's head descriptor
 * doubles as its slot for the header and status byte.
 */
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/disk.h>
#include <rhenium/format.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/panic.h>
#include <rhenium/spinlock.h>
#include <rhenium/virtio.h>

#include "disk_req.h"

#define DISK_QUEUE_MAX 256u
/*
 * How long the device may go without completing anything. A QEMU flush is an
 * fdatasync of the image file: allow a slow host plenty of time.
 */
#define DISK_TIMEOUT_S 10
#define DISK_RESET_TIMEOUT_MS 1000u
static const char disk_timeout_msg[] = "no answer from the device within " STR(DISK_TIMEOUT_S) " s";
/* Written into each status byte before the request goes out; no device writes it back. */
#define DISK_STATUS_PENDING 0xffu
#define DISK_CONFIG_RETRIES 16

/* 5.2.4 Device configuration layout (offsets in the config space). */
#define VIRTIO_BLK_CFG_CAPACITY 0x00
#define VIRTIO_BLK_CFG_SIZE_MAX 0x08
#define VIRTIO_BLK_CFG_SEG_MAX 0x0c

#define FEATURE(bit) (1ull << (bit))
/*
 * What this driver accepts when offered. ACCESS_PLATFORM only says that
 * addresses go through the platform's translation, which for Rhenium is the
 * identity; EVENT_IDX is never taken: notification suppression means nothing
 * to a driver that polls.
 */
#define DISK_FEATURES                                                      \
	(FEATURE(VIRTIO_F_VERSION_1) | FEATURE(VIRTIO_F_ACCESS_PLATFORM) | \
	 FEATURE(VIRTIO_BLK_F_FLUSH) | FEATURE(VIRTIO_BLK_F_SEG_MAX) |     \
	 FEATURE(VIRTIO_BLK_F_SIZE_MAX) | FEATURE(VIRTIO_BLK_F_RO))

/* 2.7.5 */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* 2.7.6; used_event follows the ring but is never read without EVENT_IDX. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

/* 2.7.8 */
struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* 5.2.6: the device-readable header of every request. */
struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Driver memory for one request, indexed by its head descriptor. */
struct disk_slot {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
};

_Static_assert(sizeof(struct virtq_desc) == 16, "2.7.5");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "2.7.8");
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "5.2.6");

struct disk {
	const struct platform_info *plat;
	paddr_t regs;
	uint32_t irq;
	uint64_t sectors;
	bool present;		 /* initialised; stays true if it breaks later */
	bool ready;		 /* present and not broken: requests may go to the device */
	bool flush;		 /* VIRTIO_BLK_F_FLUSH negotiated */
	bool read_only;		 /* VIRTIO_BLK_F_RO negotiated */
	uint16_t qsize;		 /* a power of two */
	unsigned int max_pieces; /* data descriptors per device request */
	uint32_t size_max;	 /* bytes per data descriptor, 0: no limit */

	paddr_t ring_pa; /* one allocation: descriptors, avail, used, slots */
	uint64_t ring_bytes;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	struct disk_slot *slots;

	/* Under disk_lock. */
	struct disk_req *inflight[DISK_QUEUE_MAX]; /* by head descriptor */
	unsigned int inflight_count;
	uint16_t desc_next; /* descriptors handed out since the ring was last empty */
	uint16_t avail_idx; /* next free avail slot, published on notify */
	uint16_t used_idx;  /* next used entry to consume */
};

static struct disk disk;
static struct spinlock disk_lock = SPINLOCK_INIT;

/* --- Registers -------------------------------------------------------------- */

static uint32_t disk_reg_read(paddr_t base, uint32_t off)
{
	return *(volatile uint32_t *)(uintptr_t)(base + off);
}

static void disk_reg_write(paddr_t base, uint32_t off, uint32_t val)
{
	/*
	 * Whatever was written to memory first (the zeroed ring, descriptors,
	 * the avail index) must be visible to the device before it acts on
	 * this write: a full-system barrier, as for any DMA hand-over.
	 */
	dsb_sy();
	*(volatile uint32_t *)(uintptr_t)(base + off) = val;
}

static uint64_t disk_ticks(uint32_t ms)
{
	return arch_counter_freq() / 1000 * ms;
}

/* 4.2.3.1: writing 0 resets; the driver waits until the device reads back 0. */
static bool disk_reset(paddr_t base)
{
	uint64_t start = arch_counter_read();
	uint64_t limit = disk_ticks(DISK_RESET_TIMEOUT_MS);

	disk_reg_write(base, VIRTIO_MMIO_STATUS, 0);
	while (disk_reg_read(base, VIRTIO_MMIO_STATUS) != 0) {
		if (arch_counter_read() - start > limit)
			return false;
		arch_cpu_relax();
	}
	return true;
}

static void disk_set_status(paddr_t base, uint32_t bits)
{
	disk_reg_write(base, VIRTIO_MMIO_STATUS, disk_reg_read(base, VIRTIO_MMIO_STATUS) | bits);
}

static uint64_t disk_device_features(paddr_t base)
{
	uint64_t f;

	disk_reg_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)disk_reg_read(base, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	disk_reg_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | disk_reg_read(base, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void disk_driver_features(paddr_t base, uint64_t f)
{
	disk_reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	disk_reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	disk_reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	disk_reg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
}

/*
 * 2.5.1 / 4.2.2: config fields wider than 32 bits are read in halves, and
 * a generation that moved in between means the values may be torn.
 */
static bool disk_read_config(paddr_t base, uint64_t *capacity, uint32_t *size_max,
			     uint32_t *seg_max)
{
	for (int i = 0; i < DISK_CONFIG_RETRIES; i++) {
		uint32_t gen = disk_reg_read(base, VIRTIO_MMIO_CONFIG_GENERATION);
		uint32_t lo = disk_reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY);
		uint32_t hi = disk_reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4);

		*size_max = disk_reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_SIZE_MAX);
		*seg_max = disk_reg_read(base, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_SEG_MAX);
		*capacity = (uint64_t)hi << 32 | lo;
		if (disk_reg_read(base, VIRTIO_MMIO_CONFIG_GENERATION) == gen)
			return true;
	}
	return false;
}

static void disk_ack_interrupt(void)
{
	uint32_t isr = disk_reg_read(disk.regs, VIRTIO_MMIO_INTERRUPT_STATUS);

	/* Polled, never taken: acknowledge so the line does not stay asserted. */
	if (isr)
		disk_reg_write(disk.regs, VIRTIO_MMIO_INTERRUPT_ACK, isr);
}

/* --- Initialisation ------------------------------------------------------------ */

/* Carves the queue's memory (2.7: desc 16-, avail 2-, used 4-byte aligned) out of zeroed pages. */
static bool disk_alloc_ring(uint16_t q)
{
	uint64_t avail_off = (uint64_t)q * sizeof(struct virtq_desc);
	uint64_t used_off = ALIGN_UP(avail_off + 6 + 2ull * q, 4);
	uint64_t slots_off = ALIGN_UP(used_off + 6 + 8ull * q, 64);
	uint64_t bytes = slots_off + (uint64_t)q * sizeof(struct disk_slot);
	uint64_t pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	paddr_t pa = mm_alloc_zeroed_pages(pages, 0);
	uint8_t *va;

	if (!pa)
		return false;
	va = mm_phys_to_virt(pa);
	disk.ring_pa = pa;
	disk.ring_bytes = pages * PAGE_SIZE;
	disk.desc = (struct virtq_desc *)va;
	disk.avail = (struct virtq_avail *)(va + avail_off);
	disk.used = (struct virtq_used *)(va + used_off);
	disk.slots = (struct disk_slot *)(va + slots_off);
	return true;
}

static uint16_t disk_queue_size(uint32_t num_max)
{
	uint16_t q = 1;

	while (q * 2u <= MIN(num_max, DISK_QUEUE_MAX))
		q *= 2;
	return q;
}

/* 4.2.3.1 and 4.2.3.2. Returns NULL on success, else why the device cannot be used. */
static const char *disk_setup(const struct platform_virtio_mmio *t)
{
	paddr_t base = t->base;
	uint64_t offered, accepted, capacity;
	uint32_t num_max, size_max, seg_max;
	unsigned int max_pieces;
	uint16_t q;

	if (!disk_reset(base))
		return "it does not complete a reset";
	disk_set_status(base, VIRTIO_STATUS_ACKNOWLEDGE);
	disk_set_status(base, VIRTIO_STATUS_DRIVER);

	offered = disk_device_features(base);
	if (!(offered & FEATURE(VIRTIO_F_VERSION_1)))
		return "it does not offer VIRTIO_F_VERSION_1";
	accepted = offered & DISK_FEATURES;
	disk_driver_features(base, accepted);
	disk_set_status(base, VIRTIO_STATUS_FEATURES_OK);
	if (!(disk_reg_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return "it refused the features we accepted";

	if (!disk_read_config(base, &capacity, &size_max, &seg_max))
		return "its configuration keeps changing";
	if (!(accepted & FEATURE(VIRTIO_BLK_F_SIZE_MAX)))
		size_max = 0;
	if (!(accepted & FEATURE(VIRTIO_BLK_F_SEG_MAX)))
		seg_max = 0;

	disk_reg_write(base, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (disk_reg_read(base, VIRTIO_MMIO_QUEUE_READY) != 0)
		return "queue 0 is already live after a reset";
	num_max = disk_reg_read(base, VIRTIO_MMIO_QUEUE_NUM_MAX);
	q = disk_queue_size(num_max);
	/* A READ or WRITE needs three descriptors: header, data, status. */
	if (num_max == 0 || q < 4)
		return "its queue 0 is missing or too small";
	max_pieces = q - 2u;
	if (seg_max)
		max_pieces = MIN(max_pieces, seg_max);
	if (size_max && (uint64_t)size_max * max_pieces < DISK_SECTOR_SIZE)
		return "its size_max and seg_max do not allow even one sector per request";
	if (!disk_alloc_ring(q))
		return "no memory for its queue";

	/* We poll; the device may skip interrupts altogether (2.7.7). */
	disk.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_NUM, q);
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)mm_virt_to_phys(disk.desc));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DESC_HIGH,
		       (uint32_t)(mm_virt_to_phys(disk.desc) >> 32));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)mm_virt_to_phys(disk.avail));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
		       (uint32_t)(mm_virt_to_phys(disk.avail) >> 32));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)mm_virt_to_phys(disk.used));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
		       (uint32_t)(mm_virt_to_phys(disk.used) >> 32));
	disk_reg_write(base, VIRTIO_MMIO_QUEUE_READY, 1);
	disk_set_status(base, VIRTIO_STATUS_DRIVER_OK);
	if (disk_reg_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
		return "it needs a reset right after start-up";

	disk.regs = base;
	disk.irq = t->irq;
	disk.sectors = capacity;
	disk.flush = accepted & FEATURE(VIRTIO_BLK_F_FLUSH);
	disk.read_only = accepted & FEATURE(VIRTIO_BLK_F_RO);
	disk.qsize = q;
	disk.max_pieces = max_pieces;
	disk.size_max = size_max;
	disk_ack_interrupt();
	LOG_DEBUG("disk: queue of %u, up to %u data descriptors per request, size_max %u", q,
		  max_pieces, size_max);
	return NULL;
}

static void disk_log_ready(void)
{
	char size[16];
	uint64_t bytes = disk.sectors > UINT64_MAX / DISK_SECTOR_SIZE
				 ? UINT64_MAX
				 : disk.sectors * DISK_SECTOR_SIZE;

	fmt_size(size, sizeof(size), bytes);
	LOG_INFO("disk: virtio-blk at %#010llx (intid %u), %llu sectors (%s)%s%s",
		 (unsigned long long)disk.regs, disk.irq, (unsigned long long)disk.sectors, size,
		 disk.flush ? ", flush" : "", disk.read_only ? ", read-only" : "");
}

int disk_init(const struct platform_info *plat)
{
	paddr_t legacy = 0;

	disk.plat = plat;
	/* QEMU fills transports from the top: the first -device on its command line is the last. */
	for (unsigned int i = plat->virtio_mmio_count; i-- > 0;) {
		const struct platform_virtio_mmio *t = &plat->virtio_mmio[i];
		uint32_t version;
		const char *why;

		if (disk_reg_read(t->base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
		    disk_reg_read(t->base, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
			continue;
		version = disk_reg_read(t->base, VIRTIO_MMIO_VERSION);
		if (disk.present) {
			LOG_WARN("disk: ignoring the virtio-blk at %#010llx, using the one at "
				 "%#010llx",
				 (unsigned long long)t->base, (unsigned long long)disk.regs);
			continue;
		}
		if (version == 1) {
			legacy = t->base;
			continue;
		}
		if (version != 2) {
			LOG_WARN("disk: virtio-blk at %#010llx has unknown virtio-mmio version %u",
				 (unsigned long long)t->base, version);
			continue;
		}
		why = disk_setup(t);
		if (why) {
			/* 3.1.1: a driver that gives up says so. */
			disk_set_status(t->base, VIRTIO_STATUS_FAILED);
			LOG_ERROR("disk: virtio-blk at %#010llx unusable: %s",
				  (unsigned long long)t->base, why);
			return -1;
		}
		disk.present = true;
		disk.ready = true;
	}
	if (disk.present) {
		disk_log_ready();
		return 0;
	}
	if (legacy) {
		LOG_ERROR(
			"disk: virtio-blk at %#010llx is a legacy (version 1) virtio-mmio device; "
			"Rhenium needs version 2: run QEMU with "
			"-global virtio-mmio.force-legacy=false",
			(unsigned long long)legacy);
		return -1;
	}
	LOG_INFO("disk: none");
	return 1;
}

bool disk_present(void)
{
	return disk.present;
}

uint64_t disk_sectors(void)
{
	return disk.present ? disk.sectors : 0;
}

bool disk_has_flush(void)
{
	return disk.present && disk.flush;
}

bool disk_read_only(void)
{
	return disk.present && disk.read_only;
}

/* --- Requests ------------------------------------------------------------------ */

static bool disk_range_within(paddr_t pa, uint64_t len, paddr_t base, uint64_t size)
{
	return pa >= base && pa - base < size && len <= size - (pa - base);
}

static bool disk_range_overlaps(paddr_t pa, uint64_t len, paddr_t base, uint64_t size)
{
	return pa < base + size && base < pa + len;
}

/*
 * Data may only go to or come from RAM, and never from the ring itself: a
 * wrong address from a caller must not become a DMA into MMIO or into the
 * queue the device is reading.
 */
static bool disk_segs_allowed(const struct disk_req *r)
{
	const struct platform_info *plat = disk.plat;

	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct disk_seg *s = &r->segs[i];
		bool in_ram = false;

		if (!s->len)
			continue;
		for (unsigned int b = 0; b < plat->mem_count && !in_ram; b++)
			in_ram = disk_range_within(s->pa, s->len, plat->mem[b].base,
						   plat->mem[b].size);
		if (!in_ram || disk_range_overlaps(s->pa, s->len, disk.ring_pa, disk.ring_bytes))
			return false;
	}
	return true;
}

/* Stops the device for good and fails everything in flight. */
static void disk_break(const char *why)
{
	unsigned int failed = disk.inflight_count;

	disk.ready = false;
	/* A reset device no longer touches the ring or the requests' memory (2.4). */
	if (!disk_reset(disk.regs))
		LOG_ERROR("disk: the device does not complete a reset either");
	for (unsigned int i = 0; i < disk.qsize; i++) {
		if (disk.inflight[i])
			disk.inflight[i]->status = VIRTIO_BLK_S_IOERR;
		disk.inflight[i] = NULL;
	}
	disk.inflight_count = 0;
	disk.desc_next = 0;
	LOG_ERROR("disk: %s; %u request(s) failed, the disk is out of service until reboot", why,
		  failed);
}

static void disk_complete(const struct virtq_used_elem *e)
{
	uint32_t id = e->id;
	struct disk_req *r = id < disk.qsize ? disk.inflight[id] : NULL;
	uint8_t status;

	if (!r) {
		disk_break("the device completed a request it was not given");
		return;
	}
	status = disk.slots[id].status;
	disk.inflight[id] = NULL;
	disk.inflight_count--;
	/* A request cut into several device requests fails if any part does. */
	if (status != VIRTIO_BLK_S_OK && r->status == VIRTIO_BLK_S_OK)
		r->status =
			status == VIRTIO_BLK_S_UNSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* Hands everything queued to the device and waits until it has all come back. */
static void disk_drain(void)
{
	uint64_t start, limit;

	if (!disk.inflight_count) {
		disk.desc_next = 0;
		return;
	}
	/* 2.7.13: ring entries before the index, the index before the notification. */
	__atomic_store_n(&disk.avail->idx, disk.avail_idx, __ATOMIC_RELEASE);
	disk_reg_write(disk.regs, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

	start = arch_counter_read();
	limit = disk_ticks(DISK_TIMEOUT_S * 1000);
	while (disk.inflight_count) {
		/* Acquire: the used entries and status bytes are read after the index. */
		uint16_t idx = __atomic_load_n(&disk.used->idx, __ATOMIC_ACQUIRE);

		if (idx == disk.used_idx) {
			if (arch_counter_read() - start > limit) {
				disk_break(disk_timeout_msg);
				return;
			}
			arch_cpu_relax();
			continue;
		}
		if ((uint16_t)(idx - disk.used_idx) > disk.inflight_count) {
			disk_break("the device completed more requests than it was given");
			return;
		}
		/* The bound is on silence, not on the batch: a big batch may take a while. */
		start = arch_counter_read();
		while (disk.used_idx != idx) {
			disk_complete(&disk.used->ring[disk.used_idx % disk.qsize]);
			if (!disk.ready)
				return;
			disk.used_idx++;
		}
	}
	disk_ack_interrupt();
	disk.desc_next = 0;
}

static void disk_set_desc(uint16_t i, paddr_t pa, uint32_t len, uint16_t flags)
{
	struct virtq_desc *d = &disk.desc[i];

	d->addr = pa;
	d->len = len;
	d->flags = flags;
	d->next = (flags & VIRTQ_DESC_F_NEXT) ? (uint16_t)(i + 1) : 0;
}

/*
 * Adds one device request: the header, `pieces` data descriptors carrying
 * `bytes` from the cursor, and the status byte. The caller made room.
 */
static void disk_add(struct disk_req *r, uint32_t type, struct disk_req_cursor *c, uint64_t bytes,
		     unsigned int pieces)
{
	uint16_t head = disk.desc_next;
	uint16_t d = head;
	struct disk_slot *slot = &disk.slots[head];
	uint16_t data_flags = VIRTQ_DESC_F_NEXT | (r->op == DISK_READ ? VIRTQ_DESC_F_WRITE : 0);
	uint64_t placed = 0;

	slot->hdr.type = type;
	slot->hdr.reserved = 0;
	slot->hdr.sector = type == VIRTIO_BLK_T_FLUSH ? 0 : r->sector + c->pos / DISK_SECTOR_SIZE;
	slot->status = DISK_STATUS_PENDING;
	disk_set_desc(d++, mm_virt_to_phys(&slot->hdr), sizeof(slot->hdr), VIRTQ_DESC_F_NEXT);
	for (unsigned int k = 0; k < pieces; k++) {
		paddr_t pa = 0;
		uint32_t len = disk_req_piece(r, c, disk.size_max, bytes - placed, &pa);

		disk_set_desc(d++, pa, len, data_flags);
		placed += len;
	}
	/* The planner and the placement walk the same segments: they cannot disagree. */
	ASSERT(placed == bytes);
	disk_set_desc(d++, mm_virt_to_phys(&slot->status), 1, VIRTQ_DESC_F_WRITE);

	disk.desc_next = d;
	disk.inflight[head] = r;
	disk.inflight_count++;
	disk.avail->ring[disk.avail_idx % disk.qsize] = head;
	disk.avail_idx++;
}

/* Room for a chain of n descriptors, emptying the ring first if needed; false if broken. */
static bool disk_make_room(unsigned int n)
{
	if (disk.desc_next + n > disk.qsize)
		disk_drain();
	return disk.ready;
}

static void disk_queue(struct disk_req *r)
{
	struct disk_req_cursor c = { 0 };
	uint64_t bytes = 0;
	uint8_t status = disk.ready ? disk_req_check(r, disk.sectors, &bytes) : VIRTIO_BLK_S_IOERR;

	if (status == VIRTIO_BLK_S_OK && r->op == DISK_WRITE && disk.read_only)
		status = VIRTIO_BLK_S_IOERR;
	if (status == VIRTIO_BLK_S_OK && !disk_segs_allowed(r))
		status = VIRTIO_BLK_S_IOERR;
	r->status = status;
	if (status != VIRTIO_BLK_S_OK)
		return;

	if (r->op == DISK_FLUSH) {
		/* Without a volatile cache every completed write is already stable. */
		if (!disk.flush)
			return;
		/* 5.2.6: a flush covers the writes that completed before it was sent. */
		disk_drain();
		if (disk.ready)
			disk_add(r, VIRTIO_BLK_T_FLUSH, &c, 0, 0);
		else
			r->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	while (c.pos < bytes) {
		unsigned int pieces;
		uint64_t chunk = disk_req_chunk(r, &c, disk.max_pieces, disk.size_max, &pieces);

		if (chunk == 0) {
			LOG_WARN("disk: request at sector %llu has segments too small for the "
				 "device's limits",
				 (unsigned long long)r->sector);
			r->status = VIRTIO_BLK_S_IOERR;
			return;
		}
		if (!disk_make_room(pieces + 2)) {
			r->status = VIRTIO_BLK_S_IOERR;
			return;
		}
		disk_add(r, r->op == DISK_READ ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, &c, chunk,
			 pieces);
	}
}

void disk_submit(struct disk_req *reqs, unsigned int n)
{
	spinlock_lock(&disk_lock);
	for (unsigned int i = 0; i < n; i++)
		disk_queue(&reqs[i]);
	if (disk.ready)
		disk_drain();
	spinlock_unlock(&disk_lock);
}
