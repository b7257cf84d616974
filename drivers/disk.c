/* SPDX-License-Identifier: MIT */
/*
 * The physical disk: a virtio-blk device behind one of the platform's
 * virtio-mmio transports (VIRTIO 1.2: 4.2 virtio over MMIO, 2.7 split
 * virtqueues, 5.2 block device), driven asynchronously: requests go onto the
 * ring and the caller goes on; the device's interrupt reaps the used ring and
 * completes them. See docs/disk.md.
 *
 * One queue, one lock. Free descriptors form a list threaded through the
 * table's `next` fields; a device request's head descriptor doubles as its
 * slot for the header and status byte. Requests that do not fit wait in a
 * FIFO (in order: a FLUSH never overtakes the writes started before it), and
 * a request cut into several device requests completes when its last part
 * does.
 */
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/disk.h>
#include <rhenium/format.h>
#include <rhenium/irq.h>
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
	 FEATURE(VIRTIO_BLK_F_SIZE_MAX) | FEATURE(VIRTIO_BLK_F_RO) |       \
	 FEATURE(VIRTIO_F_INDIRECT_DESC))
/*
 * With indirect descriptors (2.7.5.3) a device request takes one ring
 * descriptor whatever its size, so many large requests can be in flight; each
 * ring descriptor in use then has its own table of up to DISK_MAX_SEGS + 2
 * entries, and this many ring descriptors are used at most.
 */
#define DISK_INDIRECT_SLOTS 64u
#define DISK_INDIRECT_ENTRIES (DISK_MAX_SEGS + 2u)

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
	struct virtq_desc *indirect; /* DISK_INDIRECT_ENTRIES per ring descriptor, or NULL */

	/* Under disk_lock. */
	struct disk_req *inflight[DISK_QUEUE_MAX]; /* by head descriptor */
	unsigned int inflight_count;		   /* device requests on the ring */
	uint16_t free_head;			   /* free descriptors, linked by .next */
	unsigned int free_count;
	uint16_t avail_idx;	    /* next free avail slot */
	uint16_t used_idx;	    /* next used entry to consume */
	struct disk_req *wait_head; /* not yet entirely on the ring, oldest first */
	struct disk_req *wait_tail;
	uint64_t last_progress; /* counter when the device last completed something */
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

static bool disk_irq(uint32_t intid, void *ctx);

/* --- Initialisation ------------------------------------------------------------ */

/* Carves the queue's memory (2.7: desc 16-, avail 2-, used 4-byte aligned) out of zeroed pages. */
static bool disk_alloc_ring(uint16_t q, bool indirect)
{
	uint64_t avail_off = (uint64_t)q * sizeof(struct virtq_desc);
	uint64_t used_off = ALIGN_UP(avail_off + 6 + 2ull * q, 4);
	uint64_t slots_off = ALIGN_UP(used_off + 6 + 8ull * q, 64);
	uint64_t indirect_off = ALIGN_UP(slots_off + (uint64_t)q * sizeof(struct disk_slot), 64);
	uint64_t bytes =
		indirect_off + (indirect ? (uint64_t)MIN(q, DISK_INDIRECT_SLOTS) *
						   DISK_INDIRECT_ENTRIES * sizeof(struct virtq_desc)
					 : 0);
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
	disk.indirect = indirect ? (struct virtq_desc *)(va + indirect_off) : NULL;
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
	/* 2.7.5.3.1: an indirect table is a chain too, no longer than the queue. */
	max_pieces = q - 2u;
	if (accepted & FEATURE(VIRTIO_F_INDIRECT_DESC))
		max_pieces = MIN(max_pieces, DISK_INDIRECT_ENTRIES - 2u);
	if (seg_max)
		max_pieces = MIN(max_pieces, seg_max);
	if (size_max && (uint64_t)size_max * max_pieces < DISK_SECTOR_SIZE)
		return "its size_max and seg_max do not allow even one sector per request";
	if (!disk_alloc_ring(q, accepted & FEATURE(VIRTIO_F_INDIRECT_DESC)))
		return "no memory for its queue";

	/* Every descriptor starts free; with indirect tables, only those that have one. */
	disk.free_count = disk.indirect ? MIN(q, DISK_INDIRECT_SLOTS) : q;
	for (uint16_t i = 0; i < disk.free_count; i++)
		disk.desc[i].next = (uint16_t)(i + 1);
	disk.free_head = 0;
	disk.avail->flags = 0; /* completions arrive by interrupt */
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
	LOG_INFO("disk: virtio-blk at %#010llx (intid %u), %llu sectors (%s)%s%s%s",
		 (unsigned long long)disk.regs, disk.irq, (unsigned long long)disk.sectors, size,
		 disk.flush ? ", flush" : "", disk.read_only ? ", read-only" : "",
		 disk.indirect ? ", indirect" : "");
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
		/* Completions come by interrupt, to the boot CPU (any CPU would do). */
		if (disk.irq && irq_register(disk.irq, disk_irq, NULL) == 0)
			arch_irq_enable(disk.irq);
		else
			LOG_WARN("disk: no interrupt (intid %u): completions only when polled",
				 disk.irq);
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

/* Requests whose done() is due, collected under the lock and called after it. */
struct disk_done_list {
	struct disk_req *head;
};

static void disk_done_add(struct disk_done_list *list, struct disk_req *r)
{
	r->next_waiting = list->head;
	list->head = r;
}

static void disk_done_run(struct disk_done_list *list)
{
	while (list->head) {
		struct disk_req *r = list->head;

		list->head = r->next_waiting;
		r->next_waiting = NULL;
		r->done(r);
	}
}

/* Stops the device for good and fails everything in flight or waiting. */
static void disk_break(const char *why, struct disk_done_list *list)
{
	unsigned int failed = 0;

	disk.ready = false;
	/* A reset device no longer touches the ring or the requests' memory (2.4). */
	if (!disk_reset(disk.regs))
		LOG_ERROR("disk: the device does not complete a reset either");
	for (unsigned int i = 0; i < disk.qsize; i++) {
		struct disk_req *r = disk.inflight[i];

		disk.inflight[i] = NULL;
		if (!r || !r->parts)
			continue;
		r->parts = 0;
		r->status = VIRTIO_BLK_S_IOERR;
		/* One still waiting to place its rest is failed below, with the waiting ones. */
		if (r->placed) {
			disk_done_add(list, r);
			failed++;
		}
	}
	while (disk.wait_head) {
		struct disk_req *r = disk.wait_head;

		disk.wait_head = r->next_waiting;
		r->status = VIRTIO_BLK_S_IOERR;
		r->placed = true;
		disk_done_add(list, r);
		failed++;
	}
	disk.wait_tail = NULL;
	disk.inflight_count = 0;
	LOG_ERROR("disk: %s; %u request(s) failed, the disk is out of service until reboot", why,
		  failed);
}

static uint16_t disk_alloc_desc(void)
{
	uint16_t i = disk.free_head;

	disk.free_head = disk.desc[i].next;
	disk.free_count--;
	return i;
}

/* Returns a chain to the free list (our own table: the device does not write it). */
static void disk_free_chain(uint16_t head)
{
	uint16_t i = head;

	for (;;) {
		uint16_t next = disk.desc[i].next;
		bool more = disk.desc[i].flags & VIRTQ_DESC_F_NEXT;

		disk.desc[i].next = disk.free_head;
		disk.free_head = i;
		disk.free_count++;
		if (!more)
			break;
		i = next;
	}
}

static void disk_complete(const struct virtq_used_elem *e, struct disk_done_list *list)
{
	uint32_t id = e->id;
	struct disk_req *r = id < disk.qsize ? disk.inflight[id] : NULL;
	uint8_t status;

	if (!r) {
		disk_break("the device completed a request it was not given", list);
		return;
	}
	status = disk.slots[id].status;
	disk.inflight[id] = NULL;
	disk.inflight_count--;
	disk_free_chain((uint16_t)id);
	/* A request cut into several device requests fails if any part does. */
	if (status != VIRTIO_BLK_S_OK && r->status == VIRTIO_BLK_S_OK)
		r->status =
			status == VIRTIO_BLK_S_UNSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
	if (--r->parts == 0 && r->placed)
		disk_done_add(list, r);
}

/*
 * Adds one device request: the header, `pieces` data descriptors carrying
 * `bytes` from the request's cursor, and the status byte. The caller made room.
 */
static void disk_add(struct disk_req *r, uint32_t type, uint64_t bytes, unsigned int pieces)
{
	uint16_t head = disk_alloc_desc();
	struct disk_slot *slot = &disk.slots[head];
	uint16_t data_flags = r->op == DISK_READ ? VIRTQ_DESC_F_WRITE : 0;
	/* The chain goes into the head's own indirect table, or onto the ring itself. */
	struct virtq_desc *table =
		disk.indirect ? disk.indirect + head * DISK_INDIRECT_ENTRIES : disk.desc;
	uint16_t d = disk.indirect ? 0 : head;
	uint64_t placed = 0;

	slot->hdr.type = type;
	slot->hdr.reserved = 0;
	slot->hdr.sector =
		type == VIRTIO_BLK_T_FLUSH ? 0 : r->sector + r->cursor.pos / DISK_SECTOR_SIZE;
	slot->status = DISK_STATUS_PENDING;
	table[d].addr = mm_virt_to_phys(&slot->hdr);
	table[d].len = sizeof(slot->hdr);
	table[d].flags = VIRTQ_DESC_F_NEXT;
	for (unsigned int k = 0; k <= pieces; k++) {
		uint16_t next = disk.indirect ? (uint16_t)(d + 1) : disk_alloc_desc();

		table[d].next = next;
		d = next;
		if (k == pieces)
			break;
		paddr_t pa = 0;
		uint32_t len = disk_req_piece(r, &r->cursor, disk.size_max, bytes - placed, &pa);

		table[d].addr = pa;
		table[d].len = len;
		table[d].flags = data_flags | VIRTQ_DESC_F_NEXT;
		placed += len;
	}
	/* The planner and the placement walk the same segments: they cannot disagree. */
	ASSERT(placed == bytes);
	table[d].addr = mm_virt_to_phys(&slot->status);
	table[d].len = 1;
	table[d].flags = VIRTQ_DESC_F_WRITE;
	if (disk.indirect) {
		disk.desc[head].addr = mm_virt_to_phys(table);
		disk.desc[head].len = (uint32_t)((d + 1u) * sizeof(struct virtq_desc));
		disk.desc[head].flags = VIRTQ_DESC_F_INDIRECT;
	}

	disk.inflight[head] = r;
	disk.inflight_count++;
	r->parts++;
	disk.avail->ring[disk.avail_idx % disk.qsize] = head;
	disk.avail_idx++;
}

/* Ring descriptors one device request of `pieces` data descriptors takes. */
static unsigned int disk_descs_needed(unsigned int pieces)
{
	return disk.indirect ? 1 : pieces + 2;
}

/*
 * Moves waiting requests onto the ring, oldest first, as far as free
 * descriptors allow, and notifies the device if anything was added.
 */
static void disk_place_waiting(struct disk_done_list *list)
{
	bool added = false, was_idle = disk.inflight_count == 0;

	while (disk.ready && disk.wait_head) {
		struct disk_req *r = disk.wait_head;

		if (r->op == DISK_FLUSH) {
			if (disk.free_count < disk_descs_needed(0))
				break;
			disk_add(r, VIRTIO_BLK_T_FLUSH, 0, 0);
			added = true;
		}
		while (r->op != DISK_FLUSH && r->cursor.pos < r->bytes) {
			unsigned int pieces;
			uint64_t chunk = disk_req_chunk(r, &r->cursor, disk.max_pieces,
							disk.size_max, &pieces);

			if (chunk == 0) {
				LOG_WARN("disk: request at sector %llu has segments too small for "
					 "the device's limits",
					 (unsigned long long)r->sector);
				r->status = VIRTIO_BLK_S_IOERR;
				break;
			}
			if (disk.free_count < disk_descs_needed(pieces))
				goto out;
			disk_add(r, r->op == DISK_READ ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, chunk,
				 pieces);
			added = true;
		}
		r->placed = true;
		disk.wait_head = r->next_waiting;
		if (!disk.wait_head)
			disk.wait_tail = NULL;
		r->next_waiting = NULL;
		if (!r->parts)
			disk_done_add(list, r);
	}
out:
	if (added) {
		/* Silence is counted from when the device was last given work or answered. */
		if (was_idle)
			disk.last_progress = arch_counter_read();
		/* 2.7.13: ring entries before the index, the index before the notification. */
		__atomic_store_n(&disk.avail->idx, disk.avail_idx, __ATOMIC_RELEASE);
		disk_reg_write(disk.regs, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
}

/* Collects completions; declares the device broken if it has been silent too long. */
static void disk_reap(struct disk_done_list *list)
{
	/* Acquire: the used entries and status bytes are read after the index. */
	uint16_t idx = __atomic_load_n(&disk.used->idx, __ATOMIC_ACQUIRE);

	if ((uint16_t)(idx - disk.used_idx) > disk.inflight_count) {
		disk_break("the device completed more requests than it was given", list);
		return;
	}
	if (idx != disk.used_idx)
		disk.last_progress = arch_counter_read();
	while (disk.ready && disk.used_idx != idx) {
		disk_complete(&disk.used->ring[disk.used_idx % disk.qsize], list);
		disk.used_idx++;
	}
	/* The bound is on silence, not on the amount queued: a big queue may take a while. */
	if (disk.ready && disk.inflight_count &&
	    arch_counter_read() - disk.last_progress > disk_ticks(DISK_TIMEOUT_S * 1000))
		disk_break(disk_timeout_msg, list);
}

void disk_poll(void)
{
	struct disk_done_list list = { NULL };

	spinlock_lock(&disk_lock);
	if (disk.ready) {
		disk_reap(&list);
		disk_place_waiting(&list);
	}
	spinlock_unlock(&disk_lock);
	disk_done_run(&list);
}

static bool disk_irq(uint32_t intid, void *ctx)
{
	(void)intid;
	(void)ctx;
	/* Level-triggered: acknowledge at the device before the GIC deactivates the line. */
	disk_ack_interrupt();
	disk_poll();
	return true;
}

bool disk_start(struct disk_req *r)
{
	struct disk_done_list list = { NULL };
	uint64_t bytes = 0;
	uint8_t status = disk.ready ? disk_req_check(r, disk.sectors, &bytes) : VIRTIO_BLK_S_IOERR;
	bool queued = false;

	if (status == VIRTIO_BLK_S_OK && r->op == DISK_WRITE && disk.read_only)
		status = VIRTIO_BLK_S_IOERR;
	if (status == VIRTIO_BLK_S_OK && !disk_segs_allowed(r))
		status = VIRTIO_BLK_S_IOERR;
	r->status = status;
	/* Without a volatile cache every completed write is already stable. */
	if (status != VIRTIO_BLK_S_OK || (r->op == DISK_FLUSH && !disk.flush))
		return false;

	r->bytes = bytes;
	r->cursor = (struct disk_req_cursor){ 0 };
	r->parts = 0;
	r->placed = false;
	r->next_waiting = NULL;
	spinlock_lock(&disk_lock);
	if (disk.ready) {
		if (disk.wait_tail)
			disk.wait_tail->next_waiting = r;
		else
			disk.wait_head = r;
		disk.wait_tail = r;
		queued = true;
		disk_place_waiting(&list);
	} else {
		r->status = VIRTIO_BLK_S_IOERR;
	}
	spinlock_unlock(&disk_lock);
	/* Ours may be on the list already (failed while placing): it then completes now. */
	for (struct disk_req **p = &list.head; *p; p = &(*p)->next_waiting) {
		if (*p == r) {
			*p = r->next_waiting;
			r->next_waiting = NULL;
			queued = false;
			break;
		}
	}
	disk_done_run(&list);
	return queued;
}

static void disk_sync_done(struct disk_req *r)
{
	__atomic_fetch_sub((unsigned int *)r->ctx, 1, __ATOMIC_RELEASE);
}

void disk_submit(struct disk_req *reqs, unsigned int n)
{
	unsigned int remaining = 0;

	for (unsigned int i = 0; i < n; i++) {
		/* A FLUSH covers what completed before it: let the earlier ones finish. */
		while (reqs[i].op == DISK_FLUSH && __atomic_load_n(&remaining, __ATOMIC_ACQUIRE)) {
			disk_poll();
			arch_cpu_relax();
		}
		reqs[i].done = disk_sync_done;
		reqs[i].ctx = &remaining;
		__atomic_fetch_add(&remaining, 1, __ATOMIC_RELAXED);
		if (!disk_start(&reqs[i]))
			__atomic_fetch_sub(&remaining, 1, __ATOMIC_RELAXED);
	}
	/* disk_poll() ends in a completion or, after DISK_TIMEOUT_S of silence, a failure. */
	while (__atomic_load_n(&remaining, __ATOMIC_ACQUIRE)) {
		disk_poll();
		arch_cpu_relax();
	}
}
